// Spawning external programs: the one place that calls execa. Arguments are arrays (no shell), output is streamed
// live with a prefix and appended to the run's log file, and a failure becomes a ToolError that names the tool,
// the command line, the exit code and the last lines of output.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import { execa } from 'execa';
import { commandLine, ToolError, ToolMissingError } from '../errors.js';
import { terminalText } from '../inert.js';
import { childEnded, childStarted } from './children.js';
import { tracked } from './signals.js';
import { openUserAppendStream } from '../fsguard/user-files.js';

/** A line of a tool's output as labforge shows and logs it: made inert for a terminal (a guest's output comes through
 *  vagrant and ssh), and the progress noise some tools write dropped (vagrant-libvirt's upload bar writes thousands
 *  of "\e[K" lines). */
export function cleanLine(line: string): string | undefined {
  const text = terminalText(line);
  if (/^\s*Progress: \d+%/.test(text)) return undefined;
  return text;
}

export interface RunOptions {
  /** The file to execute when it is not `tool` found on PATH (an absolute path); messages still name `tool`. */
  program?: string;
  cwd?: string;
  env?: Record<string, string | undefined>;
  /** Log file the output is appended to. */
  log?: string;
  /** Called for every cleaned output line (the live view), with the stream it came on. */
  onLine?: (line: string, stream: 'stdout' | 'stderr') => void;
  /** Lines of output kept for the error message. */
  tailLines?: number;
  /** Exit codes that are not failures. */
  okCodes?: number[];
  /** Every exit code is the program's answer, not a failure (the caller reads exitCode). */
  anyExitCode?: boolean;
  input?: string;
  timeoutMs?: number;
  /** Discard the program's output instead of reading it: for a program that leaves a daemon behind holding its
   *  stdout/stderr (ssh -f), which would keep a pipe open after the program itself exits. */
  discardOutput?: boolean;
  /** Runs to its end whatever signal labforge gets: in a process group of its own (a Ctrl-C at the terminal does
   *  not reach it) and left alone by the signal forwarding. For a libvirt request whose end must be known (a
   *  suspend, a snapshot, a revert, a resume): a killed client leaves the request to land later, unseen. */
  steady?: boolean;
  /** Give the program a stdin pipe that stays open while it runs and closes when labforge is interrupted (or ends):
   *  a remote command can watch it to stop when labforge stops (provision/remote.ts). */
  stdinOpen?: boolean;
}

export interface RunResult {
  stdout: string;
  stderr: string;
  exitCode: number;
}

export async function run(tool: string, args: string[], opts: RunOptions = {}): Promise<RunResult> {
  const command = [tool, ...args];
  const tail: string[] = [];
  const keep = opts.tailLines ?? 15;
  // The log is opened through the file layer: a regular file, never through a link (a log is in <out>/logs/).
  const logStream = opts.log ? openUserAppendStream(opts.log) : undefined;
  logStream?.write(`\n$ ${commandLine(command)}\n`);
  const child = execa(opts.program ?? tool, args, {
    cwd: opts.cwd,
    env: opts.env,
    extendEnv: true,
    reject: false,
    input: opts.input,
    stdin: opts.stdinOpen ? 'pipe' : opts.input === undefined ? 'ignore' : undefined,
    timeout: opts.timeoutMs,
    ...(opts.discardOutput ? { stdout: 'ignore' as const, stderr: 'ignore' as const } : {}),
    lines: false,
    buffer: true,
    detached: opts.steady === true,
  });
  childStarted(child.pid, tool);
  void child.finally(() => childEnded(child.pid)).catch(() => undefined);
  const onLine = (raw: string, stream: 'stdout' | 'stderr') => {
    const line = cleanLine(raw);
    if (line === undefined || line.trim() === '') return;
    logStream?.write(`${line}\n`);
    // Ruby/Go stack frames say nothing to a user and would push the actual error out of the tail.
    if (/^\s*(\/\S+\.rb:\d+:in |from \/\S+\.rb:\d+|goroutine \d+ )/.test(line)) return;
    tail.push(line);
    if (tail.length > keep) tail.shift();
    opts.onLine?.(line, stream);
  };
  // A chunk can end in the middle of a line: each stream keeps its unfinished line until the rest arrives.
  const splitter = (stream: 'stdout' | 'stderr') => {
    let partial = '';
    return {
      data: (chunk: Buffer) => {
        const parts = (partial + chunk.toString('utf8')).split('\n');
        partial = parts.pop() ?? '';
        for (const part of parts) onLine(part, stream);
      },
      end: () => partial && onLine(partial, stream),
    };
  };
  const out = splitter('stdout');
  const err = splitter('stderr');
  child.stdout?.on('data', out.data);
  child.stderr?.on('data', err.data);
  // A signal closes the open stdin with it: a ssh session on a shared connection ends only when the remote command
  // does (the master holds the session's output), so the remote command must learn of the signal on its stdin.
  const stoppable = opts.stdinOpen
    ? {
        kill: (sig: NodeJS.Signals) => {
          child.stdin?.destroy();
          return child.kill(sig);
        },
      }
    : child;
  child.stdin?.on('error', () => undefined);
  const result = await (opts.steady ? child : tracked(stoppable, child));
  child.stdin?.destroy();
  out.end();
  err.end();
  await new Promise<void>((resolve) => (logStream ? logStream.end(resolve) : resolve()));
  if ((result as { code?: string }).code === 'ENOENT') {
    throw new ToolMissingError(`${tool} is not installed or not on PATH (needed for \`${commandLine(command)}\`)`);
  }
  const exitCode = result.exitCode ?? -1;
  if (result.timedOut)
    throw new ToolError(
      tool,
      command,
      exitCode,
      tail.join('\n'),
      `timed out after ${Math.round((opts.timeoutMs ?? 0) / 1000)} s`,
      String(result.stdout ?? ''),
    );
  if (result.isTerminated && result.signal)
    throw new ToolError(tool, command, undefined, tail.join('\n'), `was stopped by ${result.signal}`);
  if (exitCode !== 0 && !opts.anyExitCode && !(opts.okCodes ?? []).includes(exitCode))
    throw new ToolError(tool, command, exitCode, tail.join('\n'));
  return { stdout: String(result.stdout ?? ''), stderr: String(result.stderr ?? ''), exitCode };
}

/** Runs a program on labforge's own terminal (stdin, stdout and stderr are the user's: an interactive session);
 *  resolves with its exit code, 128 + the signal number when a signal ended it. */
export function runAttached(tool: string, args: string[]): number {
  const r = spawnSync(tool, args, { stdio: 'inherit' });
  if ((r.error as NodeJS.ErrnoException | undefined)?.code === 'ENOENT')
    throw new ToolMissingError(
      `${tool} is not installed or not on PATH (needed for \`${commandLine([tool, ...args])}\`)`,
    );
  if (r.error) throw new ToolError(tool, [tool, ...args], undefined, '', `could not be run: ${r.error.message}`);
  if (r.signal) return 128 + (os.constants.signals[r.signal] ?? 0);
  return r.status ?? 1;
}

/** Whether a program is on PATH. */
export function which(tool: string): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(':')) {
    const candidate = `${dir}/${tool}`;
    try {
      fs.accessSync(candidate, fs.constants.X_OK);
      return candidate;
    } catch {
      /* next */
    }
  }
  return undefined;
}
