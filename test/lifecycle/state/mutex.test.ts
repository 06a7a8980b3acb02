// One labforge command at a time per lab: a second one says who holds the lock.
import fs from 'node:fs';
import path from 'node:path';
import { spawn } from 'node:child_process';
import { acquireMutex } from '../../../src/lifecycle/state/mutex.js';
import { LabBusyError } from '../../../src/errors.js';
import { execa } from 'execa';
import { cli, ROOT, tempDir, writeLab } from '../../support.js';

test('a live holder blocks, a dead one is taken over', () => {
  const dir = tempDir();
  const release = acquireMutex(dir, 'up');
  expect(() => acquireMutex(dir, 'destroy')).toThrow(LabBusyError);
  expect(() => acquireMutex(dir, 'destroy')).toThrow(new RegExp(`\`labforge up\` \\(pid ${process.pid}`));
  release();
  fs.writeFileSync(path.join(dir, '.lock'), JSON.stringify({ pid: 2 ** 22 + 12345, command: 'up', started: 'then' }));
  const again = acquireMutex(dir, 'halt');
  expect(JSON.parse(fs.readFileSync(path.join(dir, '.lock'), 'utf8')).command).toBe('halt');
  again();
  expect(fs.existsSync(path.join(dir, '.lock'))).toBe(false);
});

test('the CLI refuses a second command while another holds the lab, with exit code 2', async () => {
  const dir = tempDir();
  const file = writeLab('name: t\nvips: []\nnodes:\n  - { name: a, ip: 10.240.0.11 }\n', dir);
  const out = path.join(dir, 'out');
  fs.mkdirSync(out);
  fs.writeFileSync(path.join(out, '.labforge-owner.json'), '{}'); // a folder labforge owns
  const holder = spawn('sleep', ['30']);
  try {
    fs.writeFileSync(
      path.join(out, '.lock'),
      JSON.stringify({ pid: holder.pid, command: 'up', started: '2026-11-25T12:00:00Z' }),
    );
    const r = await cli(['--lab', file, '--out', out, 'render']);
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toContain(`another labforge holds ${out}/.lock: \`labforge up\` (pid ${holder.pid}`);
  } finally {
    holder.kill();
  }
});

test('a lock whose pid now belongs to another process (started later) is stale and taken over', () => {
  const dir = tempDir();
  // pid 1 is alive, but it did not start at this time: the lock's process is gone and its pid was reused.
  fs.writeFileSync(path.join(dir, '.lock'), JSON.stringify({ pid: 1, start: '1', command: 'up', started: 'then' }));
  const release = acquireMutex(dir, 'halt');
  expect(JSON.parse(fs.readFileSync(path.join(dir, '.lock'), 'utf8')).pid).toBe(process.pid);
  release();
});

test('an empty lock file does not block, and of many commands racing for it exactly one at a time holds the lab', async () => {
  const dir = tempDir();
  fs.writeFileSync(path.join(dir, '.lock'), '');
  const log = path.join(dir, 'holders.log');
  const script = `
    import fs from 'node:fs';
    import { acquireMutex } from ${JSON.stringify(path.join(ROOT, 'dist', 'lifecycle', 'state', 'mutex.js'))};
    const [dir, log] = process.argv.slice(1); // node -e: no script path in argv
    for (let i = 0; i < 200; i++) {
      try {
        const release = acquireMutex(dir, 'race');
        fs.appendFileSync(log, 'in ' + process.pid + '\\n');
        await new Promise((r) => setTimeout(r, 20));
        fs.appendFileSync(log, 'out ' + process.pid + '\\n');
        release();
        process.exit(0);
      } catch (e) {
        if (e.name !== 'Error' && !/another labforge holds|cannot take/.test(e.message)) throw e;
        await new Promise((r) => setTimeout(r, 5));
      }
    }
    process.exit(3);`;
  const racers = Array.from({ length: 8 }, () =>
    execa('node', ['--input-type=module', '-e', script, dir, log], { reject: false }),
  );
  const results = await Promise.all(racers);
  expect(results.map((r) => r.exitCode)).toEqual(Array(8).fill(0));
  // The log alternates in/out of the same process: nobody was in while another was.
  const lines = fs.readFileSync(log, 'utf8').trim().split('\n');
  expect(lines).toHaveLength(16);
  for (let i = 0; i < lines.length; i += 2) {
    expect(lines[i]).toMatch(/^in \d+$/);
    expect(lines[i + 1]).toBe(lines[i].replace('in', 'out'));
  }
  expect(fs.existsSync(path.join(dir, '.lock'))).toBe(false);
}, 60000);
