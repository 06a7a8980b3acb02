// labforge snapshot save|restore|list|delete and reset: the whole lab at one moment. Every node's libvirt domain
// gets an internal snapshot (qcow2) with its memory, taken while all nodes are suspended together, so the lab's
// snapshot is one instant; restore reverts every node paused, resumes them together and sets the guests' clocks
// (they would otherwise run from the snapshot's past: Kubernetes certificates, etcd leases and TLS all care).
// Ownership: labforge acts only on domains whose UUID the lab's record lists and on snapshots it recorded there.
import type { Lab, LabNode } from '../lab/model.js';
import * as ssh from '../tools/ssh.js';
import { interruptedBy, tracked } from '../tools/signals.js';
import { Virsh } from '../tools/virsh.js';
import { keepConsoleLogs } from './console.js';
import { connected, disconnect } from './nodes.js';
import { UsageError } from './open.js';
import type { OwnedSnapshot, OwnershipRecord, SnapshotPart } from './ownership.js';
import { readRecord, writeRecord } from './state.js';
import { vagrantState } from './status.js';
import { logFile, type Step } from './tasks.js';

/** The snapshot `up` takes when a lab first comes up, and the one `reset` restores. */
export const BASELINE = 'baseline';

/** A lab that cannot be snapshotted or restored as it is (not created, a part missing, an incomplete snapshot). */
export class SnapshotError extends Error {
  readonly exitStatus = 1;
}

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

/** A libvirt domain now. */
export interface LiveDomain {
  uuid: string;
  name: string;
  /** libvirt's state: running, shut off, paused, ... */
  state: string;
}

/** A lab node and the domain labforge recorded for it, as libvirt has it now. */
export interface ResolvedNode {
  node: string;
  /** The recorded domain that exists now (absent: not created, or gone). */
  domain?: LiveDomain;
}

/**
 * Each lab node's domain: the one whose UUID the record lists for the node and that exists now. A domain with the
 * node's domain name but another UUID is someone else's: it is named in `refused` and never touched.
 */
export function resolveNodes(
  lab: Lab,
  record: OwnershipRecord | undefined,
  live: LiveDomain[],
): { nodes: ResolvedNode[]; refused: string[] } {
  const byUuid = new Map(live.map((d) => [d.uuid, d]));
  const refused: string[] = [];
  const nodes = lab.nodes.map((n): ResolvedNode => {
    const recorded = (record?.domains ?? []).filter((d) => d.node === n.name);
    const domain = recorded.map((d) => byUuid.get(d.uuid)).find((d) => d !== undefined);
    if (domain) return { node: n.name, domain };
    const other = live.find((d) => d.name === n.domain);
    if (other) {
      refused.push(
        `domain ${other.name} (${other.uuid}) is not the domain labforge recorded for node ${n.name} (${recorded.length ? recorded.map((d) => d.uuid).join(', ') : 'none recorded'}): labforge leaves it alone`,
      );
    }
    return { node: n.name };
  });
  return { nodes, refused };
}

