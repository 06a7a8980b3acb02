// Issue #18, class 1: links and special files inside labforge's own folders (or at the names it writes beside a
// user's file) are never followed, and a planted file is never deleted. Each case ran against main before the file
// layer and failed there (the victim's files deleted or written, the planted file gone, the device replaced).
import fs from 'node:fs';
import path from 'node:path';
import { execa } from 'execa';
import { applyBlock } from '../../src/lifecycle/host/workstation.js';
import { cli, tempDir, writeLab } from '../support.js';

const LAB = 'name: a\nvips: []\nnodes:\n  - { name: x, ip: 10.240.0.11 }\n';

/** A folder of the user's that a hostile output folder points at. */
function victim(dir: string): string {
  const v = path.join(dir, 'victim');
  fs.mkdirSync(v, { mode: 0o755 });
  fs.writeFileSync(path.join(v, 'thesis.tex'), 'years of work');
  fs.chmodSync(v, 0o755);
  return v;
}

async function renderedOut(lab = LAB) {
  const dir = tempDir();
  const labFile = writeLab(lab, dir);
  const out = path.join(dir, 'out');
  const render = () => cli(['--lab', labFile, '--out', out, 'render']);
  expect((await render()).exitCode).toBe(0);
  return { dir, out, render };
}

describe('links in the output folder (a cloned repository can commit them)', () => {
  test('.renders as a link to another folder: render deletes nothing there and says why (exit 2)', async () => {
    const { dir, out, render } = await renderedOut();
    const v = victim(dir);
    fs.mkdirSync(path.join(v, 'r-aaaaaa'));
    fs.writeFileSync(path.join(v, 'r-aaaaaa', 'notes'), 'mine');
    fs.rmSync(path.join(out, '.renders'), { recursive: true });
    fs.symlinkSync(v, path.join(out, '.renders'));
    const r = await render();
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toMatch(/\.renders is a symbolic link; labforge never follows links/);
    expect(fs.readFileSync(path.join(v, 'thesis.tex'), 'utf8')).toBe('years of work');
    expect(fs.readFileSync(path.join(v, 'r-aaaaaa', 'notes'), 'utf8')).toBe('mine');
    expect(fs.readdirSync(v).sort()).toEqual(['r-aaaaaa', 'thesis.tex']);
  });

  test('secrets as a link: render neither chmods the target nor writes the key or the password there', async () => {
    const { dir, out, render } = await renderedOut(`${LAB}access: { root_password: hunter2 }\n`);
    const v = victim(dir);
    fs.rmSync(path.join(out, 'secrets'), { recursive: true });
    fs.symlinkSync(v, path.join(out, 'secrets'));
    const r = await render();
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toMatch(/secrets is a symbolic link/);
    expect(fs.statSync(v).mode & 0o777).toBe(0o755);
    expect(fs.readdirSync(v)).toEqual(['thesis.tex']);
  });

  test('a link planted in a render folder is removed itself, its target untouched', async () => {
    const { dir, out, render } = await renderedOut();
    const v = victim(dir);
    const current = fs.readlinkSync(path.join(out, '.current'));
    fs.rmSync(path.join(out, current, 'Vagrantfile'));
    fs.symlinkSync(path.join(v, 'thesis.tex'), path.join(out, current, 'Vagrantfile'));
    expect((await render()).exitCode).toBe(0);
    expect(fs.readFileSync(path.join(v, 'thesis.tex'), 'utf8')).toBe('years of work');
  });
});

describe('hosts --install beside the user file', () => {
  function hostsSetup() {
    const dir = tempDir();
    const lab = writeLab(LAB, dir);
    const file = path.join(dir, 'hosts');
    fs.writeFileSync(file, '127.0.0.1 localhost\n', { mode: 0o644 });
    const install = (f = file) =>
      cli(['--lab', lab, '--out', path.join(dir, 'out'), 'hosts', '--install', '--yes', '--file', f]);
    return { dir, file, install };
  }

  test('a link at <file>.labforge-backup is replaced by the backup, its target never written', async () => {
    const { dir, file, install } = hostsSetup();
    const target = path.join(victim(dir), 'thesis.tex');
    fs.symlinkSync(target, `${file}.labforge-backup`);
    expect((await install()).exitCode).toBe(0);
    expect(fs.readFileSync(target, 'utf8')).toBe('years of work');
    expect(fs.lstatSync(`${file}.labforge-backup`).isFile()).toBe(true);
    expect(fs.readFileSync(`${file}.labforge-backup`, 'utf8')).toBe('127.0.0.1 localhost\n');
  });

  test('a file planted at the temp name main used (.hosts.labforge-<pid>) is neither used nor deleted', () => {
    const dir = tempDir();
    const file = path.join(dir, 'hosts');
    fs.writeFileSync(file, '127.0.0.1 localhost\n');
    const planted = path.join(dir, `.hosts.labforge-${process.pid}`);
    fs.writeFileSync(planted, 'planted');
    const r = applyBlock(
      file,
      { begin: '# B', end: '# E', text: '# B\n10.0.0.1 x\n# E\n', at: 'end' },
      { create: false },
    );
    expect(r.changed).toBe(true);
    expect(fs.readFileSync(planted, 'utf8')).toBe('planted');
    expect(fs.readFileSync(file, 'utf8')).toBe('127.0.0.1 localhost\n# B\n10.0.0.1 x\n# E\n');
    // No temp file is left, and none has a name anyone could guess.
    expect(fs.readdirSync(dir).sort()).toEqual(['.hosts.labforge-' + process.pid, 'hosts', 'hosts.labforge-backup']);
  });

  test('--file naming a device node is refused (exit 2), the node stays a device', async () => {
    if (process.getuid?.() !== 0) return; // mknod needs root; CI and this host run as root
    const { dir, install } = hostsSetup();
    const dev = path.join(dir, 'null-device');
    await execa('mknod', [dev, 'c', '1', '3']);
    const r = await install(dev);
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toMatch(/--file: .*null-device" is a device node, not a regular file/);
    expect(fs.statSync(dev).isCharacterDevice()).toBe(true);
  });

  test('--file naming a FIFO: exits at once with a clear message (no read that blocks)', async () => {
    const { dir, install } = hostsSetup();
    const fifo = path.join(dir, 'pipe');
    await execa('mkfifo', [fifo]);
    const started = Date.now();
    const r = await install(fifo);
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toMatch(/--file: .*pipe" is a FIFO \(named pipe\), not a regular file/);
    expect(Date.now() - started).toBeLessThan(20_000); // main blocked here for ever
    expect(fs.lstatSync(fifo).isFIFO()).toBe(true);
  });
});
