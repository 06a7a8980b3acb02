// ssh and ssh-keygen: the lab key pair and commands on nodes as root.
import fs from 'node:fs';
import path from 'node:path';
import { LOCAL_QUERY_S, SSH_CONNECT_S, SSH_PERSIST_S, SSH_SOCKET_S } from '../time-limits.js';
import { run, runAttached, type RunOptions, type RunResult } from './run.js';
import { nodeSshOptions, type NodeLogin } from './ssh-options.js';
import { FileLayer } from '../fsguard/layer.js';
import { shell } from '../shell-word.js';

/** Creates an ed25519 key pair at `file` (+ .pub) if it does not exist yet (ssh-keygen makes the private key
 *  0600). An existing file is left exactly as it is. */
export async function ensureKey(file: string, comment: string): Promise<boolean> {
  if (fs.existsSync(file)) return false;
  await run('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', comment, '-f', file]);
  return true;
}

/** The public key (type and base64, without comment) that ssh-keygen derives from a private key file, or the
 *  error when it cannot read one without a passphrase. */
export async function publicKeyOf(file: string): Promise<string> {
  const { stdout } = await run('ssh-keygen', ['-y', '-P', '', '-f', file], { timeoutMs: LOCAL_QUERY_S * 1000 });
  return stdout.trim().split(/\s+/).slice(0, 2).join(' ');
}

export interface SshTarget extends NodeLogin {
  host: string;
  /** The socket of a shared connection to the node (see ensureMaster), when there may be one. */
  controlPath?: string;
}

/** ssh's arguments for the node: the options every login to a node has (ssh-options.ts), the time limit, and the
 *  node's shared connection. The key and the user go as `-i KEY USER@HOST`, the last two arguments (copy reads them
 *  there): -i takes a path as it is, where an -o value is split at spaces. */
function sshArgs(t: SshTarget, timeoutS: number, batch = true): string[] {
  const options = nodeSshOptions(t).filter(([option]) => option !== 'User' && option !== 'IdentityFile');
  return [
    ...(batch ? ['-o', 'BatchMode=yes'] : []),
    // A session on the node's shared connection when its master runs; otherwise ssh connects by itself.
    ...(t.controlPath ? ['-o', 'ControlMaster=no', '-o', `ControlPath=${t.controlPath}`] : []),
    '-o',
    `ConnectTimeout=${timeoutS}`,
    ...options.flatMap(([option, value]) => ['-o', `${option}=${value}`]),
    '-i',
    t.key,
    `${t.user}@${t.host}`,
  ];
}

/** Whether the shared connection to the node answers (`ssh -O check`: local, no network). */
async function masterRuns(t: SshTarget): Promise<boolean> {
  const r = await run('ssh', ['-o', `ControlPath=${t.controlPath}`, '-O', 'check', `${t.user}@${t.host}`], {
    anyExitCode: true,
    timeoutMs: SSH_SOCKET_S * 1000,
  });
  return r.exitCode === 0;
}

/**
 * Makes sure a shared connection to the node runs (OpenSSH connection multiplexing): started once with
 * `ssh -M -N -f`, it stays SSH_PERSIST_S after its last session, and every later ssh or scp of labforge's is a
 * new session on it, without a new key exchange (a second or more with a TCG guest). It gives up on a dead node
 * within about 6 s (ServerAlive). Returns whether one runs; without one, commands connect by themselves.
 */
