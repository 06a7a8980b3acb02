// The lab file's rules across fields, which a schema cannot say: addresses inside the network and unique, sizes
// within bounds and not below the box disk, image and host settings that only make sense together, and the host
// paths (checked by the caller). Every check looks at each value's type itself, so it runs even where the schema
// rejected other fields.
import { BOUNDS } from '../bounds.js';
import { publicDomainWarning } from './domain.js';
import { CIDR, DEFAULT_URI, DOMAIN, IPV4, LABEL } from './schema.js';
import { contains, gatewayOf, hasHostBits, overlaps, parseCidr } from './ipv4.js';
import { formatPath, show, type FieldPath, type LabIssue } from './issues.js';
import { sizeInMiB } from './size.js';
import { hostUriProblem, parseHostUri } from './host-uri.js';
import { freeAddressCount } from './addresses.js';
import { stepAndDiskIssues, type PathField } from './cross-checks-steps.js';

const isIp = (v: unknown): v is string => typeof v === 'string' && IPV4.test(v);

const isCidr = (v: unknown): v is string => typeof v === 'string' && CIDR.test(v);

const isName = (v: unknown): v is string => typeof v === 'string' && LABEL.test(v);

const obj = (v: unknown): Record<string, unknown> => (v && typeof v === 'object' ? (v as Record<string, unknown>) : {});

/** A lab-file field that names a path on this host. */
export { STEP_KINDS, type PathField } from './cross-checks-steps.js';

/** Checks one path field's value; returns what is wrong with it, or undefined. */
export type PathCheck = (field: PathField, value: string) => string | undefined;

