// labforge render: the lab file validated and every generated file written into the output folder.
import type { Command } from 'commander';
import { holdingLab, openLabOf } from './open.js';
import { printJson } from './output.js';

export function renderCommand(program: Command): void {
  program
    .command('render')
    .description('validate the lab file and write the Packer recipe, Vagrantfile, network XML, hosts and ssh_config')
    .option('--json', 'print the result as JSON')
    .action(async (cmd: { json?: boolean }) => {
      const { requireBaseImage } = await import('../lifecycle/open.js');
      const { renderToDisk } = await import('../lifecycle/state/renders.js');
      const o = await openLabOf(program, undefined, true);
      requireBaseImage(o);
      const r = await holdingLab(o, 'render', () => renderToDisk(o.lab, o.ctx));
      const files = Object.keys(r.files);
      if (cmd.json) printJson({ outDir: o.lab.outDir, box: r.box, hash: r.hash, files });
      else
        console.log(`labforge: rendered lab ${o.lab.name} (${files.length} files) into ${o.lab.outDir}; box ${r.box}`);
    });
}
