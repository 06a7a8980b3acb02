// The lab file's provisioning steps as the model's steps (model.ts orders them into stages).
import { labPath } from './paths.js';
import type { LabParsed } from './schema.js';

export interface LabDisk {
  /** Its name, also its serial. */
  name: string;
  sizeGiB: number;
}

/** What a provisioning step does, with every path resolved (absolute). */
export type ProvisionAction =
  | { kind: 'script'; path: string; file: string }
  | { kind: 'shell'; command: string }
  | { kind: 'copy'; path: string; file: string; dest: string; mode?: string; owner?: string }
  | { kind: 'playbook'; path: string; file: string };

export type ProvisionStep = ProvisionAction & {
  /** Where the lab file says it: `provision[0]`, `roles.web.provision[1]`, `nodes[2].provision[0]`. */
  field: string;
  /** Its title: the step's `name`, or its kind and what it names. */
  title: string;
};

/** A step and the nodes it applies to (lab order): the lab's steps first, then each role's, then each node's. */
export interface ProvisionStage {
  step: ProvisionStep;
  nodes: string[];
}

type StepInput = NonNullable<LabParsed['provision']>[number];

/** A validated step of the lab file as the model's step (validate.ts made sure it has exactly one kind). */
export function provisionStep(labDir: string, s: StepInput, field: string): ProvisionStep {
  const named = (action: ProvisionAction, what: string): ProvisionStep => ({
    ...action,
    field,
    title: s.name ?? `${action.kind} ${what}`,
  });
  if (s.script !== undefined)
    return named({ kind: 'script', path: s.script, file: labPath(labDir, s.script) }, s.script);
  if (s.playbook !== undefined)
    return named({ kind: 'playbook', path: s.playbook, file: labPath(labDir, s.playbook) }, s.playbook);
  if (s.copy !== undefined)
    return named(
      {
        kind: 'copy',
        path: s.copy.src,
        file: labPath(labDir, s.copy.src),
        dest: s.copy.dest,
        ...(s.copy.mode !== undefined ? { mode: s.copy.mode } : {}),
        ...(s.copy.owner !== undefined ? { owner: s.copy.owner } : {}),
      },
      `${s.copy.src} to ${s.copy.dest}`,
    );
  if (s.shell !== undefined) {
    const first = s.shell.trim().split('\n')[0];
    return named({ kind: 'shell', command: s.shell }, first.length > 40 ? `${first.slice(0, 37)}...` : first);
  }
  throw new Error(`${field} has no kind (validation should have said so)`);
}
