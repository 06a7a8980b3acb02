// One labforge command at a time per lab: a second one says who holds the lock.
import fs from 'node:fs';
import path from 'node:path';
import { spawn } from 'node:child_process';
import { acquireLock, LabLockedError } from '../../src/lifecycle/lock.js';
import { cli, tempDir, writeLab } from '../support.js';

test('a live holder blocks, a dead one is taken over', () => {
  const dir = tempDir();
  const release = acquireLock(dir, 'up');
  expect(() => acquireLock(dir, 'destroy')).toThrow(LabLockedError);
  expect(() => acquireLock(dir, 'destroy')).toThrow(new RegExp(`\`labforge up\` \\(pid ${process.pid}`));
  release();
  fs.writeFileSync(path.join(dir, '.lock'), JSON.stringify({ pid: 2 ** 22 + 12345, command: 'up', started: 'then' }));
  const again = acquireLock(dir, 'halt');
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
    fs.writeFileSync(path.join(out, '.lock'), JSON.stringify({ pid: holder.pid, command: 'up', started: '2026-11-25T12:00:00Z' }));
    const r = await cli(['--lab', file, '--out', out, 'render']);
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toContain(`another labforge holds ${out}/.lock: \`labforge up\` (pid ${holder.pid}`);
  } finally {
    holder.kill();
  }
});
