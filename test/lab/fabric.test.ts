// The pure parts of a lab across hosts: the VNI and MTU, the placement's sentences, and the host adapter's refusal
// of any value that is not what it must be before anything reaches ssh (generated inputs).
import fc from 'fast-check';
import path from 'node:path';
import { chooseVni, fabricOf, labMtu, VNI_RANGE } from '../../src/lab/fabric.js';
import { loadLabText } from '../../src/lab/load.js';
import { chooseFabric } from '../../src/lifecycle/nodes/fabric.js';
import { placementShortfalls } from '../../src/lifecycle/nodes/placement.js';
import { HostNet, parseLinkMtuOf, parseLinks, parseVxlans } from '../../src/tools/host-net.js';
import { UsageError } from '../../src/errors.js';
import { tempDir, writeLab } from '../support.js';

const TEXT =
  'name: span\nhosts:\n  - { name: a, uri: "qemu+ssh://root@198.51.100.11/system" }\n' +
  '  - { name: b, uri: "qemu+ssh://root@198.51.100.12/system" }\n' +
  'nodes:\n  - { name: n1, memory: 1G }\n  - { name: n2, host: b, memory: 2G }\n  - { name: n3, host: b }\n';
const lab = loadLabText(TEXT, writeLab(TEXT), { outDir: path.join(tempDir(), 'out') }).lab;
const facts = (mtuA: number, mtuB: number, vnis: number[] = []) => [
  { host: lab.hosts[0], link: { link: 'eth0', mtu: mtuA }, vnis },
  { host: lab.hosts[1], link: { link: 'eth0', mtu: mtuB }, vnis: [] },
];

describe('VNI and MTU', () => {
  test('the lowest VNI no host has; none left is exit 2', () => {
    expect(chooseVni([])).toBe(VNI_RANGE.min);
    expect(chooseVni([10000, 10001, 10003, 5])).toBe(10002);
    expect(chooseFabric(facts(1500, 1500, [10000])).vni).toBe(10001);
    const all = Array.from({ length: VNI_RANGE.max - VNI_RANGE.min + 1 }, (_, i) => VNI_RANGE.min + i);
    expect(() => chooseFabric(facts(1500, 1500, all))).toThrow(UsageError);
    expect(() => fabricOf(5, 1450)).toThrow(/outside labforge's range/);
  });

  test('the MTU is the smallest host link less 50; a recorded fabric keeps its VNI', () => {
    expect(labMtu([1500, 9000])).toBe(1450);
    expect(chooseFabric(facts(9000, 9000)).mtu).toBe(8950);
    expect(chooseFabric(facts(1500, 1500, [10000]), { vni: 10007, mtu: 1450, devices: [], networks: [] }).vni).toBe(
      10007,
    );
    expect(() => chooseFabric(facts(1300, 1500))).toThrow(
      "hosts: host a's link eth0 has MTU 1300, which leaves 1250 for the lab network after VXLAN's 50 bytes",
    );
  });
});

describe('placement', () => {
  test('each host against its own memory, naming the host, its nodes and the shortfall', () => {
    const rooms = (a: number, b: number) => [
      { host: lab.hosts[0], availableMiB: a, tcg: false },
      { host: lab.hosts[1], availableMiB: b, tcg: false },
    ];
    expect(placementShortfalls(lab, rooms(2000, 4000))).toEqual([]);
    // b holds n2 (2048 + 64) and n3 (512 + 64): 2688 MiB.
    expect(placementShortfalls(lab, rooms(2000, 2000))).toEqual([
      'host b: the nodes placed there (n2, n3) need about 2688 MiB, 688 MiB more than its 2000 MiB available',
    ]);
    // Under TCG each node also takes its translation cache (host.tcg_cache, 128M).
    expect(placementShortfalls(lab, [{ host: lab.hosts[0], availableMiB: 1100, tcg: true }])).toEqual([
      'host a: the nodes placed there (n1) need about 1216 MiB, 116 MiB more than its 1100 MiB available',
    ]);
  });
});

describe('the host adapter (tools/host-net.ts)', () => {
  // A host no ssh could reach: a value that got past the checks would fail with an ssh error instead.
  const net = new HostNet({ host: 'unreachable.invalid', jump: 'unreachable.invalid' });

  test('any device name that is not lfbrN/lfvxN is refused before ssh runs', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.string({ minLength: 0, maxLength: 20 }).filter((s) => !/^lf(br|vx)\d{1,8}$/.test(s)),
        async (name) => {
          await expect(net.deleteLink(name)).rejects.toThrow('is not a device name labforge makes');
          await expect(net.link(name)).rejects.toThrow('is not a device name labforge makes');
        },
      ),
      { numRuns: 200 },
    );
  });

  test('addresses, VNIs and MTUs that are not what they must be are refused before ssh runs', async () => {
    const good = { name: 'lfvx10000', vni: 10000, local: '198.51.100.11', mtu: 1450, bridge: 'lfbr10000', peers: [] };
    for (const local of ['1.2.3.4; reboot', '$(id)', '198.51.100.300', ''])
      await expect(net.addVxlan({ ...good, local })).rejects.toThrow('is not an IPv4 address');
    await expect(net.addVxlan({ ...good, peers: ['198.51.100.12 dev eth0'] })).rejects.toThrow(
      'is not an IPv4 address',
    );
    await expect(net.addVxlan({ ...good, vni: 2 ** 24 })).rejects.toThrow('VNI 16777216 is not a whole number');
    await expect(net.addBridge('lfbr10000', 1450.5)).rejects.toThrow('MTU 1450.5 is not a whole number');
    await expect(net.linkOf('x; rm -rf /')).rejects.toThrow('is not an IPv4 address');
  });

  test("iproute2's JSON: VXLANs with their VNI, a link's kind, the link that holds an address", () => {
    const vx =
      '[{"ifindex":4,"ifname":"lfvx10000","flags":["BROADCAST","MULTICAST","UP","LOWER_UP"],"mtu":1450,' +
      '"master":"lfbr10000","linkinfo":{"info_kind":"vxlan","info_data":{"id":10000,"local":"10.77.0.11","port":4789}}}]';
    expect(parseVxlans(vx)).toEqual([
      { name: 'lfvx10000', vni: 10000, local: '10.77.0.11', port: 4789, master: 'lfbr10000', mtu: 1450 },
    ]);
    expect(parseLinks(vx)[0]).toMatchObject({ name: 'lfvx10000', kind: 'vxlan', vni: 10000, up: true });
    const addr =
      '[{"ifname":"lo","mtu":65536,"addr_info":[{"local":"127.0.0.1"}]},' +
      '{"ifname":"lan0","mtu":1500,"addr_info":[{"local":"10.77.0.11"}]}]';
    expect(parseLinkMtuOf(addr, '10.77.0.11')).toEqual({ link: 'lan0', mtu: 1500 });
    expect(parseLinkMtuOf(addr, '10.77.0.12')).toBeUndefined();
  });
});
