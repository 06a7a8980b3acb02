// Every kind of bad lab file: exit code 2, one line per problem naming the field and the value, nothing written.
import fs from 'node:fs';
import path from 'node:path';
import { cli, GUIDE_LAB_TEXT, listFiles, tempDir, writeLab } from '../support.js';
import { addressRecordOf } from '../../src/lab/model.js';
import { loadLabText } from '../../src/lab/load.js';
import { LabValidationError } from '../../src/errors.js';

const node = (name: string, ip: string, extra = '') => `  - { name: ${name}, ip: ${ip}${extra} }\n`;
const lab = (body: string) => `name: t\nvips: []\n${body}`;

/** [what, lab file text, expected fragments of the message] */
const cases: [string, string, string[]][] = [
  ['malformed YAML', 'name: [t\nnodes: {', ['lab.yaml:', 'malformed YAML']],
  ['duplicate key', 'name: a\nname: b\n', ['malformed YAML', 'unique']],
  ['not a mapping', '- 1\n- 2\n', ['must be a mapping']],
  ['unknown top-level field', 'nodez: []\n', ['nodez: unknown field (did you mean "nodes"?)']],
  [
    'unknown node field',
    lab(`nodes:\n${node('a', '10.240.0.11', ', memroy: 1G')}`),
    ['nodes[0].memroy: unknown field (did you mean "memory"?)'],
  ],
  ['missing required field', lab('nodes:\n  - { ip: 10.240.0.11 }\n'), ['nodes[0].name: is required']],
  ['no nodes: a lab has no default machines', 'name: foo\n', ['nodes: is required']],
  [
    'more nodes without an address than the subnet holds',
    lab(`network: { cidr: 10.9.0.0/29 }\nnodes:\n${[1, 2, 3, 4, 5, 6].map((i) => `  - { name: n${i} }\n`).join('')}`),
    ['nodes: 6 nodes give no ip, but network.cidr 10.9.0.0/29 has only 5 free addresses left'],
  ],
  [
    'bad type',
    lab(`nodes:\n${node('a', '10.240.0.11', ', cpus: two')}`),
    ['nodes[0].cpus: must be a number, got "two"'],
  ],
  ['bad type for a section', 'network: 5\n', ['network: must be a mapping, got 5']],
  [
    'invalid CIDR',
    lab('network: { cidr: 10.240.0.0/33 }\n'),
    ['network.cidr: must be an IPv4 network in CIDR form', '"10.240.0.0/33"'],
  ],
  [
    'CIDR with host bits',
    lab('network: { cidr: 10.240.0.7/24 }\n'),
    ['network.cidr: 10.240.0.7/24 has host bits set; did you mean 10.240.0.0/24?'],
  ],
  [
    'IP not an address',
    lab(`nodes:\n${node('a', '10.240.0.300')}`),
    ['nodes[0].ip: must be an IPv4 address', '"10.240.0.300"'],
  ],
  [
    'IP outside the network',
    lab(`nodes:\n${node('a', '10.240.1.5')}`),
    ['nodes[0].ip: 10.240.1.5 is outside network 10.240.0.0/24'],
  ],
  [
    'network address',
    lab(`nodes:\n${node('a', '10.240.0.0')}`),
    ['nodes[0].ip: 10.240.0.0 is the network address of 10.240.0.0/24'],
  ],
  [
    'broadcast address',
    lab(`nodes:\n${node('a', '10.240.0.255')}`),
    ['nodes[0].ip: 10.240.0.255 is the broadcast address of 10.240.0.0/24'],
  ],
  ['gateway address', lab(`nodes:\n${node('a', '10.240.0.1')}`), ['nodes[0].ip: 10.240.0.1 is the gateway']],
  [
    'duplicate IP across nodes',
    lab(`nodes:\n${node('a', '10.240.0.11')}${node('b', '10.240.0.11')}`),
    ['nodes[1].ip: 10.240.0.11 is already used by nodes[0] (a)'],
  ],
  [
    'duplicate IP node/VIP',
    `name: t\nvips: [{ name: controller, ip: 10.240.0.20 }]\nnodes:\n${node('a', '10.240.0.20')}`,
    ['nodes[0].ip: 10.240.0.20 is already used by vips[0] (controller)'],
  ],
  [
    'duplicate name',
    lab(`nodes:\n${node('a', '10.240.0.11')}${node('a', '10.240.0.12')}`),
    ['nodes[1].name: "a" is already the name of nodes[0] (a)'],
  ],
  [
    'name clashes with a VIP',
    `name: t\nvips: [{ name: controller, ip: 10.240.0.20 }, { name: lb, ip: 10.240.0.40 }]\nnodes:\n${node('lb', '10.240.0.11')}`,
    ['nodes[0].name: "lb" is already the name of vips[1] (lb)'],
  ],
  [
    'invalid hostname',
    lab(`nodes:\n${node('Web_1', '10.240.0.11')}`),
    ['nodes[0].name: must be a hostname', '"Web_1"'],
  ],
  ['hostname too long', lab(`nodes:\n${node('a'.repeat(64), '10.240.0.11')}`), ['nodes[0].name: must be a hostname']],
  [
    'invalid domain',
    lab(`domain: "example..com"\nnodes:\n${node('a', '10.240.0.11')}`),
    ['domain: must be a DNS domain', '"example..com"'],
  ],
  [
    'memory below 256 MB',
    lab(`nodes:\n${node('a', '10.240.0.11', ', memory: 128M')}`),
    ['nodes[0].memory: "128M" is below the minimum of 256M'],
  ],
  [
    'memory not a size',
    lab(`nodes:\n${node('a', '10.240.0.11', ', memory: lots')}`),
    ['nodes[0].memory: must be a size like 512M', '"lots"'],
  ],
  [
    'memory in a role',
    lab(`roles: { w: { memory: 100 } }\nnodes:\n${node('a', '10.240.0.11', ', role: w')}`),
    ['roles.w.memory: 100 is below the minimum of 256M'],
  ],
  [
    'cpus below 1',
    lab(`nodes:\n${node('a', '10.240.0.11', ', cpus: 0')}`),
    ['nodes[0].cpus: must be at least 1, got 0'],
  ],
  [
    'unknown role',
    lab(`nodes:\n${node('a', '10.240.0.11', ', role: wrker')}`),
    ['nodes[0].role: "wrker" is not a role in `roles`'],
  ],
  [
    'disk smaller than the box',
    lab(`nodes:\n${node('a', '10.240.0.11', ', disk: 10G')}`),
    ['nodes[0].disk: "10G" is smaller than the box disk'],
  ],
  [
    'management network overlaps',
    lab(`network: { management: { cidr: 10.240.0.0/16 } }\nnodes:\n${node('a', '10.240.0.11')}`),
    ['network.management.cidr: 10.240.0.0/16 overlaps the lab network 10.240.0.0/24'],
  ],
  [
    'enum value',
    lab(`host: { driver: xen }\nnodes:\n${node('a', '10.240.0.11')}`),
    ['host.driver: must be one of "auto", "kvm", "qemu", got "xen"'],
  ],
  [
    'nested without kvm',
    lab(`host: { driver: qemu, nested: true }\nnodes:\n${node('a', '10.240.0.11')}`),
    ['host.nested: nested virtualization needs host.driver "kvm"'],
  ],
  [
    'bad checksum',
    lab(`image: { checksum: "abc" }\nnodes:\n${node('a', '10.240.0.11')}`),
    ['image.checksum: "abc" is not a checksum'],
  ],
  [
    'newline in free text',
    lab(`access: { root_password: "a\\nb" }\nnodes:\n${node('a', '10.240.0.11')}`),
    ['access.root_password: must be a single line'],
  ],
];

