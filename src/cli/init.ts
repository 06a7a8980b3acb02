// labforge init [DIR]: a commented lab file to start from (src/lifecycle/init.ts; the texts are the package's lab.yaml
// and init/neutral-lab.yaml.ejs). Needs no lab file.
import path from 'node:path';
import type { Command } from 'commander';
import { commandLine, UsageError } from '../errors.js';
import { terminalLine } from '../inert.js';
import { printJson } from './output.js';

export function initCommand(program: Command): void {
  program
    .command('init')
    .description(
      "write a commented lab file to start from, DIR/lab.yaml (made when missing; never overwritten): the guide's " +
        'lab, or with --nodes a small neutral lab of N nodes without addresses',
    )
    .argument('[DIR]', 'the folder of the new lab (default: the current folder)')
    .option('--nodes <n>', 'a neutral lab of n nodes (node1, node2, ...), named after DIR, addresses chosen at render')
    .option('--json', 'print the result as JSON')
    .action(async (dir: string | undefined, cmd: { nodes?: string; json?: boolean }) => {
      const { initLab, initNodeCount } = await import('../lifecycle/init.js');
      const nodes = initNodeCount(cmd.nodes);
      // An explicit --lab names the file to write (and so its folder); DIR/lab.yaml otherwise.
      let folder = dir ?? '.';
      let name: string | undefined;
      if (program.getOptionValueSource('lab') === 'cli') {
        if (dir !== undefined)
          throw new UsageError(
            'init: give DIR or --lab, not both (--lab names the file to write); nothing was written',
          );
        const lab = program.opts<{ lab: string }>().lab;
        folder = path.dirname(lab);
        name = path.basename(lab);
      }
      const r = initLab(folder, nodes, name);
      if (cmd.json) {
        printJson(r);
        return;
      }
      const rel = path.relative(process.cwd(), r.file);
      const shown = rel.startsWith('..') || path.isAbsolute(rel) ? r.file : rel;
      const what =
        r.kind === 'guide'
          ? `the guide's lab ${r.lab}, ${r.nodes} nodes`
          : `lab ${r.lab}, ${r.nodes} node${r.nodes === 1 ? '' : 's'} without addresses (chosen at the first render)`;
      console.log(terminalLine(`labforge: wrote ${shown}: ${what}`));
      const where = path.dirname(shown);
      const cd = where === '.' ? '' : `${commandLine(['cd', where])}; `;
      const labArg = path.basename(r.file) === 'lab.yaml' ? [] : ['--lab', path.basename(r.file)];
      const run = (c: string) => commandLine(['labforge', ...labArg, c]);
      console.log(
        terminalLine(
          `next: ${cd}edit ${path.basename(r.file)}, then ${run('render')} checks it and ${run('up')} brings the lab up`,
        ),
      );
    });
}
