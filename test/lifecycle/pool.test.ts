// The lab's storage pool against a real libvirtd in the test's own namespace: up defines a missing host.pool itself
// (recorded, with whether it made the folder), destroy removes it and the folder once empty, and the empty folders
// Vagrant leaves in the output folder; a pool that existed before is never recorded, so never removed.
import fs from 'node:fs';
import path from 'node:path';
import { loadLabText } from '../../src/lab/load.js';
import { destroy } from '../../src/lifecycle/destroy.js';
import { poolStep } from '../../src/lifecycle/state/pool.js';
import { readRecord } from '../../src/lifecycle/state/record.js';
import { Virsh } from '../../src/tools/virsh.js';
import { useNetns } from '../netns.js';
import { cli, CLI, tempDir } from '../support.js';

const ns = useNetns('lf-pool');

async function virsh(...args: string[]): Promise<string> {
  return String((await ns().exec('virsh', ['-q', '-c', 'qemu:///system', ...args], { reject: false })).stdout);
}

test('a pool up defined is removed by destroy with the folder it made; one that was there stays', async () => {
  const work = tempDir('labforge-pool-');
  fs.chmodSync(work, 0o755);
  const labText = (pool: string) =>
    `name: p\nvips: []\nhost: { pool: ${pool}, pool_path: ./pools/p }\nnodes:\n  - { name: a, ip: 10.240.0.11 }\n`;
  const file = path.join(work, 'lab.yaml');
  fs.writeFileSync(file, labText('lfp'));
  const out = path.join(work, 'out');
  expect((await cli(['--lab', file, '--out', out, 'render'])).exitCode).toBe(0);
  // No Vagrant here (it would ask the host's libvirt): destroy skips `vagrant destroy` without a Vagrantfile.
  fs.rmSync(path.join(out, 'Vagrantfile'));
  const { lab } = loadLabText(labText('lfp'), file, { outDir: out });
  const v = new Virsh('qemu:///system');
  const step = poolStep(lab, v);
  expect(await step.task()).toBe(
    `defined (a directory pool at ${path.join(work, 'pools/p')}); destroy removes it once it is empty`,
  );
  expect((await virsh('pool-list', '--name')).trim()).toBe('lfp');
  const uuid = (await virsh('pool-uuid', 'lfp')).trim();
  expect(readRecord(out)!.pools).toEqual([{ name: 'lfp', uuid, path: path.join(work, 'pools/p'), madeFolder: true }]);
  expect(await step.task()).toBe('defined by labforge for this lab'); // a second up changes nothing
  // What Vagrant leaves after its destroy: empty machine folders.
  fs.mkdirSync(path.join(out, '.vagrant/machines/a/libvirt'), { recursive: true });
  const r = await destroy(lab, {});
  expect(r.removed).toEqual(['pool lfp', `folder ${path.join(work, 'pools/p')}`]);
  expect((await virsh('pool-list', '--all', '--name')).trim()).toBe('');
  expect(fs.existsSync(path.join(work, 'pools/p'))).toBe(false);
  expect(fs.existsSync(path.join(out, '.vagrant'))).toBe(false);

  // A pool that was there: used, never recorded, kept by destroy.
  fs.mkdirSync(path.join(work, 'pools/p'), { recursive: true });
  await virsh('pool-define-as', 'theirs', 'dir', '--target', path.join(work, 'pools/p'));
  await virsh('pool-start', 'theirs');
  const theirs = loadLabText(labText('theirs'), file, { outDir: out }).lab;
  expect(await poolStep(theirs, v).task()).toBe("exists (not the lab's own: destroy keeps it)");
  expect(readRecord(out)?.pools).toBeUndefined();
  await destroy(theirs, {});
  expect((await virsh('pool-list', '--name')).trim()).toBe('theirs');
  await virsh('pool-destroy', 'theirs');
  await virsh('pool-undefine', 'theirs');
  fs.rmSync(work, { recursive: true, force: true });
}, 120000);

// The first failure mode through the real CLI: `labforge destroy` killed with SIGKILL while its
// `vagrant destroy -f` runs (a stand-in that takes its time); the next destroy stops that leftover, says so, and
// finishes; nothing of the lock is left.
test('a destroy killed with SIGKILL: the next destroy stops the vagrant it left running, says so, and finishes', async () => {
  const work = tempDir('labforge-kill-');
  fs.chmodSync(work, 0o755);
  const bin = path.join(work, 'bin');
  fs.mkdirSync(bin);
  // The stand-in vagrant: `destroy -f` takes 300 s while work/slow exists, and writes its pid.
  fs.writeFileSync(
    path.join(bin, 'vagrant'),
    `#!/bin/sh\n[ "$1" = destroy ] || exit 0\necho $$ >> ${work}/vagrant.pids\nif [ -e ${work}/slow ]; then exec sleep 300; fi\nexit 0\n`,
    { mode: 0o755 },
  );
  fs.writeFileSync(path.join(work, 'slow'), '');
  const file = path.join(work, 'lab.yaml');
  fs.writeFileSync(file, 'name: k\nvips: []\nnodes:\n  - { name: a, ip: 10.240.0.11 }\n');
  const out = path.join(work, 'out');
  expect((await cli(['--lab', file, '--out', out, 'render'])).exitCode).toBe(0);
  const env = { PATH: `${bin}:${process.env.PATH}` };
  const first = ns().exec('node', [CLI, '--lab', file, '--out', out, 'destroy'], { cwd: work, env, reject: false });
  const pidFile = path.join(work, 'vagrant.pids');
  const ledger = path.join(out, '.lock.children');
  const ready = () =>
    (fs.existsSync(ledger) ? fs.readFileSync(ledger, 'utf8') : '').includes('"vagrant"') &&
    /\d\n/.test(fs.existsSync(pidFile) ? fs.readFileSync(pidFile, 'utf8') : '');
  for (let i = 0; i < 300 && !ready(); i++) await new Promise((r) => setTimeout(r, 100));
  const vagrantPid = Number(fs.readFileSync(pidFile, 'utf8').trim());
  expect(JSON.parse(fs.readFileSync(ledger, 'utf8'))).toEqual([
    { pid: vagrantPid, start: expect.any(String), tool: 'vagrant' },
  ]);
  first.kill('SIGKILL');
  expect((await first).signal).toBe('SIGKILL');
  expect(() => process.kill(vagrantPid, 0)).not.toThrow(); // it outlived labforge
  fs.rmSync(path.join(work, 'slow'));
  const again = await ns().exec('node', [CLI, '--lab', file, '--out', out, 'destroy'], {
    cwd: work,
    env,
    reject: false,
  });
  expect(again.stderr).toContain(
    `labforge: stopped what an earlier, killed labforge left running on this lab: vagrant (pid ${vagrantPid})`,
  );
  expect(again.exitCode).toBe(0);
  const gone = () => {
    try {
      return /^\d+ \(.*\) [ZX] /.test(fs.readFileSync(`/proc/${vagrantPid}/stat`, 'utf8'));
    } catch {
      return true;
    }
  };
  expect(gone()).toBe(true);
  expect(fs.readdirSync(out).filter((n) => n.startsWith('.lock'))).toEqual([]);
  fs.rmSync(work, { recursive: true, force: true });
}, 120000);
