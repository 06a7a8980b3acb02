// labforge graph: the lab's topology as Mermaid, DOT or SVG.
import type { Command } from 'commander';
import { UsageError } from '../errors.js';
import type { GraphFormat } from '../lifecycle/graph.js';
import { openLabOf } from './open.js';
import { writeUserFile } from '../fsguard/user-files.js';

const FORMATS: readonly GraphFormat[] = ['mermaid', 'dot', 'svg'];

export function graphCommand(program: Command): void {
  program
    .command('graph')
    .description(
      "draw the lab's topology: networks with subnet and gateway, every node with FQDN, address, role and size, the VIPs",
    )
    .option('--format <format>', 'mermaid (for Markdown), dot (Graphviz) or svg (drawn by Graphviz dot)', 'mermaid')
    .option('--output <file>', 'write to a file instead of standard output')
    .action(async (cmd: { format: string; output?: string }) => {
      const format = FORMATS.find((f) => f === cmd.format);
      if (!format)
        throw new UsageError(`--format: must be one of ${FORMATS.join(', ')}, got ${JSON.stringify(cmd.format)}`);
      const { drawGraph } = await import('../lifecycle/graph.js');
      const o = await openLabOf(program);
      const text = await drawGraph(o.lab, format);
      if (cmd.output) writeUserFile(cmd.output, text);
      else process.stdout.write(text);
    });
}
