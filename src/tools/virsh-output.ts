// virsh's output read: its tables (`-q` lists, `domblklist`, `domiflist`, `vol-list`) and the values labforge needs
// from libvirt's XML. Pure: text in, values out.

/** A value from libvirt XML: the first attribute `attr` of element `el`. */
export function xmlAttr(xml: string, el: string, attr: string): string | undefined {
  const m = new RegExp(`<${el}\\b[^>]*\\b${attr}=["']([^"']*)["']`).exec(xml);
  return m?.[1];
}

/** One row of `virsh domblklist --details`. */
export interface BlockDevice {
  /** file, block, volume, network, ... */
  type: string;
  /** disk, cdrom, floppy, lun */
  device: string;
  target: string;
  /** A path (file, block), a volume name (volume), or undefined when the drive is empty. */
  source?: string;
  /** The pool of a "volume" disk. */
  pool?: string;
}

/** Parses `virsh -q domblklist --details`: type, device and target have no spaces; the source is the rest of the line
 *  (a path may have spaces) and "-" for an empty drive. */
export function parseDomblklist(text: string): BlockDevice[] {
  const out: BlockDevice[] = [];
  for (const line of text.split('\n')) {
    const m = /^\s*(\S+)\s+(\S+)\s+(\S+)\s+(.*?)\s*$/.exec(line);
    if (!m || (m[1] === 'Type' && m[2] === 'Device') || /^-+$/.test(m[1])) continue;
    out.push({ type: m[1], device: m[2], target: m[3], source: m[4] === '-' || m[4] === '' ? undefined : m[4] });
  }
  return out;
}

/** The pool of the "volume" disk at `target` in a domain's XML. */
export function volumeDiskPool(domainXml: string, target: string): string | undefined {
  for (const disk of domainXml.match(/<disk\b[\s\S]*?<\/disk>/g) ?? []) {
    if (xmlAttr(disk, 'target', 'dev') === target) return unescapeXml(xmlAttr(disk, 'source', 'pool'));
  }
  return undefined;
}

/** One row of `virsh domiflist`. */
export interface Interface {
  type: string;
  /** The network name (type network) or the bridge/device. */
  source: string;
  model: string;
  mac: string;
}

/** Parses `virsh -q domiflist`: interface, type, source, model, MAC; the source (a network name) may have spaces. */
export function parseDomiflist(text: string): Interface[] {
  const out: Interface[] = [];
  for (const line of text.split('\n')) {
    const m = /^\s*(\S+)\s+(\S+)\s+(.+?)\s+(\S+)\s+([0-9a-fA-F:]{17})\s*$/.exec(line);
    if (!m) continue;
    out.push({ type: m[2], source: m[3], model: m[4], mac: m[5].toLowerCase() });
  }
  return out;
}

/** One address of `virsh domifaddr`. */
export interface InterfaceAddress {
  iface: string;
  mac: string;
  protocol: string;
  /** With its prefix length: 192.168.121.5/24. */
  address: string;
}

/** Parses `virsh [-q] domifaddr DOMAIN [--source lease]`: interface, MAC, protocol, address per row; a further address
 *  of the same interface is a row whose name and MAC are "-". Header and rule lines are skipped. */
export function parseDomifaddr(text: string): InterfaceAddress[] {
  const rows = text
    .split('\n')
    .map((l) => /^\s*(\S+)\s+([0-9a-fA-F:]{17}|-)\s+(ipv4|ipv6)\s+(\S+)\s*$/.exec(l))
    .filter((m) => m !== null);
  const out: InterfaceAddress[] = [];
  for (const [, iface, mac, protocol, address] of rows) {
    const prev = out.at(-1);
    if (iface !== '-' && mac !== '-') out.push({ iface, mac: mac.toLowerCase(), protocol, address });
    else if (prev) out.push({ ...prev, protocol, address });
  }
  return out;
}

