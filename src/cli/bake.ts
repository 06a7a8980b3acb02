// labforge bake: the base image built with Packer and added as a Vagrant box; --hash prints the bake's cache key.
import type { Command } from 'commander';
import { holdingLab, hostGate, openLabOf } from './open.js';
import { printJson } from './output.js';

/** The doctor checks a bake needs (it builds with Packer and QEMU and adds the box with Vagrant; no libvirtd). */
const BAKE_CHECKS = [
  'KVM',
  'nested virtualization',
  'vagrant',
  'Vagrant keys',
  'packer',
  'qemu-img',
  'ISO tool',
  'base image',
];

export function bakeCommand(program: Command): void {
  program
    .command('bake')
    .description(
      'build the base image with Packer and add it as a Vagrant box (skipped when the box with this hash exists)',
    )
    .option('--force', 'rebuild even when the box is installed')
    .option('--hash', 'only print the hash of every bake input (a CI cache key)')
    .option('--json', 'print the result as JSON')
    .action(async (cmd: { force?: boolean; hash?: boolean; json?: boolean }) => {
      if (!cmd.hash) await hostGate(program, BAKE_CHECKS);
      const o = await openLabOf(program, undefined, true);
      if (cmd.hash) {
        const { requireBaseImage } = await import('../lifecycle/open.js');
        const { renderLab } = await import('../render/index.js');
        requireBaseImage(o);
        const r = renderLab(o.lab, o.ctx);
        if (cmd.json) printJson({ hash: r.hash, box: r.box });
        else console.log(r.hash);
        return;
      }
      const { bake } = await import('../lifecycle/image/bake.js');
      const r = await holdingLab(o, 'bake', () => bake(o, { force: cmd.force }));
      if (cmd.json) printJson(r);
      else if (!r.built)
        console.log(`labforge: box ${r.box} is already installed; nothing to bake (use --force to rebuild)`);
      else console.log(`labforge: baked and added box ${r.box} in ${Math.round(r.seconds)} s`);
    });
}
