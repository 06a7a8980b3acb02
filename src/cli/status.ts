// labforge status: every node's state (Vagrant's words and libvirt's) and address, from one libvirt query.
import type { Command } from 'commander';
import type { DomainQuery } from '../lifecycle/nodes/status.js';
import { reportCommand } from './output.js';

export function statusCommand(program: Command): void {
  reportCommand(program, 'status', "every node's state (Vagrant and libvirt) and address", {
    get: async (openLab) => {
      const { earlyQuery, status } = await import('../lifecycle/nodes/status.js');
      // The libvirt query starts while the lab file is validated (see earlyQuery).
      let early: DomainQuery | undefined;
      const o = await openLab((raw) => (early = earlyQuery(raw)));
      return status(o.lab, early);
    },
    format: async (rows) => (await import('../lifecycle/nodes/status.js')).formatStatus(rows),
  });
}