describe('bad lab files', () => {
  test.each(cases)('%s: exit 2, names the field and value, writes nothing', async (_what, text, expected) => {
    const dir = tempDir();
    const file = writeLab(text, dir);
    const out = path.join(dir, 'out');
    const r = await cli(['--lab', file, '--out', out, 'render']);
    expect(r.exitCode).toBe(2);
    for (const fragment of expected) expect(r.stderr).toContain(fragment);
    expect(r.stderr).not.toMatch(/at .*\.js:\d+/); // no stack trace
    expect(fs.existsSync(out)).toBe(false);
  });

  test('all problems are reported at once, each on its own line with its line number', async () => {
    const text = [
      'name: Bad_Name',
      'network:',
      '  cidr: 10.240.0.0/24',
      '  managment: {}',
      'nodes:',
      '  - name: etcd1',
      '    ip: 10.240.1.5',
      '    memory: 100M',
      '  - name: etcd1',
      '    ip: 10.240.0.11',
    ].join('\n');
    const dir = tempDir();
    const r = await cli(['--lab', writeLab(text, dir), '--out', path.join(dir, 'out'), 'render']);
    expect(r.exitCode).toBe(2);
    const lines = r.stderr.trim().split('\n');
    expect(lines).toEqual([
      expect.stringMatching(/lab\.yaml:1:1: name: must be a lab name.*"Bad_Name"$/),
      expect.stringMatching(/lab\.yaml:4:3: network\.managment: unknown field \(did you mean "management"\?\)$/),
      expect.stringMatching(/lab\.yaml:7:5: nodes\[0\]\.ip: 10\.240\.1\.5 is outside network 10\.240\.0\.0\/24$/),
      expect.stringMatching(/lab\.yaml:8:5: nodes\[0\]\.memory: "100M" is below the minimum of 256M$/),
      expect.stringMatching(/lab\.yaml:9:5: nodes\[1\]\.name: "etcd1" is already the name of nodes\[0\] \(etcd1\)$/),
    ]);
  });

  test('a failed render leaves the previous output as it was', async () => {
    const dir = tempDir();
    const out = path.join(dir, 'out');
    const good = writeLab(`name: t\nvips: []\nnodes:\n${node('a', '10.240.0.11')}`, dir);
    expect((await cli(['--lab', good, '--out', out, 'render'])).exitCode).toBe(0);
    const before = listFiles(out).map((f) => [f, fs.readFileSync(path.join(out, f), 'utf8')]);
    fs.writeFileSync(good, `name: t\nvips: []\nnodes:\n${node('a', '10.240.9.11')}`);
    const r = await cli(['--lab', good, '--out', out, 'render']);
    expect(r.exitCode).toBe(2);
    expect(listFiles(out).map((f) => [f, fs.readFileSync(path.join(out, f), 'utf8')])).toEqual(before);
  });

  test('a missing lab file names the option and the path', async () => {
    const r = await cli(['--lab', '/nonexistent/lab.yaml', 'render']);
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toContain('--lab: cannot read lab file "/nonexistent/lab.yaml"');
  });

  test('an unknown command or option exits 2', async () => {
    expect((await cli(['frobnicate'])).exitCode).toBe(2);
    expect((await cli(['render', '--bogus'])).exitCode).toBe(2);
  });
});

