// labforge doctor against a remote libvirt host of the test bed (scripts/hosts-env.sh), run from the workstation
// namespace, which has no libvirtd: libvirt's and QEMU's versions, KVM, memory and the pool's free space all come
// from host a over ssh; host b's pool is not host a's; a host that cannot be reached fails naming the URI.
import fs from 'node:fs';
import path from 'node:path';
import { CLI, tempDir, toolPath } from '../support.js';
import { testBedUp, type TestBed } from './testbed.js';

const lacking =
  process.getuid?.() !== 0 ? ['root'] : ['libvirtd', 'virsh', 'ssh', 'vagrant'].filter((t) => !toolPath(t));
if (lacking.length && process.env.CI !== 'true')
  console.warn(`SKIPPING the remote doctor test: no ${lacking.join(', ')}`);
const suite = lacking.length && process.env.CI !== 'true' ? describe.skip : describe;

suite('labforge doctor on a remote host (qemu+ssh)', () => {
  let bed: TestBed;
  let dir: string;
  const doctor = (uri: string, extra = '') => {
    const lab = path.join(dir, `lab-${Math.random().toString(36).slice(2)}.yaml`);
    fs.writeFileSync(
      lab,
      `host: { uri: "${uri}", pool: lfpool${extra} }\nnodes:\n  - { name: n1, ip: 10.240.0.11, memory: 512M }\nvips: []\n`,
    );
    return bed.exec('ws', 'node', [CLI, 'doctor', '--lab', lab, '--json'], {
      reject: false,
      env: { NO_COLOR: '1', LABFORGE_OFFLINE: '1', HOME: process.env.HOME ?? '/root' },
    });
  };
  /** A lab across hosts a and b (node n1 on a, n2 on b with `memoryB`), with `extra` lines before its nodes. */
  const spanLab = (extra: string, memoryB: string) =>
    [
      'host: { driver: qemu, pool: lfpool }',
      'hosts:',
      `  - { name: a, uri: "${bed.uri('a')}" }`,
      `  - { name: b, uri: "${bed.uri('b')}" }`,
      extra,
      'nodes:',
      '  - { name: n1, ip: 10.240.0.11, memory: 512M, host: a }',
      `  - { name: n2, ip: 10.240.0.12, memory: ${memoryB}, host: b }`,
      'vips: []',
      '',
    ].join('\n');
  const parse = (all: string) =>
    new Map((JSON.parse(all) as { name: string; status: string; detail: string }[]).map((c) => [c.name, c]));

  beforeAll(async () => {
    bed = await testBedUp('lfdoc');
    dir = tempDir('labforge-doctor-');
    fs.chmodSync(dir, 0o755);
    // Host a gets the pool the lab names; host b has none.
    fs.mkdirSync(path.join(dir, 'pool-a'));
    await bed.exec('a', 'virsh', [
      '-c',
      'qemu:///system',
      'pool-define-as',
      'lfpool',
      'dir',
      '--target',
      path.join(dir, 'pool-a'),
    ]);
    await bed.exec('a', 'virsh', ['-c', 'qemu:///system', 'pool-start', 'lfpool']);
  }, 120000);

  test('every host fact comes from host a over ssh: versions, KVM, memory, pool space', async () => {
    const r = await doctor(bed.uri('a'));
    const checks = parse(r.stdout);
    expect(checks.get('libvirt')?.detail).toMatch(/^libvirt \d+\.\d+\.\d+ at qemu\+ssh:\/\/root@10\.77\.0\.11\/system/);
    expect(checks.get('QEMU')?.detail).toMatch(/^QEMU \d+\.\d+/);
    expect(checks.get('libvirt URI')).toMatchObject({ status: 'ok' });
    expect(checks.get('libvirt URI')?.detail).toContain('the lab runs on 10.77.0.11, reached over ssh');
    // This machine has no KVM: host a's libvirt says so (not /dev/kvm of the workstation).
    expect(checks.get('KVM')?.detail).toMatch(/libvirt on host 10\.77\.0\.11 offers (no )?KVM guests/);
    expect(checks.get('memory')).toMatchObject({ status: 'ok' });
    expect(checks.get('memory')?.detail).toMatch(/of \d+ MiB available/);
    expect(checks.get('disk')?.detail).toMatch(/GiB free in pool lfpool on host 10\.77\.0\.11/);
  });

  test('host b has no pool lfpool: doctor says so of host b, not of host a', async () => {
    const checks = parse((await doctor(bed.uri('b'))).stdout);
    expect(checks.get('disk')?.detail).toMatch(/^host 10\.77\.0\.12 has no pool lfpool yet/);
  });

  test('a lab bigger than the remote host fails on memory, exit 3, naming the host', async () => {
    const lab = path.join(dir, 'big.yaml');
    fs.writeFileSync(
      lab,
      `host: { uri: "${bed.uri('a')}", driver: qemu }\nnodes:\n  - { name: n1, ip: 10.240.0.11, memory: 1000G }\nvips: []\n`,
    );
    const r = await bed.exec('ws', 'node', [CLI, 'doctor', '--lab', lab], { reject: false, env: { NO_COLOR: '1' } });
    expect(r.exitCode).toBe(3);
    expect(r.stdout).toMatch(/FAIL\s+memory: the nodes need about \d+ MiB.*more than host 10\.77\.0\.11's \d+ MiB/);
  });

  test('a lab across hosts: each host asked over its own URI for the nodes placed there; an unreachable one fails', async () => {
    const lab = path.join(dir, 'span.yaml');
    const write = (third: string) => fs.writeFileSync(lab, spanLab(third, '1000G'));
    const run = () =>
      bed.exec('ws', 'node', [CLI, 'doctor', '--lab', lab, '--json'], {
        reject: false,
        env: { NO_COLOR: '1', LABFORGE_OFFLINE: '1', HOME: process.env.HOME ?? '/root' },
        timeout: 90000,
      });
    write('');
    let r = await run();
    expect(r.exitCode).toBe(3);
    let checks = parse(r.stdout);
    // Host a holds n1 only: its memory check counts n1, not the 1000G node placed on b.
    expect(checks.get('memory')).toMatchObject({ status: 'ok' });
    expect(checks.get('libvirt (host b)')?.detail).toMatch(
      /^qemu\+ssh:\/\/root@10\.77\.0\.12\/system: libvirt \d+\.\d+\.\d+, QEMU \d+/,
    );
    expect(checks.get('memory (host b)')).toMatchObject({ status: 'fail' });
    expect(checks.get('memory (host b)')?.detail).toMatch(/more than host 10\.77\.0\.12's \d+ MiB/);
    expect(checks.get('disk (host b)')?.detail).toMatch(/^host 10\.77\.0\.12 has no pool lfpool yet/);
    expect(checks.get('KVM (host b)')?.detail).toMatch(/libvirt on host 10\.77\.0\.12 offers (no )?KVM guests/);

    // A third host that does not answer: its libvirt check fails naming it; the others are still asked.
    write('  - { name: c, uri: "qemu+ssh://root@10.77.0.99/system" }');
    r = await run();
    expect(r.exitCode).toBe(3);
    checks = parse(r.stdout);
    expect(checks.get('libvirt (host c)')).toMatchObject({ status: 'fail' });
    expect(checks.get('libvirt (host c)')?.detail).toMatch(
      /^cannot reach libvirtd at qemu\+ssh:\/\/root@10\.77\.0\.99\/system/,
    );
    expect(checks.get('memory (host b)')).toMatchObject({ status: 'fail' });
  }, 180000);

  test("a lab subnet that a libvirt network of host b uses fails naming host b and the network; the lab's own do not count", async () => {
    const lab = path.join(dir, 'clash.yaml');
    fs.writeFileSync(
      lab,
      spanLab('network: { name: lfclash, cidr: 10.240.0.0/24, management: { cidr: 192.168.201.0/24 } }', '512M'),
    );
    const xml = path.join(dir, 'other-net.xml');
    const define = async (name: string, cidrIp: string) => {
      fs.writeFileSync(xml, `<network><name>${name}</name><ip address='${cidrIp}' netmask='255.255.255.0'/></network>`);
      await bed.exec('b', 'virsh', ['-c', 'qemu:///system', 'net-define', xml]);
    };
    // Defined, not started: libvirt would refuse to start the lab's network beside it all the same.
    await define('lfother', '10.240.0.1');
    await define('lfclash-mgmt', '192.168.201.1'); // the lab's own management network (from an earlier up)
    try {
      const r = await bed.exec('ws', 'node', [CLI, 'doctor', '--lab', lab, '--json'], {
        reject: false,
        env: { NO_COLOR: '1', LABFORGE_OFFLINE: '1', HOME: process.env.HOME ?? '/root' },
        timeout: 90000,
      });
      expect(r.exitCode).toBe(3);
      const checks = parse(r.stdout);
      expect(checks.get('subnet 10.240.0.0/24 (host b)')).toEqual({
        name: 'subnet 10.240.0.0/24 (host b)',
        status: 'fail',
        detail: 'on host 10.77.0.12: libvirt network lfother uses 10.240.0.0/24',
        fix: 'pick another network.cidr, or remove network lfother there',
      });
      expect(checks.get('subnet 192.168.201.0/24 (host b)')).toMatchObject({ status: 'ok' });
      expect(checks.get('subnet 10.240.0.0/24')).toMatchObject({ status: 'ok' });
    } finally {
      for (const n of ['lfother', 'lfclash-mgmt'])
        await bed.exec('b', 'virsh', ['-c', 'qemu:///system', 'net-undefine', n], { reject: false });
    }
  }, 180000);

  test('an unreachable host: libvirt fails naming the URI, exit 3', async () => {
    const r = await bed.exec(
      'ws',
      'node',
      [
        CLI,
        'doctor',
        '--lab',
        (() => {
          const lab = path.join(dir, 'gone.yaml');
          fs.writeFileSync(
            lab,
            'host: { uri: "qemu+ssh://root@10.77.0.99/system" }\nnodes:\n  - { name: n1, ip: 10.240.0.11 }\nvips: []\n',
          );
          return lab;
        })(),
      ],
      { reject: false, env: { NO_COLOR: '1' }, timeout: 90000 },
    );
    expect(r.exitCode).toBe(3);
    expect(r.stdout).toMatch(/FAIL\s+libvirt: cannot reach libvirtd at qemu\+ssh:\/\/root@10\.77\.0\.99\/system/);
  }, 120000);
});
