// labforge status: every node's state, with its address, from one libvirt query and Vagrant's machine files: the
// states `vagrant status` would print, without starting Vagrant (seconds on a busy host).
import fs from 'node:fs';
import path from 'node:path';
import type { Lab } from '../lab/model.js';
import { Virsh } from '../tools/virsh.js';

export interface NodeStatus {
  name: string;
  fqdn: string;
  ip: string;
  /** Vagrant's machine state: running, shutoff, not_created, paused, preparing, inaccessible, ... */
  state: string;
  /** libvirt's domain state, or "absent". */
  domain: string;
}

/** What vagrant-libvirt reports for a machine: not_created without the machine's id file or its domain, else the
 *  domain's libvirt state in Vagrant's words. */
export function vagrantState(created: boolean, libvirtState: string | undefined): string {
  if (!created || libvirtState === undefined) return 'not_created';
  const words: Record<string, string> = { 'shut off': 'shutoff', 'in shutdown': 'shutdown', pmsuspended: 'suspended', idle: 'blocked' };
  return words[libvirtState] ?? libvirtState.replace(/\s+/g, '_');
}

export async function status(lab: Lab): Promise<NodeStatus[]> {
  const states = await new Virsh(lab.host.uri).domainStates().catch(() => new Map<string, string>());
  return lab.nodes.map((node) => {
    const created = fs.existsSync(path.join(lab.outDir, '.vagrant', 'machines', node.name, 'libvirt', 'id'));
    const libvirt = states.get(node.domain);
    return { name: node.name, fqdn: node.fqdn, ip: node.ip, state: vagrantState(created, libvirt), domain: libvirt ?? 'absent' };
  });
}

export function formatStatus(rows: NodeStatus[]): string {
  const cols: (keyof NodeStatus)[] = ['name', 'fqdn', 'ip', 'state', 'domain'];
  const width = cols.map((c) => Math.max(c.length, ...rows.map((r) => r[c].length)));
  const line = (vals: string[]) => vals.map((v, i) => v.padEnd(width[i])).join('  ').trimEnd();
  return [line(cols.map((c) => c.toUpperCase())), ...rows.map((r) => line(cols.map((c) => r[c])))].join('\n');
}
