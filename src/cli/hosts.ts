// labforge hosts: the lab's names (every node and VIP) for the workstation's /etc/hosts.
import type { Command } from 'commander';
import { workstationCommand } from './workstation.js';

export function hostsCommand(program: Command): void {
  workstationCommand(program, {
    name: 'hosts',
    what: "the workstation's /etc/hosts (every node and VIP by name)",
    file: '/etc/hosts',
    defaultFile: async () => (await import('../lifecycle/host/workstation.js')).DEFAULT_HOSTS_FILE,
    create: false,
    block: async (o) => (await import('../lifecycle/host/workstation.js')).hostsBlock(o.lab),
  });
}
