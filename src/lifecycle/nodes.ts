// Talking to the nodes on their static addresses as root with the lab key.
import path from 'node:path';
import type { Lab, LabNode } from '../lab/model.js';
import * as ssh from '../tools/ssh.js';

export function target(lab: Lab, node: LabNode): ssh.SshTarget {
  return { host: node.ip, user: 'root', key: lab.access.sshKey, knownHosts: path.join(lab.outDir, 'known_hosts') };
}

/** The node's FQDN as it reports it over ssh on its static address, or the error. */
export async function answers(lab: Lab, node: LabNode): Promise<string | Error> {
  try {
    return (await ssh.exec(target(lab, node), 'hostname -f', { connectTimeoutS: 10, timeoutMs: 30000 })).trim();
  } catch (e) {
    return e as Error;
  }
}
