// doctor's decisions, from the facts it gathers: whether a lab subnet is free on this host (routes as
// `ip -j -4 route show table all` prints them, the lab's own libvirt bridge), and what KVM and nested
// virtualization allow, and what the support table says of each tool's version. Each branch is a verdict a user
// acts on.
import fs from 'node:fs';
import path from 'node:path';
import { loadLabText } from '../../../src/lab/load.js';
import { kvmChecks, parseVirshVersion, subnetCheck, versionCheck } from '../../../src/lifecycle/host/checks.js';
import { SUPPORT, supportOf } from '../../../src/lifecycle/host/support.js';
import type { KvmFacts } from '../../../src/tools/host.js';
import { parseRoutes } from '../../../src/tools/ip.js';
import { guideLab, ROOT } from '../../support.js';

const { lab } = loadLabText(guideLab(), '/tmp/doctor/lab.yaml');

/** `ip -j -4 route show table all` on a workstation: a default route, its LAN, Docker, libvirt's default
 *  network (linkdown), and the local table's local and broadcast entries. */
const workstation = [
  { dst: 'default', gateway: '192.0.2.1', dev: 'eth0', protocol: 'dhcp', prefsrc: '192.0.2.2', metric: 100, flags: [] },
  { dst: '192.0.2.0/24', dev: 'eth0', protocol: 'kernel', scope: 'link', prefsrc: '192.0.2.2', metric: 100, flags: [] },
  {
    dst: '172.17.0.0/16',
    dev: 'docker0',
    protocol: 'kernel',
    scope: 'link',
    prefsrc: '172.17.0.1',
    flags: ['linkdown'],
  },
  {
    dst: '192.168.122.0/24',
    dev: 'virbr0',
    protocol: 'kernel',
    scope: 'link',
    prefsrc: '192.168.122.1',
    flags: ['linkdown'],
  },
  {
    type: 'local',
    dst: '127.0.0.0/8',
    dev: 'lo',
    table: 'local',
    protocol: 'kernel',
    scope: 'host',
    prefsrc: '127.0.0.1',
    flags: [],
  },
  {
    type: 'local',
    dst: '10.240.0.1',
    dev: 'virbr1',
    table: 'local',
    protocol: 'kernel',
    scope: 'host',
    prefsrc: '10.240.0.1',
    flags: [],
  },
  {
    type: 'broadcast',
    dst: '10.240.0.255',
    dev: 'virbr1',
    table: 'local',
    protocol: 'kernel',
    scope: 'link',
    prefsrc: '10.240.0.1',
    flags: [],
  },
];
const routes = (...extra: object[]) => parseRoutes(JSON.stringify([...workstation, ...extra]));

describe('subnet check', () => {
  test('a subnet no route reaches is free', () => {
    expect(subnetCheck(lab.network, 'network.cidr', routes(), undefined)).toEqual({
      name: 'subnet 10.240.0.0/24',
      status: 'ok',
      detail: 'free',
    });
  });

  test("local and broadcast entries of the lab's own addresses are no clash (only unicast routes count)", () => {
    expect(routes().map((r) => r.dst)).toEqual(['default', '192.0.2.0/24', '172.17.0.0/16', '192.168.122.0/24']);
  });

  test("the route of the lab's own libvirt network (on its bridge) is the lab's, not a clash", () => {
    const own = routes({
      dst: '10.240.0.0/24',
      dev: 'virbr1',
      protocol: 'kernel',
      scope: 'link',
      prefsrc: '10.240.0.1',
      flags: [],
    });
    expect(subnetCheck(lab.network, 'network.cidr', own, 'virbr1')).toMatchObject({
      status: 'ok',
      detail: 'used by libvirt network kubernetes (virbr1)',
    });
  });

  test('the same route on another bridge fails, naming the route, the device and the field to change', () => {
    const other = routes({
      dst: '10.240.0.0/24',
      dev: 'virbr3',
      protocol: 'kernel',
      scope: 'link',
      prefsrc: '10.240.0.1',
      flags: [],
    });
    expect(subnetCheck(lab.network, 'network.cidr', other, 'virbr1')).toEqual({
      name: 'subnet 10.240.0.0/24',
      status: 'fail',
      detail: '10.240.0.0/24 is already routed on virbr3',
      fix: 'pick another network.cidr or remove what uses it',
    });
  });

  test('a larger network that contains the lab subnet (a VPN route) fails', () => {
    const vpn = routes({ dst: '10.0.0.0/8', gateway: '10.8.0.1', dev: 'tun0', flags: [] });
    expect(subnetCheck(lab.network, 'network.cidr', vpn, undefined)).toMatchObject({
      status: 'fail',
      detail: '10.0.0.0/8 is already routed on tun0',
    });
  });

  test('a smaller network inside the lab subnet fails', () => {
    const part = routes({ dst: '10.240.0.128/25', dev: 'eth1', protocol: 'kernel', scope: 'link', flags: [] });
    expect(subnetCheck(lab.network, 'network.cidr', part, undefined)).toMatchObject({
      status: 'fail',
      detail: '10.240.0.128/25 is already routed on eth1',
    });
  });

  test('a host route (no prefix) to an address inside the subnet fails; one just outside does not', () => {
    const inside = routes({ dst: '10.240.0.7', dev: 'wg0', scope: 'link', flags: [] });
    expect(subnetCheck(lab.network, 'network.cidr', inside, undefined)).toMatchObject({
      status: 'fail',
      detail: '10.240.0.7 is already routed on wg0',
    });
    const outside = routes(
      { dst: '10.240.1.0', dev: 'wg0', scope: 'link', flags: [] },
      { dst: '10.239.255.255', dev: 'wg0', scope: 'link', flags: [] },
    );
    expect(subnetCheck(lab.network, 'network.cidr', outside, undefined).status).toBe('ok');
  });

  test("the management subnet is checked too, and its fix names network.management.cidr (libvirt's default network clashes here)", () => {
    const clashing = loadLabText(
      guideLab('network: { management: { cidr: 192.168.122.0/24 } }'),
      '/tmp/doctor/lab.yaml',
    ).lab.management;
    expect(subnetCheck(lab.management, 'network.management.cidr', routes(), undefined).status).toBe('ok');
    expect(subnetCheck(clashing, 'network.management.cidr', routes(), undefined)).toEqual({
      name: 'subnet 192.168.122.0/24',
      status: 'fail',
      detail: '192.168.122.0/24 is already routed on virbr0',
      fix: 'pick another network.management.cidr or remove what uses it',
    });
  });

  test('the default route is no clash, however wide', () => {
    expect(
      subnetCheck(lab.network, 'network.cidr', parseRoutes(JSON.stringify([workstation[0]])), undefined).status,
    ).toBe('ok');
  });

  test('an unreadable routing table is a warning, not a verdict', () => {
    expect(
      subnetCheck(
        lab.network,
        'network.cidr',
        new Error('ip failed: `ip -j -4 route show table all` exited with code 1\n  more'),
        undefined,
      ),
    ).toEqual({
      name: 'subnet 10.240.0.0/24',
      status: 'warn',
      detail: 'cannot read the routing table: ip failed: `ip -j -4 route show table all` exited with code 1',
    });
  });
});

