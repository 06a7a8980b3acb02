// Row 9 of the first chaos run (docs/faults.md): an `up` killed while Vagrant waited for the nodes' addresses left
// the domains running and still booting; the next up saw them running, skipped `vagrant up` and ran `vagrant
// provision`, which vagrant-libvirt answered with "Domain is not running" (a running domain without a DHCP lease on
// its first interface is "inaccessible" to it). up now waits for each lease first (src/lifecycle/nodes/leases.ts),
// asking libvirt as vagrant-libvirt does (LeaseVirsh.firstInterfaceLeased: `domiflist`, `domifaddr --source lease`).
import fs from 'node:fs';
import path from 'node:path';
import { awaitLeases, LeaseVirsh } from '../../../src/lifecycle/nodes/leases.js';
import { parseDomifaddr } from '../../../src/tools/virsh-output.js';
import { requireTool, tempDir } from '../../support.js';

test('awaitLeases: a node that gets its lease late is waited for; says once whom it waits for; none left over', async () => {
  const asked: string[] = [];
  let round = 0;
  const said: string[] = [];
  const left = await awaitLeases(
    new Map([
      ['node1', 'lab-node1'],
      ['node2', 'lab-node2'],
    ]),
    async (d) => {
      asked.push(d);
      if (d === 'lab-node1') round++;
      // node2 has its lease at once; node1 (still booting) from its third answer on.
      return d === 'lab-node2' || round >= 3;
    },
    { timeoutS: 10, pollMs: 10, progress: (l) => said.push(l) },
  );
  expect(left).toEqual([]);
  // node2 asked once (then no more), node1 until it had its lease.
  expect(asked).toEqual(['lab-node1', 'lab-node2', 'lab-node1', 'lab-node1']);
  expect(said).toEqual([
    'waiting for node1 to get an address on the management network (running, still booting: Vagrant provisions a node only once it has one)',
  ]);
});

test('awaitLeases: a node without a lease by the time-out is given back; nothing to wait for returns at once', async () => {
  const started = Date.now();
  const left = await awaitLeases(new Map([['node1', 'lab-node1']]), async () => false, {
    timeoutS: 0.2,
    pollMs: 20,
  });
  expect(left).toEqual(['node1']);
  expect(Date.now() - started).toBeGreaterThanOrEqual(190);
  expect(Date.now() - started).toBeLessThan(2000);
  let asked = 0;
  expect(await awaitLeases(new Map(), async () => (asked++, true), { timeoutS: 60 })).toEqual([]);
  expect(asked).toBe(0);
});

test('domifaddr: every address with its interface and MAC, with or without the header; a second address of one interface', () => {
  const real = [
    ' Name       MAC address          Protocol     Address',
    '-------------------------------------------------------------------------------',
    ' testnet0   52:54:00:AA:00:01    ipv4         192.168.121.2/24',
    ' -          -                    ipv6         fe80::5054:ff:feaa:1/64',
    ' testnet1   52:54:00:aa:00:02    ipv4         10.240.0.3/24',
    '',
  ].join('\n');
  expect(parseDomifaddr(real)).toEqual([
    { iface: 'testnet0', mac: '52:54:00:aa:00:01', protocol: 'ipv4', address: '192.168.121.2/24' },
    { iface: 'testnet0', mac: '52:54:00:aa:00:01', protocol: 'ipv6', address: 'fe80::5054:ff:feaa:1/64' },
    { iface: 'testnet1', mac: '52:54:00:aa:00:02', protocol: 'ipv4', address: '10.240.0.3/24' },
  ]);
  // A running domain without a lease yet: the header alone (or nothing, with -q).
  expect(parseDomifaddr(real.split('\n').slice(0, 2).join('\n'))).toEqual([]);
  expect(parseDomifaddr('')).toEqual([]);
});

test("firstInterfaceLeased asks real virsh (libvirt's test driver): the first NIC's lease counts; a domain without a NIC has none", async () => {
  requireTool('virsh');
  const dir = tempDir();
  const node = path.join(dir, 'node.xml');
  fs.writeFileSync(
    node,
    [
      '<node>',
      '<domain type="test"><name>d1</name><memory>65536</memory><os><type>hvm</type></os><devices>',
      '<interface type="network"><source network="mgmt"/><mac address="52:54:00:AA:00:01"/></interface>',
      '<interface type="network"><source network="lab"/><mac address="52:54:00:aa:00:02"/></interface>',
      '</devices></domain>',
      '<domain type="test"><name>d2</name><memory>65536</memory><os><type>hvm</type></os><devices/></domain>',
      '<network><name>mgmt</name><bridge name="v1"/><ip address="192.168.121.1" netmask="255.255.255.0"/></network>',
      '<network><name>lab</name><bridge name="v2"/><ip address="10.240.0.1" netmask="255.255.255.0"/></network>',
      '</node>',
      '',
    ].join('\n'),
  );
  const virsh = new LeaseVirsh(`test://${node}`);
  expect(await virsh.firstInterfaceLeased('d1')).toBe(true);
  expect(await virsh.firstInterfaceLeased('d2')).toBe(false);
});
