// The workstation's /etc/hosts and ~/.ssh/config (temp files here, never the machine's own): the lab's block goes
// in once, every other line stays, a backup comes first, removal gives the file back, a broken block is refused.
import fs from 'node:fs';
import path from 'node:path';
import { execa } from 'execa';
import { CLI, cli, requireTool, tempDir, writeLab } from '../../support.js';

const LAB =
  'name: t\ndomain: example.com\nvips: [{ name: lb, ip: 10.240.0.40 }]\nnodes:\n  - { name: a, ip: 10.240.0.11 }\n  - { name: b, ip: 10.240.0.12 }\n';
const HOSTS = '127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost\n# my own comment\n192.0.2.7 printer\n';

function setup(text = HOSTS) {
  const dir = tempDir();
  const lab = writeLab(LAB, dir);
  const file = path.join(dir, 'hosts');
  fs.writeFileSync(file, text, { mode: 0o644 });
  const labforge = (args: string[], env: Record<string, string> = {}) =>
    cli(['--lab', lab, '--out', path.join(dir, 'out'), ...args], { env });
  return { dir, lab, file, labforge };
}

describe('labforge hosts', () => {
  test('install adds the block once, leaves every other line, backs up first; a second install changes nothing', async () => {
    const { file, labforge } = setup();
    const r = await labforge(['hosts', '--install', '--yes', '--file', file]);
    expect(r.exitCode).toBe(0);
    const after = fs.readFileSync(file, 'utf8');
    expect(after.startsWith(HOSTS)).toBe(true);
    const block = after.slice(HOSTS.length).trimEnd().split('\n');
    expect(block[0]).toBe('# BEGIN labforge lab t');
    expect(block[block.length - 1]).toBe('# END labforge lab t');
    expect(block.filter((l) => !l.startsWith('#'))).toEqual([
      '10.240.0.11  a.example.com a',
      '10.240.0.12  b.example.com b',
      '10.240.0.40  lb.example.com lb',
    ]);
    expect(fs.readFileSync(`${file}.labforge-backup`, 'utf8')).toBe(HOSTS);
    expect(fs.statSync(file).mode & 0o777).toBe(0o644);
    fs.rmSync(`${file}.labforge-backup`);
    const again = await labforge(['hosts', '--install', '--yes', '--file', file]);
    expect(again.stdout).toContain('nothing changed');
    expect(fs.readFileSync(file, 'utf8')).toBe(after);
    expect(fs.existsSync(`${file}.labforge-backup`)).toBe(false);
  });

  test('a changed lab replaces its block where it stands; remove gives the file back as it was', async () => {
    const { file, lab, labforge } = setup();
    await labforge(['hosts', '--install', '--yes', '--file', file]);
    fs.appendFileSync(file, '198.51.100.1 added-later\n');
    fs.writeFileSync(lab, LAB.replace('10.240.0.12', '10.240.0.13'));
    await labforge(['hosts', '--install', '--yes', '--file', file]);
    const text = fs.readFileSync(file, 'utf8');
    expect(text).toContain('10.240.0.13  b.example.com b');
    expect(text).not.toContain('10.240.0.12');
    expect(text.trimEnd().endsWith('198.51.100.1 added-later')).toBe(true);
    expect((await labforge(['hosts', '--remove', '--yes', '--file', file])).exitCode).toBe(0);
    expect(fs.readFileSync(file, 'utf8')).toBe(`${HOSTS}198.51.100.1 added-later\n`);
  });

  test('a block whose end marker is gone is refused (exit 2) and the file is not touched', async () => {
    const broken = `${HOSTS}# BEGIN labforge lab t\n10.240.0.11 a\n`;
    const { file, labforge } = setup(broken);
    const r = await labforge(['hosts', '--install', '--yes', '--file', file]);
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toContain('are not one well-formed block');
    expect(fs.readFileSync(file, 'utf8')).toBe(broken);
  });

  test('without --install or --remove it prints the block; both at once is exit 2', async () => {
    const { labforge } = setup();
    const r = await labforge(['hosts']);
    expect(r.stdout.split('\n')[0]).toBe('# BEGIN labforge lab t');
    expect((await labforge(['hosts', '--install', '--remove'])).exitCode).toBe(2);
  });
});