describe('the lab model', () => {
  test("lab.yaml is the guide's lab", () => {
    const { lab } = loadLabText(GUIDE_LAB_TEXT, '/tmp/x/lab.yaml');
    expect(lab.network).toMatchObject({ name: 'kubernetes', forward: 'nat', gateway: '10.240.0.1' });
    expect(lab.network.subnet.cidr).toBe('10.240.0.0/24');
    expect(lab.nodes.map((n) => [n.fqdn, n.ip, n.memoryMiB])).toEqual([
      ['etcd1.example.com', '10.240.0.11', 512],
      ['etcd2.example.com', '10.240.0.12', 512],
      ['etcd3.example.com', '10.240.0.13', 512],
      ['controller1.example.com', '10.240.0.21', 1024],
      ['controller2.example.com', '10.240.0.22', 1024],
      ['worker1.example.com', '10.240.0.31', 1536],
      ['worker2.example.com', '10.240.0.32', 1536],
      ['lb1.example.com', '10.240.0.41', 512],
      ['lb2.example.com', '10.240.0.42', 512],
    ]);
    expect(lab.vips.map((v) => [v.fqdn, v.ip])).toEqual([
      ['controller.example.com', '10.240.0.20'],
      ['lb.example.com', '10.240.0.40'],
    ]);
  });

  test('the defaults are neutral: no VIPs, no roles, network and domain after the lab, addresses from the subnet', () => {
    // The issue's three-node lab of one's own: another subnet, a role the guide does not know, no addresses.
    const { lab } = loadLabText(
      'name: web\nnetwork: { cidr: 192.168.50.0/24 }\nroles: { web: { memory: 1G } }\n' +
        'nodes:\n  - { name: a, role: web }\n  - { name: b }\n  - { name: c, ip: 192.168.50.3 }\n',
      '/tmp/x/lab.yaml',
    );
    expect(lab.vips).toEqual([]);
    expect(lab.domain).toBe('web.test');
    expect(lab.network.name).toBe('web');
    expect(lab.management.name).toBe('web-mgmt');
    // c keeps its own .3; a and b take the lowest free addresses after the gateway (.1), in the order of the file.
    expect(lab.nodes.map((n) => [n.fqdn, n.ip, n.role, n.memoryMiB])).toEqual([
      ['a.web.test', '192.168.50.2', 'web', 1024],
      ['b.web.test', '192.168.50.4', undefined, 512],
      ['c.web.test', '192.168.50.3', undefined, 512],
    ]);
    // Not chosen against the host yet (lifecycle/open.ts does), but never vagrant-libvirt's 192.168.121.0/24.
    expect(lab.management).toMatchObject({ from: 'unchosen' });
    expect(lab.management.subnet.cidr).toBe('192.168.124.0/24');
  });

  test('a lab file with only a name is refused for its missing nodes, not given the Kubernetes lab', async () => {
    const r = await cli(['--lab', writeLab('name: foo\n'), 'render']);
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toContain('nodes: is required');
  });

  test('a recorded address stays: adding, removing or reordering nodes never moves another node', () => {
    const text = (nodes: string[]) => `name: s\nnodes:\n${nodes.map((n) => `  - { name: ${n} }\n`).join('')}`;
    const first = loadLabText(text(['a', 'b', 'c']), '/tmp/x/lab.yaml').lab;
    expect(first.nodes.map((n) => n.ip)).toEqual(['10.240.0.2', '10.240.0.3', '10.240.0.4']);
    const recorded = () => addressRecordOf(first);
    // A new node first in the file, b removed, the rest reordered: a and c keep theirs, the new one takes a free one.
    const later = loadLabText(text(['new', 'c', 'a']), '/tmp/x/lab.yaml', { recorded }).lab;
    expect(Object.fromEntries(later.nodes.map((n) => [n.name, n.ip]))).toEqual({
      new: '10.240.0.3',
      c: '10.240.0.4',
      a: '10.240.0.2',
    });
    // Without the record the same file would move them: the record is what keeps them.
    expect(loadLabText(text(['new', 'c', 'a']), '/tmp/x/lab.yaml').lab.nodes.map((n) => n.ip)).toEqual([
      '10.240.0.2',
      '10.240.0.3',
      '10.240.0.4',
    ]);
    // The management subnet a render chose is kept too; a record of another lab is not used.
    const chosen = { ...recorded(), management: '192.168.200.0/24' };
    expect(loadLabText(text(['a']), '/tmp/x/lab.yaml', { recorded: () => chosen }).lab.management).toMatchObject({
      from: 'recorded',
      gateway: '192.168.200.1',
    });
    const other = { ...chosen, lab: 'other' };
    expect(loadLabText(text(['a']), '/tmp/x/lab.yaml', { recorded: () => other }).lab.management.from).toBe('unchosen');
  });

  test('an address given in the file wins over a recorded one, which moves to a free address', () => {
    const recorded = () => ({ version: 1 as const, lab: 's', nodes: { a: '10.240.0.2', b: '10.240.0.3' } });
    const { lab } = loadLabText(
      'name: s\nnodes:\n  - { name: a }\n  - { name: b, ip: 10.240.0.2 }\n',
      '/tmp/x/lab.yaml',
      {
        recorded,
      },
    );
    expect(lab.nodes.map((n) => [n.name, n.ip])).toEqual([
      ['a', '10.240.0.3'],
      ['b', '10.240.0.2'],
    ]);
  });

  test('a node overrides its role, the role overrides the defaults', () => {
    const { lab } = loadLabText(
      'defaults: { cpus: 2, memory: 768M }\nroles: { big: { memory: 2G, disk: 30G } }\nvips: []\nnodes:\n' +
        node('a', '10.240.0.11', ', role: big') +
        node('b', '10.240.0.12', ', role: big, memory: 1536, cpus: 4') +
        node('c', '10.240.0.13'),
      '/tmp/x/lab.yaml',
    );
    expect(lab.nodes.map((n) => [n.name, n.cpus, n.memoryMiB, n.diskGiB])).toEqual([
      ['a', 2, 2048, 30],
      ['b', 4, 1536, 30],
      ['c', 2, 768, 20],
    ]);
  });

  test('more memory than the host has is a warning, not an error, summed over the resolved nodes', () => {
    const r = loadLabText(GUIDE_LAB_TEXT, '/tmp/x/lab.yaml', { hostMemoryMiB: 4096 });
    expect(r.lab.nodes).toHaveLength(9);
    expect(r.warnings).toEqual([expect.stringContaining('warning: nodes: the nodes need 7680 MiB of memory in all')]);
    expect(loadLabText(GUIDE_LAB_TEXT, '/tmp/x/lab.yaml', { hostMemoryMiB: 7680 }).warnings).toEqual([]);
  });

  test('LabValidationError carries every issue', () => {
    expect(() => loadLabText('nodes: 3\nname: X', '/tmp/x/lab.yaml')).toThrow(LabValidationError);
  });
});
