// Lifecycles as lists of titled steps the user can watch: listr2's live list on a terminal, one line per step and
// per line of tool output otherwise (CI logs). Every step's tool output also goes to the run's log file.
import fs from 'node:fs';
import path from 'node:path';
import { Listr, type ListrTask } from 'listr2';

export interface Step<C> {
  title: string;
  /** A reason to skip the step, or false/undefined to run it. */
  skip?: (ctx: C) => string | false | undefined | Promise<string | false | undefined>;
  task: (ctx: C, progress: (line: string) => void) => Promise<void | string>;
}

/** A log file for this run under <out>/logs/. */
export function logFile(outDir: string, command: string): string {
  const dir = path.join(outDir, 'logs');
  fs.mkdirSync(dir, { recursive: true });
  return path.join(dir, `${command}-${new Date().toISOString().replace(/[:.]/g, '-')}.log`);
}

export async function runSteps<C extends object>(steps: Step<C>[], ctx: C): Promise<void> {
  const tty = Boolean(process.stdout.isTTY) && !process.env.CI;
  const tasks: ListrTask<C>[] = steps.map((s) => ({
    title: s.title,
    skip: s.skip ? async (c: C) => (await s.skip!(c)) || false : undefined,
    task: async (c, task) => {
      const started = Date.now();
      const note = await s.task(c, (line) => {
        task.output = line;
      });
      const secs = ((Date.now() - started) / 1000).toFixed(1);
      task.title = `${s.title}${note ? `: ${note}` : ''} (${secs} s)`;
    },
  }));
  const list = new Listr<C>(tasks, {
    ctx,
    exitOnError: true,
    // labforge passes SIGINT/SIGTERM to the running tool and exits after it (tools/run.ts), not listr2.
    registerSignalListeners: false,
    renderer: tty ? 'default' : 'verbose',
    fallbackRenderer: 'verbose',
    rendererOptions: tty ? { collapseSubtasks: false, outputBar: 2, persistentOutput: false } : ({ logTitleChange: false } as any),
  } as any);
  await list.run();
}
