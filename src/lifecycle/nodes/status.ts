// labforge status: every node's state, with its address, from one libvirt query and Vagrant's machine files: the
// states `vagrant status` would print, without starting Vagrant (seconds on a busy host).
import fs from 'node:fs';
import path from 'node:path';
import { spansHosts, type Lab } from '../../lab/model.js';
import { vagrantMachineFile } from '../../layout.js';
import { DEFAULT_URI } from '../../lab/schema.js';
import { labDomainStates, libvirtStates } from './ready.js';

export interface NodeStatus {
  name: string;
  fqdn: string;
  ip: string;
  /** Vagrant's machine state: running, shutoff, not_created, paused, preparing, inaccessible, ... */
  state: string;
  /** libvirt's domain state, or "absent". */
  domain: string;
  /** A lab across hosts: the host the node runs on (`hosts[].name`). */
  host?: string;
}

/** What vagrant-libvirt reports for a machine: not_created without the machine's id file or its domain, else the
 *  domain's libvirt state in Vagrant's words. */
export function vagrantState(created: boolean, libvirtState: string | undefined): string {
  if (!created || libvirtState === undefined) return 'not_created';
  const words: Record<string, string> = {
    'shut off': 'shutoff',
    'in shutdown': 'shutdown',
    pmsuspended: 'suspended',
    idle: 'blocked',
  };
  return words[libvirtState] ?? libvirtState.replace(/\s+/g, '_');
}

/** status's one libvirt query: the URI it asks and the answer, or why libvirt could not be asked (kept as a value
 *  until status uses it: an early query of a lab file that then fails to validate is never awaited). */
export interface DomainQuery {
  uri: string;
  states: Promise<Map<string, string> | Error>;
}

function domainQuery(uri: string): DomainQuery {
  return { uri, states: libvirtStates(uri).catch((e: Error) => e) };
}

/** Starts status's libvirt query from the lab file as parsed, before it is validated, so that virsh (most of its
 *  time is its own start) and the validation overlap. Only when the file names no libvirt URI or the local default
 *  (a read-only list of the local domains): nothing is asked of another host before the file is known to be valid.
 *  status uses the answer only for a lab with that URI. */
export function earlyQuery(raw: unknown): DomainQuery | undefined {
  const uri = (raw as { host?: { uri?: unknown } | null } | null | undefined)?.host?.uri;
  return uri === undefined || uri === DEFAULT_URI ? domainQuery(DEFAULT_URI) : undefined;
}

export async function status(lab: Lab, early?: DomainQuery): Promise<NodeStatus[]> {
  // A lab across hosts: each node's domain as its own host has it.
  const states = spansHosts(lab)
    ? await labDomainStates(lab).catch((e: Error) => e)
    : await (early?.uri === lab.host.uri ? early : domainQuery(lab.host.uri)).states;
  // A libvirt that cannot be asked is an error (exit 3), never a lab whose domains are absent.
  if (states instanceof Error) throw states;
  return lab.nodes.map((node) => {
    const created = fs.existsSync(path.join(lab.outDir, vagrantMachineFile(node.name, 'id')));
    const libvirt = states.get(node.domain);
    return {
      name: node.name,
      fqdn: node.fqdn,
      ip: node.ip,
      ...(node.host === undefined ? {} : { host: node.host }),
      state: vagrantState(created, libvirt),
      domain: libvirt ?? 'absent',
    };
  });
}

/** Why a node of a lab is paused when no labforge runs: what the user reads next to it. */
export const PAUSED_WHY =
  'paused (its CPUs stopped, as a labforge killed during snapshot save or restore leaves a node); `labforge up` resumes it';

export function formatStatus(rows: NodeStatus[]): string {
  // The host column only for a lab across hosts.
  const cols: (keyof NodeStatus)[] = rows.some((r) => r.host !== undefined)
    ? ['name', 'fqdn', 'ip', 'host', 'state', 'domain']
    : ['name', 'fqdn', 'ip', 'state', 'domain'];
  const text = (r: NodeStatus, c: keyof NodeStatus) => r[c] ?? '';
  const width = cols.map((c) => Math.max(c.length, ...rows.map((r) => text(r, c).length)));
  const line = (vals: string[]) =>
    vals
      .map((v, i) => v.padEnd(width[i]))
      .join('  ')
      .trimEnd();
  const paused = rows.filter((r) => r.domain === 'paused').map((r) => r.name);
  return [
    line(cols.map((c) => c.toUpperCase())),
    ...rows.map((r) => line(cols.map((c) => text(r, c)))),
    ...(paused.length ? [`\n${paused.join(', ')}: ${PAUSED_WHY}`] : []),
  ].join('\n');
}
