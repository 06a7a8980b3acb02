// Labs side by side (issue #19, point 5): per-lab network names, a management subnet chosen free on the host and
// kept, the lab's subnets checked against libvirt's networks before anything is created, and `labforge ls`.
// The networks of two labs go through a real libvirtd in the test's own namespace; the CLI renders with the default
// host.uri, with or without a daemon there (host.uri takes no test driver: only qemu:///system, session, qemu+ssh).
import fs from 'node:fs';
import path from 'node:path';
import { chooseManagementSubnet, subnetOf } from '../../src/lab/addresses.js';
import { parseCidr } from '../../src/lab/ipv4.js';
import { loadLabText } from '../../src/lab/load.js';
import { withManagementSubnet } from '../../src/lab/model.js';
import { networkClashes, type UsedSubnet } from '../../src/lifecycle/nodes/network-plan.js';
import { listingOf } from '../../src/lifecycle/labs.js';
import { renderLabNetwork, renderManagementNetwork } from '../../src/render/network.js';
import { parseNetworkIpv4 } from '../../src/tools/virsh-output.js';
import { useNetns } from '../netns.js';
import { cli, tempDir, writeLab } from '../support.js';

const neutral = (name: string, cidr: string, nodes: string[], extra = '') =>
  `name: ${name}\nnetwork: { cidr: ${cidr} }\n${extra}nodes:\n${nodes.map((n) => `  - { name: ${n} }\n`).join('')}`;

const used = (name: string, cidr: string): UsedSubnet => ({ name, kind: 'libvirt network', subnet: parseCidr(cidr) });

describe('choosing a management subnet', () => {
  test("never vagrant-libvirt's 192.168.121.0/24 nor libvirt's default 122; the first /24 nothing uses", () => {
    expect(chooseManagementSubnet([])).toBe('192.168.124.0/24');
    expect(chooseManagementSubnet([parseCidr('192.168.124.0/24'), parseCidr('192.168.125.128/25')])).toBe(
      '192.168.126.0/24',
    );
    // A wide host network covers many candidates at once.
    expect(chooseManagementSubnet([parseCidr('192.168.0.0/17')])).toBe('192.168.128.0/24');
    expect(chooseManagementSubnet([parseCidr('192.168.0.0/16')])).toBeUndefined();
  });

  test('libvirt gives netmask or prefix: both are read, a non-contiguous mask is refused', () => {
    expect(subnetOf('192.168.122.1', '255.255.255.0')?.cidr).toBe('192.168.122.1/24');
    expect(subnetOf('10.0.0.1', '16')?.prefix).toBe(16);
    expect(subnetOf('10.0.0.1', '255.0.255.0')).toBeUndefined();
    expect(
      parseNetworkIpv4(
        "<network><ip family='ipv6' address='fd00::1' prefix='64'/><ip address='192.168.122.1' netmask='255.255.255.0'>" +
          '<dhcp/></ip><ip family="ipv4" address="10.1.0.1" prefix="16"/></network>',
      ),
    ).toEqual([
      { address: '192.168.122.1', mask: '255.255.255.0' },
      { address: '10.1.0.1', mask: '16' },
    ]);
  });
});

describe('the lab against libvirt networks', () => {
  const lab = withManagementSubnet(
    loadLabText(neutral('beta', '10.240.0.0/24', ['a']), '/tmp/b/lab.yaml').lab,
    '192.168.124.0/24',
  );

  test('an overlap with another network names both networks and both subnets', () => {
    expect(networkClashes(lab, [used('alpha', '10.240.0.0/16'), used('alpha-mgmt', '192.168.124.0/24')])).toEqual([
      'network.cidr: 10.240.0.0/24 (lab beta\'s network "beta") overlaps the libvirt network "alpha" (10.240.0.0/16); ' +
        'choose another subnet or remove "alpha"',
      'network.management.cidr: 192.168.124.0/24 (lab beta\'s network "beta-mgmt") overlaps the libvirt network ' +
        '"alpha-mgmt" (192.168.124.0/24); choose another subnet or remove "alpha-mgmt"',
    ]);
  });

  test("the lab's own networks (an earlier up) are no clash; its name with another subnet is", () => {
    expect(networkClashes(lab, [used('beta', '10.240.0.0/24'), used('beta-mgmt', '192.168.124.0/24')])).toEqual([]);
    expect(networkClashes(lab, [used('beta', '10.9.0.0/24')])).toEqual([
      'network.cidr: the libvirt network "beta" already exists with 10.9.0.0/24, but lab beta wants 10.240.0.0/24 ' +
        'for it; remove "beta" or name the lab\'s network otherwise',
    ]);
  });
});

