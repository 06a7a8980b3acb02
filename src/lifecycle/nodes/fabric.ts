// The lab network of a lab across hosts, on the hosts: the VNI and MTU chosen once (and kept in the ownership
// record), the bridge on every host but the first, the lab network on each host (the first's with the gateway, DHCP
// and DNS; the others' in bridge mode), and a VXLAN device on every host joining the bridges. Every device is
// written into the record before it is created; fabricDown removes what the record lists, on every host it can
// reach, after checking each device is still the one labforge made, and nothing else.
import path from 'node:path';
import { UsageError } from '../../errors.js';
import { parseHostUri } from '../../lab/host-uri.js';
import {
  chooseVni,
  fabricDevices,
  fabricOf,
  labMtu,
  MIN_LAB_MTU,
  peersOf,
  VNI_RANGE,
  VXLAN_OVERHEAD,
  type Fabric,
} from '../../lab/fabric.js';
import type { Lab, LabHost } from '../../lab/model.js';
import { renderSpanNetwork } from '../../render/span-network.js';
import { HostNet, type HostLink } from '../../tools/host-net.js';
import { Virsh } from '../../tools/virsh.js';
import { xmlAttr } from '../../tools/virsh-output.js';
import { ensureNetwork, labNetworks } from './networks.js';
import { addToRecord, readRecord, recordOnThisHost } from '../state/record.js';
import { outLayer, owned } from '../state/outdir.js';
import { LAYOUT } from '../../layout.js';
import type { RemoteHost } from '../../lab/host-uri.js';
import type { OwnedFabric, OwnedHostDevice, OwnershipRecord } from '../state/ownership.js';

/** The longest socket path that works: sun_path holds 108 bytes, and ssh first binds a name 17 bytes longer. */
const MAX_SOCKET_PATH = 107 - 17;

/** The host adapter for `remote` (the lab's host `name`), on one shared ssh connection per host when the output
 *  folder is labforge's and its path fits a socket (otherwise every command connects by itself). */
export function hostNet(lab: Lab, name: string, remote: RemoteHost, log?: string): HostNet {
  const socket = path.join(lab.outDir, LAYOUT.mux, `host-${name}`);
  const fits = Buffer.byteLength(socket) <= MAX_SOCKET_PATH && /^[\w./+-]+$/.test(socket) && owned(lab.outDir);
  if (fits) outLayer(lab.outDir).mkdir(LAYOUT.mux, 0o700);
  return new HostNet(remote, { log, ...(fits ? { controlPath: socket } : {}) });
}

/** What labforge learned of one host before creating anything there. */
export interface HostFabricFacts {
  host: LabHost;
  /** The link that holds the host's address (the tunnel's endpoint) and its MTU. */
  link: { link: string; mtu: number };
  /** The VNIs of the VXLAN devices the host has now (anyone's). */
  vnis: number[];
}

/** Asks every host (in parallel) for the link of its address and the VXLANs it has: the address must be the host's
 *  own (exit 2 naming hosts[i].address otherwise). */
export async function hostFabricFacts(lab: Lab, log?: string): Promise<HostFabricFacts[]> {
  return Promise.all(
    lab.hosts.map(async (host, i) => {
      const net = hostNet(lab, host.name, host.remote, log);
      const [link, vxlans] = await Promise.all([net.linkOf(host.address), net.vxlans()]);
      if (!link)
        throw new UsageError(
          `hosts[${i}].address: ${host.address} is not an address of host ${host.name} (${host.remote.host}); ` +
            'give the address it has on the network the hosts share (ip -4 addr on that host)',
        );
      return { host, link, vnis: vxlans.map((v) => v.vni) };
    }),
  );
}

/** The lab's fabric: the recorded one (a lab keeps its VNI), else the lowest free VNI of every host; the MTU from the
 *  hosts' links. Pure. */
export function chooseFabric(facts: HostFabricFacts[], recorded?: OwnedFabric): Fabric {
  const mtu = labMtu(facts.map((f) => f.link.mtu));
  if (mtu < MIN_LAB_MTU) {
    const low = facts.reduce((a, b) => (b.link.mtu < a.link.mtu ? b : a));
    throw new UsageError(
      `hosts: host ${low.host.name}'s link ${low.link.link} has MTU ${low.link.mtu}, which leaves ${mtu} for the lab ` +
        `network after VXLAN's ${VXLAN_OVERHEAD} bytes; at least ${MIN_LAB_MTU} is needed`,
    );
  }
  if (recorded) return fabricOf(recorded.vni, recorded.mtu);
  const vni = chooseVni(facts.flatMap((f) => f.vnis));
  if (vni === undefined)
    throw new UsageError(`hosts: every VNI of ${VNI_RANGE.min}-${VNI_RANGE.max} is in use on the lab's hosts`);
  return fabricOf(vni, mtu);
}

