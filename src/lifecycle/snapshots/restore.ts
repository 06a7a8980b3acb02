// labforge snapshot restore (and reset): every node reverted paused, resumed together, and the guests' clocks set
// to now (they would otherwise run from the snapshot's past: Kubernetes certificates, etcd leases and TLS all care).
import type { Lab, LabNode } from '../../lab/model.js';
import { probeTimeLimits, SSH_COMMAND_S, SSH_CONNECT_S } from '../../time-limits.js';
import * as ssh from '../../tools/ssh.js';
import { interruptedBy } from '../../tools/signals.js';
import { labVirsh } from '../nodes/lab-hosts.js';
import { connected, disconnect } from '../nodes/connections.js';
import { keepConsoleLogs } from '../nodes/console.js';
import { logFile } from '../steps.js';
import { checkSnapshotName, clockCommand, parseClockAnswer, planRestore } from './plan.js';
import { resolveLabDomains } from './record.js';
import { readRecord, writeRecord } from '../state/record.js';
import { resumePaused, settleAll, shieldedFromSignals, stopIfInterrupted } from './steady.js';

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
  const virsh = labVirsh(lab, { log });
  const { record, nodes: resolved } = await resolveLabDomains(lab, virsh);
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
  const steady = labVirsh(lab, { log, steady: true });
  await shieldedFromSignals(async () => {
    try {
      await settleAll(
        parts.map((p) => steady.snapshotRevert(p.domain, name, p.state === 'shutoff' ? 'as-saved' : 'paused')),
      );
    } finally {
      // The nodes that ran start again together, also when another node's revert failed: none is left paused.
      await resumePaused(
        steady,
        runs.map((p) => p.domain),
      );
    }
  });
  // The nodes' disks are the snapshot's again, and so is the record of the provisioning steps they ran.
  restoreProvisioned(lab, name, parts);
  stopIfInterrupted(`while restoring snapshot ${name}`);
  opts.progress?.(`reverted ${parts.map((p) => p.node).join(', ')}; setting the clocks`);
  const clocks = await setClocks(
    lab,
    lab.nodes.filter((n) => runs.some((p) => p.node === n.name)),
    log,
  );
  return { name, nodes: parts.map((p) => p.node), uncovered, clocks, seconds: (Date.now() - started) / 1000 };
}

/** The provisioning record of the reverted nodes: as the snapshot kept it (none for a snapshot taken before any step
 *  ran, like the baseline). */
function restoreProvisioned(lab: Lab, name: string, parts: { node: string; uuid: string }[]): void {
  const record = readRecord(lab.outDir);
  if (!record) return;
  const kept = (record.snapshots ?? []).find((s) => s.name === name)?.provision ?? {};
  const provisioned = { ...(record.provisioned ?? {}) };
  for (const p of parts) {
    const mine = kept[p.node];
    if (mine && mine.domain === p.uuid) provisioned[p.node] = mine;
    else delete provisioned[p.node];
  }
  writeRecord(lab.outDir, { ...record, provisioned });
}

/** After a revert a guest's clock says the snapshot's time: set it to the host's, over ssh, on every node at once.
 *  The first ssh after a resume may wait for the guest's network to notice it is back: tried for as long as a
 *  probe may take. */
async function setClocks(lab: Lab, nodes: LabNode[], log: string): Promise<RestoreResult['clocks']> {
  const deadline = Date.now() + probeTimeLimits(lab.nodes.length).probeS * 1000;
  return Promise.all(
    nodes.map(async (node) => {
      let problem = 'no answer';
      while (Date.now() < deadline && !interruptedBy()) {
        const sent = Date.now();
        const r = await ssh
          .execAll(await connected(lab, node), clockCommand(sent), {
            connectTimeoutS: SSH_CONNECT_S,
            timeoutMs: SSH_COMMAND_S * 1000,
            log,
          })
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
