// labforge ssh-config: an Include of the lab's ssh_config for ~/.ssh/config, so `ssh root@etcd1` works.
import type { Command } from 'commander';
import { workstationCommand } from './workstation.js';

export function sshConfigCommand(program: Command): void {
  workstationCommand(program, {
    name: 'ssh-config',
    what: "~/.ssh/config (an Include of the lab's ssh_config, so `ssh root@etcd1` works)",
    file: '~/.ssh/config',
    defaultFile: async () => (await import('../lifecycle/host/workstation.js')).defaultSshConfigFile(),
    create: true,
    block: async (o) => (await import('../lifecycle/host/workstation.js')).sshConfigBlock(o.lab),
  });
}