describe('labforge ssh-config', () => {
  test("install puts an Include first in ~/.ssh/config, so `ssh root@a` reaches the node with the lab's settings; remove takes it out", async () => {
    requireTool('ssh');
    const { dir, labforge } = setup();
    expect((await labforge(['render'])).exitCode).toBe(0);
    const home = path.join(dir, 'home');
    const config = path.join(home, '.ssh', 'config');
    fs.mkdirSync(path.dirname(config), { recursive: true });
    const mine = 'Host *\n  ServerAliveInterval 30\n\nHost b\n  Port 2222\n';
    fs.writeFileSync(config, mine, { mode: 0o600 });
    expect((await labforge(['ssh-config', '--install', '--yes'], { HOME: home })).exitCode).toBe(0);
    const text = fs.readFileSync(config, 'utf8');
    expect(text.split('\n')[1]).toBe(`Include "${path.join(dir, 'out', 'ssh_config')}"`);
    expect(text.endsWith(mine)).toBe(true);
    const g = await execa('ssh', ['-G', '-F', config, 'root@a']);
    expect(g.stdout).toContain('hostname 10.240.0.11');
    expect(g.stdout).toContain(`identityfile ${path.join(dir, 'out', 'secrets', 'id_ed25519')}`);
    expect(g.stdout).toContain('serveraliveinterval 30');
    expect((await labforge(['ssh-config', '--install', '--yes'], { HOME: home })).stdout).toContain('nothing changed');
    await labforge(['ssh-config', '--remove', '--yes'], { HOME: home });
    expect(fs.readFileSync(config, 'utf8')).toBe(mine);
  });

  test('a missing ~/.ssh/config is created (0600) holding only the Include', async () => {
    const { dir, labforge } = setup();
    const home = path.join(dir, 'home');
    expect((await labforge(['ssh-config', '--install', '--yes'], { HOME: home })).exitCode).toBe(0);
    const config = path.join(home, '.ssh', 'config');
    expect(fs.statSync(config).mode & 0o777).toBe(0o600);
    expect(fs.readFileSync(config, 'utf8').split('\n').filter(Boolean)).toHaveLength(3);
  });
});

describe('changing a system file asks first', () => {
  test('without a terminal and without --yes: exit 2 naming --yes, the file untouched; CI mode goes on', async () => {
    const { file, labforge } = setup();
    for (const args of [
      ['hosts', '--install', '--file', file],
      ['hosts', '--remove', '--file', file],
    ]) {
      const r = await labforge(args, { CI: '' });
      expect(r.exitCode).toBe(2);
      expect(r.stderr).toContain('give --yes to go on without asking');
    }
    expect(fs.readFileSync(file, 'utf8')).toBe(HOSTS);
    expect((await labforge(['hosts', '--install', '--file', file], { CI: 'true' })).exitCode).toBe(0);
    expect(fs.readFileSync(file, 'utf8')).toContain('# BEGIN labforge lab t');
  });

  test('on a terminal (script): the block and the file are shown, then the question; n keeps, y changes', async () => {
    requireTool('script');
    const { dir, lab, file } = setup();
    const onTerminal = (answer: string) =>
      execa(
        'script',
        [
          '-qfec',
          `node '${CLI}' --lab '${lab}' --out '${path.join(dir, 'out')}' hosts --install --file '${file}'`,
          '/dev/null',
        ],
        { input: answer, env: { CI: '', NO_COLOR: '1' }, reject: false, timeout: 60000 },
      );
    const no = await onTerminal('n\n');
    expect(no.stdout).toContain(`labforge hosts: puts this block of lab t in ${file}`);
    expect(no.stdout).toContain('10.240.0.11');
    expect(no.stdout).toContain(`Change ${file}? [y/N]`);
    expect(no.exitCode).toBe(1);
    expect(fs.readFileSync(file, 'utf8')).toBe(HOSTS);
    const yes = await onTerminal('y\n');
    expect(yes.exitCode).toBe(0);
    expect(yes.stdout).toContain(`labforge: installed the block of lab t in ${file}`);
    expect(fs.readFileSync(file, 'utf8')).toContain('# BEGIN labforge lab t');
  });
});
