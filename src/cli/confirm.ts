// Asking before a command removes or changes what a user may want to keep (destroy, a system file): on a terminal
// the question is asked; --yes answers it; CI mode (CI=true or --ci) goes on; anything else without a terminal is a
// mistake (exit 2) that names --yes, so a script never waits for an answer nobody gives.
import { createInterface } from 'node:readline/promises';
import { UsageError } from '../errors.js';

/** Whether to go on: true with --yes or in CI mode, the user's answer on a terminal (yes or y), and exit 2 without
 *  a terminal. `what` is printed first (the plan, or the block and the file). */
export async function confirm(command: string, what: string, question: string, yes?: boolean): Promise<boolean> {
  const { isCi } = await import('../lifecycle/steps.js');
  if (yes || isCi()) return true;
  if (!process.stdin.isTTY)
    throw new UsageError(
      `${command}: standard input is not a terminal to ask on; give --yes to go on without asking (or run in CI mode)`,
    );
  process.stderr.write(`${what}\n`);
  const rl = createInterface({ input: process.stdin, output: process.stderr });
  try {
    const answer = await rl.question(`${question} [y/N] `);
    return /^\s*y(es)?\s*$/i.test(answer);
  } finally {
    rl.close();
  }
}
