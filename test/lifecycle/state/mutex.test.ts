// One labforge command at a time per lab: a second one says who holds the lock.
import fs from 'node:fs';
import path from 'node:path';
import { spawn } from 'node:child_process';
import { acquireMutex, processStart, settleLeftovers } from '../../../src/lifecycle/state/mutex.js';
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

// A labforge killed with SIGKILL leaves its children running (Node has no PR_SET_PDEATHSIG): they are recorded next
// to the lock, and the next command stops them (pid and start time checked) before it acts.
test('the children of a killed holder are stopped by the next command, which says so', async () => {
  const dir = tempDir();
  const dist = (m: string) => JSON.stringify(path.join(ROOT, 'dist', m));
  const script = `
    import { acquireMutex, settleLeftovers } from ${dist('lifecycle/state/mutex.js')};
    import { run } from ${dist('tools/run.js')};
    const dir = process.argv[1];
    acquireMutex(dir, 'up');
    await settleLeftovers(dir);
    await run('sh', ['-c', 'sleep 300 & sleep 301; wait']);`;
  const holder = execa('node', ['--input-type=module', '-e', script, dir], { reject: false });
  const ledger = path.join(dir, '.lock.children');
  let entries: { pid: number; start: string; tool: string }[] = [];
  for (let i = 0; i < 100 && entries.length === 0; i++) {
    await new Promise((r) => setTimeout(r, 100));
    if (fs.existsSync(ledger)) entries = JSON.parse(fs.readFileSync(ledger, 'utf8'));
  }
  expect(entries).toEqual([{ pid: expect.any(Number), start: expect.any(String), tool: 'sh' }]);
  const sh = entries[0].pid;
  await new Promise((r) => setTimeout(r, 300)); // the sleeps have started
  const sleeps = (await execa('pgrep', ['-P', String(sh)])).stdout.split('\n').map(Number);
  expect(sleeps).toHaveLength(2);
  holder.kill('SIGKILL');
  await holder;
  // The failure mode: the child outlives labforge.
  expect(() => process.kill(sh, 0)).not.toThrow();
  const said: string[] = [];
  const release = acquireMutex(dir, 'up');
  await settleLeftovers(dir, (l) => said.push(l));
  expect(said).toEqual([`labforge: stopped what an earlier, killed labforge left running on this lab: sh (pid ${sh})`]);
  // Gone (a zombie waiting for whoever inherited it to reap it has ended too).
  const running = (pid: number) => {
    try {
      return !/^\d+ \(.*\) [ZX] /.test(fs.readFileSync(`/proc/${pid}/stat`, 'utf8'));
    } catch {
      return false;
    }
  };
  expect([sh, ...sleeps].filter(running)).toEqual([]);
  // Our own children are recorded from now on; the release removes the ledger.
  expect(fs.existsSync(ledger)).toBe(false);
  release();
  expect(fs.readdirSync(dir)).toEqual([]);
}, 60000);

test('a recorded child whose pid now runs another process (another start time) is left alone', async () => {
  const dir = tempDir();
  const other = spawn('sleep', ['30']);
  try {
    fs.writeFileSync(
      path.join(dir, '.lock.children'),
      JSON.stringify([{ pid: other.pid, start: '1', tool: 'vagrant' }]),
    );
    const said: string[] = [];
    const release = acquireMutex(dir, 'up');
    await settleLeftovers(dir, (l) => said.push(l));
    release();
    expect(said).toEqual([]);
    expect(other.exitCode).toBeNull();
    expect(processStart(other.pid!)).toBeDefined();
  } finally {
    other.kill();
  }
});

test("a damaged children ledger and a killed holder's ledger temp file are cleaned up; other files kept", async () => {
  const dir = tempDir();
  fs.writeFileSync(path.join(dir, '.lock.children'), '[{"pid": 12');
  fs.writeFileSync(path.join(dir, '..lock.children.labforge-tmp-0123456789abcdef'), '[]');
  fs.writeFileSync(path.join(dir, '..lock.children.labforge-tmp-keep'), '[]');
  fs.writeFileSync(path.join(dir, 'mine.txt'), 'x');
  const release = acquireMutex(dir, 'up');
  await settleLeftovers(dir, () => undefined);
  release();
  expect(fs.readdirSync(dir).sort()).toEqual(['..lock.children.labforge-tmp-keep', 'mine.txt']);
});
