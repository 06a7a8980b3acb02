// labforge run / copy: the guide's `for node in ...; do ssh root@$node ...; done` and `scp ... root@$node:...` loops
// as one command, on the nodes TARGETS chose (select.ts). The nodes are worked on in parallel (bounded), every
// output line is prefixed with its node, and each node ends with an exit code: a node that does not answer is a
// failure of that node (connect and command time limits), never a hang.
import path from 'node:path';
import type { Lab, LabNode } from '../../lab/model.js';
import * as ssh from '../../tools/ssh.js';
import { ToolError, UsageError } from '../../errors.js';
import type { RunResult } from '../../tools/run.js';
import { terminalLine } from '../../inert.js';
import { interruptedBy } from '../../tools/signals.js';
import { connected } from './connections.js';

export interface NodeOutcome {
  node: string;
  /** The remote command's exit code (scp's for copy); undefined when the node never ran it. */
  exitCode?: number;
  ok: boolean;
  stdout: string;
  stderr: string;
  seconds: number;
  /** Why the node failed when it did not run the command to an end: no connection, a time-out. */
  error?: string;
}

export interface FanOptions {
  /** At most this many nodes at once (1: one after another, in order). */
  parallel: number;
  /** Time limit of the whole command on one node. */
  timeoutS: number;
  /** Each output line, as it comes, with its node and stream. */
  onLine?: (node: string, line: string, stream: 'stdout' | 'stderr') => void;
}

/** Why ssh did not connect to the node, from its stderr. A host key other than the one learned from the node's
 *  domain (a node made anew has its old one forgotten first: state/known-hosts.ts) is named as such. */
function noConnection(node: LabNode, stderr: string): string {
  if (/REMOTE HOST IDENTIFICATION HAS CHANGED/.test(stderr))
    return (
      `no connection to ${node.ip}: it answers with another host key than ${node.name} had when its key was ` +
      "learned (the lab's known_hosts), while its domain is the same one: another machine may hold the address"
    );
  return `no connection to ${node.ip}: ${stderr.trim().split('\n').pop()}`;
}

/** Runs `work` on every node, at most `parallel` at a time; outcomes in lab order. */
export async function fan(
  nodes: LabNode[],
  opts: FanOptions,
  work: (n: LabNode) => Promise<RunResult>,
): Promise<NodeOutcome[]> {
  const outcomes: NodeOutcome[] = new Array(nodes.length);
  let next = 0;
  const worker = async () => {
    while (next < nodes.length) {
      const i = next++;
      const node = nodes[i];
      const started = Date.now();
      // After a SIGINT/SIGTERM no node starts: labforge ends once the running ones have stopped.
      const stopped = interruptedBy();
      if (stopped) {
        outcomes[i] = {
          node: node.name,
          ok: false,
          stdout: '',
          stderr: '',
          seconds: 0,
          error: `not started (${stopped})`,
        };
        continue;
      }
      try {
        const r = await work(node);
        // ssh (and scp) exit 255 when the connection itself failed: the node did not run the command.
        const unreachable =
          r.exitCode === 255 && /ssh: |Connection|Permission denied|Host key|lost connection/i.test(r.stderr);
        outcomes[i] = {
          node: node.name,
          exitCode: unreachable ? undefined : r.exitCode,
          ok: r.exitCode === 0,
          stdout: r.stdout,
          stderr: r.stderr,
          seconds: (Date.now() - started) / 1000,
          ...(unreachable ? { error: noConnection(node, r.stderr) } : {}),
          ...(r.exitCode !== 0 && interruptedBy() ? { error: `stopped (${interruptedBy()})` } : {}),
        };
      } catch (e) {
        const timedOut = e instanceof ToolError && /timed out/.test(e.message);
        outcomes[i] = {
          node: node.name,
          ok: false,
          stdout: '',
          stderr: '',
          seconds: (Date.now() - started) / 1000,
          error: interruptedBy()
            ? `stopped (${interruptedBy()})`
            : timedOut
              ? `timed out after ${opts.timeoutS} s`
              : (e as Error).message.split('\n')[0],
        };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(opts.parallel, nodes.length)) }, worker));
  return outcomes;
}

/** labforge run TARGETS -- COMMAND. The command ends with labforge (Ctrl-C, a kill, a lost connection): ssh.stoppable. */
export async function runOn(lab: Lab, nodes: LabNode[], command: string, opts: FanOptions): Promise<NodeOutcome[]> {
  return fan(nodes, opts, async (node) =>
    ssh.execAll(await connected(lab, node), ssh.stoppable(command), {
      timeoutMs: opts.timeoutS * 1000,
      stdinOpen: true,
      onLine: (line, stream) => opts.onLine?.(node.name, line, stream),
    }),
  );
}

export interface CopySpec {
  /** push: local -> every target; pull: every target -> local/<node>/ */
  direction: 'push' | 'pull';
  targets: string;
  remote: string;
  local: string;
}

/** Reads `copy SRC DEST`: exactly one side is `TARGETS:PATH` (a local path with ':' in it is written ./a:b). */
export function parseCopy(src: string, dest: string): CopySpec {
  const remote = (s: string) => /^[^/.:][^:]*:/.test(s);
  const split = (s: string) => ({ targets: s.slice(0, s.indexOf(':')), path: s.slice(s.indexOf(':') + 1) });
  if (remote(src) === remote(dest))
    throw new UsageError(
      `copy: exactly one of ${JSON.stringify(src)} and ${JSON.stringify(dest)} must be TARGETS:PATH ` +
        "(e.g. all:/etc/hosts); write a local path with ':' as ./a:b",
    );
  if (remote(dest)) {
    const d = split(dest);
    return { direction: 'push', targets: d.targets, remote: d.path || '.', local: src };
  }
  const s = split(src);
  if (!s.path) throw new UsageError(`copy: ${JSON.stringify(src)} names no path on the nodes`);
  return { direction: 'pull', targets: s.targets, remote: s.path, local: dest };
}

/** labforge copy: push a local file or folder to every target, or pull one from every target into local/<node>/. */
export async function copyOn(
  lab: Lab,
  nodes: LabNode[],
  spec: CopySpec,
  opts: FanOptions,
  mkdir: (dir: string) => void,
): Promise<NodeOutcome[]> {
  return fan(nodes, opts, async (node) => {
    const t = await connected(lab, node);
    const o = {
      timeoutMs: opts.timeoutS * 1000,
      onLine: (line: string, stream: 'stdout' | 'stderr') => opts.onLine?.(node.name, line, stream),
    };
    if (spec.direction === 'push') return ssh.copy(t, spec.local, spec.remote, true, o);
    const into = path.join(spec.local, node.name);
    mkdir(into);
    return ssh.copy(t, spec.remote, `${into}/`, false, o);
  });
}

/** The closing line: how many nodes succeeded, and each failure with its exit code or reason. */
export function outcomesSummary(what: string, outcomes: NodeOutcome[]): string {
  const failed = outcomes.filter((o) => !o.ok);
  // An error can quote a guest's or ssh's words: shown inert on the terminal.
  const detail = failed.map((o) => `${o.node}: ${terminalLine(o.error ?? `exit ${o.exitCode}`)}`).join('; ');
  const nodes = `${outcomes.length} node${outcomes.length === 1 ? '' : 's'}`;
  const failures = `${failed.length} failed${failed.length ? ` (${detail})` : ''}`;
  return `labforge: ${what} on ${nodes}: ${outcomes.length - failed.length} ok, ${failures}`;
}