/** The nodes a save takes: every lab node (or those in `only`); each must have its recorded domain. */
export function planSave(
  record: OwnershipRecord,
  resolved: ResolvedNode[],
  name: string,
  only?: string[],
): ResolvedNode[] {
  const existing = (record.snapshots ?? []).find((s) => s.name === name);
  if (existing && !only) {
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
      `cannot snapshot lab ${record.lab}: ${missing.length === 1 ? 'node' : 'nodes'} ${missing.join(', ')} ${missing.length === 1 ? 'is' : 'are'} not created (run labforge up)`,
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
      `snapshot restore: lab ${record.lab} has no snapshot ${JSON.stringify(name)} (${knownNames(record)})${name === BASELINE ? '; labforge up takes it (a lab brought up by an older labforge has none: run labforge up)' : ''}`,
    );
  if (snap.status !== 'complete' || snap.parts.some((p) => !p.taken))
    throw new SnapshotError(
      `snapshot ${name} is incomplete (labforge was interrupted while ${snap.status === 'complete' ? 'adding a node to it' : snap.status} it): restore refuses it; \`labforge snapshot delete ${name}\` removes its parts`,
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

function knownNames(record: OwnershipRecord): string {
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

async function liveDomains(virsh: Virsh): Promise<LiveDomain[]> {
  const states = await virsh.domainStates();
  const out: LiveDomain[] = [];
  for (const uuid of await virsh.domainUuids()) {
    const name = await virsh.domainName(uuid);
    out.push({ uuid, name, state: states.get(name) ?? 'unknown' });
  }
  return out;
}

function requireRecord(lab: Lab): OwnershipRecord {
  const record = readRecord(lab.outDir);
  if (!record || record.domains.length === 0)
    throw new SnapshotError(
      `lab ${lab.name} has no nodes labforge created (no domains in its ownership record): run labforge up first`,
    );
  return record;
}

async function resolve(lab: Lab, virsh: Virsh): Promise<{ record: OwnershipRecord; nodes: ResolvedNode[] }> {
  const record = requireRecord(lab);
  const { nodes, refused } = resolveNodes(lab, record, await liveDomains(virsh));
  if (refused.length) throw new SnapshotError(refused.join('\n'));
  return { record, nodes };
}

/** Changes the lab's snapshot entry `name` in the record on disk (written atomically at once). */
function update(lab: Lab, name: string, change: (s: OwnedSnapshot | undefined) => OwnedSnapshot | undefined): void {
  const record = requireRecord(lab);
  const list = record.snapshots ?? [];
  const i = list.findIndex((s) => s.name === name);
  const next = change(i >= 0 ? list[i] : undefined);
  const snapshots = list.filter((s) => s.name !== name);
  if (next) snapshots.splice(i >= 0 ? i : snapshots.length, 0, next);
  writeRecord(lab.outDir, { ...record, snapshots });
}

/** Runs `fn` so that a SIGINT/SIGTERM does not end labforge at once (it stops the virsh running and the code that
 *  follows sees it): the `finally` blocks in `fn` (resuming suspended nodes) still run. */
async function guarded<T>(fn: () => Promise<T>): Promise<T> {
  return tracked({ kill: () => undefined }, fn());
}

function stopIfInterrupted(what: string): void {
  const sig = interruptedBy();
  if (sig) throw new SnapshotError(`interrupted (${sig}) ${what}`);
}

/** Resumes those of the domains that are paused now, all at once. */
async function resumePaused(virsh: Virsh, domains: string[]): Promise<void> {
  await all(
    domains.map(async (uuid) => {
      if ((await virsh.domainState(uuid)) === 'paused') await virsh.resume(uuid);
    }),
  );
}

/** Settles every promise; throws the first failure after all have ended (a node's failure never leaves another
 *  node's action running unseen). */
async function all<T>(items: Promise<T>[]): Promise<T[]> {
  const settled = await Promise.allSettled(items);
  const failed = settled.find((s): s is PromiseRejectedResult => s.status === 'rejected');
  if (failed) throw failed.reason;
  return settled.map((s) => (s as PromiseFulfilledResult<T>).value);
}

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
  const virsh = new Virsh(lab.host.uri, { log });
  const { record, nodes: resolved } = await resolve(lab, virsh);
  const nodes = planSave(record, resolved, name, opts.only);
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
  const parts: SnapshotPart[] = nodes.map((n) => ({
    node: n.node,
    uuid: n.domain!.uuid,
    state: vagrantState(true, n.domain!.state),
    taken: false,
  }));
  const createdAt = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
  update(lab, name, (s) => ({
    name,
    createdAt: s?.createdAt ?? createdAt,
    status: 'saving',
    parts: [...(s?.parts ?? []).filter((p) => !parts.some((q) => q.node === p.node)), ...parts],
  }));
  let suspendedSeconds = 0;
  // While nodes stand still, each libvirt request runs to its end, also on SIGINT: a request whose client was killed
  // would land later, unseen (a node paused again after labforge resumed it). The save then ends with exit 130.
  const steady = new Virsh(lab.host.uri, { log, steady: true });
  await guarded(async () => {
    // Every node labforge asks to suspend, before it asks: a failing `virsh suspend` may still have paused it.
    const suspended: string[] = [];
    const stillAt = Date.now();
    try {
      // Every running node stops at once: from here to the resume, the lab stands still.
      await all(
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
        await all(
          nodes.map(async (n) => {
            await steady.snapshotCreate(n.domain!.uuid, name, description);
            taken.push(n.node);
          }),
        );
      } finally {
        update(
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
  // Every part is taken (a failure or an interruption before that has thrown): the snapshot is complete, also when
  // a signal came in meanwhile (labforge then exits 130 with the new state in place).
  update(lab, name, (s) => s && { ...s, status: 'complete' });
  return { name, nodes: nodes.map((n) => n.node), suspendedSeconds, seconds: (Date.now() - started) / 1000 };
}

export interface RestoreResult {
  name: string;
  nodes: string[];
  /** Lab nodes the snapshot has no part of (added later): left as they are. */
  uncovered: string[];
  /** Per running node: how far its clock was behind before labforge set it, or the reason it could not be set. */
  clocks: { node: string; behindS?: number; problem?: string }[];
  seconds: number;
}

/**
 * Restores snapshot `name`: every node is reverted with its CPUs stopped (in parallel), then those that ran when it
 * was taken are resumed together, and their clocks are set to the host's time over ssh.
 */
export async function restoreSnapshot(
  lab: Lab,
  name: string,
  opts: { log?: string; progress?: (line: string) => void } = {},
): Promise<RestoreResult> {
  checkSnapshotName('snapshot restore', name);
  const started = Date.now();
  const log = opts.log ?? logFile(lab.outDir, 'snapshot');
  const virsh = new Virsh(lab.host.uri, { log });
  const { record, nodes: resolved } = await resolve(lab, virsh);
  const has = new Map<string, string[]>();
  for (const r of resolved) if (r.domain) has.set(r.domain.uuid, await virsh.snapshots(r.domain.uuid));
  const { parts, uncovered } = planRestore(record, resolved, name, has);
  const runs = parts.filter((p) => p.state === 'running');
  const covered = lab.nodes.filter((n) => parts.some((p) => p.node === n.name));
  // A shared ssh connection to a node would outlive its revert and talk to a guest that never knew it.
  await disconnect(lab, covered);
  // QEMU starts each console log file anew on a revert: what the nodes wrote so far is kept beside it.
  keepConsoleLogs(lab, covered, name);
  // Each revert and resume runs to its end, also on SIGINT (see saveSnapshot): the lab is then the snapshot's.
  const steady = new Virsh(lab.host.uri, { log, steady: true });
  await guarded(async () => {
    try {
      await all(parts.map((p) => steady.snapshotRevert(p.domain, name, p.state === 'shutoff' ? 'as-saved' : 'paused')));
    } finally {
      // The nodes that ran start again together, also when another node's revert failed: none is left paused.
      await resumePaused(
        steady,
        runs.map((p) => p.domain),
      );
    }
  });
  stopIfInterrupted(`while restoring snapshot ${name}`);
  opts.progress?.(`reverted ${parts.map((p) => p.node).join(', ')}; setting the clocks`);
  const clocks = await setClocks(
    lab,
    lab.nodes.filter((n) => runs.some((p) => p.node === n.name)),
    log,
  );
  return { name, nodes: parts.map((p) => p.node), uncovered, clocks, seconds: (Date.now() - started) / 1000 };
}

/** After a revert a guest's clock says the snapshot's time: set it to the host's, over ssh, on every node at once.
 *  The first ssh after a resume may wait for the guest's network to notice it is back: tried for a while. */
async function setClocks(lab: Lab, nodes: LabNode[], log: string): Promise<RestoreResult['clocks']> {
  const deadline = Date.now() + (30 + 5 * lab.nodes.length) * 1000;
  return Promise.all(
    nodes.map(async (node) => {
      let problem = 'no answer';
      while (Date.now() < deadline && !interruptedBy()) {
        const sent = Date.now();
        const r = await ssh
          .execAll(await connected(lab, node), clockCommand(sent), { connectTimeoutS: 10, timeoutMs: 30000, log })
          .catch((e: Error) => ({ exitCode: 255, stdout: '', stderr: e.message }));
        const behindS = parseClockAnswer(r.stdout, sent);
        if (r.exitCode === 0 && behindS !== undefined) return { node: node.name, behindS };
        problem = r.stderr.trim().split('\n').pop() || `exit code ${r.exitCode}`;
        if (r.exitCode !== 255) break;
        await new Promise((res) => setTimeout(res, 1000));
      }
      return { node: node.name, problem };
    }),
  );
}

/** Removes snapshot `name`: every part labforge recorded that libvirt still has, then the record's entry. An
 *  interrupted delete leaves the entry marked `deleting`; the next delete finishes it. */
export async function deleteSnapshot(
  lab: Lab,
  name: string,
  opts: { log?: string; virsh?: Virsh } = {},
): Promise<{ name: string; removed: string[] }> {
  checkSnapshotName('snapshot delete', name);
  const virsh = opts.virsh ?? new Virsh(lab.host.uri, { log: opts.log ?? logFile(lab.outDir, 'snapshot') });
  const record = requireRecord(lab);
  const snap = (record.snapshots ?? []).find((s) => s.name === name);
  if (!snap)
    throw new UsageError(
      `snapshot delete: lab ${lab.name} has no snapshot ${JSON.stringify(name)} that labforge took (${knownNames(record)}); labforge deletes only its own`,
    );
  update(lab, name, (s) => s && { ...s, status: 'deleting' });
  const live = new Set(await virsh.domainUuids());
  const removed: string[] = [];
  await guarded(() =>
    all(
      snap.parts.map(async (p) => {
        // Only the domain labforge recorded, and only if it has the snapshot (a part never taken, or gone with its
        // domain, has nothing to remove).
        if (!live.has(p.uuid) || !(await virsh.snapshots(p.uuid)).includes(name)) return;
        await virsh.snapshotDelete(p.uuid, name);
        removed.push(p.node);
      }),
    ),
  );
  // Every part is gone (a failure has thrown, leaving the entry `deleting` for the next delete to finish).
  update(lab, name, () => undefined);
  // In the lab's order, whatever order the parallel deletes finished in.
  const order = lab.nodes.map((n) => n.name);
  return { name, removed: removed.sort((a, b) => order.indexOf(a) - order.indexOf(b)) };
}

/** Every snapshot labforge recorded, with which nodes' parts libvirt has now. */
export async function listSnapshots(lab: Lab): Promise<SnapshotRow[]> {
  const record = readRecord(lab.outDir);
  if (!record?.snapshots?.length) return [];
  const virsh = new Virsh(lab.host.uri);
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

/**
 * `up`'s last step: the `baseline` snapshot of every node that lacks it (all of them when the lab first comes up; a
 * node added later, or whose domain was re-created). An interrupted delete of the baseline is finished first.
 */
export function baselineStep<C>(lab: Lab, log: string): Step<C> {
  return {
    title: `Take the ${BASELINE} snapshot (labforge reset returns to it)`,
    task: async (_c, progress) => {
      const virsh = new Virsh(lab.host.uri, { log });
      let { record, nodes } = await resolve(lab, virsh);
      if ((record.snapshots ?? []).find((s) => s.name === BASELINE)?.status === 'deleting') {
        await deleteSnapshot(lab, BASELINE, { virsh });
        ({ record, nodes } = await resolve(lab, virsh));
      }
      const lacking = baselineLacks(record, nodes);
      if (lacking.length === 0)
        return `every node has it (taken ${(record.snapshots ?? []).find((s) => s.name === BASELINE)?.createdAt})`;
      const first = !(record.snapshots ?? []).some((s) => s.name === BASELINE);
      const r = await saveSnapshot(lab, BASELINE, { only: first ? undefined : lacking, log, progress });
      return `${r.nodes.join(', ')} (the nodes stood still ${r.suspendedSeconds.toFixed(1)} s)`;
    },
  };
}
