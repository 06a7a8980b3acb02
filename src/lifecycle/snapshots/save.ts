// labforge snapshot save: the whole lab at one moment. Every node's libvirt domain gets an internal snapshot (qcow2)
// with its memory, taken while all nodes are suspended together, so the lab's snapshot is one instant.
import { SnapshotError } from '../../errors.js';
import type { Lab } from '../../lab/model.js';
import type { Virsh } from '../../tools/virsh.js';
import { labVirsh } from '../nodes/lab-hosts.js';
import { PAUSED_WHY, vagrantState } from '../nodes/status.js';
import type { SnapshotPart } from '../state/ownership.js';
import { logFile } from '../steps.js';
import { checkSnapshotName, planSave } from './plan.js';
import { clearLostCopies } from './lost-copies.js';
import { changeSnapshot, resolveLabDomains } from './record.js';
import { resumePaused, settleAll, shieldedFromSignals, stopIfInterrupted } from './steady.js';
import { DiskFullError, diskFullOr, mib, poolSpace, requireSpace, type Space } from '../host/space.js';
import { readRecord } from '../state/record.js';

/** Beyond the nodes' memory, what a snapshot with memory writes into each node's disk (device state, qcow2 tables). */
const SNAPSHOT_SLACK_MIB = 16;

export interface SaveResult {
  name: string;
  nodes: string[];
  /** How long the nodes stood still (suspended), and the whole save. */
  suspendedSeconds: number;
  seconds: number;
}

/**
 * Takes snapshot `name` of the lab (or adds the nodes in `only` to it): records it as `saving`, suspends every
 * running node at once, creates each node's internal snapshot with memory (`--atomic`), resumes the nodes it
 * suspended (also when interrupted or failing), then records it `complete`.
 */
