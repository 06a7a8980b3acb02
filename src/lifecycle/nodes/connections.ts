// Talking to the nodes on their static addresses as root with the lab key.
import path from 'node:path';
import type { Lab, LabNode } from '../../lab/model.js';
import { LAYOUT } from '../../layout.js';
import { SSH_COMMAND_S, SSH_CONNECT_S } from '../../time-limits.js';
import { labLogin } from '../../render/hosts.js';
import * as ssh from '../../tools/ssh.js';
import { forgetKeysOfNewDomains } from '../state/known-hosts.js';
import { owned } from '../state/outdir.js';

/** The longest socket path that works: sun_path holds 108 bytes, and ssh first binds a name 17 bytes longer. */
const MAX_SOCKET_PATH = 107 - 17;

/** How to log in to the node. Its known host keys are those of its domain now: a node made anew since they were
 *  learned has its old ones forgotten first (known-hosts.ts). */
export function target(lab: Lab, node: LabNode): ssh.SshTarget {
  forgetKeysOfNewDomains(lab);
  const socket = path.join(lab.outDir, LAYOUT.mux, node.name);
  return {
    ...labLogin(lab),
    host: node.ip,
    // An output folder too deep for a socket path, or with a character ssh would read as a token (%, ~) or a word
    // break in an -o value: every ssh connects by itself.
    controlPath: Buffer.byteLength(socket) <= MAX_SOCKET_PATH && /^[\w./+-]+$/.test(socket) ? socket : undefined,
  };
}

/** A node's target with its shared connection started (see ssh.ensureMaster), when one can run. */
export async function connected(lab: Lab, node: LabNode, connectTimeoutS = SSH_CONNECT_S): Promise<ssh.SshTarget> {
  const t = target(lab, node);
  // The sockets live in the output folder: only in one labforge owns (a command that claims none writes nothing).
  if (!owned(lab.outDir)) return { ...t, controlPath: undefined };
  await ssh.ensureMaster(t, connectTimeoutS);
  return t;
}

/** Ends the shared connections to the nodes: before they power off, are destroyed or go back to a snapshot. */
export async function disconnect(lab: Lab, nodes: LabNode[] = lab.nodes): Promise<void> {
  await Promise.all(nodes.map((n) => ssh.closeMaster(target(lab, n))));
}

/** The node's FQDN as it reports it over ssh on its static address, or the error. `share`: on the node's shared
 *  connection, started if need be (a node that just booted is asked once, directly). */
export async function reportedFqdn(lab: Lab, node: LabNode, share = true): Promise<string | Error> {
  try {
    return (
      await ssh.exec(share ? await connected(lab, node) : target(lab, node), 'hostname -f', {
        connectTimeoutS: SSH_CONNECT_S,
        timeoutMs: SSH_COMMAND_S * 1000,
      })
    ).trim();
  } catch (e) {
    return e as Error;
  }
}
