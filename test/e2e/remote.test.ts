// A lab on a remote libvirt host, end to end (issue #22, stage 1), on the test bed of scripts/hosts-env.sh: the
// workstation namespace (no libvirtd at all) runs labforge, Packer and Vagrant; host a (a namespace with its own
// libvirtd and sshd) runs the lab; labforge reaches it only over ssh (host.uri qemu+ssh://root@10.77.0.11/system,
// root's key and known_hosts in the workstation's ~/.ssh). One node: the box is baked on the workstation, uploaded
// into host a's pool by vagrant-libvirt, the node is verified through ProxyJump, and destroy leaves nothing of the
// lab on host a (and there never was anything on host b or in the workstation).
import fs from 'node:fs';
import path from 'node:path';
import { execa } from 'execa';
import { CLI, ROOT, tempDir, toolPath } from '../support.js';
import { testBedUp, type TestBed } from '../hosts/testbed.js';
import { testBoxImageLines } from '../../scripts/lab-env.js';

const NEEDS = ['libvirtd', 'virsh', 'vagrant', 'packer', 'qemu-system-x86_64', 'qemu-img', 'debootstrap', 'ssh'];
const lacking = process.getuid?.() !== 0 ? ['root'] : NEEDS.filter((t) => !toolPath(t));
if (lacking.length && process.env.CI !== 'true') console.warn(`SKIPPING the remote e2e: no ${lacking.join(', ')}`);
const e2e = lacking.length && process.env.CI !== 'true' ? describe.skip : describe;

const STEP = 15 * 60 * 1000;
const timings: [string, number][] = [];

