// labforge provision (and the end of up): the lab file's provisioning steps, in order, on the nodes they apply to.
// Each step runs through the same fan-out as `labforge run` (bounded parallel, prefixed output, an exit code per
// node); a playbook runs once on this host with ansible-playbook against <out>/inventory, limited to the step's
// nodes. The first step that fails on a node stops the run (exit 1, naming node and step). What succeeded is
// recorded per node with the key of its own inputs (plan.ts), so a re-run skips what has not changed. After a run that
// changed something, the `provisioned` snapshot is taken anew: `labforge reset provisioned` returns to it.
import type { Lab, LabNode, ProvisionStep } from '../../lab/model.js';
import { terminalLine } from '../../inert.js';
import type { FanOptions, NodeOutcome } from '../nodes/fanout.js';
import { requireRunning } from '../nodes/ready.js';
import { deleteSnapshot } from '../snapshots/delete.js';
import { saveSnapshot } from '../snapshots/save.js';
import { readRecord, vagrantDomainIds, writeRecord } from '../state/record.js';
import { stepInputs } from './inputs.js';
import { runStep } from './remote.js';
import {
  migrateRecord,
  planProvision,
  pruneRecord,
  recordSuccess,
  type PlannedStage,
  type ProvisionedNodes,
} from './plan.js';

/** The snapshot a successful provision leaves: `labforge reset provisioned` returns to it. */
export const PROVISIONED = 'provisioned';

export interface StepResult {
  field: string;
  title: string;
  kind: ProvisionStep['kind'];
  /** Nodes that ran it, each with its exit code and output. */
  ran: NodeOutcome[];
  /** Nodes that skipped it: nothing changed since it last succeeded there. */
  skipped: string[];
  seconds: number;
}

export interface ProvisionResult {
  steps: StepResult[];
  /** The first failing step and its failed nodes, when one failed (the steps after it did not run). */
  failed?: { field: string; title: string; nodes: { node: string; why: string }[] };
  /** The provisioned snapshot: taken anew, kept (nothing changed), or not taken (and why). */
  snapshot: string;
  seconds: number;
}

export interface ProvisionOptions {
  /** The nodes to provision (default: all). */
  nodes?: LabNode[];
  /** Run every step, changed or not. */
  force?: boolean;
  /** Take the provisioned snapshot after a run that changed something (default true). */
  snapshot?: boolean;
  fan: FanOptions;
  log: string;
  /** A line per step as it starts and ends. */
  say?: (line: string) => void;
}

function saveProvisioned(lab: Lab, provisioned: ProvisionedNodes): void {
  const record = readRecord(lab.outDir);
  if (!record) return;
  writeRecord(lab.outDir, { ...record, provisioned });
}

export async function provision(lab: Lab, opts: ProvisionOptions): Promise<ProvisionResult> {
  const started = Date.now();
  const say = opts.say ?? (() => undefined);
  const chosen = (opts.nodes ?? lab.nodes).map((n) => n.name);
  // Every input is read and hashed before anything runs: a step that cannot be used is exit 2 with nothing done.
  const inputs = await Promise.all(lab.provision.map((s) => stepInputs(lab, s.step)));
  const domains = new Map(vagrantDomainIds(lab.outDir).map((d) => [d.node, d.uuid]));
  const stored = readRecord(lab.outDir)?.provisioned ?? {};
  let provisioned = migrateRecord(lab.provision, inputs, stored);
  const plan = planProvision(lab.provision, inputs, provisioned, chosen, domains, opts.force);
  // What the chosen nodes did with steps the lab no longer has (removed, or changed since) is forgotten now, before
  // anything runs: an interrupted run of a changed step leaves no success of its old version behind.
  provisioned = pruneRecord(provisioned, plan, chosen);
  if (provisioned !== stored) saveProvisioned(lab, provisioned);
  const working = [...new Set(plan.flatMap((p) => p.run))];
  // Only the nodes with work are asked: a run with nothing to do talks to no node.
  if (working.length)
    await requireRunning(
      lab,
      lab.nodes.filter((n) => working.includes(n.name)),
    );
  const steps: StepResult[] = [];
  const prepared = new Set<string>();
  let failed: ProvisionResult['failed'];
  for (const [i, p] of plan.entries()) {
    const step = p.stage.step;
    const head = `step ${i + 1}/${plan.length} ${terminalLine(step.title)} (${step.field})`;
    if (p.run.length === 0) {
      steps.push({ field: step.field, title: step.title, kind: step.kind, ran: [], skipped: p.skip, seconds: 0 });
      if (p.skip.length) say(`${head}: unchanged on ${p.skip.join(', ')}, skipped`);
      continue;
    }
    say(`${head}: running on ${p.run.join(', ')}${p.skip.length ? ` (unchanged on ${p.skip.join(', ')})` : ''}`);
    const t0 = Date.now();
    const ran = await runStep(lab, step, p.run, opts, prepared);
    const at = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
    for (const o of ran)
      if (o.ok && domains.has(o.node))
        provisioned = recordSuccess(provisioned, o.node, domains.get(o.node)!, p.keys.get(o.node)!, step.field, at);
    saveProvisioned(lab, provisioned);
    const seconds = (Date.now() - t0) / 1000;
    steps.push({ field: step.field, title: step.title, kind: step.kind, ran, skipped: p.skip, seconds });
    const bad = ran.filter((o) => !o.ok);
    if (bad.length) {
      failed = {
        field: step.field,
        title: step.title,
        nodes: bad.map((o) => ({ node: o.node, why: o.error ?? `exit code ${o.exitCode}` })),
      };
      say(`${head}: FAILED on ${bad.map((o) => o.node).join(', ')} (${seconds.toFixed(1)} s)`);
      break;
    }
    say(`${head}: done on ${p.run.join(', ')} (${seconds.toFixed(1)} s)`);
  }
  const snapshot = failed
    ? 'not taken: a step failed'
    : await provisionedSnapshot(
        lab,
        plan,
        opts,
        steps.some((s) => s.ran.length > 0),
      );
  return { steps, ...(failed ? { failed } : {}), snapshot, seconds: (Date.now() - started) / 1000 };
}

