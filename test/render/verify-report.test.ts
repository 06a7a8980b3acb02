// verify's reports built from verdicts (no VMs): JUnit XML read back by a JUnit parser (one test case per node and
// check, failures with the problem, checks that could not be made as skipped), and the Markdown summary with the
// verify table and the Mermaid topology, each node coloured by its verdict.
import { parse, type TestSuites } from 'junit2json';
import { micromark } from 'micromark';
import { gfm, gfmHtml } from 'micromark-extension-gfm';
import { loadLabText } from '../../src/lab/load.js';
import { nodeChecks } from '../../src/lifecycle/nodes/verify.js';
import { type NodeVerdict, renderJunit, renderSummary, renderTopology } from '../../src/render/verify-report.js';
import { cli } from '../support.js';

const { lab } = loadLabText(
  'name: web\ndomain: example.com\nvips:\n  - { name: lb, ip: 10.240.0.40 }\nroles:\n  db: {}\n' +
    'nodes:\n  - { name: n1, ip: 10.240.0.11, role: db }\n  - { name: n2, ip: 10.240.0.12 }\n  - { name: n3, ip: 10.240.0.13 }\n',
  '/tmp/report/lab.yaml',
);
const [n1, n2, n3] = lab.nodes;

/** The facts a good node answers. */
function good(node: (typeof lab.nodes)[number]): Record<string, string> {
  const facts: Record<string, string> = {
    fqdn: node.fqdn,
    selinux: 'Disabled',
    cmdline_selinux0: 'yes',
    firewalld: 'absent',
    addresses: `127.0.0.1/8 ${node.ip}/24`,
    swaps: '',
  };
  for (const n of [...lab.nodes, ...lab.vips]) {
    facts[`hosts_${n.name}`] = n.ip;
    facts[`dns_${n.name}`] = n.ip;
  }
  for (const n of lab.nodes) facts[`ping_${n.name}`] = 'yes';
  return facts;
}

function verdict(
  node: (typeof lab.nodes)[number],
  facts: Record<string, string> | undefined,
  sshProblem?: string,
): NodeVerdict {
  const checks = nodeChecks(lab, node, facts, sshProblem);
  const problems = checks.flatMap((c) => (c.problem ? [c.problem] : []));
  return { node: node.name, ok: problems.length === 0, facts: facts ?? {}, problems, checks };
}

// n1 good; n2 with firewalld installed and a hostile hostname; n3 not reachable over ssh.
const verdicts = [
  verdict(n1, good(n1)),
  verdict(n2, { ...good(n2), firewalld: 'installed', fqdn: 'evil<&"\u0007>.example.com' }),
  verdict(n3, undefined, 'no root ssh with the lab key on 10.240.0.13: Connection timed out'),
];
const timing = { timestamp: '2026-11-26T08:00:00Z', seconds: 3.25 };
const checksPerNode = 1 + 6 + 2 * 4 + 3; // ssh, 6 node checks (swap among them), hosts + DNS for 3 nodes and 1 VIP, 3 pings

test('JUnit XML parses back: a suite per node, a test case per check, failures with the problem, no-ssh checks skipped', async () => {
  const xml = renderJunit(lab, verdicts, timing);
  const report = (await parse(xml)) as TestSuites;
  const suites = report.testsuite!;
  expect(report).toMatchObject({
    name: 'labforge verify web',
    tests: 3 * checksPerNode,
    failures: 3,
    skipped: checksPerNode - 1,
  });
  expect(suites.map((s) => [s.name, s.tests, s.failures, s.skipped, s.hostname])).toEqual([
    ['web/n1', checksPerNode, 0, 0, 'n1.example.com'],
    ['web/n2', checksPerNode, 2, 0, 'n2.example.com'],
    ['web/n3', checksPerNode, 1, checksPerNode - 1, 'n3.example.com'],
  ]);
  const cases = suites.flatMap((s) => s.testcase!);
  expect(cases).toHaveLength(3 * checksPerNode);
  expect(cases.every((c) => /^web\.n[123]$/.test(c.classname!))).toBe(true);
  const n2cases = suites[1].testcase!;
  const failed = n2cases.filter((c) => c.failure);
  expect(failed.map((c) => [c.name, c.failure![0].message])).toEqual([
    ['hostname is the FQDN', 'hostname is evil<&"?>.example.com, expected n2.example.com'],
    ['firewalld not installed', 'firewalld is installed'],
  ]);
  expect(n2cases.find((c) => c.name === 'DNS resolves lb.example.com')!.failure).toBeUndefined();
  const n3cases = suites[2].testcase!;
  expect(n3cases[0]).toMatchObject({
    name: 'root ssh with the lab key',
    failure: [{ message: 'no root ssh with the lab key on 10.240.0.13: Connection timed out' }],
  });
  expect(n3cases.slice(1).every((c) => c.skipped)).toBe(true);
});

