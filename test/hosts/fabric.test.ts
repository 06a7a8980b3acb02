// The lab network of a lab across two hosts of the test bed (scripts/hosts-env.sh), brought up and removed from the
// workstation namespace, which reaches the hosts only over ssh: the VNI and the devices recorded before they exist,
// one bridge per host joined by VXLAN (host b's lab network in bridge mode, host a's with the gateway), traffic and
// the MTU across them, a second up changes nothing, a device labforge did not make is refused and left alone, destroy's
// step leaves nothing of the lab on either host; placement refuses a host that cannot hold its nodes (exit 3).
import fs from 'node:fs';
import path from 'node:path';
import { CLI, ROOT, tempDir, toolPath } from '../support.js';
import { testBedUp, type TestBed } from './testbed.js';

const lacking =
  process.getuid?.() !== 0 ? ['root'] : ['libvirtd', 'virsh', 'ssh', 'ip', 'bridge'].filter((t) => !toolPath(t));
if (lacking.length && process.env.CI !== 'true') console.warn(`SKIPPING the fabric test: no ${lacking.join(', ')}`);
const suite = lacking.length && process.env.CI !== 'true' ? describe.skip : describe;
const DRIVER = path.join(ROOT, 'test', 'hosts', 'fabric-driver.mjs');