e2e('a lab on a remote libvirt host (qemu+ssh), reached only over ssh', () => {
  let bed: TestBed;
  let work: string;
  let labFile: string;
  let outDir: string;
  let env: Record<string, string>;
  const outputs: string[] = [];
  let spanFile: string;
  let spanOut: string;
  const labforge = async (args: string[], lab: 'one' | 'span' = 'one') => {
    const started = Date.now();
    const [file, out] = lab === 'one' ? [labFile, outDir] : [spanFile, spanOut];
    const r = await bed.exec('ws', 'node', [CLI, '--lab', file, '--out', out, ...args], {
      cwd: work,
      env,
      reject: false,
      timeout: STEP,
    });
    const shown = `labforge ${lab === 'span' ? '--lab span.yaml ' : ''}${args.join(' ')}`;
    timings.push([shown, (Date.now() - started) / 1000]);
    outputs.push(`$ ${shown}\n${r.all}`);
    if (r.exitCode !== 0)
      console.error(`labforge ${args.join(' ')} exited ${r.exitCode}:\n${r.all.split('\n').slice(-60).join('\n')}`);
    return r;
  };
  const onHost = async (h: 'a' | 'b', args: string[]) =>
    (await bed.exec(h, 'virsh', ['-q', '-c', 'qemu:///system', ...args])).stdout
      .split('\n')
      .map((l) => l.trim())
      .filter(Boolean);

  beforeAll(async () => {
    work = tempDir('labforge-remote-');
    fs.chmodSync(work, 0o755);
    const built = await execa(
      'bash',
      [
        path.join(ROOT, 'scripts', 'build-test-box.sh'),
        process.env.LABFORGE_TEST_BOX_CACHE || path.join(ROOT, '.cache', 'test-box'),
      ],
      {
        all: true,
        reject: false,
        timeout: STEP,
      },
    );
    if (built.exitCode !== 0) throw new Error(`build-test-box.sh failed:\n${built.all}`);
    const image = built.stdout.trim().split('\n').pop()!;
    let t = Date.now();
    bed = await testBedUp('lfrem');
    timings.push(['test bed up (workstation + 2 hosts)', (Date.now() - t) / 1000]);
    outDir = path.join(work, 'out');
    labFile = path.join(work, 'lab.yaml');
    fs.writeFileSync(
      labFile,
      [
        'name: remote',
        'network:',
        '  name: lf-remote',
        '  cidr: 10.240.0.0/24',
        '  management: { name: lf-remote-mgmt, cidr: 192.168.121.0/24, forward: isolated }',
        'vips: []',
        'defaults: { cpus: 1, memory: 512M }',
        'nodes:',
        '  - { name: node1, ip: 10.240.0.11 }',
        ...testBoxImageLines(image),
        'host:',
        `  uri: ${JSON.stringify(bed.uri('a'))}`,
        '  driver: qemu',
        `  pool_path: ${JSON.stringify(path.join(work, 'pool-on-a'))}`,
        '',
      ].join('\n'),
    );
    // Stage 2: the same box, node1 on host a and node2 on host b, the lab network across them (VXLAN).
    spanOut = path.join(work, 'span-out');
    spanFile = path.join(work, 'span.yaml');
    fs.writeFileSync(
      spanFile,
      [
        'name: span',
        'network:',
        '  name: lf-span',
        '  cidr: 10.241.0.0/24',
        '  management: { name: lf-span-mgmt, cidr: 192.168.123.0/24, forward: isolated }',
        'vips: []',
        'defaults: { cpus: 1, memory: 512M }',
        'hosts:',
        `  - { name: a, uri: ${JSON.stringify(bed.uri('a'))} }`,
        `  - { name: b, uri: ${JSON.stringify(bed.uri('b'))} }`,
        'nodes:',
        '  - { name: node1, ip: 10.241.0.11, host: a }',
        '  - { name: node2, ip: 10.241.0.12, host: b }',
        ...testBoxImageLines(image),
        'host:',
        '  driver: qemu',
        '',
      ].join('\n'),
    );
    env = {
      VAGRANT_HOME: path.join(work, 'vagrant-home'),
      PACKER_CACHE_DIR: path.join(work, 'packer-cache'),
      VAGRANT_CHECKPOINT_DISABLE: '1',
      CI: 'true',
      NO_COLOR: '1',
      LABFORGE_OFFLINE: '1',
    };
    t = Date.now();
  }, STEP);

  afterAll(async () => {
    const keep = path.join(ROOT, '.cache', 'e2e-logs', 'remote');
    fs.rmSync(keep, { recursive: true, force: true });
    fs.mkdirSync(keep, { recursive: true });
    fs.writeFileSync(path.join(keep, 'outputs.txt'), outputs.join('\n\n'));
    if (outDir && fs.existsSync(path.join(outDir, 'logs')))
      fs.cpSync(path.join(outDir, 'logs'), path.join(keep, 'logs'), { recursive: true });
    console.log(timings.map(([s, v]) => `${v.toFixed(1).padStart(7)} s  ${s}`).join('\n'));
  });

  test(
    'up from the workstation puts the lab on host a; verify passes through ProxyJump',
    async () => {
      const r = await labforge(['up']);
      expect(r.exitCode).toBe(0);
      expect(await onHost('a', ['list', '--all', '--name'])).toEqual(['remote-node1']);
      expect(await onHost('a', ['net-list', '--all', '--name'])).toEqual(
        expect.arrayContaining(['lf-remote', 'lf-remote-mgmt']),
      );
      // Nothing on host b, and the workstation has no libvirt to hold anything.
      expect(await onHost('b', ['list', '--all', '--name'])).toEqual([]);
      expect(await onHost('b', ['net-list', '--all', '--name'])).toEqual([]);
      const local = await bed.exec('ws', 'virsh', ['-c', 'qemu:///system', 'list', '--all'], { reject: false });
      expect(local.exitCode).not.toBe(0);
      // The ownership record names the host.
      const record = fs.readFileSync(path.join(outDir, '.labforge-state.json'), 'utf8');
      expect(record).toContain(bed.uri('a'));

      const v = await labforge(['verify']);
      expect(v.exitCode).toBe(0);
      const s = await labforge(['run', 'node1', '--', 'hostname', '-f']);
      expect(s.stdout).toContain('node1.remote.test');
      const st = await labforge(['status']);
      expect(st.stdout).toMatch(/^node1\s.*\srunning\s/m);
    },
    STEP,
  );

  test(
    'destroy leaves nothing of the lab on host a',
    async () => {
      const r = await labforge(['destroy']);
      expect(r.exitCode).toBe(0);
      expect(await onHost('a', ['list', '--all', '--name'])).toEqual([]);
      const nets = await onHost('a', ['net-list', '--all', '--name']);
      expect(nets).not.toContain('lf-remote');
      expect(nets).not.toContain('lf-remote-mgmt');
      const pools = await onHost('a', ['pool-list', '--all', '--name']);
      const volumes = pools.length ? await onHost('a', ['vol-list', '--pool', pools[0]]) : [];
      console.log(
        `host a after destroy: pools ${pools.join(', ') || '(none)'}; volumes:\n${volumes.join('\n') || '(none)'}`,
      );
      expect(volumes.filter((v) => /node1/.test(v))).toEqual([]);
    },
    STEP,
  );

  // Stage 2 (#22): one lab across hosts a and b. The box baked above is reused (no second bake).
  const links = async (h: 'a' | 'b') => (await bed.exec(h, 'ip', ['-o', 'link'])).stdout;

  test(
    'a lab across two hosts: node1 on a, node2 on b; up, verify, names and a 1400-byte DF ping through the tunnel',
    async () => {
      const r = await labforge(['up'], 'span');
      expect(r.exitCode).toBe(0);
      expect(r.all).not.toContain('labforge: baking');
      expect(await onHost('a', ['list', '--all', '--name'])).toEqual(['span-node1']);
      expect(await onHost('b', ['list', '--all', '--name'])).toEqual(['span-node2']);
      for (const h of ['a', 'b'] as const) {
        expect(await onHost(h, ['net-list', '--name'])).toEqual(expect.arrayContaining(['lf-span', 'lf-span-mgmt']));
        expect(await links(h)).toMatch(/lfvx1\d{4}/);
      }
      // The record names each node's host: node2's domain, its disks and host b's pool and network carry b's URI.
      const record = JSON.parse(fs.readFileSync(path.join(spanOut, '.labforge-state.json'), 'utf8'));
      expect(record.uri).toBe(bed.uri('a'));
      const d2 = record.domains.find((d: { node: string }) => d.node === 'node2');
      expect(d2.uri).toBe(bed.uri('b'));
      expect(record.domains.find((d: { node: string }) => d.node === 'node1').uri).toBeUndefined();
      expect(record.volumes.filter((v: { uri?: string }) => v.uri === bed.uri('b')).length).toBeGreaterThan(0);
      expect(record.networks).toEqual(
        expect.arrayContaining([expect.objectContaining({ name: 'lf-span-mgmt', uri: bed.uri('b') })]),
      );

      const v = await labforge(['verify'], 'span');
      expect(v.exitCode).toBe(0);
      const st = await labforge(['status'], 'span');
      expect(st.stdout).toMatch(/^node1\s.*\srunning\s/m);
      expect(st.stdout).toMatch(/^node2\s.*\srunning\s/m);
      // Each node with the host it runs on.
      expect(st.stdout).toMatch(/^node1\s+\S+\s+\S+\s+a\s+running\s/m);
      expect(st.stdout).toMatch(/^node2\s+\S+\s+\S+\s+b\s+running\s/m);
      // The guests' NICs on the lab network have the tunnel's MTU; a 1400-byte packet that may not be fragmented
      // (1372 bytes of ICMP payload + 28) crosses from a to b and back; names resolve across the hosts.
      // (The NIC is found by its address: the test box names it ens5, a Fedora guest otherwise.)
      const nic = 'ip -o link show dev "$(ip -o -4 addr show to 10.241.0.0/24 | cut -d" " -f2)"';
      const mtu = await labforge(['run', 'all', '--', nic], 'span');
      expect(mtu.exitCode).toBe(0);
      expect(mtu.stdout.match(/ mtu 1450 /g)).toHaveLength(2);
      const ping = await labforge(['run', 'node1', '--', 'ping -c 3 -W 5 -M do -s 1372 node2.span.test'], 'span');
      expect(ping.exitCode).toBe(0);
      expect(ping.stdout).toMatch(/1380 bytes from/);
      expect(ping.stdout).toMatch(/3 packets transmitted, 3 received/);
      // One byte more does not fit the tunnel: the guest itself refuses it (its NIC has the tunnel's MTU).
      const over = await labforge(['run', 'node1', '--', 'ping -c 1 -W 3 -M do -s 1423 node2'], 'span');
      expect(over.all).toMatch(/message too long, mtu=1450/);
      const back = await labforge(['run', 'node2', '--', 'ping -c 1 -W 5 -M do -s 1372 node1'], 'span');
      expect(back.exitCode).toBe(0);
    },
    STEP,
  );

  test(
    'a lab across two hosts: reset, then destroy leaves nothing of it on either host',
    async () => {
      const reset = await labforge(['reset'], 'span');
      expect(reset.exitCode).toBe(0);
      const after = await labforge(['run', 'node2', '--', 'hostname', '-f'], 'span');
      expect(after.stdout).toContain('node2.span.test');
      const r = await labforge(['destroy', '--yes'], 'span');
      expect(r.exitCode).toBe(0);
      for (const h of ['a', 'b'] as const) {
        expect(await onHost(h, ['list', '--all', '--name'])).toEqual([]);
        const nets = await onHost(h, ['net-list', '--all', '--name']);
        expect(nets.filter((n) => n.startsWith('lf-span'))).toEqual([]);
        expect(await links(h)).not.toMatch(/lfbr|lfvx/);
        const vols: string[] = [];
        for (const pool of await onHost(h, ['pool-list', '--name']))
          vols.push(...(await onHost(h, ['vol-list', '--pool', pool])));
        console.log(`host ${h} after the span destroy: volumes ${vols.join('; ') || '(none)'}`);
        expect(vols.filter((v) => /span-|_vagrant_box_image_/.test(v))).toEqual([]);
      }
    },
    STEP,
  );
});
