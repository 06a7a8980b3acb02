// labforge provision [TARGETS]: the lab file's provisioning steps on the target nodes, in order; a step whose inputs
// have not changed since it last succeeded on a node is skipped there (unless --force). up runs it after verify.
import type { Command } from 'commander';
import type { OpenLab } from '../lifecycle/open.js';
import type { FanOptions } from '../lifecycle/nodes/fanout.js';
import type { ProvisionResult } from '../lifecycle/provision/run.js';
import { fanOptions, withFanOptions, type FanFlags } from './fanout.js';
import { holdingLab, openLabOf } from './open.js';
import { printJson } from './output.js';

export interface ProvisionFlags extends FanFlags {
  force?: boolean;
  snapshot?: boolean;
}

/** Runs the lab's provisioning on `targets` (all nodes when undefined) holding the lab, prints the steps as they go
 *  and the table at the end (or JSON); exit code 1 when a step failed. */
export async function runProvision(
  o: OpenLab,
  targets: string | undefined,
  flags: ProvisionFlags,
): Promise<ProvisionResult> {
  const { selectNodes } = await import('../lifecycle/nodes/select.js');
  const { formatProvision, provision } = await import('../lifecycle/provision/run.js');
  const { logFile } = await import('../lifecycle/steps.js');
  const nodes = targets === undefined ? o.lab.nodes : selectNodes(o.lab, targets);
  const fan: FanOptions = fanOptions(flags, [...nodes.map((n) => n.name), 'ansible']);
  const r = await holdingLab(o, 'provision', async () => {
    const log = logFile(o.lab.outDir, 'provision');
    return provision(o.lab, {
      nodes,
      force: flags.force,
      snapshot: flags.snapshot,
      fan,
      log,
      say: flags.json ? undefined : (line) => console.log(`labforge: ${line}`),
    });
  });
  if (flags.json) printJson(r);
  else console.log(formatProvision(r));
  if (r.failed) process.exitCode = 1;
  return r;
}

export function provisionCommand(program: Command): void {
  withFanOptions(
    program
      .command('provision')
      .description(
        "run the lab file's provisioning steps (script, shell, copy, playbook) on the target nodes, in order; " +
          'steps unchanged since they last succeeded on a node are skipped; then take the provisioned snapshot',
      )
      .argument('[targets]', 'which nodes: all (default), a role, a glob, names, comma-separated')
      .option('--force', 'run every step, changed or not')
      .option('--no-snapshot', 'do not take the provisioned snapshot afterwards'),
  ).action(async (targets: string | undefined, flags: ProvisionFlags) => {
    const o = await openLabOf(program);
    await runProvision(o, targets, flags);
  });
}