export async function saveSnapshot(
  lab: Lab,
  name: string,
  opts: { only?: string[]; log?: string; progress?: (line: string) => void } = {},
): Promise<SaveResult> {
  checkSnapshotName('snapshot save', name);
  const started = Date.now();
  const log = opts.log ?? logFile(lab.outDir, 'snapshot');
  const virsh = labVirsh(lab, { log });
  const { record, nodes: resolved } = await resolveLabDomains(lab, virsh);
  const nodes = planSave(record, resolved, name, opts.only);
  // Nodes left paused (a labforge killed while the lab stood still): a snapshot of them would be one of a frozen lab.
  // They are resumed first, and the user is told.
  const paused = resolved.filter((n) => n.domain?.state === 'paused');
  if (paused.length) {
    await resumePaused(
      labVirsh(lab, { log, steady: true }),
      paused.map((n) => n.domain!.uuid),
    );
    for (const n of paused) n.domain!.state = 'running';
    (opts.progress ?? ((l: string) => console.error(`labforge: ${l}`)))(
      `resumed ${paused.map((n) => n.node).join(', ')}: ${PAUSED_WHY}`,
    );
  }
  // A snapshot of that name labforge did not record (made by hand) is not labforge's to replace.
  const recordedParts = (record.snapshots ?? []).find((s) => s.name === name)?.parts ?? [];
  for (const n of nodes) {
    const d = n.domain!;
    if (!(await virsh.snapshots(d.uuid)).includes(name)) continue;
    if (!recordedParts.some((p) => p.uuid === d.uuid))
      throw new SnapshotError(
        `domain ${d.name} already has a snapshot ${name} that labforge did not record: labforge leaves it alone; choose another name`,
      );
    // labforge's own part, left by a save interrupted before it was recorded as taken: taken again below.
    await virsh.snapshotDelete(d.uuid, name);
  }
  // The snapshot writes every running node's memory into its disk: the pool's file system must hold it, checked
  // before anything is recorded or suspended.
  const running = nodes.filter((n) => n.domain!.state === 'running');
  const needBytes =
    running.reduce((sum, n) => sum + (lab.nodes.find((x) => x.name === n.node)?.memoryMiB ?? 0), 0) * 2 ** 20 +
    nodes.length * SNAPSHOT_SLACK_MIB * 2 ** 20;
  const why =
    `the memory of ${running.length} running node${running.length === 1 ? '' : 's'}, which the snapshot keeps in ` +
    `their disks, and ${SNAPSHOT_SLACK_MIB} MiB for each node's device state`;
  const space: Space | undefined = await poolSpace(lab, virsh);
  if (space) requireSpace('labforge snapshot save', space, needBytes, why);
  const before = (record.snapshots ?? []).find((s) => s.name === name);
  const existed = before !== undefined;
  const retake = before?.status === 'saving' && !opts.only;
  const say = opts.progress ?? ((l: string) => console.error(`labforge: ${l}`));
  if (retake) say(`snapshot ${name} was left incomplete by an interrupted save: taking it again`);
  // A save labforge recorded as interrupted may have left copies in the disks that libvirt lost (a libvirtd restart
  // during its snapshot): removed first, or the new snapshot fails on them (libvirt 11) or sits beside them.
  await clearLostCopies(
    lab,
    virsh,
    record,
    name,
    nodes.map((n) => ({ node: n.node, uuid: n.domain!.uuid })),
    say,
    log,
  );
  const parts: SnapshotPart[] = nodes.map((n) => ({
    node: n.node,
    uuid: n.domain!.uuid,
    state: vagrantState(true, n.domain!.state),
    taken: false,
  }));
  const createdAt = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
  // Which provisioning steps the nodes have run goes with the snapshot: a restore puts it back with the disks.
  const provisioned = Object.fromEntries(
    parts.flatMap((p) => {
      const mine = record.provisioned?.[p.node];
      return mine && mine.domain === p.uuid ? [[p.node, mine]] : [];
    }),
  );
  changeSnapshot(lab, name, (s) => {
    const provision = {
      ...Object.fromEntries(Object.entries(s?.provision ?? {}).filter(([n]) => !parts.some((q) => q.node === n))),
      ...provisioned,
    };
    return {
      name,
      createdAt: retake ? createdAt : (s?.createdAt ?? createdAt),
      status: 'saving',
      parts: [...(s?.parts ?? []).filter((p) => !parts.some((q) => q.node === p.node)), ...parts],
      ...(Object.keys(provision).length ? { provision } : {}),
    };
  });
  let suspendedSeconds = 0;
  // While nodes stand still, each libvirt request runs to its end, also on SIGINT: a request whose client was killed
  // would land later, unseen (a node paused again after labforge resumed it). The save then ends with exit 130.
  const steady = labVirsh(lab, { log, steady: true });
  try {
    await shieldedFromSignals(async () => {
      // Every node labforge asks to suspend, before it asks: a failing `virsh suspend` may still have paused it.
      const suspended: string[] = [];
      const stillAt = Date.now();
      try {
        // Every running node stops at once: from here to the resume, the lab stands still.
        await settleAll(
          nodes
            .filter((n) => n.domain!.state === 'running')
            .map(async (n) => {
              suspended.push(n.domain!.uuid);
              await steady.suspend(n.domain!.uuid);
            }),
        );
        stopIfInterrupted('before the snapshot was taken; the nodes were resumed');
        opts.progress?.(`${nodes.length} nodes stand still; taking snapshot ${name}`);
        const description = `labforge: lab ${lab.name}, snapshot ${name}`;
        const taken: string[] = [];
        try {
          await settleAll(
            nodes.map(async (n) => {
              await steady.snapshotCreate(n.domain!.uuid, name, description);
              taken.push(n.node);
            }),
          );
        } finally {
          changeSnapshot(
            lab,
            name,
            (s) =>
              s && {
                ...s,
                parts: s.parts.map((p) =>
                  taken.includes(p.node) && parts.some((q) => q.uuid === p.uuid) ? { ...p, taken: true } : p,
                ),
              },
          );
        }
      } finally {
        await resumePaused(steady, suspended);
        suspendedSeconds = (Date.now() - stillAt) / 1000;
      }
    });
  } catch (e) {
    const full = diskFullOr(
      e,
      'labforge snapshot save',
      space,
      `snapshot ${name} needs about ${mib(needBytes)} (${why})`,
      '',
    );
    if (!(full instanceof DiskFullError)) throw e;
    throw new DiskFullError(`${full.message}${await dropFailedSave(lab, steady, name, parts, existed)}`);
  }
  // Every part is taken (a failure or an interruption before that has thrown): the snapshot is complete, also when
  // a signal came in meanwhile (labforge then exits 130 with the new state in place).
  changeSnapshot(lab, name, (s) => s && { ...s, status: 'complete' });
  return { name, nodes: nodes.map((n) => n.node), suspendedSeconds, seconds: (Date.now() - started) / 1000 };
}

/** After a save the disk filled up under: the parts it took are deleted again and a snapshot it started is taken out
 *  of the record (one that existed before stays, listed as incomplete). Says what it did. */
async function dropFailedSave(
  lab: Lab,
  virsh: Virsh,
  name: string,
  parts: SnapshotPart[],
  existed: boolean,
): Promise<string> {
  const taken = (readRecord(lab.outDir)?.snapshots ?? [])
    .find((s) => s.name === name)
    ?.parts.filter((p) => p.taken && parts.some((q) => q.uuid === p.uuid));
  const left: string[] = [];
  for (const p of taken ?? []) {
    try {
      await virsh.snapshotDelete(p.uuid, name);
    } catch {
      left.push(p.node);
    }
  }
  if (!existed && left.length === 0) {
    changeSnapshot(lab, name, () => undefined);
    return ` Snapshot ${name} was not kept (no part of it is left); the nodes run as before.`;
  }
  const where = left.length ? ` (parts left on ${left.join(', ')})` : '';
  return ` Snapshot ${name} is recorded as incomplete${where}: \`labforge snapshot delete ${name}\` removes it.`;
}
