// labforge status: every node's state from Vagrant and libvirt, with its address.
import fs from 'node:fs';
import path from 'node:path';
import type { Lab } from '../lab/model.js';
import * as vagrant from '../tools/vagrant.js';
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

export async function status(lab: Lab): Promise<NodeStatus[]> {
  const vagrantStates = fs.existsSync(path.join(lab.outDir, 'Vagrantfile')) ? await vagrant.status(lab.outDir) : [];
  const virsh = new Virsh(lab.host.uri);
  const domains = await virsh.domains().catch(() => [] as string[]);
  const out: NodeStatus[] = [];
  for (const node of lab.nodes) {
    const dom = node.domain;
    out.push({
      name: node.name,
      fqdn: node.fqdn,
      ip: node.ip,
      state: vagrantStates.find((s) => s.name === node.name)?.state ?? 'not_created',
      domain: domains.includes(dom) ? await virsh.domainState(dom).catch(() => 'unknown') : 'absent',
    });
  }
  return out;
}

export function formatStatus(rows: NodeStatus[]): string {
  const cols: (keyof NodeStatus)[] = ['name', 'fqdn', 'ip', 'state', 'domain'];
  const width = cols.map((c) => Math.max(c.length, ...rows.map((r) => r[c].length)));
  const line = (vals: string[]) => vals.map((v, i) => v.padEnd(width[i])).join('  ').trimEnd();
  return [line(cols.map((c) => c.toUpperCase())), ...rows.map((r) => line(cols.map((c) => r[c])))].join('\n');
}
