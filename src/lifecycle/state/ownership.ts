// What a lab owns in libvirt, and the pure decision destroy makes from it: given the lab's ownership record and what
// libvirt has now, what to remove, and what to keep and why. Nothing is ever matched by name prefix: a domain is
// the lab's by the UUID Vagrant recorded, a volume by being one of those domains' disks, a network by labforge
// having defined it (name and UUID), the box's base volume by backing one of the lab's disks.
import type { ProvisionedNodes } from '../provision/plan.js';

/** A libvirt domain Vagrant created for a node (`.vagrant/machines/<node>/libvirt/id`). */
export interface OwnedDomain {
  node: string;
  uuid: string;
  /** The domain's name when it was recorded (for messages only). */
  name?: string;
  /** A lab across hosts: the libvirt host it is on, when not the record's `uri` (the first host). */
  uri?: string;
}

/** A disk volume of one of the lab's domains. */
export interface OwnedVolume {
  pool: string;
  name: string;
  path: string;
  /** Its backing file (the box's base volume vagrant-libvirt uploaded), if it has one. */
  backing?: string;
  /** A lab across hosts: the libvirt host it is on, when not the record's `uri` (the first host). */
  uri?: string;
}

/** A network labforge defined itself (not one it found and reused). */
export interface OwnedNetwork {
  name: string;
  uuid: string;
  /** A lab across hosts: the libvirt host it is on, when not the record's `uri` (the first host). */
  uri?: string;
}

/** A storage pool labforge defined for the lab (host.pool did not exist): removed by destroy once it is empty. */
export interface OwnedPool {
  name: string;
  uuid: string;
  path: string;
  /** Whether labforge made the folder (it did not exist): destroy then removes it too, when empty. */
  madeFolder: boolean;
  /** A lab across hosts: the libvirt host it is on, when not the record's `uri` (the first host). */
  uri?: string;
}

/** One node's part of a lab snapshot: the internal snapshot of that name in the domain with this UUID. */
export interface SnapshotPart {
  node: string;
  uuid: string;
  /** The node's state when the snapshot was taken, in Vagrant's words: running, shutoff, paused. */
  state: string;
  /** Whether libvirt created this part (false while saving, or when saving was interrupted before it). */
  taken: boolean;
}

/** A snapshot of the whole lab that labforge took: one internal snapshot of the same name per node. */
export interface OwnedSnapshot {
  name: string;
  /** When it was taken (ISO time). */
  createdAt: string;
  /** `saving` until every part is taken, `deleting` while delete removes the parts: either, seen later, means
   *  labforge was interrupted, and the snapshot is incomplete. */
  status: 'saving' | 'complete' | 'deleting';
  parts: SnapshotPart[];
  /** The nodes' provisioning record when it was taken: a restore puts it back (the steps' effects are in the disks). */
  provision?: ProvisionedNodes;
}

/** A device labforge created on a host for the lab network of a lab across hosts (recorded before it is created). */
export interface OwnedHostDevice {
  /** The lab file's name of the host, and its URI when the device was recorded (destroy reaches it there). */
  host: string;
  uri: string;
  kind: 'bridge' | 'vxlan';
  name: string;
}

/** The lab network's fabric of a lab across hosts: its VNI and MTU (kept for the lab's life), the devices labforge
 *  made on each host, and the bridge-mode libvirt networks it defined on the hosts after the first. */
export interface OwnedFabric {
  vni: number;
  mtu: number;
  devices: OwnedHostDevice[];
  networks: { host: string; uri: string; name: string; uuid: string }[];
}