describe('KVM and nested virtualization', () => {
  const facts = (device: boolean, cpuFlags: boolean, nested?: boolean): KvmFacts => ({ device, cpuFlags, nested });
  const verdict = (k: KvmFacts, driver: 'auto' | 'kvm' | 'qemu', nested = false) =>
    kvmChecks(k, { driver, nested }).map((c) => [c.name, c.status, c.detail]);

  test('/dev/kvm usable and vmx/svm present: ok whatever the driver', () => {
    for (const driver of ['auto', 'kvm', 'qemu'] as const)
      expect(verdict(facts(true, true), driver)).toEqual([['KVM', 'ok', '/dev/kvm is usable']]);
  });

  test('host.driver kvm without /dev/kvm fails, and says which part is missing', () => {
    expect(verdict(facts(false, true), 'kvm')).toEqual([
      ['KVM', 'fail', 'host.driver is kvm but /dev/kvm cannot be opened'],
    ]);
    expect(verdict(facts(true, false), 'kvm')).toEqual([
      ['KVM', 'fail', 'host.driver is kvm but the CPU has no vmx/svm'],
    ]);
  });

  test('without KVM, driver auto or qemu is a warning (TCG is slow, not wrong)', () => {
    for (const driver of ['auto', 'qemu'] as const) {
      expect(verdict(facts(false, false), driver)).toEqual([
        ['KVM', 'warn', '/dev/kvm cannot be opened: guests run under QEMU TCG (much slower)'],
      ]);
      expect(verdict(facts(true, false), driver)[0].slice(0, 2)).toEqual(['KVM', 'warn']);
      expect(verdict(facts(true, false), driver)[0][2]).toMatch(/^\/dev\/kvm opens but the CPU has no vmx\/svm/);
    }
  });

  test('nested is only checked when host.nested asks for it', () => {
    expect(verdict(facts(true, true, false), 'kvm', false).map(([name]) => name)).toEqual(['KVM']);
  });

  test('host.nested with nested=1: ok', () => {
    expect(verdict(facts(true, true, true), 'kvm', true)).toContainEqual([
      'nested virtualization',
      'ok',
      'the kvm module has nested=1',
    ]);
  });

  test('host.nested with the module loaded but nested=0 fails, with the modprobe option as the fix', () => {
    const [, nested] = kvmChecks(facts(true, true, false), { driver: 'kvm', nested: true });
    expect(nested).toMatchObject({
      name: 'nested virtualization',
      status: 'fail',
      detail: 'host.nested is on but the kvm module does not allow nested guests (nested=0)',
    });
    expect(nested.fix).toContain('options kvm_intel nested=1');
  });

  test('host.nested with no kvm_intel/kvm_amd loaded fails, saying the module is missing', () => {
    const [, nested] = kvmChecks(facts(false, false, undefined), { driver: 'kvm', nested: true });
    expect(nested).toMatchObject({
      name: 'nested virtualization',
      status: 'fail',
      detail: 'host.nested is on but neither kvm_intel nor kvm_amd is loaded',
    });
    expect(nested.fix).toContain('modprobe kvm_intel nested=1');
  });
});

