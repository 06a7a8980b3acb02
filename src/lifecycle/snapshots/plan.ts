// Snapshots of the whole lab, decided from the ownership record and what libvirt has (pure): which nodes a save
// takes, what a restore reverts, the rows of `snapshot list`, the clock command a restore sends. Ownership:
// labforge acts only on domains whose UUID the lab's record lists and on snapshots it recorded there.
import { SnapshotError, UsageError } from '../../errors.js';
import type { Lab } from '../../lab/model.js';
import type { ResolvedNode } from '../nodes/domains.js';
import type { OwnershipRecord, SnapshotPart } from '../state/ownership.js';

/** The snapshot `up` takes when a lab first comes up, and the one `reset` restores. */
export const BASELINE = 'baseline';

/** What is wrong with a snapshot name, or undefined: 1-64 letters, digits, '.', '_', '-', starting with a letter
 *  or digit. No control characters, spaces, XML or shell specials: the name goes to virsh, libvirt's XML and logs. */
export function snapshotNameProblem(name: string): string | undefined {
  if (/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/.test(name)) return undefined;
  return `must be 1-64 letters, digits, '.', '_' or '-', starting with a letter or digit, got ${JSON.stringify(name)}`;
}

export function checkSnapshotName(command: string, name: string): void {
  const problem = snapshotNameProblem(name);
  if (problem) throw new UsageError(`${command}: the snapshot name ${problem}`);
}

/** The nodes a save takes: every lab node (or those in `only`); each must have its recorded domain. */
export function planSave(
  record: OwnershipRecord,
  resolved: ResolvedNode[],
  name: string,
  only?: string[],
): ResolvedNode[] {
  const existing = (record.snapshots ?? []).find((s) => s.name === name);
  // A save of this name that was interrupted (killed, libvirt restarted) is finished by the same save: every part is
  // taken again (saveSnapshot replaces the parts labforge recorded). An interrupted delete is finished by delete.
  if (existing && !only && existing.status !== 'saving') {
    if (existing.status === 'complete')
      throw new UsageError(
        `snapshot save: lab ${record.lab} already has a snapshot ${JSON.stringify(name)} (taken ${existing.createdAt}); delete it first or choose another name`,
      );
    throw new SnapshotError(
      `snapshot ${name} is incomplete (interrupted while ${existing.status}): \`labforge snapshot delete ${name}\` removes its parts`,
    );
  }
  const nodes = resolved.filter((r) => !only || only.includes(r.node));
  const missing = nodes.filter((r) => !r.domain).map((r) => r.node);
  if (missing.length)
    throw new SnapshotError(
      `cannot snapshot lab ${record.lab}: ` +
        `${missing.length === 1 ? 'node' : 'nodes'} ${missing.join(', ')} ${missing.length === 1 ? 'is' : 'are'} ` +
        'not created (run labforge up)',
    );
  return nodes;
}

/** What a restore does per node: revert (then resume with the others when it ran at save time). Refuses an
 *  incomplete snapshot, or one whose parts are gone. `has`: the snapshot names each live domain has. */
export function planRestore(
  record: OwnershipRecord,
  resolved: ResolvedNode[],
  name: string,
  has: Map<string, string[]>,
): { parts: (SnapshotPart & { domain: string })[]; uncovered: string[] } {
  const snap = (record.snapshots ?? []).find((s) => s.name === name);
  if (!snap)
    throw new UsageError(
      `snapshot restore: lab ${record.lab} has no snapshot ${JSON.stringify(name)} (${knownNames(record)})` +
        (name === BASELINE
          ? '; labforge up takes it (a lab brought up by an older labforge has none: run labforge up)'
          : ''),
    );
  if (snap.status !== 'complete' || snap.parts.some((p) => !p.taken))
    throw new SnapshotError(
      `snapshot ${name} is incomplete (labforge was interrupted while ` +
        `${snap.status === 'complete' ? 'adding a node to it' : snap.status} it): restore refuses it; ` +
        `\`labforge snapshot delete ${name}\` removes its parts`,
    );
  const parts = snap.parts.map((p) => {
    const r = resolved.find((x) => x.node === p.node);
    if (!r?.domain || r.domain.uuid !== p.uuid)
      throw new SnapshotError(
        `snapshot ${name}: node ${p.node}'s domain ${p.uuid} is gone (destroyed or re-created since the snapshot): it cannot be restored`,
      );
    if (!(has.get(p.uuid) ?? []).includes(name))
      throw new SnapshotError(
        `snapshot ${name}: libvirt has no snapshot ${name} of node ${p.node}'s domain ${r.domain.name} any more: it cannot be restored`,
      );
    return { ...p, domain: r.domain.uuid };
  });
  const uncovered = resolved.filter((r) => !snap.parts.some((p) => p.node === r.node)).map((r) => r.node);
  return { parts, uncovered };
}

