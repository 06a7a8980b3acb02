// labforge up: the lab created and started (networks, nodes, addresses, names, root key, the baseline snapshot),
// then verified.
import type { Command } from 'commander';
import { holdingLab, openLabOf } from './open.js';
import { printJson, stdoutToStderr } from './output.js';
import { printVerify } from './verify.js';

export function upCommand(program: Command): void {
  program
    .command('up')
    .description(
      'create and start the lab: networks, nodes (vagrant up), static addresses, names, root key, ' +
        'the baseline snapshot; then verify',
    )
    .option('--no-verify', 'do not run verify at the end')
    .option('--json', "print the result as JSON: every node's state and address, and verify's verdicts")
    .action(async (cmd: { verify: boolean; json?: boolean }) => {
      const { up } = await import('../lifecycle/up.js');
      // up runs doctor itself, unless the lab runs and nothing needs doing.
      const o = await openLabOf(program, undefined, true);
      await holdingLab(o, 'up', () => stdoutToStderr(cmd.json, () => up(o)));
      if (cmd.json) {
        const { status } = await import('../lifecycle/nodes/status.js');
        const { verify } = await import('../lifecycle/nodes/verify.js');
        const verdicts = cmd.verify ? await verify(o.lab) : undefined;
        printJson({ lab: o.lab.name, outDir: o.lab.outDir, nodes: await status(o.lab), verify: verdicts });
        if (verdicts?.some((n) => !n.ok)) process.exitCode = 1;
        return;
      }
      // up ends with verify: the table, and exit code 1 when a node fails it (also when nothing needed doing).
      if (cmd.verify) await printVerify(o);
    });
}
