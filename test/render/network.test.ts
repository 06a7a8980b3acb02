// network.xml and management-network.xml go through a real libvirtd (in the test's own network namespace):
// net-define accepts them, net-dumpxml gives back the domain, DNS hosts and addresses, and net-start works.
import fs from 'node:fs';
import path from 'node:path';
import { loadLabText } from '../../src/lab/load.js';
import { renderLabNetwork, renderManagementNetwork } from '../../src/render/network.js';
import { useNetns } from '../netns.js';
import { guideLab } from '../support.js';

const ns = useNetns('lf-net');

const virsh = (...args: string[]) => ns().exec('virsh', ['-q', '-c', 'qemu:///system', ...args]);

function hostsOf(xml: string): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const m of xml.matchAll(/<host ip=['"]([^'"]+)['"]>([\s\S]*?)<\/host>/g)) {
    out.set(
      m[1],
      [...m[2].matchAll(/<hostname>([^<]+)<\/hostname>/g)].map((h) => h[1]),
    );
  }
  return out;
}

test('libvirt defines and starts the lab network with the domain and a DNS host for every node and VIP', async () => {
  const { lab } = loadLabText(guideLab(), '/tmp/lf/lab.yaml');
  const file = path.join(ns().state, 'network.xml');
  fs.writeFileSync(file, renderLabNetwork(lab, 'lab.yaml'));
  await virsh('net-define', file);
  const xml = (await virsh('net-dumpxml', 'kubernetes')).stdout;
  expect(xml).toMatch(/<forward mode=['"]nat['"]/);
  expect(xml).toMatch(/<domain name=['"]example\.com['"] localOnly=['"]yes['"]/);
  expect(xml).toMatch(/<ip address=['"]10\.240\.0\.1['"] netmask=['"]255\.255\.255\.0['"]/);
  expect(xml).not.toContain('<dhcp>');
  const hosts = hostsOf(xml);
  expect(hosts.size).toBe(11);
  for (const n of [...lab.nodes, ...lab.vips]) expect(hosts.get(n.ip)).toEqual([n.fqdn, n.name]);
  await virsh('net-start', 'kubernetes');
  const addr = await ns().exec('ip', ['-4', '-o', 'addr']);
  expect(addr.stdout).toContain('10.240.0.1/24');
  await virsh('net-destroy', 'kubernetes');
  await virsh('net-undefine', 'kubernetes');
});

test('libvirt defines the management network with DHCP and the lab names in its DNS', async () => {
  const { lab } = loadLabText(guideLab('network: { management: { forward: isolated } }'), '/tmp/lf/lab.yaml');
  const file = path.join(ns().state, 'mgmt.xml');
  fs.writeFileSync(file, renderManagementNetwork(lab, 'lab.yaml'));
  await virsh('net-define', file);
  const xml = (await virsh('net-dumpxml', 'kubernetes-mgmt')).stdout;
  expect(xml).not.toContain('<forward');
  expect(xml).toMatch(/<range start=['"]192\.168\.124\.2['"] end=['"]192\.168\.124\.254['"]/);
  expect(hostsOf(xml).get('10.240.0.11')).toEqual(['etcd1.example.com', 'etcd1']);
  await virsh('net-undefine', 'kubernetes-mgmt');
});
