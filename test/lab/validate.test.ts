// Every kind of bad lab file: exit code 2, one line per problem naming the field and the value, nothing written.
import fs from 'node:fs';
import path from 'node:path';
import { cli, listFiles, tempDir, writeLab } from '../support.js';
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
  ['missing required field', lab('nodes:\n  - { name: a }\n'), ['nodes[0].ip: is required']],
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
    `name: t\nnodes:\n${node('a', '10.240.0.20')}`,
    ['nodes[0].ip: 10.240.0.20 is already used by vips[0] (controller)'],
  ],
  [
    'duplicate name',
    lab(`nodes:\n${node('a', '10.240.0.11')}${node('a', '10.240.0.12')}`),
    ['nodes[1].name: "a" is already the name of nodes[0] (a)'],
  ],
  [
    'name clashes with a VIP',
    `name: t\nnodes:\n${node('lb', '10.240.0.11')}`,
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
  test("the default lab is the guide's", () => {
    const { lab } = loadLabText('{}', '/tmp/x/lab.yaml');
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

  test('lab.yaml at the repo root is exactly the defaults, spelled out', () => {
    const text = fs.readFileSync(path.join(__dirname_(), '..', '..', 'lab.yaml'), 'utf8');
    const fromFile = loadLabText(text, '/tmp/x/lab.yaml').lab;
    const fromDefaults = loadLabText('{}', '/tmp/x/lab.yaml').lab;
    expect(fromFile).toEqual(fromDefaults);
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
    const r = loadLabText('{}', '/tmp/x/lab.yaml', { hostMemoryMiB: 4096 });
    expect(r.lab.nodes).toHaveLength(9);
    expect(r.warnings).toEqual([expect.stringContaining('warning: nodes: the nodes need 7680 MiB of memory in all')]);
    expect(loadLabText('{}', '/tmp/x/lab.yaml', { hostMemoryMiB: 7680 }).warnings).toEqual([]);
  });

  test('LabValidationError carries every issue', () => {
    expect(() => loadLabText('nodes: 3\nname: X', '/tmp/x/lab.yaml')).toThrow(LabValidationError);
  });
});

function __dirname_(): string {
  return path.dirname(new URL(import.meta.url).pathname);
}
