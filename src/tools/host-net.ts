// The network devices of a libvirt host that libvirt has no object for: the VXLAN device and the lab bridge of a lab
// across hosts (lab/fabric.ts). The one place that changes a host's network: iproute2 (`ip`, `bridge`) run over ssh
// with the user's own ssh settings for the host, as libvirt's qemu+ssh transport reaches it. Every value is checked
// against what it must be (device names labforge makes, a VNI, an MTU, an IPv4 address) before it becomes a shell
// word of the remote command, so nothing from a lab file is ever interpreted by the host's shell.
import type { RemoteHost } from '../lab/host-uri.js';
import { HOST_MUX_PERSIST_S, SSH_COMMAND_S, SSH_CONNECT_S } from '../time-limits.js';
import { shell } from '../shell-word.js';
import { run } from './run.js';
import { VXLAN_PORT } from '../lab/fabric.js';

/** A device name labforge makes for a fabric: lfbr<VNI> (bridge) or lfvx<VNI> (VXLAN). */
const DEVICE = /^lf(br|vx)\d{1,8}$/;
const IPV4 = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;

/** A VXLAN device on a host, as `ip -d -j link` shows it. */
export interface VxlanDevice {
  name: string;
  vni: number;
  local?: string;
  port?: number;
  master?: string;
  mtu: number;
}

/** A link of the host, as `ip -d -j link` shows it. */
export interface HostLink {
  name: string;
  kind?: string;
  mtu: number;
  master?: string;
  up: boolean;
  vni?: number;
}

function device(name: string): string {
  if (!DEVICE.test(name)) throw new Error(`${JSON.stringify(name)} is not a device name labforge makes (lfbrN, lfvxN)`);
  return name;
}
function address(ip: string): string {
  if (!IPV4.test(ip)) throw new Error(`${JSON.stringify(ip)} is not an IPv4 address`);
  return ip;
}
function integer(n: number, min: number, max: number, what: string): string {
  if (!Number.isInteger(n) || n < min || n > max) throw new Error(`${what} ${n} is not a whole number ${min}-${max}`);
  return String(n);
}

/** Parses `ip -d -j link show` into the links labforge looks at. */
export function parseLinks(json: string): HostLink[] {
  const raw = JSON.parse(json || '[]') as {
    ifname: string;
    mtu: number;
    master?: string;
    flags?: string[];
    linkinfo?: { info_kind?: string; info_data?: { id?: number } };
  }[];
  return raw.map((l) => ({
    name: l.ifname,
    kind: l.linkinfo?.info_kind,
    mtu: l.mtu,
    master: l.master,
    up: (l.flags ?? []).includes('UP'),
    vni: l.linkinfo?.info_kind === 'vxlan' ? l.linkinfo.info_data?.id : undefined,
  }));
}

/** Parses `ip -d -j link show type vxlan`. */
export function parseVxlans(json: string): VxlanDevice[] {
  const raw = JSON.parse(json || '[]') as {
    ifname: string;
    mtu: number;
    master?: string;
    linkinfo?: { info_data?: { id?: number; local?: string; port?: number } };
  }[];
  return raw
    .filter((l) => typeof l.linkinfo?.info_data?.id === 'number')
    .map((l) => ({
      name: l.ifname,
      vni: l.linkinfo?.info_data?.id as number,
      local: l.linkinfo?.info_data?.local,
      port: l.linkinfo?.info_data?.port,
      master: l.master,
      mtu: l.mtu,
    }));
}

/** The MTU of the host's link that holds `ip`, from `ip -j -4 addr show`; undefined when no link holds it. */
export function parseLinkMtuOf(json: string, ip: string): { link: string; mtu: number } | undefined {
  const raw = JSON.parse(json || '[]') as { ifname: string; mtu: number; addr_info?: { local?: string }[] }[];
  const hit = raw.find((l) => (l.addr_info ?? []).some((a) => a.local === ip));
  return hit ? { link: hit.ifname, mtu: hit.mtu } : undefined;
}

export class HostNet {
  constructor(
    readonly remote: RemoteHost,
    /** `controlPath`: the socket of one shared ssh connection to the host (OpenSSH multiplexing): the first command
     *  starts it, the others are sessions on it (no new key exchange each), and it ends HOST_MUX_PERSIST_S after
     *  the last. */
    private readonly opts: { log?: string; controlPath?: string } = {},
  ) {}

