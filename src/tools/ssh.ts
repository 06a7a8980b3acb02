// ssh and ssh-keygen: the lab key pair and commands on nodes as root.
import fs from 'node:fs';
import { run, runAttached, type RunOptions } from './run.js';

/** Creates an ed25519 key pair at `file` (+ .pub) if it does not exist yet; the private key is 0600. */
export async function ensureKey(file: string, comment: string): Promise<boolean> {
  if (fs.existsSync(file)) {
    fs.chmodSync(file, 0o600);
    return false;
  }
  await run('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', comment, '-f', file]);
  fs.chmodSync(file, 0o600);
  return true;
}

export interface SshTarget {
  host: string;
  user: string;
  key: string;
  knownHosts: string;
}

function sshArgs(t: SshTarget, timeoutS: number, batch = true): string[] {
  return [
    ...(batch ? ['-o', 'BatchMode=yes'] : []),
    '-o', 'IdentitiesOnly=yes',
    '-o', `ConnectTimeout=${timeoutS}`,
    '-o', 'StrictHostKeyChecking=accept-new',
    '-o', `UserKnownHostsFile=${t.knownHosts}`,
    '-o', 'LogLevel=ERROR',
    '-i', t.key,
    `${t.user}@${t.host}`,
  ];
}

/** Runs a command on a node; resolves with its stdout. */
export async function exec(t: SshTarget, command: string, o: RunOptions & { connectTimeoutS?: number } = {}): Promise<string> {
  const { stdout } = await run('ssh', [...sshArgs(t, o.connectTimeoutS ?? 10), command], o);
  return stdout;
}

/** An interactive session on a node (labforge ssh NODE [COMMAND...]) on the user's terminal; returns ssh's exit
 *  code (the remote command's, or 255 when ssh itself failed). Not in batch mode: ssh may ask the user. */
export function login(t: SshTarget, command: string[] = []): number {
  return runAttached('ssh', [...sshArgs(t, 10, false), ...command]);
}