export function crossFieldIssues(lab: Record<string, unknown>, checkPath?: PathCheck): LabIssue[] {
  const issues: LabIssue[] = [];
  const err = (path: FieldPath, message: string) => issues.push({ path, message, severity: 'error' });
  const net = obj(lab.network);

  // The lab subnet and its special addresses.
  let subnet: ReturnType<typeof parseCidr> | undefined;
  if (isCidr(net.cidr)) {
    if (hasHostBits(net.cidr))
      err(
        ['network', 'cidr'],
        `${net.cidr} has host bits set; did you mean ${parseCidr(net.cidr).network}/${parseCidr(net.cidr).prefix}?`,
      );
    if (parseCidr(net.cidr).prefix > BOUNDS.subnetPrefix.max)
      err(['network', 'cidr'], `${net.cidr} is too small for a lab; use a /${BOUNDS.subnetPrefix.max} or larger`);
    else subnet = parseCidr(net.cidr);
  }
  let gateway: string | undefined;
  if (subnet) {
    gateway = isIp(net.gateway) ? net.gateway : net.gateway === undefined ? gatewayOf(subnet) : undefined;
    if (isIp(net.gateway)) {
      if (!contains(subnet, net.gateway))
        err(['network', 'gateway'], `${net.gateway} is outside network ${subnet.cidr}`);
      else if (net.gateway === subnet.network || net.gateway === subnet.broadcast)
        err(
          ['network', 'gateway'],
          `${net.gateway} is the ${net.gateway === subnet.network ? 'network' : 'broadcast'} address of ${subnet.cidr}`,
        );
    }
  }
  const mgmt = obj(net.management);
  if (subnet && isCidr(mgmt.cidr)) {
    if (hasHostBits(mgmt.cidr))
      err(
        ['network', 'management', 'cidr'],
        `${mgmt.cidr} has host bits set; did you mean ${parseCidr(mgmt.cidr).network}/${parseCidr(mgmt.cidr).prefix}?`,
      );
    else if (overlaps(subnet, parseCidr(mgmt.cidr)))
      err(['network', 'management', 'cidr'], `${mgmt.cidr} overlaps the lab network ${subnet.cidr}`);
  }
  if (isName(mgmt.name) && mgmt.name === (net.name ?? lab.name))
    err(['network', 'management', 'name'], `"${mgmt.name}" is also the lab network's name`);

  // Addresses and names of nodes and VIPs: inside the network, not special, unique.
  const ipOwner = new Map<string, string>();
  const nameOwner = new Map<string, string>();
  const nodes = Array.isArray(lab.nodes) ? lab.nodes.map(obj) : [];
  // VIPs first: they reserve their names and addresses, so a clash is reported at the node that takes one.
  const entries: [string, Record<string, unknown>[]][] = [
    ['vips', Array.isArray(lab.vips) ? lab.vips.map(obj) : []],
    ['nodes', nodes],
  ];
  for (const [list, items] of entries) {
    items.forEach((item, i) => {
      const here = `${list}[${i}]${isName(item.name) ? ` (${item.name})` : ''}`;
      if (isIp(item.ip) && subnet) {
        if (!contains(subnet, item.ip)) err([list, i, 'ip'], `${item.ip} is outside network ${subnet.cidr}`);
        else if (item.ip === subnet.network)
          err([list, i, 'ip'], `${item.ip} is the network address of ${subnet.cidr}`);
        else if (item.ip === subnet.broadcast)
          err([list, i, 'ip'], `${item.ip} is the broadcast address of ${subnet.cidr}`);
        else if (item.ip === gateway)
          err([list, i, 'ip'], `${item.ip} is the gateway (the host's address on the lab network)`);
      }
      if (isIp(item.ip)) {
        const owner = ipOwner.get(item.ip);
        if (owner) err([list, i, 'ip'], `${item.ip} is already used by ${owner}`);
        else ipOwner.set(item.ip, here);
      }
      if (isName(item.name)) {
        const owner = nameOwner.get(item.name);
        if (owner) err([list, i, 'name'], `"${item.name}" is already the name of ${owner}`);
        else nameOwner.set(item.name, here);
      }
    });
  }

  // Room for the nodes that give no address.
  if (subnet && gateway) {
    const reserved = [gateway, ...entries.flatMap(([, items]) => items.map((it) => it.ip).filter(isIp))];
    const wanting = nodes.filter((n) => n.ip === undefined).length;
    const free = freeAddressCount(subnet, reserved);
    if (wanting > free)
      err(
        ['nodes'],
        `${wanting} nodes give no ip, but network.cidr ${subnet.cidr} has only ${free} free addresses left; ` +
          'use a larger subnet or give addresses',
      );
  }

  // Roles, sizes.
  const roles = obj(lab.roles);
  const sizeChecks: [FieldPath, unknown, 'memory' | 'disk' | 'data'][] = [];

  // Provisioning steps and data disks (cross-checks-steps.ts): their problems, the paths to check, the disk sizes.
  const provisionPaths = stepAndDiskIssues(lab, roles, nodes, err, (p, v) => sizeChecks.push([p, v, 'data']));
  for (const [where, sizing] of [
    [['defaults'], obj(lab.defaults)],
    ...Object.entries(roles).map(([k, v]) => [['roles', k], obj(v)]),
  ] as [FieldPath, Record<string, unknown>][]) {
    sizeChecks.push([[...where, 'memory'], sizing.memory, 'memory'], [[...where, 'disk'], sizing.disk, 'disk']);
  }
  nodes.forEach((node, i) => {
    if (isName(node.role) && !Object.hasOwn(roles, node.role)) {
      const known = Object.keys(roles);
      err(
        ['nodes', i, 'role'],
        `"${node.role}" is not a role in \`roles\`${known.length ? ` (known: ${known.join(', ')})` : ''}`,
      );
    }
    sizeChecks.push([['nodes', i, 'memory'], node.memory, 'memory'], [['nodes', i, 'disk'], node.disk, 'disk']);
  });
  const image = obj(lab.image);
  sizeChecks.push([['image', 'memory'], image.memory, 'memory'], [['image', 'disk'], image.disk, 'disk']);
  const boxDisk = typeof image.disk === 'number' || typeof image.disk === 'string' ? sizeInMiB(image.disk) : undefined;
  for (const [p, value, kind] of sizeChecks) {
    if (typeof value !== 'number' && typeof value !== 'string') continue;
    const mib = sizeInMiB(value);
    if (mib === undefined) continue; // the schema already said it is not a size
    if (typeof value === 'number' && mib > (kind === 'memory' ? BOUNDS.memoryMiB.max : BOUNDS.diskGiB.max * 1024))
      continue; // and that it is too big
    if (kind === 'memory') {
      const memory = BOUNDS.memoryMiB;
      if (mib < memory.min) err(p, `${show(value)} is below the minimum of ${memory.min}M`);
      else if (mib > memory.max) err(p, `${show(value)} is above the maximum of ${memory.max / 1024}G`);
      else if (!Number.isInteger(mib)) err(p, `${show(value)} is not a whole number of MiB`);
    } else {
      if (mib > BOUNDS.diskGiB.max * 1024) err(p, `${show(value)} is above the maximum of ${BOUNDS.diskGiB.max}G`);
      else if (!Number.isInteger(mib / 1024)) err(p, `${show(value)} is not a whole number of GiB`);
      else if (kind === 'disk' && p[0] !== 'image' && boxDisk !== undefined && mib < boxDisk)
        err(p, `${show(value)} is smaller than the box disk image.disk (${show(image.disk)})`);
    }
  }

  // Image and host settings that only make sense together.
  if (image.local !== undefined && image.method === 'iso')
    err(
      ['image', 'local'],
      'a local base image needs image.method "cloud" (the iso method installs from the netinst ISO)',
    );
  if (
    typeof image.checksum === 'string' &&
    !/^(none|(md5|sha1|sha256|sha512):[0-9a-fA-F]+|file:\S+)$/.test(image.checksum)
  )
    err(
      ['image', 'checksum'],
      `${show(image.checksum)} is not a checksum; use "sha256:<hex>" or "file:<url of a CHECKSUM file>"`,
    );
  for (const key of ['url', 'mirror', 'archive', 'index'])
    if (typeof image[key] === 'string' && !/^(https?|file|ftp):\/\/\S+$/.test(image[key]))
      err(['image', key], `${show(image[key])} is not an http(s):// or file:// URL`);
  if (image.checksum !== undefined && image.url === undefined)
    err(['image', 'checksum'], 'is the checksum of image.url, which is not set');
  if (image.url !== undefined && image.checksum === undefined)
    err(['image', 'url'], 'needs image.checksum beside it ("sha256:<hex>", "file:<CHECKSUM url>", or "none")');
  if (image.compose !== undefined && (image.url !== undefined || image.local !== undefined))
    err(
      ['image', 'compose'],
      `pins the compose of the resolved image, but image.${image.url !== undefined ? 'url' : 'local'} names the image`,
    );
  const host = obj(lab.host);
  if (typeof host.tcg_cache === 'number' || typeof host.tcg_cache === 'string') {
    const mib = sizeInMiB(host.tcg_cache);
    const { min, max } = BOUNDS.tcgCacheMiB;
    if (mib !== undefined && (mib < min || mib > max || !Number.isInteger(mib)))
      err(['host', 'tcg_cache'], `${show(host.tcg_cache)} is not a whole number of MiB from ${min}M to ${max / 1024}G`);
  }
  if (host.nested === true && host.driver === 'qemu')
    err(['host', 'nested'], 'nested virtualization needs host.driver "kvm" or "auto" (qemu is TCG emulation)');
  const uriProblem = typeof host.uri === 'string' ? hostUriProblem(host.uri) : undefined;
  if (uriProblem) err(['host', 'uri'], uriProblem);
  hostsIssues(lab, nodes, roles, err);

  // Paths on this host: the caller checks them (a file that must exist, no character a generated file cannot hold).
  if (checkPath) {
    const paths: [FieldPath, unknown][] = [
      [['image', 'local'], image.local],
      [['access', 'ssh_key'], obj(lab.access).ssh_key],
      [['host', 'pool_path'], host.pool_path],
    ];
    for (const [p, value] of paths) {
      if (typeof value !== 'string' || value === '') continue;
      const problem = checkPath(formatPath(p) as PathField, value);
      if (problem) err(p, problem);
    }
    for (const [p, value, field] of provisionPaths) {
      if (typeof value !== 'string' || value === '') continue;
      const problem = checkPath(field, value);
      if (problem) err(p, problem);
    }
  }
  // A public domain: its names would shadow real hosts in /etc/hosts (a warning; hosts --install refuses them).
  const publicDomain = typeof lab.domain === 'string' && DOMAIN.test(lab.domain) && publicDomainWarning(lab.domain);
  if (publicDomain) issues.push({ path: ['domain'], message: publicDomain, severity: 'warning' });
  return issues;
}