describe('two labs in one libvirtd', () => {
  const ns = useNetns('lf-side');
  const virsh = (...args: string[]) => ns().exec('virsh', ['-q', '-c', 'qemu:///system', ...args]);
  const define = async (xml: string, name: string) => {
    const file = path.join(ns().state, `${name}.xml`);
    fs.writeFileSync(file, xml);
    await virsh('net-define', file);
    await virsh('net-start', name);
  };
  /** What libvirt in the namespace has, as `up` reads it. */
  const libvirtNow = async (): Promise<UsedSubnet[]> => {
    const out: UsedSubnet[] = [];
    for (const name of (await virsh('net-list', '--all', '--name')).stdout.split('\n').filter(Boolean))
      for (const ip of parseNetworkIpv4((await virsh('net-dumpxml', '--inactive', name)).stdout))
        out.push({ name, kind: 'libvirt network', subnet: subnetOf(ip.address, ip.mask)! });
    return out;
  };

  test('each lab gets networks of its own name; the second chooses a free management subnet; both run at once', async () => {
    const alpha = withManagementSubnet(
      loadLabText(neutral('alpha', '10.240.0.0/24', ['a', 'b']), '/tmp/a/lab.yaml').lab,
      chooseManagementSubnet((await libvirtNow()).map((u) => u.subnet).concat(parseCidr('10.240.0.0/24')))!,
    );
    expect([alpha.network.name, alpha.management.name]).toEqual(['alpha', 'alpha-mgmt']);
    await define(renderLabNetwork(alpha, 'a/lab.yaml'), 'alpha');
    await define(renderManagementNetwork(alpha, 'a/lab.yaml'), 'alpha-mgmt');

    // Beta keeps the default subnet: up would stop before creating anything, naming both networks.
    const clash = loadLabText(neutral('beta', '10.240.0.0/24', ['a']), '/tmp/b/lab.yaml').lab;
    const now = await libvirtNow();
    expect(networkClashes(clash, now)[0]).toContain(
      'network.cidr: 10.240.0.0/24 (lab beta\'s network "beta") overlaps the libvirt network "alpha" (10.240.0.0/24)',
    );

    // On another subnet it chooses a management subnet none of libvirt's networks uses, and both labs' four
    // networks are defined and active side by side.
    const free = chooseManagementSubnet([...now.map((u) => u.subnet), parseCidr('10.241.0.0/24')])!;
    expect(free).not.toBe(alpha.management.subnet.cidr);
    const beta = withManagementSubnet(
      loadLabText(neutral('beta', '10.241.0.0/24', ['a']), '/tmp/b/lab.yaml').lab,
      free,
    );
    expect(networkClashes(beta, now)).toEqual([]);
    await define(renderLabNetwork(beta, 'b/lab.yaml'), 'beta');
    await define(renderManagementNetwork(beta, 'b/lab.yaml'), 'beta-mgmt');
    const active = (await virsh('net-list', '--name')).stdout.split('\n').filter(Boolean).sort();
    expect(active).toEqual(expect.arrayContaining(['alpha', 'alpha-mgmt', 'beta', 'beta-mgmt']));
    // Each lab's DNS names its own nodes only, in its own domain.
    const betaXml = (await virsh('net-dumpxml', 'beta')).stdout;
    expect(betaXml).toContain("<domain name='beta.test' localOnly='yes'/>");
    expect(betaXml).toContain('<hostname>a.beta.test</hostname>');
    expect(betaXml).not.toContain('alpha.test');
    for (const n of ['alpha', 'alpha-mgmt', 'beta', 'beta-mgmt']) {
      await virsh('net-destroy', n);
      await virsh('net-undefine', n);
    }
  });
});

