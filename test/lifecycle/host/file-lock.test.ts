// Two labs changing one shared file at once (issue #18, class 6): hosts --install reads, changes and replaces the
// file under a lock beside it (exclusive create, holder's pid and start time), so neither lab's change is lost; a
// lock left by a dead process is taken over; a live holder is waited for, then named.
import { execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { withFileLock, lockFileOf } from '../../../src/lifecycle/host/file-lock.js';
import { ROOT, cli, tempDir, writeLab } from '../../support.js';

const HOSTS = '127.0.0.1\tlocalhost\n192.0.2.7 printer\n';
const ROUNDS = 150;

/** Runs the fixture for one lab; resolves with the number of its changes that did not happen. */
function rounds(file: string, lab: string, lock = 'lock'): Promise<number> {
  const fixture = path.join(ROOT, 'test', 'fixtures', 'install-block-rounds.mjs');
  return new Promise((resolve, reject) => {
    const child = spawn('node', [fixture, file, lab, String(ROUNDS), lock], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.on('error', reject);
    child.on('exit', (code) => (code === 0 ? resolve(Number(out.trim())) : reject(new Error(`fixture exit ${code}`))));
  });
}

test(`two processes installing and removing two labs' blocks in one file, ${ROUNDS} rounds each: no change is lost, both blocks end in`, async () => {
  const dir = tempDir();
  const file = path.join(dir, 'hosts');
  fs.writeFileSync(file, HOSTS, { mode: 0o644 });
  const [a, b] = await Promise.all([rounds(file, 'one'), rounds(file, 'two')]);
  expect([a, b]).toEqual([0, 0]);
  const text = fs.readFileSync(file, 'utf8');
  expect(text.startsWith(HOSTS)).toBe(true);
  for (const lab of ['one', 'two']) {
    expect(text.split('\n').filter((l) => l === `# BEGIN labforge lab ${lab}`)).toHaveLength(1);
    expect(text).toContain(`10.240.0.11  a.${lab}.test a\n# END labforge lab ${lab}\n`);
  }
  // Nothing left beside it but the backup: no lock, no temp file.
  expect(fs.readdirSync(dir).sort()).toEqual(['hosts', 'hosts.labforge-backup']);
});

test('two labforge hosts --install of two labs on one file at once, several rounds: both blocks are in after each', async () => {
  const dir = tempDir();
  const file = path.join(dir, 'hosts');
  for (const name of ['one', 'two']) fs.mkdirSync(path.join(dir, name));
  const labs = ['one', 'two'].map((name) =>
    writeLab(
      `name: ${name}\ndomain: ${name}.test\nvips: []\nnodes:\n  - { name: a, ip: 10.240.0.11 }\n`,
      path.join(dir, name),
    ),
  );
  for (let round = 0; round < 4; round++) {
    fs.writeFileSync(file, HOSTS, { mode: 0o644 });
    const rs = await Promise.all(labs.map((lab) => cli(['--lab', lab, 'hosts', '--install', '--yes', '--file', file])));
    expect(rs.map((r) => r.exitCode)).toEqual([0, 0]);
    const text = fs.readFileSync(file, 'utf8');
    expect(text).toContain('10.240.0.11  a.one.test a');
    expect(text).toContain('10.240.0.11  a.two.test a');
  }
});

test('a lock left by a process that is gone is taken over; a live holder is waited for, then named (exit 2), the file untouched', async () => {
  const dir = tempDir();
  const file = path.join(dir, 'hosts');
  fs.writeFileSync(file, HOSTS);
  const lock = lockFileOf(file);
  expect(lock).toBe(path.join(dir, '.hosts.labforge-lock'));
  // A dead holder: a pid no process has (above the kernel's pid_max).
  fs.writeFileSync(lock, JSON.stringify({ pid: 2 ** 22 + 1, command: 'hosts --install', started: 'then' }));
  expect(await withFileLock(file, 'test', () => 'changed', { create: false })).toBe('changed');
  expect(fs.existsSync(lock)).toBe(false);
  // A live holder that started when it says: this test's parent process (jest's).
  const start = fs.readFileSync(`/proc/${process.ppid}/stat`, 'utf8');
  const holder = {
    pid: process.ppid,
    start: start.slice(start.lastIndexOf(')') + 2).split(' ')[19],
    command: 'hosts --install',
    started: '2026-12-03T01:00:00Z',
  };
  fs.writeFileSync(lock, JSON.stringify(holder));
  let ran = false;
  await expect(withFileLock(file, 'test', () => (ran = true), { create: false, waitS: 0.3 })).rejects.toThrow(
    `holds ${lock}; waited 0.3 s`,
  );
  expect(ran).toBe(false);
  expect(fs.readFileSync(file, 'utf8')).toBe(HOSTS);
  // The same holder with another start time: its pid was reused, the lock is stale.
  fs.writeFileSync(lock, JSON.stringify({ ...holder, start: '1' }));
  expect(await withFileLock(file, 'test', () => 'changed', { create: false })).toBe('changed');
});

test('a link to an endless device or a FIFO planted as the lock is never followed, waited on or read: it is taken over', async () => {
  for (const plant of ['link', 'fifo'] as const) {
    const dir = tempDir();
    const file = path.join(dir, 'hosts');
    fs.writeFileSync(file, HOSTS);
    const lock = lockFileOf(file);
    if (plant === 'link') fs.symlinkSync('/dev/zero', lock);
    else execFileSync('mkfifo', [lock]);
    expect(await withFileLock(file, 'test', () => 'changed', { create: false, waitS: 5 })).toBe('changed');
    expect(fs.existsSync(lock)).toBe(false);
  }
});
