// `labforge ls`: every lab of this user on this host, from the registry of output folders (state/registry.ts), each
// folder's ownership record, and libvirt (one `virsh list --all` and one `list --uuid` per connection).
import type { OwnershipRecord } from './state/ownership.js';
import { readRecord } from './state/record.js';
import { readRegistry, type RegisteredLab } from './state/registry.js';
import { Virsh } from '../tools/virsh.js';
import { LS_LIBVIRT_S } from '../time-limits.js';

export interface LabListing {
  lab: string;
  /** running, partly running (k/n running), shut off, not up, or unknown (libvirt could not be asked). */
  state: string;
  outDir: string;
  labFile: string;
  uri: string;
  network: string;
  management: string;
  /** The recorded domains, each with libvirt's state ("absent" when it is gone). */
  domains: { name: string; state: string }[];
  /** The networks labforge defined for the lab (the ownership record). */
  networks: string[];
  /** Why libvirt could not be asked, when it could not. */
  problem?: string;
}

/** What libvirt says of one connection: live domain UUIDs and every domain's state by name. */
export interface LibvirtDomains {
  uuids: Set<string>;
  states: Map<string, string>;
}

/** One lab's line, from its registry entry, its ownership record and libvirt's domains (pure). */
export function listingOf(
  entry: RegisteredLab,
  record: OwnershipRecord | undefined,
  libvirt: LibvirtDomains | { problem: string },
): LabListing {
  const base = {
    lab: entry.lab,
    outDir: entry.outDir,
    labFile: entry.labFile,
    uri: entry.uri,
    network: entry.network,
    management: entry.management,
    networks: (record?.networks ?? []).map((n) => n.name),
  };
  // A lab with nothing recorded has nothing in libvirt to ask about: not up, whether libvirt answers or not.
  if (!record?.domains.length) return { ...base, state: 'not up', domains: [] };
  if ('problem' in libvirt)
    return {
      ...base,
      state: 'unknown',
      problem: libvirt.problem,
      domains: (record?.domains ?? []).map((d) => ({ name: d.name ?? d.node, state: 'unknown' })),
    };
  const domains = (record?.domains ?? []).map((d) => {
    const name = d.name ?? d.node;
    const alive = libvirt.uuids.has(d.uuid);
    return { name, state: alive ? (libvirt.states.get(name) ?? 'unknown') : 'absent' };
  });
  const alive = domains.filter((d) => d.state !== 'absent');
  const running = alive.filter((d) => d.state === 'running').length;
  let state: string;
  if (alive.length === 0) state = 'not up';
  else if (running === alive.length && alive.length === domains.length) state = 'running';
  else if (running === 0) state = 'shut off';
  else state = `partly running (${running}/${domains.length} running)`;
  return { ...base, state, domains };
}

async function askLibvirt(uri: string): Promise<LibvirtDomains | { problem: string }> {
  const virsh = new Virsh(uri, { timeoutMs: LS_LIBVIRT_S * 1000 });
  try {
    const [uuids, states] = await Promise.all([virsh.domainUuids(), virsh.domainStates()]);
    return { uuids: new Set(uuids), states };
  } catch (e) {
    return { problem: (e as Error).message.split('\n')[0] };
  }
}

/** Every registered lab with its state. */
export async function listLabs(): Promise<LabListing[]> {
  const entries = readRegistry();
  const byUri = new Map<string, Promise<LibvirtDomains | { problem: string }>>();
  for (const e of entries) if (!byUri.has(e.uri)) byUri.set(e.uri, askLibvirt(e.uri));
  return Promise.all(entries.map(async (e) => listingOf(e, readRecord(e.outDir), await byUri.get(e.uri)!)));
}

/** The table `labforge ls` prints. */
export function formatListing(labs: LabListing[]): string {
  if (labs.length === 0) return 'labforge: no labs on this host yet (a lab is listed from its first `labforge render`)';
  const rows = [
    ['LAB', 'STATE', 'NETWORK', 'MANAGEMENT', 'FOLDER'],
    ...labs.map((l) => [l.lab, l.state, l.network, l.management, l.outDir]),
  ];
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
  const lines = rows.map((r) =>
    r
      .map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i])))
      .join('  ')
      .trimEnd(),
  );
  for (const l of labs)
    if (l.problem) lines.push(`labforge: ${l.lab}: libvirt ${l.uri} could not be asked: ${l.problem}`);
  return lines.join('\n');
}
