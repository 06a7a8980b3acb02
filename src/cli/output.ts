// How commands print: JSON for programs (--json), text for people; the read-only commands that only report.
import type { Command } from 'commander';
import { codeEscape } from '../inert.js';
import type { OpenLab } from '../lifecycle/open.js';
import { openLabOf } from './open.js';

/** JSON for programs, also safe on a terminal: JSON.stringify escapes C0 controls but writes DEL, C1 (U+009B is a
 *  terminal's CSI), invisible characters and unpaired surrogates as they are; they are written as \u escapes here,
 *  which any JSON reader reads back as the same string. */
export function printJson(value: unknown): void {
  console.log(JSON.stringify(value, null, 2).replace(JSON_UNSAFE, codeEscape));
}

const JSON_UNSAFE = /[\u007f-\u009f\u00ad\u061c\u180e\u200b-\u200f\u2028-\u202e\u2060-\u206f\ufeff\ud800-\udfff]/gu;

/** Opens the command's lab, with a hook for the lab file as parsed (LoadOptions.onParsed). */
export type Opener = (onParsed?: (raw: unknown) => void) => Promise<OpenLab>;

/** A read-only command that reports: text for people, --json for programs, exit code `failedStatus` (1 unless
 *  given; doctor's is 3, the host cannot run a lab) when `failed` says so. `get` opens the lab itself. */
export function reportCommand<T>(
  program: Command,
  name: string,
  description: string,
  report: {
    get: (open: Opener) => Promise<T>;
    format: (value: T) => string | Promise<string>;
    failed?: (value: T) => boolean;
    failedStatus?: number;
  },
): void {
  const open: Opener = (onParsed) => openLabOf(program, onParsed);
  program
    .command(name)
    .description(description)
    .option('--json', 'print the result as JSON')
    .action(async (cmd: { json?: boolean }) => {
      const value = await report.get(open);
      if (cmd.json) printJson(value);
      else console.log(await report.format(value));
      if (report.failed?.(value)) process.exitCode = report.failedStatus ?? 1;
    });
}

/** Runs `fn` with what it prints to standard output (its progress) sent to standard error when `json` is set, so
 *  that standard output carries only the JSON printed afterwards. */
export async function stdoutToStderr<T>(json: boolean | undefined, fn: () => Promise<T>): Promise<T> {
  if (!json) return fn();
  const write = process.stdout.write;
  process.stdout.write = process.stderr.write.bind(process.stderr) as typeof process.stdout.write;
  try {
    return await fn();
  } finally {
    process.stdout.write = write;
  }
}