test('the Markdown summary: the verdict, a row per node with its address, role and problems, and the topology', () => {
  const md = renderSummary(lab, verdicts, timing);
  expect(md).toContain('**2 of 3 nodes failed**');
  expect(md).toContain('| node | address | role | verdict | checks | problems |');
  // As GitHub would show it (micromark with GitHub's extensions, raw HTML let through): the hostile hostname
  // cannot open HTML or break the table; it shows as the text it is.
  const html = micromark(md, { allowDangerousHtml: true, extensions: [gfm()], htmlExtensions: [gfmHtml()] });
  const rows = [...html.matchAll(/<tr>([\s\S]*?)<\/tr>/g)]
    .map((r) => [...r[1].matchAll(/<td[^>]*>([\s\S]*?)<\/td>/g)].map((c) => c[1]))
    .filter((r) => r.length);
  expect(rows).toEqual([
    ['n1', '10.240.0.11', 'db', '✅ ok', `${checksPerNode}/${checksPerNode}`, ''],
    [
      'n2',
      '10.240.0.12',
      '',
      '❌ failed',
      `${checksPerNode - 2}/${checksPerNode}`,
      'hostname is evil&lt;&amp;&quot;?&gt;.example.com, expected n2.example.com<br>firewalld is installed',
    ],
    [
      'n3',
      '10.240.0.13',
      '',
      '❌ failed',
      `0/${checksPerNode}`,
      'no root ssh with the lab key on 10.240.0.13: Connection timed out',
    ],
  ]);
  expect(md).toContain('```mermaid\nflowchart LR');
  expect(renderSummary(lab, [verdicts[0]], timing)).toContain('**All 1 nodes ok**');
});

test('the topology: both networks, every node with address and role coloured by its verdict, the VIPs on the lab network', () => {
  const t = renderTopology(lab, verdicts);
  const lines = t.split('\n');
  expect(lines).toContain('  lab_net[("network web<br/>10.240.0.0/24 (nat)<br/>gateway 10.240.0.1")]');
  expect(lines).toContain(
    '  mgmt_net[("management web-mgmt<br/>192.168.124.0/24 (nat, DHCP)<br/>gateway 192.168.124.1")]',
  );
  expect(lines).toContain('  node0["n1<br/>10.240.0.11<br/>role db<br/>ok"]:::ok');
  expect(lines).toContain('  node1["n2<br/>10.240.0.12<br/>2 problems"]:::failed');
  expect(lines).toContain('  node2["n3<br/>10.240.0.13<br/>1 problem"]:::failed');
  expect(lines).toContain('  vip0(["VIP lb<br/>10.240.0.40"]):::vip');
  for (const i of [0, 1, 2])
    expect(lines).toEqual(expect.arrayContaining([`  lab_net --- node${i}`, `  mgmt_net -.- node${i}`]));
  expect(lines.filter((l) => l.startsWith('  classDef '))).toHaveLength(4);
  // A node verify did not reach at all is grey.
  expect(renderTopology(lab, [verdicts[0]])).toContain('  node1["n2<br/>10.240.0.12<br/>not verified"]:::unknown');
});

test('verify --report into a folder that does not exist is a usage error (exit 2) before any node is contacted', async () => {
  const r = await cli(['--lab', '/tmp/report/none.yaml', 'verify', '--report', '/nonexistent-folder/verify.xml']);
  expect(r.exitCode).toBe(2);
  expect(r.stderr).toContain('verify --report: "/nonexistent-folder/verify.xml" is not a file in an existing folder');
});