/** Whether a live link is the device labforge recorded: the same kind and, for a VXLAN, the same VNI. */
export function isRecordedDevice(link: HostLink, device: { kind: 'bridge' | 'vxlan'; name: string }, vni: number) {
  return link.name === device.name && link.kind === device.kind && (device.kind === 'bridge' || link.vni === vni);
}

/** The lab network on a host after the first: bridge mode on the fabric's bridge. One of that name must be exactly
 *  that (an earlier up); anything else is refused. */
async function ensureBridgeNetwork(virsh: Virsh, lab: Lab, host: LabHost, fabric: Fabric, file: string) {
  const name = lab.network.name;
  if ((await virsh.networks()).includes(name)) {
    const xml = await virsh.networkXml(name, true);
    if (xmlAttr(xml, 'forward', 'mode') !== 'bridge' || xmlAttr(xml, 'bridge', 'name') !== fabric.bridge)
      throw new UsageError(
        `network.name: host ${host.name} already has a libvirt network "${name}" that is not the lab's bridge-mode ` +
          `network on ${fabric.bridge}; remove it there or name the lab network otherwise`,
      );
    if (await virsh.networkActive(name)) return 'already running';
    await virsh.startNetwork(name);
    return 'started';
  }
  await virsh.defineNetwork(file);
  await virsh.startNetwork(name);
  await virsh.autostartNetwork(name);
  return 'defined and started';
}

function writeFabric(lab: Lab, fabric: OwnedFabric): OwnershipRecord {
  return addToRecord(lab, { fabric });
}

/** Brings up the lab network on every host (idempotent): returns one line per host of what it did. */
export async function fabricUp(lab: Lab, opts: { log?: string } = {}): Promise<{ fabric: Fabric; done: string[] }> {
  const recorded = recordOnThisHost(lab)?.fabric;
  const facts = await hostFabricFacts(lab, opts.log);
  const fabric = chooseFabric(facts, recorded);
  // The VNI and MTU are the lab's from here on: recorded before any device exists.
  let owned: OwnedFabric = recorded ?? { vni: fabric.vni, mtu: fabric.mtu, devices: [], networks: [] };
  writeFabric(lab, owned);
  const record = (more: Partial<OwnedFabric>) => {
    owned = {
      ...owned,
      devices: [...owned.devices, ...(more.devices ?? [])],
      networks: [...owned.networks, ...(more.networks ?? [])],
    };
    writeFabric(lab, owned);
  };
  const done: string[] = [];
  // Host by host, the first first: its lab network owns the gateway and its bridge is the one the others join.
  for (const host of lab.hosts) {
    const net = hostNet(lab, host.name, host.remote, opts.log);
    const virsh = new Virsh(host.uri, { log: opts.log });
    const did: string[] = [];
    const file = `network-${host.name}.xml`;
    outLayer(lab.outDir).write(file, renderSpanNetwork(lab, fabric, host, lab.source), 0o644);
    const ensureDevice = async (device: OwnedHostDevice, create: () => Promise<void>) => {
      const live = await net.link(device.name);
      const mine = owned.devices.some((d) => d.host === host.name && d.name === device.name);
      if (live) {
        if (mine && isRecordedDevice(live, device, fabric.vni)) return;
        throw new UsageError(
          `hosts: host ${host.name} already has a device ${device.name} (${live.kind ?? 'unknown kind'}) that labforge ` +
            `did not make for lab ${lab.name}; remove it there or destroy the lab that owns it`,
        );
      }
      if (!mine) record({ devices: [device] });
      try {
        await create();
      } catch (e) {
        // Not created (another lab may have taken the name or the VNI since we looked; the adapter removes a device
        // it made half): out of the record, so destroy never removes a device of that name that is someone else's.
        owned = { ...owned, devices: owned.devices.filter((d) => !(d.host === host.name && d.name === device.name)) };
        writeFabric(lab, owned);
        throw e;
      }
      did.push(`${device.kind} ${device.name}`);
    };
    const devices = fabricDevices(lab, fabric, host).map((d) => ({ ...d, uri: host.uri }));
    const bridge = devices.find((d) => d.kind === 'bridge');
    if (bridge) await ensureDevice(bridge, () => net.addBridge(fabric.bridge, fabric.mtu));
    const xmlFile = path.join(lab.outDir, file);
    const state =
      host === lab.hosts[0]
        ? await ensureNetwork(virsh, lab.network, xmlFile, 'network')
        : await ensureBridgeNetwork(virsh, lab, host, fabric, xmlFile);
    if (state === 'defined and started') {
      const uuid = await virsh.networkUuid(lab.network.name);
      // The first host's network is the lab network of one host (destroy removes it with the others on host.uri).
      if (host === lab.hosts[0]) addToRecord(lab, { networks: [{ name: lab.network.name, uuid }] });
      else record({ networks: [{ host: host.name, uri: host.uri, name: lab.network.name, uuid }] });
    }
    did.push(`network ${lab.network.name} ${state}`);
    const vxlan = devices.find((d) => d.kind === 'vxlan')!;
    await ensureDevice(vxlan, () =>
      net.addVxlan({
        name: fabric.vxlan,
        vni: fabric.vni,
        local: host.address,
        mtu: fabric.mtu,
        bridge: fabric.bridge,
        peers: peersOf(lab, host),
      }),
    );
    done.push(`host ${host.name}: ${did.join(', ')}`);
  }
  return { fabric, done };
}

