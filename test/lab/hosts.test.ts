// `hosts` (one lab across several libvirt hosts) and `host:` on nodes and roles: every kind of bad value is exit 2
// naming the field and the value with nothing written; a good file resolves each node to its host.
import fs from 'node:fs';
import path from 'node:path';
import { cli, tempDir, writeLab } from '../support.js';
import { loadLabText } from '../../src/lab/load.js';
import { LabValidationError } from '../../src/errors.js';
import { nodesOn, spansHosts } from '../../src/lab/model.js';

const A = 'qemu+ssh://root@10.77.0.11/system';
const B = 'qemu+ssh://root@10.77.0.12/system';
const HOSTS = `hosts:\n  - { name: a, uri: "${A}" }\n  - { name: b, uri: "${B}" }\n`;
const lab = (body: string) => `name: t\n${body}`;

/** [what, lab file text, expected fragments of the message] */
const cases: [string, string, string[]][] = [
  [
    'a node names a host that is not listed',
    lab(`${HOSTS}nodes:\n  - { name: n1, host: c }\n`),
    ['nodes[0].host: "c" is not a name in `hosts` (known: a, b)'],
  ],
  [
    'a node names a host but there are no hosts',
    lab('nodes:\n  - { name: n1, host: a }\n'),
    ['nodes[0].host: names the host "a", but the lab file lists no `hosts`'],
  ],
  [
    'a role names a host that is not listed',
    lab(`${HOSTS}roles:\n  big: { host: z }\nnodes:\n  - { name: n1, role: big }\n`),
    ['roles.big.host: "z" is not a name in `hosts` (known: a, b)'],
  ],
  [
    'host.uri beside hosts',
    lab(`host: { uri: "${A}" }\n${HOSTS}nodes:\n  - { name: n1 }\n`),
    ['host.uri: "qemu+ssh://root@10.77.0.11/system" is set beside `hosts`'],
  ],
  [
    'the same host name twice',
    lab(`hosts:\n  - { name: a, uri: "${A}" }\n  - { name: a, uri: "${B}" }\nnodes:\n  - { name: n1 }\n`),
    ['hosts[1].name: "a" names an earlier host too'],
  ],
  [
    'the same host twice under two names',
    lab(
      `hosts:\n  - { name: a, uri: "${A}" }\n  - { name: b, uri: "qemu+ssh://admin@10.77.0.11:22/system" }\nnodes:\n  - { name: n1 }\n`,
    ),
    ['hosts[1].uri: "qemu+ssh://admin@10.77.0.11:22/system" is the host of hosts[0] again'],
  ],
  [
    'a transport that runs programs',
    lab(`hosts:\n  - { name: a, uri: "qemu+ext:///system?command=/bin/sh" }\nnodes:\n  - { name: n1 }\n`),
    ['hosts[0].uri: "qemu+ext:///system?command=/bin/sh" uses the transport "qemu+ext"'],
  ],
  [
    'parameters in a host URI',
    lab(`hosts:\n  - { name: a, uri: "${A}?keyfile=/tmp/k" }\nnodes:\n  - { name: n1 }\n`),
    ['hosts[0].uri:', 'carries parameters'],
  ],
  [
    "this machine's libvirt as a host",
    lab(`hosts:\n  - { name: a, uri: "qemu:///system" }\nnodes:\n  - { name: n1 }\n`),
    ['hosts[0].uri: "qemu:///system" is this machine\'s libvirt: a lab across hosts reaches every host over ssh'],
  ],
  [
    'a host name without an address',
    lab(`hosts:\n  - { name: a, uri: "qemu+ssh://root@hv-a.example.com/system" }\nnodes:\n  - { name: n1 }\n`),
    ['hosts[0].address: is required: the URI names the host "hv-a.example.com"'],
  ],
  [
    'an address that is no IPv4 address',
    lab(`hosts:\n  - { name: a, uri: "${A}", address: "10.77.0.300" }\nnodes:\n  - { name: n1 }\n`),
    ['hosts[0].address: must be an IPv4 address', '"10.77.0.300"'],
  ],
  [
    'two hosts with one address',
    lab(
      `hosts:\n  - { name: a, uri: "${A}" }\n  - { name: b, uri: "qemu+ssh://root@hv-b.example.com/system", address: 10.77.0.11 }\nnodes:\n  - { name: n1 }\n`,
    ),
    ['hosts[1].address: 10.77.0.11 is the address of hosts[0] too'],
  ],
  [
    'a host name that is no label',
    lab(`hosts:\n  - { name: "A;B", uri: "${A}" }\nnodes:\n  - { name: n1 }\n`),
    ['hosts[0].name: must be a host name', '"A;B"'],
  ],
  ['an empty hosts list', lab('hosts: []\nnodes:\n  - { name: n1 }\n'), ['hosts: must list at least one host']],
  [
    'an unknown field in a host',
    lab(`hosts:\n  - { name: a, uri: "${A}", adress: 10.77.0.11 }\nnodes:\n  - { name: n1 }\n`),
    ['hosts[0].adress: unknown field (did you mean "address"?)'],
  ],
  [
    'a newline in a host URI',
    lab(`hosts:\n  - { name: a, uri: "${A}\\nProxyCommand=sh" }\nnodes:\n  - { name: n1 }\n`),
    ['hosts[0].uri: must be a single line without control characters'],
  ],
];