describe('labforge render and ls', () => {
  // The default host.uri (qemu:///system): render asks libvirt for its networks when a daemon runs (CI starts one),
  // and chooses without them when none does; either way the two labs' management subnets differ.
  const extra = '';

  test('render records the addresses; a node added later leaves the others where they were', async () => {
    const file = writeLab(neutral('gamma', '10.250.0.0/24', ['b', 'c'], extra));
    const out = path.join(path.dirname(file), '.labforge', 'gamma');
    expect((await cli(['--lab', file, 'render'])).exitCode).toBe(0);
    const first = JSON.parse(fs.readFileSync(path.join(out, '.labforge-addresses.json'), 'utf8'));
    expect(first.nodes).toEqual({ b: '10.250.0.2', c: '10.250.0.3' });
    expect(first.management).toMatch(/^192\.168\.\d+\.0\/24$/);
    expect(first.management).not.toBe('192.168.121.0/24');
    fs.writeFileSync(file, neutral('gamma', '10.250.0.0/24', ['a', 'b', 'c'], extra));
    expect((await cli(['--lab', file, 'render'])).exitCode).toBe(0);
    const second = JSON.parse(fs.readFileSync(path.join(out, '.labforge-addresses.json'), 'utf8'));
    expect(second).toEqual({ ...first, nodes: { a: '10.250.0.4', b: '10.250.0.2', c: '10.250.0.3' } });
    const hosts = fs.readFileSync(path.join(out, 'hosts'), 'utf8');
    expect(hosts).toMatch(/10\.250\.0\.4\s+a\.gamma\.test\s+a/);
  });

  test('two labs get different management subnets; ls lists both with state and folder, --json too', async () => {
    const one = writeLab(neutral('one', '10.251.0.0/24', ['a'], extra));
    const two = writeLab(neutral('two', '10.252.0.0/24', ['a'], extra));
    expect((await cli(['--lab', one, 'render'])).exitCode).toBe(0);
    expect((await cli(['--lab', two, 'render'])).exitCode).toBe(0);
    const r = await cli(['ls', '--json']);
    expect(r.exitCode).toBe(0);
    const labs = JSON.parse(r.stdout) as { lab: string; state: string; outDir: string; management: string }[];
    const mine = labs.filter((l) => ['one', 'two'].includes(l.lab));
    expect(mine.map((l) => [l.lab, l.state, l.outDir])).toEqual(
      expect.arrayContaining([
        ['one', 'not up', path.join(path.dirname(one), '.labforge', 'one')],
        ['two', 'not up', path.join(path.dirname(two), '.labforge', 'two')],
      ]),
    );
    expect(new Set(labs.map((l) => l.management)).size).toBe(labs.length);
    const table = await cli(['ls']);
    expect(table.stdout.split('\n')[0]).toMatch(/^LAB\s+STATE\s+NETWORK\s+MANAGEMENT\s+FOLDER$/);
    expect(table.stdout).toMatch(/^two\s+not up\s+10\.252\.0\.0\/24\s+192\.168\.\d+\.0\/24\s+\//m);
    // A folder labforge no longer owns drops out of the list.
    fs.rmSync(path.join(path.dirname(one), '.labforge'), { recursive: true });
    const after = JSON.parse((await cli(['ls', '--json'])).stdout) as { lab: string }[];
    expect(after.map((l) => l.lab)).not.toContain('one');
  });

  test('ls with no labs says so', async () => {
    const r = await cli(['ls'], { env: { XDG_STATE_HOME: tempDir() } });
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toContain('no labs on this host yet');
  });
});

describe("a lab's state from its record and libvirt", () => {
  const entry = {
    outDir: '/o',
    lab: 'l',
    labFile: '/l.yaml',
    uri: 'qemu:///system',
    network: '10.0.0.0/24',
    management: '192.168.124.0/24',
    renderedAt: '',
  };
  const record = {
    version: 1 as const,
    lab: 'l',
    uri: 'qemu:///system',
    domains: [
      { node: 'a', uuid: 'u1', name: 'l-a' },
      { node: 'b', uuid: 'u2', name: 'l-b' },
    ],
    volumes: [],
    networks: [{ name: 'l', uuid: 'n1' }],
  };
  const states = (a: string, b: string) =>
    new Map([
      ['l-a', a],
      ['l-b', b],
    ]);
  test.each([
    [['u1', 'u2'], states('running', 'running'), 'running'],
    [['u1', 'u2'], states('running', 'shut off'), 'partly running (1/2 running)'],
    [['u1', 'u2'], states('shut off', 'shut off'), 'shut off'],
    [[], new Map(), 'not up'],
  ])('domains %j in states %j: %s', (uuids, s, want) => {
    expect(listingOf(entry, record, { uuids: new Set(uuids as string[]), states: s }).state).toBe(want);
  });
  test('libvirt that cannot be asked: state unknown, with its message', () => {
    const l = listingOf(entry, record, { problem: 'failed to connect' });
    expect([l.state, l.problem, l.networks]).toEqual(['unknown', 'failed to connect', ['l']]);
  });
});