/** `hosts` (a lab across several libvirt hosts) and every `host:` that picks one of them. */
function hostsIssues(
  lab: Record<string, unknown>,
  nodes: Record<string, unknown>[],
  roles: Record<string, unknown>,
  err: (path: FieldPath, message: string) => void,
): void {
  const hosts = Array.isArray(lab.hosts) ? lab.hosts.map(obj) : undefined;
  const names = new Set<string>();
  if (hosts) {
    // One way to say where the lab runs: host.uri (one host) or hosts (one or more).
    const uri = obj(lab.host).uri;
    if (uri !== undefined && uri !== DEFAULT_URI)
      err(
        ['host', 'uri'],
        `${show(uri)} is set beside \`hosts\`: name every host in \`hosts\` (the first one holds the gateway)`,
      );
    const uris = new Map<string, number>();
    const addresses = new Map<string, number>();
    hosts.forEach((h, i) => {
      if (isName(h.name)) {
        if (names.has(h.name)) err(['hosts', i, 'name'], `"${h.name}" names an earlier host too`);
        names.add(h.name);
      }
      if (typeof h.uri !== 'string') return;
      let remote: ReturnType<typeof parseHostUri>;
      try {
        remote = parseHostUri(h.uri);
      } catch (e) {
        err(['hosts', i, 'uri'], (e as Error).message);
        return;
      }
      if (!remote) {
        err(
          ['hosts', i, 'uri'],
          `${show(h.uri)} is this machine's libvirt: a lab across hosts reaches every host over ssh ` +
            '(qemu+ssh://[user@]host[:port]/system), also this one',
        );
        return;
      }
      const key = `${remote.host}:${remote.port ?? 22}`;
      const same = uris.get(key);
      if (same !== undefined) err(['hosts', i, 'uri'], `${show(h.uri)} is the host of hosts[${same}] again`);
      else uris.set(key, i);
      const address = isIp(h.address)
        ? h.address
        : h.address === undefined && isIp(remote.host)
          ? remote.host
          : undefined;
      if (h.address === undefined && !isIp(remote.host))
        err(
          ['hosts', i, 'address'],
          `is required: the URI names the host ${show(remote.host)}, and the VXLAN tunnel needs its IPv4 address ` +
            'on the network the hosts share',
        );
      if (address !== undefined) {
        const twice = addresses.get(address);
        if (twice !== undefined) err(['hosts', i, 'address'], `${address} is the address of hosts[${twice}] too`);
        else addresses.set(address, i);
      }
    });
  }
  const pick = (where: FieldPath, value: unknown) => {
    if (!isName(value)) return;
    if (!hosts) err(where, `names the host "${value}", but the lab file lists no \`hosts\``);
    else if (!names.has(value)) err(where, `"${value}" is not a name in \`hosts\` (known: ${[...names].join(', ')})`);
  };
  for (const [k, v] of Object.entries(roles)) pick(['roles', k, 'host'], obj(v).host);
  nodes.forEach((n, i) => pick(['nodes', i, 'host'], n.host));
}