  /** Runs iproute2 on the host: argv words, each a shell word of the one remote command line. A user other than
   *  root runs them through `sudo -n` (CAP_NET_ADMIN; no password prompt can be answered). */
  private async ip(args: string[], anyExitCode = false) {
    const words = [...(this.remote.user && this.remote.user !== 'root' ? ['sudo', '-n'] : []), ...args];
    return run(
      'ssh',
      [
        '-o',
        'BatchMode=yes',
        '-o',
        `ConnectTimeout=${SSH_CONNECT_S}`,
        ...(this.opts.controlPath
          ? [
              '-o',
              'ControlMaster=auto',
              '-o',
              `ControlPath=${this.opts.controlPath}`,
              '-o',
              `ControlPersist=${HOST_MUX_PERSIST_S}`,
            ]
          : []),
        ...(this.remote.port ? ['-p', String(this.remote.port)] : []),
        ...(this.remote.user ? ['-l', this.remote.user] : []),
        '--',
        this.remote.host,
        words.map(shell).join(' '),
      ],
      { log: this.opts.log, timeoutMs: SSH_COMMAND_S * 1000, anyExitCode },
    );
  }

  /** Every VXLAN device of the host (any owner): their VNIs are taken. */
  async vxlans(): Promise<VxlanDevice[]> {
    return parseVxlans((await this.ip(['ip', '-d', '-j', 'link', 'show', 'type', 'vxlan'])).stdout);
  }

  /** The link named `name`, or undefined when the host has none. */
  async link(name: string): Promise<HostLink | undefined> {
    const r = await this.ip(['ip', '-d', '-j', 'link', 'show', 'dev', device(name)], true);
    if (r.exitCode !== 0) {
      if (/does not exist/i.test(r.stderr)) return undefined;
      throw new Error(`ip link show ${name} on ${this.remote.host} failed: ${r.stderr.trim()}`);
    }
    return parseLinks(r.stdout)[0];
  }

  /** The link holding the host's address `ip` (the tunnel's endpoint) and its MTU; undefined: the host has no such
   *  address. */
  async linkOf(ip: string): Promise<{ link: string; mtu: number } | undefined> {
    address(ip);
    return parseLinkMtuOf((await this.ip(['ip', '-j', '-4', 'addr', 'show'])).stdout, ip);
  }

  /** Creates the lab bridge (no STP: one port to the tunnel, the others guests) with the MTU, up. */
  async addBridge(name: string, mtu: number): Promise<void> {
    const [m, bridge] = [integer(mtu, 576, 65535, 'MTU'), device(name)];
    await this.ip(['ip', 'link', 'add', bridge, 'mtu', m, 'type', 'bridge', 'stp_state', '0']);
    await this.undoOnFailure(bridge, () => this.ip(['ip', 'link', 'set', bridge, 'up']));
  }

  /** Runs the steps after a device's creation; when one fails, the device this call made is deleted again (best
   *  effort) and the failure passed on: no half-made device is left behind. */
  private async undoOnFailure(name: string, steps: () => Promise<unknown>): Promise<void> {
    try {
      await steps();
    } catch (e) {
      await this.ip(['ip', 'link', 'delete', device(name)], true).catch(() => undefined);
      throw e;
    }
  }

  /** Creates the VXLAN device (unicast, learning, IANA's port), floods to each peer (one all-zeros fdb entry per
   *  peer: head-end replication), and makes it a port of `bridge`, up. */
  async addVxlan(v: { name: string; vni: number; local: string; mtu: number; bridge: string; peers: string[] }) {
    // Every value checked before the first command runs: a bad one never leaves half a device behind.
    const [name, bridge] = [device(v.name), device(v.bridge)];
    const peers = v.peers.map(address);
    const words = [integer(v.mtu, 576, 65535, 'MTU'), integer(v.vni, 1, 16777215, 'VNI'), address(v.local)];
    await this.ip([
      'ip',
      'link',
      'add',
      name,
      'mtu',
      words[0],
      'type',
      'vxlan',
      'id',
      words[1],
      'local',
      words[2],
      'dstport',
      String(VXLAN_PORT),
    ]);
    await this.undoOnFailure(name, async () => {
      for (const peer of peers)
        await this.ip(['bridge', 'fdb', 'append', '00:00:00:00:00:00', 'dev', name, 'dst', peer]);
      await this.ip(['ip', 'link', 'set', name, 'master', bridge, 'up']);
    });
  }

  /** Deletes a device labforge made (the caller checked it is the recorded one). */
  async deleteLink(name: string): Promise<void> {
    await this.ip(['ip', 'link', 'delete', device(name)]);
  }
}