/** Parses `virsh vol-list` with its header. A volume name cannot contain "/", so in a pool whose volumes have
 *  absolute paths the path starts at the first " /" of the row, whatever the names hold (spaces, multibyte
 *  characters, which virsh pads by bytes). Other rows are split where the header's Path column starts. */
export function parseVolList(text: string): { name: string; path: string }[] {
  const lines = text.split('\n');
  const header = lines.findIndex((l) => /^\s*Name\s+Path\s*$/.test(l));
  const column = header >= 0 ? lines[header].indexOf('Path') : -1;
  const out: { name: string; path: string }[] = [];
  for (const line of lines.slice(header + 1)) {
    if (!line.trim() || /^-+$/.test(line.trim())) continue;
    const slash = line.search(/\s\//);
    const at = slash >= 0 ? slash + 1 : column;
    if (at <= 0) continue;
    out.push({ name: line.slice(0, at).trim(), path: line.slice(at).trim() });
  }
  return out;
}

/** The backing file in a volume's XML (`vol-dumpxml`), if it has one. */
export function parseVolumeBacking(volumeXml: string): string | undefined {
  return unescapeXml(/<backingStore>\s*<path>([^<]+)<\/path>/.exec(volumeXml)?.[1]);
}

function unescapeXml(text: string | undefined): string | undefined {
  return text
    ?.replace(/&apos;/g, "'")
    .replace(/&quot;/g, '"')
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&amp;/g, '&');
}

/** The serial devices of a domain's XML, in order: their type (file, pty, ...) and, for a file, its path. */
export function parseSerials(domainXml: string): { type: string; path?: string }[] {
  return (domainXml.match(/<serial\b[\s\S]*?<\/serial>/g) ?? []).map((el) => ({
    type: xmlAttr(el, 'serial', 'type') ?? '',
    path: unescapeXml(xmlAttr(el, 'source', 'path')),
  }));
}

/** `virsh -q list --all`: "<id or -> <name> <state>" per line; the state may hold a space ("shut off"). */
export function parseDomainList(text: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const line of text.split('\n')) {
    const m = /^\s*(\d+|-)\s+(\S+)\s+(.+?)\s*$/.exec(line);
    if (m) out.set(m[2], m[3]);
  }
  return out;
}

/** The IPv4 addresses of a network's XML (`<ip address=... netmask=...|prefix=...>`), IPv6 ones left out. */
export function parseNetworkIpv4(networkXml: string): { address: string; mask: string }[] {
  const out: { address: string; mask: string }[] = [];
  for (const m of networkXml.matchAll(/<ip\b[^>]*>/g)) {
    const tag = m[0];
    const address = xmlAttr(tag, 'ip', 'address');
    const mask = xmlAttr(tag, 'ip', 'netmask') ?? xmlAttr(tag, 'ip', 'prefix');
    const family = xmlAttr(tag, 'ip', 'family');
    if (address && mask && (family === undefined || family === 'ipv4') && /^\d+\.\d+\.\d+\.\d+$/.test(address))
      out.push({ address, mask });
  }
  return out;
}

/** A host's CPUs and memory as libvirt reports them (`nodeinfo`, `nodememstats`), MiB. */
export interface NodeFacts {
  cpus: number;
  totalMiB: number;
  /** free + buffers + cached: what the host can give guests without swapping (about /proc/meminfo's MemAvailable). */
  availableMiB: number;
}

/** `key: value` lines (nodeinfo, nodememstats, pool-info) as a map, keys lower-cased and trimmed. */
function keyValues(text: string): Map<string, string> {
  const m = new Map<string, string>();
  for (const line of text.split('\n')) {
    const i = line.indexOf(':');
    if (i > 0) m.set(line.slice(0, i).trim().toLowerCase(), line.slice(i + 1).trim());
  }
  return m;
}

const kib = (v: string | undefined) => {
  const m = /^(\d+)\s*KiB$/i.exec(v ?? '');
  return m ? Number(m[1]) / 1024 : undefined;
};

