// The lab a command works on: opened from the global options (--lab, --out) with its warnings printed; held (the
// lab's mutex, in an output folder labforge owns) while a command changes it; and, in non-interactive mode, doctor's
// gate before a command needs the host. What they run is loaded when a command runs, so `--help` and a mistyped
// command answer without loading the tools.
import type { Command } from 'commander';
import { HostNotReadyError } from '../errors.js';
import type { GlobalOptions, OpenLab } from '../lifecycle/open.js';

/** The program's own options: --lab, --out, --debug, --ci. */
export interface ProgramOptions extends GlobalOptions {
  debug?: boolean;
  ci?: boolean;
}

/** Opens the lab the global options name (`onParsed`: see LoadOptions) and prints its warnings. `render`: the
 *  command renders (render, bake, up), so an unchosen management subnet is chosen against the host now. */
export async function openLabOf(program: Command, onParsed?: (raw: unknown) => void, render = false): Promise<OpenLab> {
  const { openLab } = await import('../lifecycle/open.js');
  const o = await openLab(program.opts<ProgramOptions>(), onParsed, render);
  for (const w of o.warnings) console.error(w);
  return o;
}

/** Runs `fn` holding the lab's mutex, in an output folder labforge owns (claimed here when new or empty). */
export async function holdingLab<T>(o: OpenLab, command: string, fn: () => Promise<T>): Promise<T> {
  const { claimOutDir } = await import('../lifecycle/state/outdir.js');
  const { acquireMutex, settleLeftovers } = await import('../lifecycle/state/mutex.js');
  claimOutDir(o.lab.outDir, o.lab.name);
  const release = acquireMutex(o.lab.outDir, command);
  try {
    await settleLeftovers(o.lab.outDir);
    return await fn();
  } finally {
    release();
  }
}

/** Non-interactive mode (CI=true or --ci): before a command that needs the host, doctor's fatal checks (those in
 *  `only`, or all) end it with exit code 3 and their reasons, apart from a broken lab's 1. Runs before anything
 *  else needs a tool. */
export async function hostGate(program: Command, only?: string[]): Promise<void> {
  const { isCi } = await import('../lifecycle/steps.js');
  if (!isCi()) return;
  const { loadLabFile } = await import('../lab/load.js');
  const { memoryMiB } = await import('../tools/host.js');
  const { doctor, formatChecks } = await import('../lifecycle/host/doctor.js');
  const opts = program.opts<ProgramOptions>();
  const { lab } = loadLabFile(opts.lab, { outDir: opts.out, hostMemoryMiB: memoryMiB().total });
  const failed = (await doctor(lab)).filter((c) => c.status === 'fail' && (!only || only.includes(c.name)));
  if (failed.length)
    throw new HostNotReadyError(`this host cannot run lab ${lab.name} (labforge doctor):\n${formatChecks(failed)}`);
}