export function knownNames(record: OwnershipRecord): string {
  const names = (record.snapshots ?? []).map((s) => s.name);
  return names.length ? `recorded: ${names.join(', ')}` : 'it has none';
}

/** A row of `snapshot list`. */
export interface SnapshotRow {
  name: string;
  createdAt: string;
  /** complete, or incomplete (interrupted while saving or deleting, or a part is gone). */
  status: 'complete' | 'incomplete';
  /** Why it is incomplete. */
  reason?: string;
  /** "2/2": nodes whose part exists now / nodes of the lab. */
  coverage: string;
  nodes: { node: string; state: string; present: boolean }[];
}

export function snapshotRows(lab: Lab, record: OwnershipRecord | undefined, has: Map<string, string[]>): SnapshotRow[] {
  return (record?.snapshots ?? []).map((s) => {
    const nodes = s.parts.map((p) => ({
      node: p.node,
      state: p.state,
      present: p.taken && (has.get(p.uuid) ?? []).includes(s.name),
    }));
    const gone = nodes.filter((n) => !n.present).map((n) => n.node);
    const reason =
      s.status !== 'complete'
        ? `interrupted while ${s.status}`
        : gone.length
          ? `no part for ${gone.join(', ')}`
          : undefined;
    const row: SnapshotRow = {
      name: s.name,
      createdAt: s.createdAt,
      status: reason ? 'incomplete' : 'complete',
      coverage: `${nodes.filter((n) => n.present).length}/${lab.nodes.length}`,
      nodes,
    };
    return reason ? { ...row, reason } : row;
  });
}

export function formatSnapshotRows(rows: SnapshotRow[]): string {
  if (!rows.length) return 'labforge: the lab has no snapshots';
  const states = (r: SnapshotRow) => {
    const distinct = [...new Set(r.nodes.map((n) => n.state))];
    return distinct.length === 1 ? distinct[0] : r.nodes.map((n) => `${n.node} ${n.state}`).join(', ');
  };
  const table = [
    ['NAME', 'TAKEN', 'NODES', 'STATE AT SAVE', 'STATUS'],
    ...rows.map((r) => [
      r.name,
      r.createdAt,
      r.coverage,
      states(r),
      r.status === 'complete' ? 'complete' : `incomplete (${r.reason})`,
    ]),
  ];
  const width = table[0].map((_, i) => Math.max(...table.map((row) => row[i].length)));
  return table
    .map((row) =>
      row
        .map((v, i) => v.padEnd(width[i]))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}

/** The command a node runs to set its clock after a restore: to `epochMs` (the host's time when it is sent), and
 *  say what the clock said before. */
export function clockCommand(epochMs: number): string {
  const at = (epochMs / 1000).toFixed(3);
  return `before=$(date +%s.%N); date -u -s @${at} >/dev/null && echo "before=$before"`;
}

/** How far a guest's clock was behind, from its answer to clockCommand, in seconds. */
export function parseClockAnswer(stdout: string, sentMs: number): number | undefined {
  const m = /^before=(\d+(?:\.\d+)?)$/m.exec(stdout);
  return m ? Math.round(sentMs / 1000 - Number(m[1])) : undefined;
}

// --- the steps over libvirt ----------------------------------------------------------------------------------

/** What the baseline lacks: the lab nodes whose current domain has no taken part in it. */
export function baselineLacks(record: OwnershipRecord, resolved: ResolvedNode[]): string[] {
  const base = (record.snapshots ?? []).find((s) => s.name === BASELINE);
  return resolved
    .filter((r) => r.domain && !base?.parts.some((p) => p.uuid === r.domain!.uuid && p.taken))
    .map((r) => r.node);
}

/** The nodes (of Vagrant's current domain ids) without a taken part of the baseline in the record: `up` has work
 *  to do for them. From files only, no libvirt query. */
export function baselineMissing(
  record: OwnershipRecord | undefined,
  current: { node: string; uuid: string }[],
): string[] {
  const base = (record?.snapshots ?? []).find((s) => s.name === BASELINE);
  return current.filter((d) => !base?.parts.some((p) => p.uuid === d.uuid && p.taken)).map((d) => d.node);
}

/** The domains whose disks labforge may clear of QEMU's copies of snapshot `name` that libvirt has no metadata for
 *  (a libvirtd restarted while it took them): only for a snapshot labforge recorded and that was interrupted (saving,
 *  or deleting), and only the domains it recorded a part of that snapshot on. Never by guess: a name the record
 *  lacks, or a complete one, gives none. */
export function lostCopyDomains(record: OwnershipRecord, name: string, uuids: string[]): string[] {
  const snap = (record.snapshots ?? []).find((s) => s.name === name);
  if (!snap || (snap.status !== 'saving' && snap.status !== 'deleting')) return [];
  return uuids.filter((u) => snap.parts.some((p) => p.uuid === u));
}
