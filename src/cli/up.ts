// labforge up: the lab created and started (networks, nodes, addresses, names, root key, the baseline snapshot),
// then verified.
import type { Command } from 'commander';
import { holdingLab, openLabOf } from './open.js';
import { printVerify } from './verify.js';

export function upCommand(program: Command): void {
  program
    .command('up')
    .description(
      'create and start the lab: networks, nodes (vagrant up), static addresses, names, root key, ' +
        'the baseline snapshot; then verify',
    )
    .option('--no-verify', 'do not run verify at the end')
    .action(async (cmd: { verify: boolean }) => {
      const { up } = await import('../lifecycle/up.js');
      // up runs doctor itself, unless the lab runs and nothing needs doing.
      const o = await openLabOf(program, undefined, true);
      await holdingLab(o, 'up', () => up(o));
      // up ends with verify: the table, and exit code 1 when a node fails it (also when nothing needed doing).
      if (cmd.verify) await printVerify(o);
    });
}
