// Which node runs which provisioning step (pure). A step's key on a node is the sha256 of the node's name, the
// step's own inputs (inputs.ts) and which occurrence of those inputs it is among the node's steps (a second,
// identical `shell: systemctl restart x` is a step of its own). No position enters the key, and no other step: a step
// is skipped on a node when the node's record (for the same libvirt domain) holds its key, i.e. when what the step
// does has not changed since it last succeeded there. So a changed step runs alone; a step moved to another place,
// or from the lab's steps to a role's, is skipped where it already succeeded; an inserted step runs alone; a removed
// step's entry goes. --force runs every step.
//
// Records of labforge before per-step keys (format 1: `steps`, field -> a key chained to the key of the step before)
// are read once and kept where they prove a step succeeded (the chained key equals the one the lab gives now, so the
// step and every step before it are unchanged); anything else re-runs. A format 1 record never makes a step skip
// that changed.
import crypto from 'node:crypto';
import type { ProvisionStage } from '../../lab/model.js';

/** One step's success on a node. */
export interface StepSuccess {
  /** The step's field when it succeeded (for people: the key identifies the step). */
  field: string;
  at: string;
}

/** What the ownership record keeps of one node's provisioning (`provisioned.<node>` in .labforge-state.json). */
export interface ProvisionedNode {
  /** The libvirt domain the steps ran in: another domain (the node re-created) has run none of them. */
  domain: string;
  /** Step key -> where and when it last succeeded. */
  done?: Record<string, StepSuccess>;
  /** Format 1 (chained keys: field -> key), migrated by `migrateRecord`, never written. */
  steps?: Record<string, { key: string; at: string }>;
}

export type ProvisionedNodes = Record<string, ProvisionedNode>;

export interface PlannedStage {
  stage: ProvisionStage;
  /** node -> the key of this step on that node. */
  keys: Map<string, string>;
  /** The chosen nodes that run the step, and those that skip it (unchanged since it succeeded), in lab order. */
  run: string[];
  skip: string[];
}

/** The key of a step on `node`: its inputs' hash and the how-many-th step of those inputs it is on the node. */
export function stepKey(node: string, inputs: string, occurrence: number): string {
  return crypto.createHash('sha256').update(`labforge step key 2\n${node}\n${inputs}\n${occurrence}`).digest('hex');
}

/** The chained key of format 1 (kept to read old records). */
export function chainKey(previous: string, inputs: string): string {
  return crypto.createHash('sha256').update(`${previous}\n${inputs}`).digest('hex');
}

/** Per stage, node -> the step's key on that node (`stepKey`). */
export function stageKeys(stages: ProvisionStage[], inputs: string[]): Map<string, string>[] {
  const seen = new Map<string, number>();
  return stages.map((stage, i) => {
    const keys = new Map<string, string>();
    for (const node of stage.nodes) {
      const id = `${node}\n${inputs[i]}`;
      const n = seen.get(id) ?? 0;
      seen.set(id, n + 1);
      keys.set(node, stepKey(node, inputs[i], n));
    }
    return keys;
  });
}

/**
 * `record` in format 2: a node's format 1 entries become successes of the steps whose chained key is still the one
 * the lab gives now (the step and every one before it on the node unchanged); the rest are dropped (those steps run).
 * Entries already in format 2 stay. Returns the same object when nothing was in format 1.
 */
export function migrateRecord(stages: ProvisionStage[], inputs: string[], record: ProvisionedNodes): ProvisionedNodes {
  if (!Object.values(record).some((r) => r.steps !== undefined)) return record;
  const keys = stageKeys(stages, inputs);
  const out: ProvisionedNodes = {};
  for (const [node, mine] of Object.entries(record)) {
    const done = { ...(mine.done ?? {}) };
    if (mine.steps) {
      let chain = '';
      stages.forEach((stage, i) => {
        if (!stage.nodes.includes(node)) return;
        chain = chainKey(chain, inputs[i]);
        const old = mine.steps![stage.step.field];
        if (old?.key === chain) done[keys[i].get(node)!] = { field: stage.step.field, at: old.at };
      });
    }
    out[node] = { domain: mine.domain, done };
  }
  return out;
}

/**
 * The plan over `stages` (each with its inputs' hash, same order) for the nodes in `chosen`: each step's key on each
 * of its nodes, and which chosen nodes run it. `domains`: each node's current libvirt domain UUID. `record` in
 * format 2 (`migrateRecord`).
 */
export function planProvision(
  stages: ProvisionStage[],
  inputs: string[],
  record: ProvisionedNodes,
  chosen: string[],
  domains: Map<string, string>,
  force = false,
): PlannedStage[] {
  const all = stageKeys(stages, inputs);
  return stages.map((stage, i) => {
    const keys = all[i];
    const run: string[] = [];
    const skip: string[] = [];
    for (const node of stage.nodes) {
      if (!chosen.includes(node)) continue;
      const mine = record[node];
      const same =
        mine !== undefined && mine.domain === domains.get(node) && mine.done?.[keys.get(node)!] !== undefined;
      (same && !force ? skip : run).push(node);
    }
    return { stage, keys, run, skip };
  });
}

/** The keys of the steps the lab has now on `node`. */
export function nodeKeys(plan: PlannedStage[], node: string): Set<string> {
  return new Set(plan.flatMap((p) => (p.keys.has(node) ? [p.keys.get(node)!] : [])));
}

/**
 * `record` keeping, for each of `nodes`, only the successes of steps the lab has now (`plan`): what a removed or
 * changed step did is forgotten before anything runs, so an interrupted or failed run of its new version never
 * leaves the old success behind (changing a step back then runs it). Returns the same object when nothing went.
 */
export function pruneRecord(record: ProvisionedNodes, plan: PlannedStage[], nodes: string[]): ProvisionedNodes {
  let out = record;
  for (const node of nodes) {
    const mine = out[node];
    if (!mine?.done) continue;
    const keep = nodeKeys(plan, node);
    const done = Object.fromEntries(Object.entries(mine.done).filter(([k]) => keep.has(k)));
    if (Object.keys(done).length !== Object.keys(mine.done).length) out = { ...out, [node]: { ...mine, done } };
  }
  return out;
}

/** `record` with `node`'s success of the step of `key` (its field `field`): a node whose domain changed starts a
 *  fresh entry. */
export function recordSuccess(
  record: ProvisionedNodes,
  node: string,
  domain: string,
  key: string,
  field: string,
  at: string,
): ProvisionedNodes {
  const before = record[node]?.domain === domain ? (record[node].done ?? {}) : {};
  return { ...record, [node]: { domain, done: { ...before, [key]: { field, at } } } };
}
