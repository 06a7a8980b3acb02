// labforge ssh NODE [-- COMMAND]: a login to a node as root with the lab key, on the user's terminal.
import type { Command } from 'commander';
import { openLabOf } from './open.js';

export function sshCommand(program: Command): void {
  program
    .command('ssh')
    .description('log in to a node as root with the lab key (arguments after -- run as a command)')
    .argument('<node>', 'node name')
    .argument('[command...]', 'command to run instead of a shell')
    .action(async (name: string, command: string[]) => {
      const { findNode } = await import('../lifecycle/nodes/select.js');
      const { target } = await import('../lifecycle/nodes/connections.js');
      const ssh = await import('../tools/ssh.js');
      const o = await openLabOf(program);
      process.exitCode = ssh.login(target(o.lab, findNode(o.lab, 'ssh', name)), command);
    });
}
