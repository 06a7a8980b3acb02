// labforge copy: files to the nodes (copy SRC TARGETS:DEST) or from them (copy TARGETS:SRC DEST), in parallel.
import type { Command } from 'commander';
import { fanOptions, printOutcomes, withFanOptions, type FanFlags } from './fanout.js';
import { openLabOf } from './open.js';
import { makeUserFolder } from '../fsguard/user-files.js';

export function copyCommand(program: Command): void {
  withFanOptions(
    program
      .command('copy')
      .description(
        'copy to the nodes (copy SRC TARGETS:DEST) or from them (copy TARGETS:SRC DEST, ' +
          'one copy per node under DEST/<node>/), in parallel',
      )
      .argument('<src>', 'a local path, or TARGETS:PATH')
      .argument('<dest>', 'TARGETS:PATH, or a local folder'),
  ).action(async (src: string, dest: string, flags: FanFlags) => {
    const { selectNodes } = await import('../lifecycle/nodes/select.js');
    const { copyOn, parseCopy } = await import('../lifecycle/nodes/fanout.js');
    const o = await openLabOf(program);
    const spec = parseCopy(src, dest);
    const nodes = selectNodes(o.lab, spec.targets);
    await (await import('../lifecycle/nodes/ready.js')).requireRunning(o.lab, nodes);
    const outcomes = await copyOn(
      o.lab,
      nodes,
      spec,
      fanOptions(
        flags,
        nodes.map((n) => n.name),
      ),
      (dir) => makeUserFolder(dir),
    );
    const what =
      spec.direction === 'push'
        ? `copy of ${spec.local} to ${spec.remote}`
        : `copy of ${spec.remote} to ${spec.local}/<node>/`;
    await printOutcomes(what, outcomes, flags.json);
  });
}
