// The labforge command: the program (cli/program.ts, one file per command under cli/), run, and how it ended as
// the exit code (errors.ts): 2 for a mistake in the lab file or the call, 1 for a failing tool or a broken lab, 3
// for a host that cannot run a lab, 130/143 when a signal stopped it.
import { CommanderError } from 'commander';
import { buildProgram } from './cli/program.js';
import type { ProgramOptions } from './cli/open.js';
import { EXIT, exitStatusOf } from './errors.js';
import { terminalText } from './inert.js';
import { forwardSignals, interruptedBy } from './tools/signals.js';

/** Runs the CLI; resolves with the exit code. */
export async function main(argv: string[]): Promise<number> {
  forwardSignals();
  const program = buildProgram();
  const signalled = (sig: NodeJS.Signals) => (sig === 'SIGINT' ? EXIT.SIGINT : EXIT.SIGTERM);
  try {
    await program.parseAsync(argv);
    const sig = interruptedBy();
    if (sig) return signalled(sig);
    return typeof process.exitCode === 'number' ? process.exitCode : 0;
  } catch (e) {
    const sig = interruptedBy();
    if (sig) {
      console.error(`labforge: interrupted (${sig}); the tool it was running has stopped`);
      return signalled(sig);
    }
    if (e instanceof CommanderError) return e.exitCode === 0 ? 0 : EXIT.usage;
    const debug = program.opts<ProgramOptions>().debug || argv.includes('--debug');
    const err = e as Error;
    // Every error labforge expects says how it ends the command (exitStatus on its class, errors.ts). Anything
    // else is a bug: its stack helps with --debug.
    const status = exitStatusOf(err);
    // A message can quote what a user, a repository, a tool or a guest said: made inert for the terminal.
    if (status === EXIT.usage) {
      console.error(terminalText(err.message));
      return EXIT.usage;
    }
    console.error(terminalText(`labforge: ${debug && status === undefined ? err.stack : err.message}`));
    return status ?? EXIT.failure;
  }
}