export async function ensureMaster(t: SshTarget, connectTimeoutS = SSH_CONNECT_S): Promise<boolean> {
  if (!t.controlPath) return false;
  if (await masterRuns(t)) return true;
  // <out>/.mux: a real folder of the output folder's, never a link (fsguard).
  FileLayer.beside(path.dirname(t.controlPath)).layer.mkdir(path.basename(path.dirname(t.controlPath)), 0o700);
  const direct = { ...t, controlPath: undefined };
  const args = sshArgs(direct, connectTimeoutS);
  await run(
    'ssh',
    [
      '-M',
      '-N',
      '-f',
      '-o',
      `ControlPath=${t.controlPath}`,
      '-o',
      `ControlPersist=${SSH_PERSIST_S}`,
      '-o',
      'ServerAliveInterval=3',
      '-o',
      'ServerAliveCountMax=2',
      ...args,
    ],
    { anyExitCode: true, discardOutput: true, timeoutMs: (connectTimeoutS + 20) * 1000 },
  ).catch(() => undefined);
  return masterRuns(t);
}

/** Ends the shared connection to the node, if one runs (before the node goes away or goes back in time). */
export async function closeMaster(t: SshTarget): Promise<void> {
  if (!t.controlPath) return;
  await run('ssh', ['-o', `ControlPath=${t.controlPath}`, '-O', 'exit', `${t.user}@${t.host}`], {
    anyExitCode: true,
    timeoutMs: SSH_SOCKET_S * 1000,
  }).catch(() => undefined);
}

/** Runs a command on a node; resolves with its stdout. */
export async function exec(
  t: SshTarget,
  command: string,
  o: RunOptions & { connectTimeoutS?: number } = {},
): Promise<string> {
  const { stdout } = await run('ssh', [...sshArgs(t, o.connectTimeoutS ?? SSH_CONNECT_S), command], o);
  return stdout;
}

/** Runs a command on a node and resolves with its exit code and output whatever the code (255: ssh itself
 *  failed, e.g. no connection). */
export async function execAll(
  t: SshTarget,
  command: string,
  o: RunOptions & { connectTimeoutS?: number } = {},
): Promise<RunResult> {
  return run('ssh', [...sshArgs(t, o.connectTimeoutS ?? SSH_CONNECT_S), command], { ...o, anyExitCode: true });
}

/** Copies with scp, recursively, as root with the lab key: `push` from a local path to a path on the node, or
 *  from the node to a local path. */
export async function copy(
  t: SshTarget,
  from: string,
  to: string,
  push: boolean,
  o: RunOptions & { connectTimeoutS?: number } = {},
): Promise<RunResult> {
  const opts = sshArgs(t, o.connectTimeoutS ?? SSH_CONNECT_S);
  const remote = opts.pop()!; // user@host
  const spec = (p: string) => `${remote}:${p}`;
  return run('scp', ['-r', '-p', ...opts, push ? from : spec(from), push ? spec(to) : to], { ...o, anyExitCode: true });
}

/** An interactive session on a node (labforge ssh NODE [COMMAND...]) on the user's terminal; returns ssh's exit
 *  code (the remote command's, or 255 when ssh itself failed). Not in batch mode: ssh may ask the user. */
export function login(t: SshTarget, command: string[] = []): number {
  return runAttached('ssh', [...sshArgs(t, SSH_CONNECT_S, false), ...command]);
}

/**
 * `command` for the node's shell so that it stops when labforge does: it runs in a session of its own (setsid), stdin
 * empty, while a watcher reads the session's stdin, which labforge keeps open as long as it waits (run's
 * `stdinOpen`). When that ends (labforge interrupted or gone, the connection lost) before the command did, the
 * watcher ends the command's process group (TERM, KILL 3 s later). A stdin that ends at once can come before the
 * command's setsid has made its group: the watcher tries again every 0.1 s while the command lives. The exit code
 * is the command's (143 when stopped).
 */
export function stoppable(command: string): string {
  return (
    `(exec 3<&0; setsid bash -c ${shell(command)} </dev/null 3<&- & pid=$!; ` +
    '{ read -r _ <&3; while kill -0 $pid; do if kill -TERM -$pid; then sleep 3; kill -KILL -$pid; break; fi; ' +
    'sleep 0.1; done; } </dev/null >/dev/null 2>&1 & w=$!; ' +
    'wait $pid; rc=$?; kill $w 2>/dev/null; exit $rc)'
  );
}