/** The ownership record, `<out>/.labforge-state.json`. */
export interface OwnershipRecord {
  version: 1;
  lab: string;
  uri: string;
  domains: OwnedDomain[];
  volumes: OwnedVolume[];
  networks: OwnedNetwork[];
  /** The lab snapshots labforge took (snapshot save, the baseline of up); destroy and snapshot delete remove them. */
  snapshots?: OwnedSnapshot[];
  /** The storage pool labforge defined for the lab, if it did. */
  pools?: OwnedPool[];
  /** Which provisioning steps succeeded on which node's domain, with the key of their inputs (provision/plan.ts). */
  provisioned?: ProvisionedNodes;
  /** A lab across hosts: its VXLAN, bridges and the other hosts' lab networks. */
  fabric?: OwnedFabric;
}

/** What libvirt has now. */
export interface LibvirtNow {
  domains: { uuid: string; name: string }[];
  /** Every volume of the active pools, with its backing file. */
  volumes: { pool: string; name: string; path: string; backing?: string }[];
  /** Every network, with the domains that have an interface on it. */
  networks: { name: string; uuid: string; users: string[] }[];
}

export interface Plan {
  domains: { uuid: string; name: string }[];
  volumes: { pool: string; name: string; path: string }[];
  networks: string[];
  /** Things of the lab (or that look like it) that stay, each with the reason. */
  kept: string[];
}

export function emptyRecord(lab: string, uri: string): OwnershipRecord {
  return { version: 1, lab, uri, domains: [], volumes: [], networks: [], snapshots: [] };
}

/** The libvirt host an entry of `record` is on. */
export function hostUriOf(record: Pick<OwnershipRecord, 'uri'>, entry: { uri?: string }): string {
  return entry.uri ?? record.uri;
}

/** The part of `record` on the libvirt host `uri` (a lab across hosts has domains, volumes, networks and pools on
 *  several): what destroy weighs against that host's libvirt. Snapshots and the fabric stay as they are. */
export function recordOn(record: OwnershipRecord, uri: string): OwnershipRecord {
  const here = (e: { uri?: string }) => hostUriOf(record, e) === uri;
  return {
    ...record,
    domains: record.domains.filter(here),
    volumes: record.volumes.filter(here),
    networks: record.networks.filter(here),
    ...(record.pools ? { pools: record.pools.filter(here) } : {}),
  };
}

/** Every libvirt host the record has an entry on, the record's own first. */
export function recordUris(record: OwnershipRecord): string[] {
  const all = [...record.domains, ...record.volumes, ...record.networks, ...(record.pools ?? [])];
  return [...new Set([record.uri, ...all.map((e) => hostUriOf(record, e))])];
}

/** Adds what `more` records to `record` (a later `up` adds to what an earlier one recorded). */
export function mergeRecords(record: OwnershipRecord, more: Partial<OwnershipRecord>): OwnershipRecord {
  const at = (e: { uri?: string }) => hostUriOf(record, e);
  const domains = [...record.domains];
  for (const d of more.domains ?? []) {
    const i = domains.findIndex((x) => x.uuid === d.uuid);
    if (i >= 0) domains[i] = { ...domains[i], ...d };
    else domains.push(d);
  }
  const volumes = [...record.volumes];
  for (const v of more.volumes ?? []) {
    const i = volumes.findIndex((x) => x.path === v.path && at(x) === at(v));
    if (i >= 0) volumes[i] = { ...volumes[i], ...v };
    else volumes.push(v);
  }
  const networks = [...record.networks];
  for (const n of more.networks ?? []) {
    const i = networks.findIndex((x) => x.name === n.name && at(x) === at(n));
    if (i >= 0) networks[i] = n;
    else networks.push(n);
  }
  const pools = [...(record.pools ?? [])];
  for (const p of more.pools ?? []) {
    const i = pools.findIndex((x) => x.name === p.name && at(x) === at(p));
    if (i >= 0) pools[i] = p;
    else pools.push(p);
  }
  const fabric = more.fabric ?? record.fabric;
  return { ...record, domains, volumes, networks, ...(pools.length ? { pools } : {}), ...(fabric ? { fabric } : {}) };
}

/**
 * What destroy removes. `labNetworks` are the network names of the lab file: those labforge did not define are named
 * as kept, so the user knows why they are still there. `recordMissing`: there was no record file, only the domain ids
 * Vagrant kept, so nothing says which networks labforge defined.
 */
