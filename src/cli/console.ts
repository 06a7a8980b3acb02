// labforge console NODE: the node's serial console on the user's terminal; --log prints the captured boot console.
import type { Command } from 'commander';
import { UsageError } from '../errors.js';
import { openLabOf } from './open.js';
import { wholeNumber } from './options.js';

export function consoleCommand(program: Command): void {
  program
    .command('console')
    .description(
      "the node's serial console (ttyS1): log in as root with the lab's root password, also when the node " +
        'does not answer on the network; --log prints the captured boot console (ttyS0)',
    )
    .argument('<node>', 'node name')
    .option('--log', 'print the captured serial console log (ttyS0) instead of connecting')
    .option('--lines <n>', 'with --log: only the last N lines')
    .option('--follow', 'with --log: keep printing what the console writes (Ctrl+C ends)')
    .action(async (name: string, cmd: { log?: boolean; lines?: string; follow?: boolean }) => {
      if (!cmd.log && (cmd.lines !== undefined || cmd.follow))
        throw new UsageError('console: --lines and --follow go with --log');
      const lines = wholeNumber('--lines', cmd.lines);
      const { findNode } = await import('../lifecycle/nodes/select.js');
      const { attachConsole, followConsoleLog, readConsoleLog } = await import('../lifecycle/nodes/console.js');
      const o = await openLabOf(program);
      const node = findNode(o.lab, 'console', name);
      if (cmd.log) {
        if (cmd.follow) await followConsoleLog(o.lab, node, (t) => process.stdout.write(t), lines);
        else process.stdout.write(readConsoleLog(o.lab, node, lines));
        return;
      }
      if (!process.stdin.isTTY)
        throw new UsageError(
          'console: needs a terminal (standard input is not one); `console NODE --log` prints the captured log',
        );
      await (await import('../lifecycle/nodes/ready.js')).requireRunning(o.lab, [node]);
      process.exitCode = await attachConsole(o.lab, node, (line) => console.error(line));
    });
}