describe("each tool's version, judged by labforge's support table", () => {
  test("virsh version --daemon's answer gives the daemon's and QEMU's versions (Debian 12's and 13's)", () => {
    const debian12 =
      'Compiled against library: libvirt 9.0.0\nUsing library: libvirt 9.0.0\nUsing API: QEMU 9.0.0\n' +
      'Running hypervisor: QEMU 7.2.19\nRunning against daemon: 9.0.0\n';
    const debian13 =
      'Compiled against library: libvirt 11.3.0\nUsing library: libvirt 11.3.0\nUsing API: QEMU 11.3.0\n' +
      'Running hypervisor: QEMU 10.0.13\nRunning against daemon: 11.3.0\n';
    expect(parseVirshVersion(debian12)).toEqual({ daemon: '9.0.0', qemu: '7.2.19' });
    expect(parseVirshVersion(debian13)).toEqual({ daemon: '11.3.0', qemu: '10.0.13' });
    expect(parseVirshVersion('Compiled against library: libvirt 9.0.0\n')).toEqual({});
  });

  test('the versions the two end-to-end legs run are proven, each by its leg', () => {
    for (const [tool, version, leg] of [
      ['vagrant', '2.3.4', 'Debian 12'],
      ['vagrant', '2.3.8.dev', 'Debian 13'],
      ['vagrant-libvirt', '0.11.2', 'Debian 12'],
      ['vagrant-libvirt', '0.12.2', 'Debian 13'],
      ['libvirt', '9.0.0', 'Debian 12'],
      ['libvirt', '11.3.0', 'Debian 13'],
      ['QEMU', '7.2.19', 'Debian 12'],
      ['QEMU', '10.0.13', 'Debian 13'],
    ] as const) {
      const v = supportOf(tool, version);
      expect({ tool, version, status: v.status, note: v.note }).toEqual({
        tool,
        version,
        status: 'ok',
        note: expect.stringContaining(`proven by the end-to-end test here on ${leg}'s packages`),
      });
    }
    expect(supportOf('packer', '1.6.6').note).toBe(
      "proven by the end-to-end test here on Debian 12's packages (npm test) and the end-to-end test here on Debian 13's packages (npm run test:e2e:trixie)",
    );
  });

  test("what is known from the tools' own sources is supported and says it was not run here", () => {
    expect(supportOf('vagrant', '2.4.3')).toMatchObject({
      status: 'ok',
      note: expect.stringMatching(/^supported from Vagrant 2\.4's source: .*; not run here$/),
    });
    expect(supportOf('packer', '1.11.2')).toMatchObject({ status: 'ok', note: expect.stringContaining('packer init') });
  });

  test('a version nothing proves is a warning naming the proven ones; one below what the files need fails', () => {
    expect(supportOf('vagrant', '2.5.0')).toEqual({
      status: 'warn',
      note: 'not proven: labforge has run vagrant 2.3.4 and 2.3.8',
      fix: 'expect differences labforge has not seen; vagrant 2.3.4 or 2.3.8 is proven',
    });
    expect(supportOf('QEMU', '8.2.2').status).toBe('warn');
    expect(supportOf('vagrant', '2.1.5')).toMatchObject({
      status: 'fail',
      note: 'not supported: the Vagrantfile labforge writes asks for Vagrant >= 2.2.0 (Vagrant.require_version)',
    });
    expect(supportOf('packer', '1.5.6')).toMatchObject({
      status: 'fail',
      fix: expect.stringContaining('packer 1.6.6'),
    });
    expect(supportOf('packer', 'cracklib').status).toBe('warn');
  });

  test("doctor's line: the version, where, and the table's word", () => {
    expect(versionCheck('libvirt', 'libvirt', 'libvirt 11.3.0', '11.3.0', ' at qemu:///system')).toEqual({
      name: 'libvirt',
      status: 'ok',
      detail:
        "libvirt 11.3.0 at qemu:///system: proven by the end-to-end test here on Debian 13's packages (npm run test:e2e:trixie)",
      fix: undefined,
    });
  });

  test("README's support table names every version the table says is proven, with its leg", () => {
    const readme = fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8');
    const table = readme.slice(readme.indexOf('## Supported hosts and tools'));
    for (const [tool, s] of Object.entries(SUPPORT))
      for (const row of s.rows.filter((r) => r.status === 'proven')) {
        const v = row.version ?? row.series!;
        expect({ tool, v, inReadme: new RegExp(`\\b${v.replace(/\./g, '\\.')}\\b`).test(table) }).toEqual({
          tool,
          v,
          inReadme: true,
        });
      }
  });
});