export function planDestroy(
  record: OwnershipRecord,
  now: LibvirtNow,
  opts: { labNetworks: string[]; recordMissing?: boolean },
): Plan {
  const kept: string[] = [];
  const liveDomains = new Map(now.domains.map((d) => [d.uuid, d.name]));
  const domains: Plan['domains'] = [];
  for (const d of record.domains) {
    const name = liveDomains.get(d.uuid);
    if (name !== undefined) domains.push({ uuid: d.uuid, name });
  }
  const removedDomains = new Set(domains.map((d) => d.name));
  // A domain with the name a node's domain had, but not the recorded UUID, is someone else's.
  for (const d of record.domains) {
    if (liveDomains.has(d.uuid) || !d.name) continue;
    const other = now.domains.find((x) => x.name === d.name);
    if (other)
      kept.push(
        `domain ${other.name} (${other.uuid}): not the domain labforge recorded for node ${d.node} (${d.uuid})`,
      );
  }

  const byPath = new Map(now.volumes.map((v) => [v.path, v]));
  const volumes: Plan['volumes'] = [];
  const removing = new Set<string>();
  for (const v of record.volumes) {
    const live = byPath.get(v.path);
    if (!live || removing.has(live.path)) continue;
    volumes.push({ pool: live.pool, name: live.name, path: live.path });
    removing.add(live.path);
  }
  // A recorded volume that some volume outside the lab now has as its backing file (an overlay someone made) stays.
  const backedBy = (path: string) => now.volumes.filter((o) => o.backing === path && !removing.has(o.path));
  for (let i = volumes.length - 1; i >= 0; i--) {
    const users = backedBy(volumes[i].path);
    if (users.length === 0) continue;
    kept.push(
      `volume ${volumes[i].name} (pool ${volumes[i].pool}): the backing file of ${users.map((u) => `${u.name} (pool ${u.pool})`).join(', ')}`,
    );
    removing.delete(volumes[i].path);
    volumes.splice(i, 1);
  }
  // The box's base volumes the lab's disks were backed by: only once no volume left is backed by them.
  const bases = [...new Set(record.volumes.map((v) => v.backing).filter((b): b is string => Boolean(b)))].sort();
  for (const base of bases) {
    const live = byPath.get(base);
    if (!live || removing.has(base)) continue;
    const users = backedBy(base);
    if (users.length) {
      kept.push(
        `volume ${live.name} (pool ${live.pool}): the box's base volume, ` +
          `still the backing file of ${users.map((u) => `${u.name} (pool ${u.pool})`).join(', ')}`,
      );
      continue;
    }
    volumes.push({ pool: live.pool, name: live.name, path: live.path });
    removing.add(base);
  }

  const networks: string[] = [];
  const liveNets = new Map(now.networks.map((n) => [n.name, n]));
  for (const n of record.networks) {
    const live = liveNets.get(n.name);
    if (!live) continue;
    if (live.uuid !== n.uuid) {
      kept.push(`network ${n.name}: not the network labforge defined (UUID ${live.uuid}, labforge's was ${n.uuid})`);
      continue;
    }
    const users = live.users.filter((u) => !removedDomains.has(u));
    if (users.length) {
      kept.push(`network ${n.name}: still used by domain ${users.join(', ')}`);
      continue;
    }
    networks.push(n.name);
  }
  const recorded = new Set(record.networks.map((n) => n.name));
  for (const name of opts.labNetworks) {
    if (recorded.has(name) || !liveNets.has(name)) continue;
    kept.push(
      opts.recordMissing
        ? `network ${name}: no ownership record says labforge defined it (remove it with virsh net-destroy and net-undefine if it is the lab's)`
        : `network ${name}: labforge did not define it (it existed when the lab came up)`,
    );
  }
  return { domains, volumes, networks, kept };
}
