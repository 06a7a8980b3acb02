// The short, fixed fault subset of issue #23 that `npm test` runs (docs/faults.md; `npm run chaos` runs the long,
// random one): registered by test/e2e/lifecycle.test.ts where its two-node lab is up and no later test needs the
// lab's pristine state, so it costs no bake and no up from nothing. Each point: the fault, then the same command
// again, which must converge, and the leak checks `npm run chaos` makes (scripts/chaos-checks.js, shared):
// - kill -9 of labforge while its `virsh snapshot-create-as` runs (the next save of the same name completes it);
// - libvirtd killed and started again while `snapshot save` runs `virsh snapshot-create-as` (rode out, or the next
//   save completes it);
// - kill -9 of labforge while its `virsh snapshot-revert` runs in `reset provisioned` (the next reset converges);
// - a full disk: `up` of a third lab whose pool is on a 64 MiB tmpfs is refused before anything changes (exit 1
//   naming the file system and the space needed; nothing of it in libvirt, no record);
// - the host lost: every QEMU process of the lab killed; status says the nodes are down; up brings them back,
//   verify passes, the snapshots are still listed.
import fs from 'node:fs';
import path from 'node:path';
import { CLI } from '../support.js';
import type { Netns } from '../netns.js';
import { describeKill, domainStates, endOf, killQemu, leaks, lines, procsOf } from '../../scripts/chaos-checks.js';
// @ts-expect-error -- a plain ES module of the repository's scripts, without types
import { MOMENTS } from '../../scripts/chaos-plan.js';

export interface FaultLab {
  ns: Netns;
  work: string;
  labFile: string;
  outDir: string;
  env: Record<string, string>;
  /** The lab's lock file (lab.lock beside lab.yaml). */
  lock: string;
  timings: [string, number][];
  outputs: string[];
}

const STEP = 30 * 60 * 1000;
const NODES = ['node1', 'node2'];

