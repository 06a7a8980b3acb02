// labforge ssh NODE [-- ARGS]: a login to a node as root with the lab key, on the user's terminal. NODE is a name,
// an FQDN or an address (as run takes them); what follows -- goes to ssh after the node: its options, then a command.
import type { Command } from 'commander';
import { openLabOf } from './open.js';

export function sshCommand(program: Command): void {
  program
    .command('ssh')
    .description(
      'log in to a node as root with the lab key; after --, ssh options and a command ' +
        '(labforge ssh etcd1 -- -L 8080:localhost:80 uptime)',
    )
    .argument('<node>', 'node name, FQDN or address')
    .argument('[args...]', 'after --: ssh options, then the command to run instead of a shell')
    .action(async (name: string, args: string[]) => {
      const { findNode } = await import('../lifecycle/nodes/select.js');
      const { target } = await import('../lifecycle/nodes/connections.js');
      const { requireRunning } = await import('../lifecycle/nodes/ready.js');
      const ssh = await import('../tools/ssh.js');
      const o = await openLabOf(program);
      const node = findNode(o.lab, 'ssh', name);
      await requireRunning(o.lab, [node]);
      process.exitCode = ssh.login(target(o.lab, node), args);
    });
}
