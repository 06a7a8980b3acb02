// labforge inventory: the lab as an Ansible inventory (INI, YAML or JSON), and Ansible's dynamic-inventory protocol.
import type { Command } from 'commander';
import { UsageError } from '../errors.js';
import { writeUserFile } from '../fsguard/user-files.js';
import type { InventoryFormat } from '../render/inventory.js';
import { openLabOf } from './open.js';

const INVENTORY_FORMATS: readonly InventoryFormat[] = ['ini', 'yaml', 'json'];

export function inventoryCommand(program: Command): void {
  program
    .command('inventory')
    .description(
      'print the lab as an Ansible inventory: a group per role plus all, every node with its lab address, ' +
        'logged in to as root with the lab key (a render also writes <out>/inventory, an executable for ansible -i)',
    )
    .option('--format <format>', `${INVENTORY_FORMATS.join(', ')}`, 'ini')
    .option('--list', "Ansible's dynamic-inventory protocol: every group and host as JSON")
    .option('--host <name>', "Ansible's dynamic-inventory protocol: one node's variables as JSON ({} for no such node)")
    .option('--output <file>', 'write to a file instead of standard output')
    .action(async (cmd: { format: string; list?: boolean; host?: string; output?: string }) => {
      const format = INVENTORY_FORMATS.find((f) => f === cmd.format);
      if (!format)
        throw new UsageError(
          `--format: must be one of ${INVENTORY_FORMATS.join(', ')}, got ${JSON.stringify(cmd.format)}`,
        );
      if (cmd.list && cmd.host !== undefined) throw new UsageError('--list and --host: give one of them, not both');
      const { inventoryHost, inventoryList, inventoryOf, renderInventory } = await import('../render/inventory.js');
      const { sourceName } = await import('../render/index.js');
      const o = await openLabOf(program);
      let text: string;
      if (cmd.list) text = `${JSON.stringify(inventoryList(inventoryOf(o.lab)), null, 2)}\n`;
      else if (cmd.host !== undefined)
        text = `${JSON.stringify(inventoryHost(inventoryOf(o.lab), cmd.host), null, 2)}\n`;
      else text = renderInventory(o.lab, format satisfies InventoryFormat, sourceName(o.lab));
      if (cmd.output) writeUserFile(cmd.output, text);
      else process.stdout.write(text);
    });
}