describe('hosts: bad values', () => {
  test.each(cases)('%s: exit 2, names the field and value, writes nothing', async (_what, text, expected) => {
    const dir = tempDir();
    const out = path.join(dir, 'out');
    const r = await cli(['--lab', writeLab(text, dir), '--out', out, 'render']);
    expect(r.exitCode).toBe(2);
    for (const fragment of expected) expect(r.stderr).toContain(fragment);
    expect(r.stderr).not.toMatch(/at .*\.js:\d+/);
    expect(fs.existsSync(out)).toBe(false);
  });

  test('every problem of the hosts is reported at once', () => {
    const text = lab(
      `host: { uri: "${A}" }\nhosts:\n  - { name: a, uri: "qemu:///system" }\n  - { name: a, uri: "${B}" }\n` +
        'nodes:\n  - { name: n1, host: c }\n',
    );
    let err: unknown;
    try {
      loadLabText(text, writeLab(text), {});
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(LabValidationError);
    const problems = (err as LabValidationError).problems.join('\n');
    for (const field of ['host.uri', 'hosts[0].uri', 'hosts[1].name', 'nodes[0].host'])
      expect(problems).toContain(field);
  });
});

describe('hosts: the model', () => {
  const load = (text: string) => loadLabText(text, writeLab(text), { outDir: path.join(tempDir(), 'out') }).lab;

  test("each node runs on its own host:, else its role's, else the first host; host.uri is the first host's", () => {
    const l = load(
      lab(
        `hosts:\n  - { name: a, uri: "${A}" }\n  - { name: b, uri: "qemu+ssh://root@hv-b.example.com:2222/system", address: 10.77.0.12 }\n` +
          'roles:\n  worker: { memory: 1G, host: b }\n' +
          'nodes:\n  - { name: n1 }\n  - { name: n2, host: b }\n  - { name: n3, role: worker }\n  - { name: n4, role: worker, host: a }\n',
      ),
    );
    expect(l.nodes.map((n) => [n.name, n.host])).toEqual([
      ['n1', 'a'],
      ['n2', 'b'],
      ['n3', 'b'],
      ['n4', 'a'],
    ]);
    expect(l.host.uri).toBe(A);
    expect(l.host.remote?.host).toBe('10.77.0.11');
    expect(l.hosts.map((h) => [h.name, h.address, h.remote.jump])).toEqual([
      ['a', '10.77.0.11', 'root@10.77.0.11'],
      ['b', '10.77.0.12', 'root@hv-b.example.com:2222'],
    ]);
    expect(spansHosts(l)).toBe(true);
    expect(nodesOn(l, l.hosts[1]).map((n) => n.name)).toEqual(['n2', 'n3']);
    // Addresses are what they would be on one host: the lab network is one subnet.
    expect(l.nodes.map((n) => n.ip)).toEqual(['10.240.0.2', '10.240.0.3', '10.240.0.4', '10.240.0.5']);
  });

  test('a lab without hosts: no host on any node, the lab on host.uri', () => {
    const l = load(lab('nodes:\n  - { name: n1 }\n'));
    expect(l.hosts).toEqual([]);
    expect(l.nodes[0].host).toBeUndefined();
    expect(spansHosts(l)).toBe(false);
  });
});