export function faultSubset(get: () => FaultLab): void {
  let started = 0;
  let tmp = '';
  const lab = () => get();
  const procs = (pattern: string) =>
    procsOf(fs.readFileSync(path.join(lab().ns.state, 'holder.pid'), 'utf8').trim())(pattern);
  /** labforge ARGS in the environment, its temp files in `tmp`; with `killOn` (a pattern), labforge alone is killed
   *  with SIGKILL as soon as a program of its own whose command line matches runs (a virsh call mid-way). */
  const run = async (args: string[], killOn?: string, file = lab().labFile, out = lab().outDir) => {
    const { ns, work, env, timings, outputs } = lab();
    const child = ns.exec('node', [CLI, '--lab', file, '--out', out, ...args], {
      cwd: work,
      env: { ...env, TMPDIR: tmp },
      reject: false,
      timeout: STEP,
    });
    const killWhen = killOn ? async () => (await procs(killOn)).length > 0 : undefined;
    // A kill that never came (the command ended first) fails the point: the moment is a program labforge runs.
    const r = await endOf(child, { killWhen });
    timings.push([`fault subset: labforge ${args.join(' ')}${killOn === undefined ? '' : ' (killed)'}`, r.seconds]);
    if (killOn) expect(r.killed).toBeDefined();
    outputs.push(r.all);
    if (!r.killed && r.exitCode !== 0)
      console.error(`labforge ${args.join(' ')} exited ${r.exitCode}:\n${lines(r.all).slice(-40).join('\n')}`);
    return r;
  };
  const virsh = async (...args: string[]) =>
    String((await lab().ns.exec('virsh', ['-q', '-c', 'qemu:///system', ...args], { reject: false })).stdout);
  const leaked = () =>
    leaks({ out: lab().outDir, tmp, procs, virsh, after: 'running', nodes: NODES, networks: [], pool: undefined });
  const running = async () => Object.values(await domainStates(virsh, 'e2e', NODES));
  const snapshots = async () => {
    const r = await run(['snapshot', 'list', '--json']);
    expect(r.exitCode).toBe(0);
    return JSON.parse(r.stdout) as { name: string; status: string; coverage: string }[];
  };

  /** The save `again` converged: exit 0, the snapshot complete on both nodes, both running, nothing leaked. */
  const savedWhole = async (name: string, again: { exitCode?: number }) => {
    expect(again.exitCode).toBe(0);
    expect((await snapshots()).find((s) => s.name === name)).toMatchObject({ status: 'complete', coverage: '2/2' });
    expect(await running()).toEqual(['running', 'running']);
    expect(await leaked()).toEqual([]);
  };

  test(
    'faults (#23): kill -9 of labforge during snapshot save; the next save of the same name completes it, nothing leaked',
    async () => {
      started = Date.now();
      tmp = path.join(lab().work, 'fault-tmp');
      fs.mkdirSync(tmp, { recursive: true, mode: 0o1777 });
      // While the nodes stand still and virsh writes their memory into the disks (row 7 of the first chaos run).
      const first = await run(['snapshot', 'save', 'chaos1'], MOMENTS.create.proc);
      console.log(`fault subset: snapshot save: ${describeKill(first, 'virsh snapshot-create-as')}`);
      await savedWhole('chaos1', await run(['snapshot', 'save', 'chaos1']));
      expect((await run(['snapshot', 'delete', 'chaos1'])).exitCode).toBe(0);
    },
    STEP,
  );

  // On libvirt 11 (Debian 13) a libvirtd restarted during `snapshot-create-as` can leave the snapshot in the disks'
  // qcow2 without libvirt's metadata: the next save removes those copies before it takes the snapshot again
  // (docs/faults.md). On libvirt 9 the restart is ridden out or the retake converges as well.
  test(
    'faults (#23): libvirtd killed and started again during snapshot save: ridden out or finished by the next save',
    async () => {
      // The restart comes while labforge's `virsh snapshot-create-as` runs (polled every 100 ms), as in the chaos
      // runs' case that left lost copies on libvirt 11; a save that ended before it was seen fails the point.
      let saved = false;
      const saving = run(['snapshot', 'save', 'chaos2']).finally(() => (saved = true));
      const restarting = (async () => {
        while (!saved && (await procs(MOMENTS.create.proc)).length === 0)
          await new Promise((res) => setTimeout(res, 100));
        return saved ? undefined : lab().ns.restartLibvirtd(3);
      })();
      const [first, restarted] = await Promise.all([saving, restarting]);
      expect(restarted).toBeDefined();
      const said = lines(first.all).slice(-2).join(' / ');
      console.log(
        `fault subset: libvirtd restarted while \`virsh snapshot-create-as\` ran (${lines(restarted ?? '').pop() ?? ''}); ` +
          `exit ${first.exitCode}: ${said}`,
      );
      // Failing is allowed, with a message naming libvirt; the same command then completes the snapshot.
      if (first.exitCode !== 0) expect(first.all).toMatch(/libvirt/);
      const again = first.exitCode === 0 ? first : await run(['snapshot', 'save', 'chaos2']);
      if (again !== first)
        console.log(
          `fault subset: the next save: exit ${again.exitCode}: ` +
            lines(again.all)
              .filter((l) => l.startsWith('labforge:'))
              .join(' / '),
        );
      await savedWhole('chaos2', again);
      expect((await run(['snapshot', 'delete', 'chaos2'])).exitCode).toBe(0);
    },
    STEP,
  );

  test(
    'faults (#23): kill -9 of labforge during reset; the next reset restores and verifies, nothing leaked',
    async () => {
      const first = await run(['reset', 'provisioned'], MOMENTS.revert.proc);
      console.log(`fault subset: reset provisioned: ${describeKill(first, 'virsh snapshot-revert')}`);
      const again = await run(['reset', 'provisioned']);
      expect(again.exitCode).toBe(0);
      expect(again.all).toMatch(/labforge: restored snapshot provisioned on node1, node2/);
      expect(await running()).toEqual(['running', 'running']);
      expect(await leaked()).toEqual([]);
    },
    STEP,
  );

  test(
    'faults (#23): a full disk: up of a lab whose pool is on a 64 MiB tmpfs is refused naming it and the space needed; nothing is created',
    async () => {
      const { ns, work, labFile, lock } = lab();
      const small = path.join(work, 'small');
      fs.mkdirSync(small, { recursive: true });
      // In the environment's mount namespace: labforge and libvirt there see it, the host does not.
      await ns.exec('mount', ['-t', 'tmpfs', '-o', 'size=64m,mode=0755', 'tmpfs', small]);
      try {
        const file = path.join(work, 'lab-full.yaml');
        const out = path.join(work, 'out-full');
        fs.writeFileSync(
          file,
          fs
            .readFileSync(labFile, 'utf8')
            .replace('name: e2e\n', 'name: e2e-full\n')
            .replace('  name: lf-e2e\n', '  name: lf-full\n')
            .replace('cidr: 10.240.0.0/24', 'cidr: 10.242.0.0/24')
            .replace('{ name: lf-e2e-mgmt, cidr: 192.168.121.0/24,', '{ name: lf-full-mgmt, cidr: 192.168.124.0/24,')
            .replace(/vips:\n.*\n/, '')
            .replace(/nodes:\n(.*\n)+?image:/, 'nodes:\n  - { name: n1, ip: 10.242.0.11 }\nimage:')
            .replace(
              / {2}pool_path: .*\n/,
              `  pool: lf-full\n  pool_path: ${JSON.stringify(path.join(small, 'pool'))}\n`,
            ),
        );
        // The same image, so the same box (no bake).
        fs.copyFileSync(lock, file.replace(/\.yaml$/, '.lock'));
        const before = {
          nets: await virsh('net-list', '--all', '--name'),
          pools: await virsh('pool-list', '--all', '--name'),
        };
        const r = await run(['up'], undefined, file, out);
        console.log(`fault subset: up with a full pool said:\n${lines(r.all).slice(-3).join('\n')}`);
        expect(r.exitCode).toBe(1);
        const at = small.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
        expect(r.all).toMatch(
          new RegExp(
            `labforge up: not enough free space in storage pool lf-full \\(${at}/pool\\), on the tmpfs file system ` +
              `mounted at ${at} \\(tmpfs\\): \\d+ MiB free, labforge up needs about \\d+ MiB \\(the box's base volume`,
          ),
        );
        expect(r.all).toContain('Nothing was changed');
        // Nothing of it in libvirt or on disk: no domain, network or pool, no ownership record, no pool folder.
        expect(lines(await virsh('list', '--all', '--name')).filter((d) => d.startsWith('e2e-full'))).toEqual([]);
        expect(await virsh('net-list', '--all', '--name')).toBe(before.nets);
        expect(await virsh('pool-list', '--all', '--name')).toBe(before.pools);
        expect(fs.existsSync(path.join(out, '.labforge-state.json'))).toBe(false);
        expect(fs.readdirSync(small)).toEqual([]);
        expect(await leaked()).toEqual([]);
        // Its output folder goes, so `labforge ls` no longer lists it.
        fs.rmSync(out, { recursive: true, force: true });
      } finally {
        await ns.exec('umount', [small], { reject: false });
      }
    },
    STEP,
  );

  test(
    'faults (#23): the host lost (every QEMU killed): status says the nodes are down; up brings them back, verify passes, the snapshots are listed',
    async () => {
      const killed = await killQemu(procs);
      expect(killed).toHaveLength(2);
      await new Promise((res) => setTimeout(res, 3000));
      const s = await run(['status', '--json']);
      const states = JSON.parse(s.stdout) as { name: string; state: string }[];
      console.log(
        `fault subset: after the lost host, status said: ${states.map((n) => `${n.name} ${n.state}`).join(', ')}`,
      );
      expect(states.map((n) => n.state)).toEqual(['shutoff', 'shutoff']);
      const up = await run(['up']);
      expect(up.exitCode).toBe(0);
      expect(await running()).toEqual(['running', 'running']);
      expect((await run(['verify'])).exitCode).toBe(0);
      expect((await snapshots()).map((x) => [x.name, x.status])).toEqual([
        ['baseline', 'complete'],
        ['provisioned', 'complete'],
      ]);
      expect(await leaked()).toEqual([]);
      const minutes = (Date.now() - started) / 60000;
      lab().timings.push(['fault subset (#23), all five points', minutes * 60]);
      console.log(`fault subset (#23): ${minutes.toFixed(1)} min`);
    },
    STEP,
  );
}
