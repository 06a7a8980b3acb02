// labforge up: the lab created and started (networks, nodes, addresses, names, root key, the baseline snapshot),
// then verified.
import type { Command } from 'commander';
import { holdingLab, openLabOf } from './open.js';
import { printJson, stdoutToStderr } from './output.js';
import { printVerify } from './verify.js';
import { runProvision } from './provision.js';

export function upCommand(program: Command): void {
  program
    .command('up')
    .description(
      'create and start the lab: networks, nodes (vagrant up), static addresses, names, root key, ' +
        "the baseline snapshot; then verify, then the lab file's provisioning steps",
    )
    .option('--no-verify', 'do not run verify at the end')
    .option('--no-provision', "do not run the lab file's provisioning steps at the end")
    .option('--json', "print the result as JSON: every node's state and address, and verify's verdicts")
    .action(async (cmd: { verify: boolean; provision: boolean; json?: boolean }) => {
      const { up } = await import('../lifecycle/up.js');
      // up runs doctor itself, unless the lab runs and nothing needs doing.
      const o = await openLabOf(program, undefined, true);
      await holdingLab(o, 'up', () => stdoutToStderr(cmd.json, () => up(o)));
      if (cmd.json) {
        const { status } = await import('../lifecycle/nodes/status.js');
        const { verify } = await import('../lifecycle/nodes/verify.js');
        const verdicts = cmd.verify ? await verify(o.lab) : undefined;
        const verified = !verdicts?.some((n) => !n.ok);
        const provisioned =
          verified && cmd.provision && o.lab.provision.length
            ? await stdoutToStderr(true, () => runProvision(o, undefined, {}))
            : undefined;
        printJson({
          lab: o.lab.name,
          outDir: o.lab.outDir,
          nodes: await status(o.lab),
          verify: verdicts,
          ...(provisioned ? { provision: provisioned } : {}),
        });
        if (!verified || provisioned?.failed) process.exitCode = 1;
        return;
      }
      // up ends with verify: the table, and exit code 1 when a node fails it (also when nothing needed doing).
      const verdicts = cmd.verify ? await printVerify(o) : [];
      // Then the provisioning steps, on verified nodes only (the baseline snapshot was taken before them).
      if (cmd.provision && o.lab.provision.length) {
        if (verdicts.some((n) => !n.ok)) console.error('labforge: provisioning not run: verify failed');
        else await runProvision(o, undefined, {});
      }
    });
}
