// Lifecycles as lists of titled steps the user can watch: listr2's live list on a terminal, one line per step and
// per line of tool output without one; in non-interactive mode (CI=true or --ci) one timestamped line per step and
// a final summary, also appended as a Markdown table to $GITHUB_STEP_SUMMARY when GitHub Actions sets it. Every
// step's tool output also goes to the run's log file.
import path from 'node:path';
import { Listr } from 'listr2';
import { commandLog } from '../layout.js';
import { FileLayer } from '../fsguard/layer.js';
import { appendUserFile } from '../fsguard/user-files.js';

export interface Step<C> {
  title: string;
  /** A reason to skip the step, or false/undefined to run it. */
  skip?: (ctx: C) => string | false | undefined | Promise<string | false | undefined>;
  task: (ctx: C, progress: (line: string) => void) => Promise<void | string>;
}

/** A log file for this run under <out>/logs/. */
export function logFile(outDir: string, command: string): string {
  const rel = commandLog(command, new Date());
  new FileLayer(outDir).mkdir(path.posix.dirname(rel));
  return path.join(outDir, rel);
}

/** Non-interactive mode: CI set to anything but false/0 (--ci sets CI=true). */
export function isCi(): boolean {
  const ci = process.env.CI;
  return ci !== undefined && ci !== '' && ci !== '0' && ci.toLowerCase() !== 'false';
}

export interface StepRecord {
  title: string;
  outcome: 'done' | 'skipped' | 'failed';
  /** The step's note (done), the reason (skipped) or the first line of the error (failed). */
  note?: string;
  seconds: number;
}

/** One line for a finished step: `<ISO time> [DONE] title: note (1.2 s)`. */
export function stepLine(r: StepRecord, at: Date): string {
  const ts = at.toISOString();
  if (r.outcome === 'skipped') return `${ts} [SKIPPED] ${r.note} (${r.title})`;
  const tag = r.outcome === 'done' ? '[DONE]' : '[FAILED]';
  return `${ts} ${tag} ${r.title}${r.note ? `: ${r.note}` : ''} (${r.seconds.toFixed(1)} s)`;
}

/** The final summary: how many steps did what, and the wall time. */
export function stepsSummary(records: StepRecord[]): string {
  const n = (o: StepRecord['outcome']) => records.filter((r) => r.outcome === o).length;
  const total = records.reduce((s, r) => s + r.seconds, 0);
  const failed = records.find((r) => r.outcome === 'failed');
  const steps = `${records.length} step${records.length === 1 ? '' : 's'}`;
  const outcomes = `${n('done')} done, ${n('skipped')} skipped, ${n('failed')} failed`;
  return `labforge: ${steps}: ${outcomes} in ${total.toFixed(1)} s${failed ? ` (failed: ${failed.title})` : ''}`;
}

/** The steps as a Markdown table for a CI job summary. */
export function stepsMarkdown(records: StepRecord[]): string {
  const cell = (t: string) =>
    t
      .replace(/[\r\n]+/g, ' ')
      .replace(/[<>&]/g, (c) => `&#${c.charCodeAt(0)};`)
      .replace(/\|/g, '\\|');
  return [
    '',
    '| labforge step | result | wall time |',
    '| --- | --- | --- |',
    ...records.map(
      (r) =>
        `| ${cell(r.title)} | ${r.outcome}${r.note ? `: ${cell(r.note)}` : ''} | ${r.outcome === 'skipped' ? '' : `${r.seconds.toFixed(1)} s`} |`,
    ),
    '',
  ].join('\n');
}

/** Runs the steps one line each (non-interactive mode). */
async function runPlain<C extends object>(steps: Step<C>[], ctx: C): Promise<void> {
  const records: StepRecord[] = [];
  const finish = () => {
    console.log(stepsSummary(records));
    const summary = process.env.GITHUB_STEP_SUMMARY;
    if (summary) {
      try {
        appendUserFile(summary, `${stepsMarkdown(records)}\n`);
      } catch {
        /* the summary is a nicety; the log has everything */
      }
    }
  };
  for (const s of steps) {
    const started = Date.now();
    const reason = s.skip ? await s.skip(ctx) : false;
    if (reason) {
      records.push({ title: s.title, outcome: 'skipped', note: reason, seconds: 0 });
      console.log(stepLine(records[records.length - 1], new Date()));
      continue;
    }
    try {
      // Tool output goes to the log file (the step's adapters write it there); the CI log gets one line per step.
      const note = await s.task(ctx, () => undefined);
      records.push({
        title: s.title,
        outcome: 'done',
        note: note || undefined,
        seconds: (Date.now() - started) / 1000,
      });
      console.log(stepLine(records[records.length - 1], new Date()));
    } catch (e) {
      records.push({
        title: s.title,
        outcome: 'failed',
        note: (e as Error).message.split('\n')[0],
        seconds: (Date.now() - started) / 1000,
      });
      console.log(stepLine(records[records.length - 1], new Date()));
      finish();
      throw e;
    }
  }
  finish();
}

export async function runSteps<C extends object>(steps: Step<C>[], ctx: C): Promise<void> {
  if (isCi()) return runPlain(steps, ctx);
  const task = (s: Step<C>) => ({
    title: s.title,
    skip: s.skip ? async (c: C) => (await s.skip!(c)) || false : undefined,
    task: async (c: C, t: { title: string | undefined; output: string | undefined }) => {
      const started = Date.now();
      const note = await s.task(c, (line) => {
        t.output = line;
      });
      const secs = ((Date.now() - started) / 1000).toFixed(1);
      t.title = `${s.title}${note ? `: ${note}` : ''} (${secs} s)`;
    },
  });
  // labforge passes SIGINT/SIGTERM to the running tool and exits after it (tools/run.ts), not listr2.
  const common = { ctx, exitOnError: true, registerSignalListeners: false, fallbackRenderer: 'verbose' } as const;
  // A live list on a terminal (each step's latest line of tool output under its title), a line per step and per
  // line of tool output without one.
  const list = process.stdout.isTTY
    ? new Listr<C, 'default', 'verbose'>(steps.map(task), {
        ...common,
        renderer: 'default',
        rendererOptions: { collapseSubtasks: false },
      })
    : new Listr<C, 'verbose', 'verbose'>(steps.map(task), {
        ...common,
        renderer: 'verbose',
        rendererOptions: { logTitleChange: false },
      });
  await list.run();
}
