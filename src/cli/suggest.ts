// A mistyped command: one line naming it, and a suggestion only when a command is close (a typo: one edit in a short
// word, two in a long one), never the whole help. `labforge version` points at --version.
import type { Command } from 'commander';
import { UsageError } from '../errors.js';

/** Damerau-Levenshtein distance (optimal string alignment): insertions, deletions, substitutions, transpositions. */
export function editDistance(a: string, b: string): number {
  const d: number[][] = Array.from({ length: a.length + 1 }, (_, i) => [i, ...Array<number>(b.length).fill(0)]);
  for (let j = 1; j <= b.length; j++) d[0][j] = j;
  for (let i = 1; i <= a.length; i++)
    for (let j = 1; j <= b.length; j++) {
      d[i][j] = Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1])
        d[i][j] = Math.min(d[i][j], d[i - 2][j - 2] + 1);
    }
  return d[a.length][b.length];
}

/** The commands close enough to `word` to be what was meant: at most one edit in a word of up to 7 letters, two in a
 *  longer one; the closest first. */
export function closeCommands(word: string, commands: string[]): string[] {
  const allowed = word.length <= 7 ? 1 : 2;
  const scored = commands
    .map((c) => ({ c, d: editDistance(word.toLowerCase(), c) }))
    .filter(({ d }) => d <= allowed)
    .sort((x, y) => x.d - y.d);
  return scored.filter(({ d }) => d === scored[0]?.d).map(({ c }) => c);
}

/** The error for an unknown command of `parent`: one line, with a suggestion when one is close. */
export function unknownCommand(parent: Command, word: string): UsageError {
  const path: string[] = [];
  for (let c: Command | null = parent; c; c = c.parent) path.unshift(c.name());
  const where = path.join(' ');
  const names = parent.commands.filter((c) => !(c as unknown as { _hidden?: boolean })._hidden).map((c) => c.name());
  const close = closeCommands(word, names);
  const hint =
    !parent.parent && /^-*version$/i.test(word)
      ? `; did you mean ${where} --version?`
      : close.length
        ? `; did you mean ${close.map((c) => `${where} ${c}`).join(' or ')}?`
        : ` (${where} --help lists the commands)`;
  return new UsageError(`${where}: unknown command ${JSON.stringify(word)}${hint}`);
}

/** Every command of `cmd` (and below) that has subcommands answers a mistyped one with unknownCommand. */
export function oneLineUnknownCommands(cmd: Command): void {
  if (cmd.commands.length)
    cmd.on('command:*', (operands: string[]) => {
      throw unknownCommand(cmd, operands[0]);
    });
  for (const c of cmd.commands) oneLineUnknownCommands(c);
}