suite('the lab network across two hosts (VXLAN between per-host bridges)', () => {
  let bed: TestBed;
  let dir: string;
  let labFile: string;
  let out: string;
  const env = { NO_COLOR: '1', LABFORGE_OFFLINE: '1', HOME: process.env.HOME ?? '/root' };
  const driver = async (action: string, file = labFile) => {
    const r = await bed.exec('ws', 'node', [DRIVER, action, file, out], { reject: false, env, cwd: dir });
    return { exitCode: r.exitCode, result: JSON.parse(r.stdout) as Record<string, unknown> & unknown[] };
  };
  const onHost = async (h: 'a' | 'b', cmd: string, args: string[]) =>
    (await bed.exec(h, cmd, args, { reject: false })).all;
  const links = async (h: 'a' | 'b') => onHost(h, 'ip', ['-br', 'link']);
  const record = () => JSON.parse(fs.readFileSync(path.join(out, '.labforge-state.json'), 'utf8'));

  beforeAll(async () => {
    bed = await testBedUp('lffab');
    dir = tempDir('labforge-fabric-');
    fs.chmodSync(dir, 0o755);
    out = path.join(dir, 'out');
    labFile = path.join(dir, 'lab.yaml');
    fs.writeFileSync(
      labFile,
      `name: span\nhosts:\n  - { name: a, uri: "${bed.uri('a')}" }\n  - { name: b, uri: "${bed.uri('b')}" }\n` +
        'network: { forward: isolated }\nnodes:\n  - { name: node1, host: a }\n  - { name: node2, host: b }\n',
    );
    const r = await bed.exec('ws', 'node', [CLI, 'render', '--lab', labFile, '--out', out], { env, cwd: dir });
    expect(r.all).toContain('rendered lab span');
  }, 120000);

  test('up: the VNI recorded, a bridge and a VXLAN on b, the lab network on both, traffic and MTU across', async () => {
    // Another user's VXLAN on host b takes the lowest VNI: the lab takes the next free one.
    await onHost('b', 'ip', [
      'link',
      'add',
      'theirs',
      'type',
      'vxlan',
      'id',
      '10000',
      'dstport',
      '4789',
      'local',
      '10.77.0.12',
    ]);
    const up = await driver('up');
    expect(up.exitCode).toBe(0);
    expect(up.result.fabric).toEqual({ vni: 10001, mtu: 1450, bridge: 'lfbr10001', vxlan: 'lfvx10001' });
    const rec = record();
    expect(rec.fabric.vni).toBe(10001);
    expect(rec.fabric.devices.map((d: { host: string; name: string }) => `${d.host}:${d.name}`).sort()).toEqual([
      'a:lfvx10001',
      'b:lfbr10001',
      'b:lfvx10001',
    ]);
    // Host a: libvirt's bridge of the lab network (the gateway) with the VXLAN as a port; host b: a bridge-mode
    // network on the bridge labforge made.
    expect(await onHost('a', 'ip', ['-o', 'addr', 'show', 'dev', 'lfbr10001'])).toContain('10.240.0.1/24');
    expect(await onHost('a', 'ip', ['-o', 'link', 'show', 'master', 'lfbr10001'])).toContain('lfvx10001');
    const netB = await onHost('b', 'virsh', ['-c', 'qemu:///system', 'net-dumpxml', 'span']);
    expect(netB).toMatch(/<forward mode=["']bridge["']\/>/);
    expect(netB).toMatch(/<bridge name=["']lfbr10001["']\/>/);
    expect(await onHost('b', 'ip', ['-o', 'link', 'show', 'master', 'lfbr10001'])).toContain('lfvx10001');
    // A stand-in for a guest on host b (an address on b's lab bridge, for this test only): the gateway on host a
    // answers through the tunnel; 1422 bytes with DF fit the 1450 MTU, 1423 do not.
    await onHost('b', 'ip', ['addr', 'add', '10.240.0.250/24', 'dev', 'lfbr10001']);
    expect(await onHost('b', 'ping', ['-c', '3', '-i', '0.2', '-W', '2', '10.240.0.1'])).toContain(' 0% packet loss');
    expect(await onHost('b', 'ping', ['-c', '1', '-W', '2', '-M', 'do', '-s', '1422', '10.240.0.1'])).toContain(
      ' 0% packet loss',
    );
    expect(await onHost('b', 'ping', ['-c', '1', '-W', '1', '-M', 'do', '-s', '1423', '10.240.0.1'])).toMatch(
      /message too long|100% packet loss/,
    );
    await onHost('b', 'ip', ['addr', 'del', '10.240.0.250/24', 'dev', 'lfbr10001']);
  });

  test('a second up changes nothing; a device of that name labforge did not make is refused and left', async () => {
    const again = await driver('up');
    expect(again.exitCode).toBe(0);
    expect(again.result.done).toEqual(['host a: network span already running', 'host b: network span already running']);
    // Someone replaces b's VXLAN with a device of another kind: up refuses, names it, and destroy keeps it.
    await onHost('b', 'ip', ['link', 'delete', 'lfvx10001']);
    await onHost('b', 'ip', ['link', 'add', 'lfvx10001', 'type', 'bridge']);
    const refused = await driver('up');
    expect(refused.exitCode).toBe(1);
    expect(refused.result.error).toContain('host b already has a device lfvx10001 (bridge)');
    const down = await driver('down');
    expect(down.result.kept).toEqual(['vxlan lfvx10001 on host b: not the device labforge made (bridge)']);
    expect(await links('b')).toContain('lfvx10001');
    await onHost('b', 'ip', ['link', 'delete', 'lfvx10001']);
  });

  test('destroy leaves nothing of the lab on either host, and only what it made is touched', async () => {
    // The state the previous test left: up again (the record keeps VNI 10001), then the whole destroy.
    // On failure the driver's result (its error) is shown.
    expect(await driver('up')).toMatchObject({ exitCode: 0 });
    const d = await bed.exec('ws', 'node', [CLI, 'destroy', '--lab', labFile, '--out', out, '--yes'], {
      reject: false,
      env,
      cwd: dir,
    });
    expect(d.exitCode).toBe(0);
    expect(d.all).toMatch(/vxlan lfvx10001 on host b/);
    for (const h of ['a', 'b'] as const) {
      expect(await links(h)).not.toMatch(/lfbr|lfvx/);
      expect(await onHost(h, 'virsh', ['-q', '-c', 'qemu:///system', 'net-list', '--all', '--name'])).not.toContain(
        'span',
      );
    }
    // The other user's VXLAN is still there.
    expect(await links('b')).toContain('theirs');
    expect(fs.existsSync(path.join(out, '.labforge-state.json'))).toBe(false);
  });

  test("each node's domain is asked of its own host; one libvirt over both hosts routes each domain call", async () => {
    // Defined, never started (no guest boots): node1's domain on a; on a also a domain named like node2's that is
    // someone else's (node2's own host, b, has none); a name on both hosts.
    const define = async (h: 'a' | 'b', name: string) => {
      const file = path.join(dir, `${h}-${name}.xml`);
      fs.writeFileSync(
        file,
        `<domain type='qemu'><name>${name}</name><memory unit='MiB'>32</memory><os><type arch='x86_64'>hvm</type></os></domain>`,
      );
      fs.chmodSync(file, 0o644);
      await bed.exec(h, 'virsh', ['-q', '-c', 'qemu:///system', 'define', file]);
    };
    await define('a', 'span-node1');
    await define('a', 'span-node2');
    await define('a', 'span-twice');
    await define('b', 'span-twice');
    try {
      const states = await driver('states');
      expect(states.exitCode).toBe(0);
      // span-node2 on host a is not node2's (node2 is placed on b): node2 is not created.
      expect(states.result).toMatchObject({ 'span-node1': 'shut off', 'span-twice': 'shut off' });
      expect(states.result).not.toHaveProperty('span-node2');
      const route = await driver('route');
      expect(route.exitCode).toBe(0);
      const names = ['span-node1', 'span-node2', 'span-twice', 'span-twice'];
      expect(route.result).toMatchObject({ names, xmlNames: names });
      // A name on two hosts is only reached by its UUID; networks are each host's own.
      expect(route.result).toMatchObject({
        stateOfTwice: expect.stringMatching(/^refused: no domain span-twice on qemu\+ssh/),
        networks: expect.stringMatching(/^refused: networks is each libvirt host's own/),
      });
    } finally {
      for (const [h, name] of [
        ['a', 'span-node1'],
        ['a', 'span-node2'],
        ['a', 'span-twice'],
        ['b', 'span-twice'],
      ] as const)
        await bed.exec(h, 'virsh', ['-q', '-c', 'qemu:///system', 'undefine', name], { reject: false });
    }
  });

  test('placement: each host against its own memory; a host too small is exit 3 naming it and the shortfall', async () => {
    const ok = await driver('placement');
    expect(ok.exitCode).toBe(0);
    expect((ok.result as unknown as { host: string; nodes: string[] }[]).map((p) => [p.host, p.nodes])).toEqual([
      ['a', ['node1']],
      ['b', ['node2']],
    ]);
    const big = path.join(dir, 'big.yaml');
    fs.writeFileSync(big, fs.readFileSync(labFile, 'utf8').replace('node2, host: b', 'node2, host: b, memory: 900G'));
    const refused = await driver('placement', big);
    expect(refused.result.exitStatus).toBe(3);
    expect(refused.result.error).toMatch(
      /host b: the nodes placed there \(node2\) need about 92\d{4} MiB, \d+ MiB more than its \d+ MiB available/,
    );
    expect(refused.result.error).not.toContain('host a:');
  });

  test('labforge up: a placement that does not fit is exit 3 naming host b, before anything exists on either host', async () => {
    const big = path.join(dir, 'big.yaml');
    fs.writeFileSync(big, fs.readFileSync(labFile, 'utf8').replace('node2, host: b', 'node2, host: b, memory: 900G'));
    const bigOut = path.join(dir, 'big-out');
    const up = (file: string) =>
      bed.exec('ws', 'node', [CLI, 'up', '--lab', file, '--out', bigOut], { reject: false, env, cwd: dir });
    const refused = await up(big);
    expect(refused.exitCode).toBe(3);
    expect(refused.stderr).toMatch(/host b: the nodes placed there \(node2\) need about 92\d{4} MiB, \d+ MiB more/);
    // Nothing was created on either host (a placement that fits brings the lab up: test/e2e/remote.test.ts).
    for (const h of ['a', 'b'] as const) {
      expect(await links(h)).not.toMatch(/lfbr|lfvx/);
      expect(await onHost(h, 'virsh', ['-q', '-c', 'qemu:///system', 'net-list', '--all', '--name'])).toBe('');
      expect(await onHost(h, 'virsh', ['-q', '-c', 'qemu:///system', 'list', '--all', '--name'])).toBe('');
    }
  });

  test('a device that cannot be finished is removed again and leaves the record: nothing half-made stays', async () => {
    // Host a already has a network of the lab's name on a bridge of another name (made by hand): the VXLAN is
    // created, but cannot join lfbr<VNI>.
    const other = path.join(dir, 'other.yaml');
    fs.writeFileSync(
      other,
      fs
        .readFileSync(labFile, 'utf8')
        .replace('name: span', 'name: span2')
        .replace('{ forward: isolated }', '{ forward: isolated, cidr: 10.241.0.0/24 }'),
    );
    const xml = path.join(dir, 'span2.xml');
    fs.writeFileSync(
      xml,
      "<network><name>span2</name><bridge name='lfhand0'/><ip address='10.241.0.1' netmask='255.255.255.0'/></network>\n",
    );
    await bed.exec('a', 'virsh', ['-c', 'qemu:///system', 'net-create', xml]);
    const out2 = path.join(dir, 'out2');
    await bed.exec('ws', 'node', [CLI, 'render', '--lab', other, '--out', out2], { env, cwd: dir });
    const r = await bed.exec('ws', 'node', [DRIVER, 'up', other, out2], { reject: false, env, cwd: dir });
    expect(r.exitCode).toBe(1);
    expect(r.stdout).toMatch(/lfbr1000\d/);
    expect(await links('a')).not.toMatch(/lfvx/);
    const rec = JSON.parse(fs.readFileSync(path.join(out2, '.labforge-state.json'), 'utf8'));
    expect(rec.fabric.devices).toEqual([]);
    await bed.exec('a', 'virsh', ['-c', 'qemu:///system', 'net-destroy', 'span2']);
  });

  afterAll(async () => {
    const o = await bed.down();
    expect(o).toMatch(/deleted network namespace/);
  }, 120000);
});
