// labforge snapshot delete and list; destroy deletes every snapshot of the lab first.
import { UsageError } from '../../errors.js';
import type { Lab } from '../../lab/model.js';
import type { Virsh } from '../../tools/virsh.js';
import { labVirsh } from '../nodes/lab-hosts.js';
import { readRecord } from '../state/record.js';
import { logFile } from '../steps.js';
import { checkSnapshotName, knownNames, snapshotRows, type SnapshotRow } from './plan.js';
import { clearLostCopies } from './lost-copies.js';
import { changeSnapshot, requireRecord } from './record.js';
import { settleAll, shieldedFromSignals } from './steady.js';

/** Removes snapshot `name`: every part labforge recorded that libvirt still has, then the record's entry. An
 *  interrupted delete leaves the entry marked `deleting`; the next delete finishes it. */
export async function deleteSnapshot(
  lab: Lab,
  name: string,
  opts: { log?: string; virsh?: Virsh; progress?: (line: string) => void } = {},
): Promise<{ name: string; removed: string[] }> {
  checkSnapshotName('snapshot delete', name);
  const virsh = opts.virsh ?? labVirsh(lab, { log: opts.log ?? logFile(lab.outDir, 'snapshot') });
  const record = requireRecord(lab);
  const snap = (record.snapshots ?? []).find((s) => s.name === name);
  if (!snap)
    throw new UsageError(
      `snapshot delete: lab ${lab.name} has no snapshot ${JSON.stringify(name)} that labforge took (${knownNames(record)}); labforge deletes only its own`,
    );
  changeSnapshot(lab, name, (s) => s && { ...s, status: 'deleting' });
  const live = new Set(await virsh.domainUuids());
  const removed: string[] = [];
  await shieldedFromSignals(() =>
    settleAll(
      snap.parts.map(async (p) => {
        // Only the domain labforge recorded, and only if it has the snapshot (a part never taken, or gone with its
        // domain, has nothing to remove).
        if (!live.has(p.uuid) || !(await virsh.snapshots(p.uuid)).includes(name)) return;
        await virsh.snapshotDelete(p.uuid, name);
        removed.push(p.node);
      }),
    ),
  );
  // A save or delete that was interrupted may have left copies in the disks that libvirt lost (a libvirtd restart
  // during the save's snapshot): removed too, from the domains labforge recorded parts on.
  await clearLostCopies(
    lab,
    virsh,
    record,
    name,
    snap.parts.filter((p) => live.has(p.uuid)),
    opts.progress ?? ((l: string) => console.error(`labforge: ${l}`)),
    opts.log,
  );
  // Every part is gone (a failure has thrown, leaving the entry `deleting` for the next delete to finish).
  changeSnapshot(lab, name, () => undefined);
  // In the lab's order, whatever order the parallel deletes finished in.
  const order = lab.nodes.map((n) => n.name);
  return { name, removed: removed.sort((a, b) => order.indexOf(a) - order.indexOf(b)) };
}

/** Every snapshot labforge recorded, with which nodes' parts libvirt has now. */
export async function listSnapshots(lab: Lab): Promise<SnapshotRow[]> {
  const record = readRecord(lab.outDir);
  if (!record?.snapshots?.length) return [];
  const virsh = labVirsh(lab);
  const live = new Set(await virsh.domainUuids());
  const has = new Map<string, string[]>();
  for (const uuid of new Set(record.snapshots.flatMap((s) => s.parts.map((p) => p.uuid))))
    if (live.has(uuid)) has.set(uuid, await virsh.snapshots(uuid));
  return snapshotRows(lab, record, has);
}

/** Removes every snapshot labforge recorded (destroy, before the domains go). */
export async function deleteAllSnapshots(lab: Lab, virsh: Virsh): Promise<string[]> {
  const names = (readRecord(lab.outDir)?.snapshots ?? []).map((s) => s.name);
  for (const name of names) await deleteSnapshot(lab, name, { virsh });
  return names;
}