/** The provisioned snapshot after a successful run: taken anew when a step ran (or there is none yet). */
async function provisionedSnapshot(
  lab: Lab,
  plan: PlannedStage[],
  opts: ProvisionOptions,
  changed: boolean,
): Promise<string> {
  if (plan.length === 0) return 'not taken: the lab has no provisioning steps';
  if (opts.snapshot === false) return 'not taken (--no-snapshot)';
  const existing = (readRecord(lab.outDir)?.snapshots ?? []).find((s) => s.name === PROVISIONED);
  if (!changed && existing?.status === 'complete') return `kept (taken ${existing.createdAt}; nothing changed)`;
  if (existing) await deleteSnapshot(lab, PROVISIONED, { log: opts.log });
  const r = await saveSnapshot(lab, PROVISIONED, { log: opts.log });
  return `taken of ${r.nodes.join(', ')} (the nodes stood still ${r.suspendedSeconds.toFixed(1)} s)`;
}

/** One line per step for the end of a run: what ran where, what was skipped, what failed. */
export function formatProvision(r: ProvisionResult): string {
  if (r.steps.length === 0)
    return 'labforge: the lab file has no provisioning steps (provision: on the lab, a role or a node; see docs/provisioning.md)';
  const rows = [
    ['STEP', 'FIELD', 'RAN', 'SKIPPED', 'FAILED', 'TIME'],
    ...r.steps.map((s) => [
      terminalLine(s.title),
      s.field,
      s.ran
        .filter((o) => o.ok)
        .map((o) => o.node)
        .join(',') || '-',
      s.skipped.join(',') || '-',
      s.ran
        .filter((o) => !o.ok)
        .map((o) => o.node)
        .join(',') || '-',
      s.ran.length ? `${s.seconds.toFixed(1)} s` : '-',
    ]),
  ];
  const width = rows[0].map((_, i) => Math.max(...rows.map((row) => row[i].length)));
  const table = rows.map((row) =>
    row
      .map((v, i) => v.padEnd(width[i]))
      .join('  ')
      .trimEnd(),
  );
  const ran = r.steps.reduce((n, s) => n + s.ran.length, 0);
  const skipped = r.steps.reduce((n, s) => n + s.skipped.length, 0);
  const verdict = r.failed
    ? `FAILED at ${r.failed.field} (${terminalLine(r.failed.title)}) on ` +
      `${r.failed.nodes.map((n) => `${n.node} (${terminalLine(n.why)})`).join(', ')}; the steps after it did not run`
    : 'ok';
  return [
    ...table,
    `labforge: provision ${verdict}: ${ran} step runs, ${skipped} skipped in ${r.seconds.toFixed(1)} s; snapshot ${PROVISIONED}: ${r.snapshot}`,
  ].join('\n');
}
