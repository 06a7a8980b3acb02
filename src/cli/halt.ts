// labforge halt [TARGETS]: the nodes shut down, all at once; forced off at a time limit, which is reported.
import { Option, type Command } from 'commander';
import { OPTION_BOUNDS } from '../bounds.js';
import { HALT_ASK_AGAIN_S, HALT_S } from '../time-limits.js';
import { holdingLab, openLabOf } from './open.js';
import { deprecated, wholeNumber } from './options.js';
import { printJson, stdoutToStderr } from './output.js';

export function haltCommand(program: Command): void {
  program
    .command('halt')
    .description(
      `shut the nodes down, all at once (the ACPI power button; asked again over ssh after ${HALT_ASK_AGAIN_S} s; ` +
        'forced off at a time limit, which is reported); `up` starts them again',
    )
    .argument('[targets]', 'which nodes (all, a role, a glob, names, FQDNs or addresses, comma-separated)', 'all')
    .option(
      '--timeout <seconds>',
      'how long the nodes get to shut down by themselves before they are forced off, ' +
        `1 to ${OPTION_BOUNDS.haltTimeLimitS.max} (default: ${HALT_S.base} + ${HALT_S.perNode} per node)`,
    )
    .addOption(new Option('--time-limit <seconds>', 'deprecated: --timeout').hideHelp())
    .option('--json', 'print the result as JSON')
    .action(async (targets: string, cmd: { timeout?: string; timeLimit?: string; json?: boolean }) => {
      const given = deprecated(cmd.timeLimit, '--time-limit', cmd.timeout, '--timeout');
      const timeLimitS = wholeNumber('--timeout', given, OPTION_BOUNDS.haltTimeLimitS.max);
      const { selectNodes } = await import('../lifecycle/nodes/select.js');
      const { halt } = await import('../lifecycle/halt.js');
      const o = await openLabOf(program);
      const nodes = selectNodes(o.lab, targets);
      const { forced } = await holdingLab(o, 'halt', () =>
        stdoutToStderr(cmd.json, () => halt(o.lab, { nodes, timeLimitS })),
      );
      if (cmd.json) return printJson({ lab: o.lab.name, halted: nodes.map((n) => n.name), forced });
      if (forced.length)
        console.log(
          `labforge: forced off after the time limit (they did not shut down by themselves): ${forced.join(', ')}`,
        );
    });
}
