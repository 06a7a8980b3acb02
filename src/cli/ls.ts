// labforge ls: every lab on this host (its state, subnets and folder), from the registry of rendered labs, their
// ownership records and libvirt. Needs no lab file.
import type { Command } from 'commander';
import { printJson } from './output.js';

export function lsCommand(program: Command): void {
  program
    .command('ls')
    .description('list every lab on this host: its state, subnets and output folder')
    .option('--json', 'print the result as JSON')
    .action(async (cmd: { json?: boolean }) => {
      const { listLabs, formatListing } = await import('../lifecycle/labs.js');
      const labs = await listLabs();
      if (cmd.json) printJson(labs);
      else console.log(formatListing(labs));
    });
}
