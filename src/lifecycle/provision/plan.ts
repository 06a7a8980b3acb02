// Which node runs which provisioning step (pure). Each node's steps form a chain: a step's key is the sha256 of the
// key before it and the step's own inputs (inputs.ts). A step is skipped on a node when the node's record holds
// that key for it, i.e. when neither the step nor any step before it on that node changed since it last succeeded
// there (and the node is the same libvirt domain). So a changed step runs, and so does every step after it on that
// node: a later step may build on what an earlier one did. --force runs every step.
import crypto from 'node:crypto';
import type { ProvisionStage } from '../../lab/model.js';

/** What the ownership record keeps of one node's provisioning (`provisioned.<node>` in .labforge-state.json). */
export interface ProvisionedNode {
  /** The libvirt domain the steps ran in: another domain (the node re-created) has run none of them. */
  domain: string;
  /** Step field -> the chain key it last succeeded with, and when. */
  steps: Record<string, { key: string; at: string }>;
}

export type ProvisionedNodes = Record<string, ProvisionedNode>;

export interface PlannedStage {
  stage: ProvisionStage;
  /** node -> the chain key of this step on that node. */
  keys: Map<string, string>;
  /** The chosen nodes that run the step, and those that skip it (unchanged since it succeeded), in lab order. */
  run: string[];
  skip: string[];
}

export function chainKey(previous: string, inputs: string): string {
  return crypto.createHash('sha256').update(`${previous}\n${inputs}`).digest('hex');
}

/**
 * The plan over `stages` (each with its inputs' hash, same order) for the nodes in `chosen`: per node the chain of
 * keys along the steps that apply to it, and for each step which chosen nodes run it. `domains`: each node's current
 * libvirt domain UUID.
 */
export function planProvision(
  stages: ProvisionStage[],
  inputs: string[],
  record: ProvisionedNodes,
  chosen: string[],
  domains: Map<string, string>,
  force = false,
): PlannedStage[] {
  const last = new Map<string, string>();
  return stages.map((stage, i) => {
    const keys = new Map<string, string>();
    const run: string[] = [];
    const skip: string[] = [];
    for (const node of stage.nodes) {
      const key = chainKey(last.get(node) ?? '', inputs[i]);
      last.set(node, key);
      keys.set(node, key);
      if (!chosen.includes(node)) continue;
      const mine = record[node];
      const same = mine !== undefined && mine.domain === domains.get(node) && mine.steps[stage.step.field]?.key === key;
      (same && !force ? skip : run).push(node);
    }
    return { stage, keys, run, skip };
  });
}

/** `record` with `node`'s success of a step: a node whose domain changed starts a fresh entry. `fields`: the steps
 *  the lab has now (entries of removed steps go). */
export function recordSuccess(
  record: ProvisionedNodes,
  node: string,
  domain: string,
  field: string,
  key: string,
  at: string,
  fields: string[],
): ProvisionedNodes {
  const before = record[node]?.domain === domain ? record[node].steps : {};
  const steps = Object.fromEntries(Object.entries(before).filter(([f]) => fields.includes(f)));
  return { ...record, [node]: { domain, steps: { ...steps, [field]: { key, at } } } };
}