/** Removes the fabric the record lists (the other hosts' lab networks, then the devices, last made first), each
 *  only when it is still the one labforge made. A host that cannot be reached keeps its part in the record, so a
 *  later destroy finishes the job. Returns what was removed and what was kept, with the reason. */
export async function fabricDown(
  lab: Lab,
  opts: { log?: string } = {},
): Promise<{ removed: string[]; kept: string[] }> {
  const removed: string[] = [];
  const kept: string[] = [];
  const owned = readRecord(lab.outDir)?.fabric;
  if (!owned) return { removed, kept };
  const left: OwnedFabric = { ...owned, devices: [], networks: [] };
  const hosts = [...new Set([...owned.networks.map((n) => n.uri), ...owned.devices.map((d) => d.uri)])];
  for (const uri of hosts) {
    const remote = parseHostUri(uri);
    const networks = owned.networks.filter((n) => n.uri === uri);
    const devices = owned.devices.filter((d) => d.uri === uri).reverse();
    if (!remote) {
      kept.push(`${uri}: not a remote host; its part of the fabric stays in the record`);
      left.networks.push(...networks);
      left.devices.push(...devices.reverse());
      continue;
    }
    try {
      const virsh = new Virsh(uri, { log: opts.log });
      for (const n of networks) {
        const names = await virsh.networks();
        if (!names.includes(n.name)) continue;
        const uuid = await virsh.networkUuid(n.name);
        if (uuid !== n.uuid) {
          kept.push(`network ${n.name} on host ${n.host}: not the one labforge defined (UUID ${uuid})`);
          continue;
        }
        await virsh.removeNetwork(n.name);
        removed.push(`network ${n.name} on host ${n.host}`);
      }
      const net = hostNet(lab, lab.hosts.find((h) => h.uri === uri)?.name ?? remote.host, remote, opts.log);
      for (const d of devices) {
        const live = await net.link(d.name);
        if (!live) continue;
        if (!isRecordedDevice(live, d, owned.vni)) {
          kept.push(`${d.kind} ${d.name} on host ${d.host}: not the device labforge made (${live.kind ?? 'unknown'})`);
          continue;
        }
        await net.deleteLink(d.name);
        removed.push(`${d.kind} ${d.name} on host ${d.host}`);
      }
    } catch (e) {
      kept.push(`host ${remote.host}: ${(e as Error).message.split('\n')[0]}; its part stays in the record`);
      left.networks.push(...networks);
      left.devices.push(...devices.reverse());
    }
  }
  const record = readRecord(lab.outDir);
  if (record) addToRecord(lab, { fabric: left });
  return { removed, kept };
}

/** `up`'s network steps for a lab across hosts: the management network on every host that holds nodes (`virshes`,
 *  the first host's first; recorded with the host's URI when it is not the first), then the lab network across the
 *  hosts (fabricUp) in place of the one-host lab network. */
export function spanNetworkSteps(lab: Lab, virshes: Virsh[], log: string) {
  const name = (uri: string) => lab.hosts.find((h) => h.uri === uri)?.name ?? uri;
  return [
    ...virshes.map((v) => ({
      title: `Network ${lab.management.name} (${lab.management.subnet.cidr}) on host ${name(v.uri)}`,
      task: async () => {
        const { net, file, field } = labNetworks(lab)[0];
        const done = await ensureNetwork(v, net, file, field);
        // Only a network labforge defined is the lab's: destroy never removes one it found and reused.
        if (done === 'defined and started') {
          const uuid = await v.networkUuid(net.name);
          addToRecord(lab, { networks: [{ name: net.name, uuid, ...(v.uri === lab.host.uri ? {} : { uri: v.uri }) }] });
        }
        return done;
      },
    })),
    {
      title: `Network ${lab.network.name} (${lab.network.subnet.cidr}) across ${lab.hosts.length} hosts (VXLAN)`,
      task: async () => {
        const { fabric, done } = await fabricUp(lab, { log });
        return `VNI ${fabric.vni}, MTU ${fabric.mtu}; ${done.join('; ')}`;
      },
    },
  ];
}
