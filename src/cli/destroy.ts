// labforge destroy: exactly what the lab owns removed from libvirt (its domains, their disks, its networks).
import type { Command } from 'commander';
import { holdingLab, openLabOf } from './open.js';

export function destroyCommand(program: Command): void {
  program
    .command('destroy')
    .description(
      'remove exactly what the lab owns in libvirt: its domains, their disks, the networks labforge defined ' +
        '(the box stays unless --box)',
    )
    .option('--box', 'also remove the baked box')
    .action(async (cmd: { box?: boolean }) => {
      const { destroy } = await import('../lifecycle/destroy.js');
      const o = await openLabOf(program);
      const { removed, kept } = await holdingLab(o, 'destroy', () => destroy(o.lab, { box: cmd.box }));
      const also = removed.length ? ` (also removed ${removed.join(', ')})` : '';
      console.log(`labforge: destroyed lab ${o.lab.name}${also}`);
      for (const k of kept) console.log(`labforge: kept ${k}`);
    });
}
