// labforge graph: the topology of the default lab as Mermaid, as DOT read back by Graphviz itself, and as SVG read
// back by an XML parser: both networks with subnet and gateway, all nine nodes with FQDN, address, role and size,
// both VIPs.
import path from 'node:path';
import fs from 'node:fs';
import { execa } from 'execa';
import { cli, requireTool, ROOT, tempDir } from '../support.js';

const LAB = path.join(ROOT, 'lab.yaml');
const graph = (format: string, extra: string[] = []) =>
  cli(['--lab', LAB, '--out', path.join(tempDir(), 'out'), 'graph', '--format', format, ...extra]);

test('mermaid: a flowchart with both networks, every node and both VIPs', async () => {
  const r = await graph('mermaid');
  expect(r.exitCode).toBe(0);
  const lines = r.stdout.split('\n');
  expect(lines[0]).toBe('flowchart LR');
  expect(r.stdout).toContain('network kubernetes<br/>10.240.0.0/24 (nat)<br/>gateway 10.240.0.1');
  // The management subnet is chosen free on the host (lab.yaml names none), never vagrant-libvirt's 192.168.121.0/24.
  expect(r.stdout).toMatch(
    /management kubernetes-mgmt<br\/>192\.168\.(\d+)\.0\/24 \(nat, DHCP\)<br\/>gateway 192\.168\.\1\.1/,
  );
  expect(r.stdout).not.toContain('192.168.121.');
  expect(r.stdout).toContain('worker2.example.com<br/>10.240.0.32<br/>role worker<br/>1 CPU, 1536 MiB, 20 GiB');
  expect(lines.filter((l) => /^ {2}node\d+\[/.test(l))).toHaveLength(9);
  expect(r.stdout).toContain('VIP controller<br/>10.240.0.20');
});

test('dot: Graphviz reads it back with 9 nodes, 2 networks, 2 VIPs and an edge from each network to each node', async () => {
  requireTool('dot');
  const r = await graph('dot');
  expect(r.exitCode).toBe(0);
  // Graphviz's own canonical output of what it parsed.
  const canon = await execa('dot', ['-Tcanon'], { input: r.stdout });
  const nodes = canon.stdout.match(/^\s+(node\d+|vip\d+|lab_net|mgmt_net)\t\[/gm) ?? [];
  expect(nodes).toHaveLength(13);
  expect(canon.stdout.match(/^\s+(lab_net|mgmt_net) -- node\d+/gm)).toHaveLength(18);
});

test('svg: drawn by Graphviz, parsed as XML, a title per node and the labels in text', async () => {
  requireTool('dot');
  const dir = tempDir();
  const file = path.join(dir, 'lab.svg');
  const r = await graph('svg', ['--output', file]);
  expect(r.exitCode).toBe(0);
  const parsed = await execa('python3', [
    '-c',
    'import sys, xml.etree.ElementTree as E; t = E.parse(sys.argv[1]); ns = {"s": "http://www.w3.org/2000/svg"}; ' +
      'print("\\n".join(x.text or "" for x in t.iterfind(".//s:title", ns))); ' +
      'print("\\n".join(x.text or "" for x in t.iterfind(".//s:text", ns)))',
    file,
  ]);
  for (const n of ['node0', 'node8', 'vip0', 'vip1', 'lab_net', 'mgmt_net'])
    expect(parsed.stdout.split('\n')).toContain(n);
  expect(parsed.stdout).toContain('lb2.example.com');
  expect(fs.readFileSync(file, 'utf8').startsWith('<?xml')).toBe(true);
});

test('an unknown format is exit 2', async () => {
  const r = await graph('png');
  expect(r.exitCode).toBe(2);
  expect(r.stderr).toContain('--format: must be one of mermaid, dot, svg, got "png"');
});
