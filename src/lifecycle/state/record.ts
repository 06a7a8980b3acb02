// The lab's ownership record, `<out>/.labforge-state.json`: what labforge and Vagrant created in libvirt for this lab
// (see ownership.ts). `up` adds to it; destroy removes what it lists, then the file. Written atomically.
import fs from 'node:fs';
import path from 'node:path';
import { BOUNDS } from '../../bounds.js';
import { readBoundedIfExists } from '../../fsguard/read.js';
import { UsageError } from '../../errors.js';
import type { Lab } from '../../lab/model.js';
import { LAYOUT, vagrantMachineFile } from '../../layout.js';
import { Virsh } from '../../tools/virsh.js';
import type { RunOptions } from '../../tools/run.js';
import { nodeHostUris } from '../nodes/lab-hosts.js';
import { outLayer } from './outdir.js';
import { isObject, readStateJson, type StateFileKind } from './state-file.js';
import {
  emptyRecord,
  mergeRecords,
  type LibvirtNow,
  type OwnedDomain,
  type OwnedVolume,
  type OwnershipRecord,
} from './ownership.js';

function statePath(outDir: string): string {
  return path.join(outDir, LAYOUT.state);
}

/** The ownership record, as the damage message names it. */
const RECORD: StateFileKind = {
  what: "the lab's ownership record",
  role: 'the list of what labforge created in libvirt and what destroy removes, so labforge will not guess',
  recover:
    'put back a good copy, or move it away; then `labforge up` records the nodes Vagrant created again (from ' +
    '.vagrant/machines), and `labforge destroy` finds them the same way (networks labforge defined are then named by ' +
    'the lab file)',
  maxBytes: BOUNDS.recordBytes.max,
  // Not following a link, a regular file, bounded: a record a repository planted cannot point destroy elsewhere or
  // hang it (a link or a FIFO is refused with exit 2, naming it).
  noFollow: true,
};

function recordProblem(r: unknown): string | undefined {
  if (!isObject(r)) return 'not a JSON object';
  for (const k of ['domains', 'volumes', 'networks', 'snapshots', 'pools'])
    if (r[k] !== undefined && !Array.isArray(r[k])) return `"${k}" is not a list`;
  const f = r.fabric;
  if (
    f !== undefined &&
    (!isObject(f) ||
      !Number.isInteger(f.vni) ||
      !Number.isInteger(f.mtu) ||
      !Array.isArray(f.devices) ||
      !Array.isArray(f.networks))
  )
    return '"fabric" is not a VNI, an MTU and lists of devices and networks';
  return undefined;
}

export function readRecord(outDir: string): OwnershipRecord | undefined {
  const r = readStateJson<OwnershipRecord>(statePath(outDir), RECORD, recordProblem);
  if (r === undefined) return undefined;
  return {
    ...r,
    domains: r.domains ?? [],
    volumes: r.volumes ?? [],
    networks: r.networks ?? [],
    snapshots: r.snapshots ?? [],
  };
}

export function writeRecord(outDir: string, record: OwnershipRecord): void {
  outLayer(outDir).write(LAYOUT.state, `${JSON.stringify(record, null, 2)}\n`, 0o644);
}

export function removeRecord(outDir: string): void {
  outLayer(outDir).remove(LAYOUT.state);
}

/** The lab's record, refused when it names another libvirt host than host.uri: its objects live there, and neither
 *  adding this host's objects to it nor removing "them" through this host would be right. */
export function recordOnThisHost(lab: Lab): OwnershipRecord | undefined {
  const record = readRecord(lab.outDir);
  if (record && typeof record.uri === 'string' && record.uri !== '' && record.uri !== lab.host.uri)
    throw new UsageError(
      `host.uri: the lab's objects are recorded on ${record.uri} (${LAYOUT.state}), but host.uri is now ` +
        `${JSON.stringify(lab.host.uri)}: set host.uri back to ${record.uri} and destroy the lab there first`,
    );
  return record;
}

/** Adds to the lab's record (creating it). */
export function addToRecord(lab: Lab, more: Partial<OwnershipRecord>): OwnershipRecord {
  const record = mergeRecords(recordOnThisHost(lab) ?? emptyRecord(lab.name, lab.host.uri), more);
  writeRecord(lab.outDir, record);
  return record;
}

/** What an id Vagrant wrote can be (a UUID; tests' stand-ins use other words): one word, no junk. */
const UUID = /^[\w-]{1,64}$/;

/** The libvirt domain ids Vagrant recorded: `<out>/.vagrant/machines/<node>/libvirt/id`. */
export function vagrantDomainIds(outDir: string): { node: string; uuid: string }[] {
  const machines = path.join(outDir, LAYOUT.vagrantMachines);
  const out: { node: string; uuid: string }[] = [];
  let nodes: string[] = [];
  try {
    nodes = fs.readdirSync(machines).sort();
  } catch {
    return out;
  }
  for (const node of nodes) {
    try {
      const uuid = readBoundedIfExists(path.join(outDir, vagrantMachineFile(node, 'id')), {
        what: 'vagrant machine id',
        maxBytes: 4096,
        noFollow: true,
      })?.trim();
      // Vagrant's file, damaged (empty, junk): no id; the node's domain is then known by the ownership record only.
      if (uuid && UUID.test(uuid)) out.push({ node, uuid });
    } catch {
      /* not created */
    }
  }
  return out;
}

