// `up` defines the lab networks idempotently and names what conflicts, against a real libvirtd in the test's own
// network namespace.
import fs from 'node:fs';
import path from 'node:path';
import { loadLabText } from '../../../src/lab/load.js';
import { ensureNetwork, labNetworks } from '../../../src/lifecycle/nodes/networks.js';
import { UsageError } from '../../../src/errors.js';
import { renderLabNetwork, renderManagementNetwork } from '../../../src/render/network.js';
import { Virsh } from '../../../src/tools/virsh.js';
import { useNetns } from '../../netns.js';
import { guideLab, tempDir } from '../../support.js';

const ns = useNetns('lf-nets');

function lab(text: string) {
  const dir = tempDir();
  const { lab } = loadLabText(guideLab(text), path.join(dir, 'lab.yaml'), { outDir: dir });
  fs.writeFileSync(path.join(dir, 'network.xml'), renderLabNetwork(lab, 'lab.yaml'));
  fs.writeFileSync(path.join(dir, 'management-network.xml'), renderManagementNetwork(lab, 'lab.yaml'));
  return lab;
}

test('defining the networks twice changes nothing the second time; a stopped one is started', async () => {
  const l = lab('network: { name: lfa, management: { name: lfa-mgmt, cidr: 192.168.200.0/24, forward: isolated } }');
  const virsh = new Virsh('qemu:///system');
  const first = [];
  for (const { net, file, field } of labNetworks(l)) first.push(await ensureNetwork(virsh, net, file, field));
  expect(first).toEqual(['defined and started', 'defined and started']);
  const second = [];
  for (const { net, file, field } of labNetworks(l)) second.push(await ensureNetwork(virsh, net, file, field));
  expect(second).toEqual(['already running', 'already running']);
  await ns().exec('virsh', ['-c', 'qemu:///system', 'net-destroy', 'lfa']);
  expect(await ensureNetwork(virsh, l.network, labNetworks(l)[1].file, 'network')).toBe('started');
  for (const name of ['lfa', 'lfa-mgmt']) await virsh.removeNetwork(name);
});

test('a network of the same name with another address, or another network on the subnet, is named', async () => {
  const virsh = new Virsh('qemu:///system');
  const a = lab('network: { name: lfb, cidr: 10.241.0.0/24 }\nvips: []\nnodes: [{ name: n, ip: 10.241.0.5 }]');
  await ensureNetwork(virsh, a.network, labNetworks(a)[1].file, 'network');
  const sameName = lab('network: { name: lfb, cidr: 10.242.0.0/24 }\nvips: []\nnodes: [{ name: n, ip: 10.242.0.5 }]');
  await expect(ensureNetwork(virsh, sameName.network, labNetworks(sameName)[1].file, 'network')).rejects.toThrow(
    /network\.name: a libvirt network "lfb" already exists with address 10\.241\.0\.1\/255\.255\.255\.0, but the lab wants 10\.242\.0\.1/,
  );
  const sameSubnet = lab('network: { name: lfc, cidr: 10.241.0.0/24 }\nvips: []\nnodes: [{ name: n, ip: 10.241.0.5 }]');
  const err = await ensureNetwork(virsh, sameSubnet.network, labNetworks(sameSubnet)[1].file, 'network').catch(
    (e) => e,
  );
  expect(err).toBeInstanceOf(UsageError);
  expect(err.message).toBe(
    'network.cidr: 10.241.0.0/24 is already used by the libvirt network "lfb" (10.241.0.1); choose another subnet or remove "lfb"',
  );
  await virsh.removeNetwork('lfb');
});
