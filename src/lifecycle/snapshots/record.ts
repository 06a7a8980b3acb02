// The lab's snapshots in its ownership record: the record a snapshot command needs, the nodes' domains it lists, and
// a snapshot's entry changed on disk.
import { SnapshotError } from '../../errors.js';
import type { Lab } from '../../lab/model.js';
import type { Virsh } from '../../tools/virsh.js';
import { liveDomains, resolveNodes, type ResolvedNode } from '../nodes/domains.js';
import type { OwnedSnapshot, OwnershipRecord } from '../state/ownership.js';
import { readRecord, writeRecord } from '../state/record.js';

export function requireRecord(lab: Lab): OwnershipRecord {
  const record = readRecord(lab.outDir);
  if (!record || record.domains.length === 0)
    throw new SnapshotError(
      `lab ${lab.name} has no nodes labforge created (no domains in its ownership record): run labforge up first`,
    );
  return record;
}

export async function resolveLabDomains(
  lab: Lab,
  virsh: Virsh,
): Promise<{ record: OwnershipRecord; nodes: ResolvedNode[] }> {
  const record = requireRecord(lab);
  const { nodes, refused } = resolveNodes(lab, record, await liveDomains(virsh));
  if (refused.length) throw new SnapshotError(refused.join('\n'));
  return { record, nodes };
}

/** Changes the lab's snapshot entry `name` in the record on disk (written atomically at once). */
export function changeSnapshot(
  lab: Lab,
  name: string,
  change: (s: OwnedSnapshot | undefined) => OwnedSnapshot | undefined,
): void {
  const record = requireRecord(lab);
  const list = record.snapshots ?? [];
  const i = list.findIndex((s) => s.name === name);
  const next = change(i >= 0 ? list[i] : undefined);
  const snapshots = list.filter((s) => s.name !== name);
  if (next) snapshots.splice(i >= 0 ? i : snapshots.length, 0, next);
  writeRecord(lab.outDir, { ...record, snapshots });
}