/**
 * Makes `vagrant destroy` leave every network to labforge. vagrant-libvirt (0.11) lists in
 * `.vagrant/machines/<node>/libvirt/created_networks` not only the networks it created but every existing one a node
 * joined (unless the Vagrantfile says `libvirt__always_destroy: false` / `management_network_keep`), and destroys them
 * with the last domain: also a network that existed before `up`. Returns the files removed.
 */
export function forgetVagrantNetworks(outDir: string): string[] {
  const removed: string[] = [];
  for (const { node } of vagrantMachines(outDir)) {
    if (!outLayer(outDir).remove(vagrantMachineFile(node, 'created_networks'))) continue;
    removed.push(path.join(outDir, vagrantMachineFile(node, 'created_networks')));
  }
  return removed;
}

function vagrantMachines(outDir: string): { node: string }[] {
  try {
    return fs.readdirSync(path.join(outDir, LAYOUT.vagrantMachines)).map((node) => ({ node }));
  } catch {
    return [];
  }
}

/** Volumes of the active pools: path -> pool and name. */
async function volumeIndex(virsh: Virsh): Promise<Map<string, { pool: string; name: string }>> {
  const index = new Map<string, { pool: string; name: string }>();
  for (const pool of await virsh.activePools()) {
    for (const [name, volPath] of await virsh.volumes(pool)) index.set(volPath, { pool, name });
  }
  return index;
}

/**
 * What the lab owns in libvirt now, by the domain ids Vagrant recorded (and those already in `known`): those domains
 * that still exist, and the disk volumes (`domblklist`, device "disk" only: never an ISO in a CD-ROM drive) with
 * their backing files.
 */
export async function discoverOwned(
  virsh: Virsh,
  outDir: string,
  known: OwnedDomain[] = [],
): Promise<{ domains: OwnedDomain[]; volumes: OwnedVolume[] }> {
  const ids = new Map<string, OwnedDomain>();
  for (const d of [...known, ...vagrantDomainIds(outDir)]) ids.set(d.uuid, { ...ids.get(d.uuid), ...d });
  const live = new Set(await virsh.domainUuids());
  const domains: OwnedDomain[] = [];
  const volumes: OwnedVolume[] = [];
  let index: Map<string, { pool: string; name: string }> | undefined;
  for (const d of ids.values()) {
    if (!live.has(d.uuid)) continue;
    domains.push({ ...d, name: await virsh.domainName(d.uuid) });
    for (const disk of await virsh.domainDisks(d.uuid)) {
      if (disk.device !== 'disk' || !disk.source) continue;
      index ??= await volumeIndex(virsh);
      let vol: { pool: string; name: string; path: string } | undefined;
      if (disk.type === 'volume') {
        const hit = [...index].find(([, v]) => v.pool === disk.pool && v.name === disk.source);
        if (hit) vol = { ...hit[1], path: hit[0] };
      } else {
        const hit = index.get(disk.source);
        if (hit) vol = { ...hit, path: disk.source };
      }
      // A disk that is no volume of an active pool (a file outside every pool) is left alone.
      if (!vol) continue;
      volumes.push({ ...vol, backing: await virsh.volumeBacking(vol.pool, vol.name) });
    }
  }
  return { domains, volumes };
}

/**
 * discoverOwned on every libvirt host that holds the lab's nodes (host.uri alone for a lab on one host): a domain is
 * found on the host that has its UUID, and it and its disks are tagged with that host's URI when it is not host.uri.
 */
export async function discoverOwnedOnHosts(
  lab: Lab,
  opts: RunOptions = {},
  known: OwnedDomain[] = [],
): Promise<{ domains: OwnedDomain[]; volumes: OwnedVolume[] }> {
  const found = await Promise.all(
    nodeHostUris(lab).map(async (uri) => {
      const { domains, volumes } = await discoverOwned(new Virsh(uri, opts), lab.outDir, known);
      const tag = <T extends object>(e: T): T => (uri === lab.host.uri ? e : { ...e, uri });
      return { domains: domains.map(tag), volumes: volumes.map(tag) };
    }),
  );
  return { domains: found.flatMap((f) => f.domains), volumes: found.flatMap((f) => f.volumes) };
}

/** Everything destroy's decision needs to know about libvirt now. Backing files are read only when `wantBacking`. */
export async function libvirtNow(virsh: Virsh, wantBacking: boolean): Promise<LibvirtNow> {
  const domains: LibvirtNow['domains'] = [];
  for (const uuid of await virsh.domainUuids()) domains.push({ uuid, name: await virsh.domainName(uuid) });
  const volumes: LibvirtNow['volumes'] = [];
  for (const pool of await virsh.activePools()) {
    for (const [name, volPath] of await virsh.volumes(pool)) {
      volumes.push({
        pool,
        name,
        path: volPath,
        backing: wantBacking ? await virsh.volumeBacking(pool, name) : undefined,
      });
    }
  }
  const users = new Map<string, string[]>();
  for (const d of domains) {
    for (const net of await virsh.domainNetworks(d.uuid)) users.set(net, [...(users.get(net) ?? []), d.name]);
  }
  const networks: LibvirtNow['networks'] = [];
  for (const name of await virsh.networks())
    networks.push({ name, uuid: await virsh.networkUuid(name), users: users.get(name) ?? [] });
  return { domains, volumes, networks };
}
