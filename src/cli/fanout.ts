// What run and copy share: their options (how many nodes at once, the time limit on each) and their output (every
// line prefixed with its node, a colour per node on a terminal; a closing summary; exit code 1 when a node fails).
import type { Command } from 'commander';
import type { FanOptions, NodeOutcome } from '../lifecycle/nodes/fanout.js';
import { OPTION_BOUNDS } from '../bounds.js';
import { terminalLine } from '../inert.js';
import { FAN_OUT_S } from '../time-limits.js';
import { wholeNumber } from './options.js';
import { printJson } from './output.js';

export interface FanFlags {
  parallel?: string;
  serial?: boolean;
  timeout?: string;
  json?: boolean;
}

/** The options of a command that works on many nodes at once. */
export function withFanOptions(c: Command): Command {
  return c
    .option('--parallel <n>', `at most this many nodes at once (default: all, up to ${OPTION_BOUNDS.defaultParallel})`)
    .option('--serial', "one node after another, in the lab's order")
    .option('--timeout <seconds>', `time limit on each node (default ${FAN_OUT_S})`)
    .option('--json', "print each node's exit code and output as JSON");
}

/** The fan-out of `nodes` nodes as the flags ask, with each output line printed under its node (not with --json). */
export function fanOptions(flags: FanFlags, nodes: string[]): FanOptions {
  return {
    parallel: flags.serial
      ? 1
      : (wholeNumber('--parallel', flags.parallel, OPTION_BOUNDS.parallel.max) ??
        Math.min(nodes.length, OPTION_BOUNDS.defaultParallel)),
    timeoutS: wholeNumber('--timeout', flags.timeout, OPTION_BOUNDS.timeoutS.max) ?? FAN_OUT_S,
    onLine: flags.json ? undefined : prefixer(nodes),
  };
}

/** Prefixes each output line with its node (a colour per node on a terminal), stdout and stderr kept apart; the
 *  guest's line made inert for the terminal (no control sequence, no carriage return that would overwrite the tag). */
function prefixer(nodes: string[]): FanOptions['onLine'] {
  const width = Math.max(...nodes.map((n) => n.length));
  const colour = (stream: NodeJS.WriteStream) => Boolean(stream.isTTY) && !process.env.NO_COLOR;
  const colours = [36, 33, 35, 32, 34, 91, 96, 93, 95, 92];
  return (node, line, stream) => {
    const out = stream === 'stdout' ? process.stdout : process.stderr;
    const tag = node.padEnd(width);
    const c = colours[nodes.indexOf(node) % colours.length];
    out.write(`${colour(out) ? `\u001b[${c}m${tag}\u001b[0m` : tag} | ${terminalLine(line)}\n`);
  };
}

/** The nodes' outcomes as JSON, or the summary line; exit code 1 when a node failed. */
export async function printOutcomes(what: string, outcomes: NodeOutcome[], asJson?: boolean): Promise<void> {
  const { outcomesSummary } = await import('../lifecycle/nodes/fanout.js');
  if (asJson) printJson(outcomes);
  else console.error(outcomesSummary(what, outcomes));
  if (outcomes.some((x) => !x.ok)) process.exitCode = 1;
}
