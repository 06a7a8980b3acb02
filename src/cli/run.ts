// labforge run TARGETS -- COMMAND: a shell command as root on the target nodes, in parallel.
import type { Command } from 'commander';
import { fanOptions, printOutcomes, withFanOptions, type FanFlags } from './fanout.js';
import { openLabOf } from './open.js';

export function runCommand(program: Command): void {
  withFanOptions(
    program
      .command('run')
      .description(
        'run a shell command as root on the target nodes, in parallel: TARGETS is all, a role, ' +
          'a glob (controller*), names, FQDNs or addresses, comma-separated',
      )
      .argument('<targets>', 'which nodes')
      .argument('<command...>', 'the command (after --)'),
  ).action(async (targets: string, command: string[], flags: FanFlags) => {
    const { selectNodes } = await import('../lifecycle/nodes/select.js');
    const { runOn } = await import('../lifecycle/nodes/fanout.js');
    const o = await openLabOf(program);
    const nodes = selectNodes(o.lab, targets);
    await (await import('../lifecycle/nodes/ready.js')).requireRunning(o.lab, nodes);
    const outcomes = await runOn(
      o.lab,
      nodes,
      command.join(' '),
      fanOptions(
        flags,
        nodes.map((n) => n.name),
      ),
    );
    await printOutcomes(`\`${command.join(' ')}\``, outcomes, flags.json);
  });
}
