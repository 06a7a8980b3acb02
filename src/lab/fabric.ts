// The lab network of a lab across several hosts (`hosts`): one bridge per host joined by a VXLAN over the hosts' own
// network. Its numbers and names, as pure functions: the VNI (one per lab, chosen at up and recorded), the device
// names that follow from it, the MTU (the hosts' links less VXLAN's 50 bytes), and the plan of devices per host.
// docs/design-multihost.md says why; tools/host-net.ts creates what the plan says.
import type { Lab, LabHost } from './model.js';

/** The VNIs labforge chooses from (a lab takes the lowest that no VXLAN device on any of its hosts has). */
export const VNI_RANGE = { min: 10000, max: 19999 } as const;
/** VXLAN over IPv4: outer IPv4 (20) + UDP (8) + VXLAN (8) + the inner Ethernet header (14). */
export const VXLAN_OVERHEAD = 50;
/** IANA's VXLAN port (Linux's own default is 8472, which other VXLAN users of the host may hold). */
export const VXLAN_PORT = 4789;
/** The smallest lab network MTU labforge accepts (IPv4's minimum is 576; guests want far more). */
export const MIN_LAB_MTU = 1280;

/** The lab network's part on the hosts: its VNI, MTU and the device names on every host. */
export interface Fabric {
  vni: number;
  mtu: number;
  /** The lab bridge on every host: made by libvirt on the first host (the lab network), by labforge on the others. */
  bridge: string;
  /** The VXLAN device on every host, a port of the bridge. */
  vxlan: string;
}

export function fabricOf(vni: number, mtu: number): Fabric {
  if (!Number.isInteger(vni) || vni < VNI_RANGE.min || vni > VNI_RANGE.max)
    throw new Error(`VNI ${vni} is outside labforge's range ${VNI_RANGE.min}-${VNI_RANGE.max}`);
  return { vni, mtu, bridge: `lfbr${vni}`, vxlan: `lfvx${vni}` };
}

/** The lowest VNI of the range not in `used`, or undefined when all are taken. */
export function chooseVni(used: Iterable<number>): number | undefined {
  const taken = new Set(used);
  for (let vni = VNI_RANGE.min; vni <= VNI_RANGE.max; vni++) if (!taken.has(vni)) return vni;
  return undefined;
}

/** The lab network's MTU: the smallest MTU of the hosts' links that carry the tunnel, less VXLAN's overhead. */
export function labMtu(linkMtus: number[]): number {
  if (linkMtus.length === 0) throw new Error('no host link to take an MTU from');
  return Math.min(...linkMtus) - VXLAN_OVERHEAD;
}

/** One device labforge creates on a host for the fabric. */
export interface FabricDevice {
  /** The lab file's name of the host. */
  host: string;
  kind: 'bridge' | 'vxlan';
  name: string;
}

/** Whether `host` holds the lab's gateway, DHCP and DNS (the first host): its lab network is libvirt's own bridge. */
export function isGatewayHost(lab: Pick<Lab, 'hosts'>, host: LabHost): boolean {
  return lab.hosts[0]?.name === host.name;
}

/** The devices labforge creates on `host`, in the order it creates them (destroy removes them in reverse): a bridge
 *  on every host but the first (whose bridge libvirt makes for the lab network), and the VXLAN device. */
export function fabricDevices(lab: Pick<Lab, 'hosts'>, fabric: Fabric, host: LabHost): FabricDevice[] {
  return [
    ...(isGatewayHost(lab, host) ? [] : [{ host: host.name, kind: 'bridge' as const, name: fabric.bridge }]),
    { host: host.name, kind: 'vxlan', name: fabric.vxlan },
  ];
}

/** The other hosts' tunnel endpoints, to which `host`'s VXLAN device floods (head-end replication: no multicast). */
export function peersOf(lab: Pick<Lab, 'hosts'>, host: LabHost): string[] {
  return lab.hosts.filter((h) => h.name !== host.name).map((h) => h.address);
}