/** `virsh nodeinfo` and `virsh nodememstats` (both in KiB); throws when either lacks what it always has. */
export function parseNodeFacts(nodeinfo: string, memstats: string): NodeFacts {
  const info = keyValues(nodeinfo);
  const mem = keyValues(memstats);
  const cpus = Number(info.get('cpu(s)'));
  const total = kib(mem.get('total')) ?? kib(info.get('memory size'));
  const free = kib(mem.get('free'));
  if (!Number.isInteger(cpus) || cpus < 1 || total === undefined || free === undefined)
    throw new Error(
      `libvirt's nodeinfo/nodememstats name no CPU count or memory: ${nodeinfo.trim()} / ${memstats.trim()}`,
    );
  return { cpus, totalMiB: total, availableMiB: free + (kib(mem.get('buffers')) ?? 0) + (kib(mem.get('cached')) ?? 0) };
}

/** The free bytes of a pool in `virsh pool-info --bytes`. */
export function parsePoolAvailable(text: string): number | undefined {
  const v = keyValues(text).get('available');
  return v !== undefined && /^\d+$/.test(v) ? Number(v) : undefined;
}

/** The target path of a pool in `virsh pool-dumpxml` (`<target><path>...</path>`), XML entities decoded. */
export function parsePoolTargetPath(xml: string): string | undefined {
  const m = /<target>[\s\S]*?<path>([^<]*)<\/path>/.exec(xml);
  if (!m) return undefined;
  return m[1]
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&quot;/g, '"')
    .replace(/&apos;/g, "'")
    .replace(/&amp;/g, '&');
}

/** The internal snapshots QEMU has in one disk of a running domain (its top image: the qcow2 the domain writes). */
export interface QemuDiskSnapshots {
  /** QEMU's name for the disk: the guest device's id (qdev), else the block device or node name. */
  disk: string;
  /** The snapshots: QEMU's id (a number it gives) and name (the tag), as often as the image holds each. */
  snapshots: InternalSnapshot[];
}

/** An internal snapshot in a qcow2 image. */
export interface InternalSnapshot {
  id: string;
  name: string;
}

/** The internal snapshots in an image's info (QMP's ImageInfo, `qemu-img info --output=json`). */
export function internalSnapshots(image: { snapshots?: unknown } | undefined): InternalSnapshot[] {
  const list = Array.isArray(image?.snapshots) ? (image.snapshots as { id?: unknown; name?: unknown }[]) : [];
  return list
    .filter((s) => typeof s?.name === 'string')
    .map((s) => ({ id: typeof s.id === 'string' ? s.id : '', name: s.name as string }));
}

/** The internal snapshots of each disk in QMP `query-block`'s answer (as `virsh qemu-monitor-command DOMAIN
 *  '{"execute":"query-block"}'` prints it): what QEMU has, whether libvirt knows of it or not. A drive without
 *  media is left out. */
export function parseQueryBlockSnapshots(text: string): QemuDiskSnapshots[] {
  let answer: unknown;
  try {
    answer = JSON.parse(text);
  } catch {
    throw new Error(`QEMU's query-block answer is not JSON: ${text.trim().slice(0, 200)}`);
  }
  const list = (answer as { return?: unknown }).return;
  if (!Array.isArray(list)) throw new Error(`QEMU's query-block answer has no list: ${text.trim().slice(0, 200)}`);
  const out: QemuDiskSnapshots[] = [];
  for (const dev of list as {
    device?: string;
    qdev?: string;
    inserted?: { 'node-name'?: string; image?: { snapshots?: unknown } };
  }[]) {
    if (!dev?.inserted) continue;
    const snapshots = internalSnapshots(dev.inserted.image);
    out.push({ disk: dev.qdev || dev.device || dev.inserted['node-name'] || '?', snapshots });
  }
  return out;
}

/** HMP `delvm`'s answer through `virsh qemu-monitor-command --hmp`: nothing on success, the error otherwise (HMP
 *  reports failures as text, with success as virsh's exit code). Undefined when it succeeded. */
export function hmpFailure(text: string): string | undefined {
  const t = text.trim();
  return t === '' ? undefined : t;
}
