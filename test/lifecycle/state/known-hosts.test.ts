// <out>/known_hosts after a node is made anew: the keys of a node whose domain is not the one they were learned from
// are forgotten before the next login, read and checked with the real ssh-keygen (plain and hashed lines); lines ssh
// cannot read are dropped; anything but a regular file there ends the command (exit 2, naming it, left as it is).
import fs from 'node:fs';
import { jest } from '@jest/globals';
import path from 'node:path';
import { execa, execaSync } from 'execa';
import { loadLabFile } from '../../../src/lab/load.js';
import { forgetKeysOfNewDomains, withoutHosts } from '../../../src/lifecycle/state/known-hosts.js';
import { CLI, cli, requireTool, standInVirsh, tempDir, writeLab } from '../../support.js';

const LAB =
  'name: t\ndomain: example.com\nvips: []\nnodes:\n  - { name: a, ip: 10.240.0.11 }\n  - { name: b, ip: 10.240.0.12 }\n';

beforeAll(() => requireTool('ssh-keygen'));

/** A host key's `type base64` (made by ssh-keygen). */
async function hostKey(dir: string, name: string): Promise<string> {
  await execa('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', path.join(dir, name)]);
  return fs
    .readFileSync(path.join(dir, `${name}.pub`), 'utf8')
    .trim()
    .split(/\s+/)
    .slice(0, 2)
    .join(' ');
}

/** Whether ssh-keygen finds a key for `host` in the file (it reads hashed lines too). */
async function sshKnows(file: string, host: string): Promise<boolean> {
  return (await execa('ssh-keygen', ['-F', host, '-f', file], { reject: false })).exitCode === 0;
}

/** A rendered lab with Vagrant's domain ids for its nodes, a known_hosts with a key per node, and the lab model. */
async function lab(ids: Record<string, string>, hashed = false) {
  const dir = tempDir();
  const file = writeLab(LAB, dir);
  const out = path.join(dir, 'out');
  expect((await cli(['--lab', file, '--out', out, 'render'])).exitCode).toBe(0);
  setIds(out, ids);
  const kh = path.join(out, 'known_hosts');
  const keys = { a: await hostKey(dir, 'ka'), b: await hostKey(dir, 'kb'), other: await hostKey(dir, 'ko') };
  const write = () => {
    fs.writeFileSync(kh, `10.240.0.11 ${keys.a}\n10.240.0.12 ${keys.b}\n# a comment\n192.0.2.9,other ${keys.other}\n`);
    if (hashed) return execa('ssh-keygen', ['-H', '-f', kh]);
  };
  await write();
  const model = loadLabFile(file, { outDir: out }).lab;
  return { dir, out, kh, model, write, keys };
}

function setIds(out: string, ids: Record<string, string>) {
  for (const n of ['a', 'b']) {
    const f = path.join(out, '.vagrant', 'machines', n, 'libvirt', 'id');
    if (ids[n]) {
      fs.mkdirSync(path.dirname(f), { recursive: true });
      fs.writeFileSync(f, `${ids[n]}\n`);
    } else fs.rmSync(f, { force: true });
  }
}

test.each([false, true])(
  'a node made anew has its keys forgotten, only its own (hashed lines: %s); unchanged domains keep theirs',
  async (hashed) => {
    const { out, kh, model, write } = await lab({ a: 'uuid-a1', b: 'uuid-b1' }, hashed);
    // No record of where the keys came from (a lab an older labforge brought up): every node's are forgotten once.
    forgetKeysOfNewDomains(model);
    expect(await sshKnows(kh, '10.240.0.11')).toBe(false);
    expect(await sshKnows(kh, '10.240.0.12')).toBe(false);
    expect(await sshKnows(kh, '192.0.2.9')).toBe(true);
    expect(JSON.parse(fs.readFileSync(path.join(out, '.labforge-known-hosts.json'), 'utf8'))).toEqual({
      a: 'uuid-a1',
      b: 'uuid-b1',
    });
    // ssh learned them again; the same domains: nothing forgotten, the file not even rewritten.
    await write();
    const before = fs.statSync(kh).mtimeMs;
    forgetKeysOfNewDomains(model);
    expect(await sshKnows(kh, '10.240.0.11')).toBe(true);
    expect(fs.statSync(kh).mtimeMs).toBe(before);
    // Node a made anew: its keys go, b's stay.
    setIds(out, { a: 'uuid-a2', b: 'uuid-b1' });
    forgetKeysOfNewDomains(model);
    expect(await sshKnows(kh, '10.240.0.11')).toBe(false);
    expect(await sshKnows(kh, '10.240.0.12')).toBe(true);
    // Node b's domain gone (vagrant destroy b): its keys go too.
    setIds(out, { a: 'uuid-a2' });
    forgetKeysOfNewDomains(model);
    expect(await sshKnows(kh, '10.240.0.12')).toBe(false);
    expect(await sshKnows(kh, '192.0.2.9')).toBe(true);
    expect(JSON.parse(fs.readFileSync(path.join(out, '.labforge-known-hosts.json'), 'utf8'))).toEqual({
      a: 'uuid-a2',
    });
  },
);

test('lines ssh cannot read (a key cut short, junk) are dropped, and the file ends with a line end', async () => {
  const dir = tempDir();
  const key = await hostKey(dir, 'k');
  const whole = `10.240.0.12 ${key}`;
  const cut = `10.240.0.11 ${key.slice(0, -10)}`;
  const r = withoutHosts(`${whole}\nnot a key line\n10.240.0.13 ssh-ed25519 AAAA\n${cut}`, []);
  expect(r).toEqual({ text: `${whole}\n`, dropped: 0, damaged: 3 });
  // ssh-keygen reads what is left.
  fs.writeFileSync(path.join(dir, 'kh'), r.text);
  expect(await sshKnows(path.join(dir, 'kh'), '10.240.0.12')).toBe(true);
  // A name in a [host]:port pattern or a list, and a negated pattern (which never names the node).
  expect(withoutHosts(`[10.240.0.11]:22,x ${key}\n!10.240.0.11 ${key}\n`, ['10.240.0.11'])).toEqual({
    text: `!10.240.0.11 ${key}\n`,
    dropped: 1,
    damaged: 0,
  });
});

test('a damaged record of the domains is noted and counts as none: every node is forgotten once', async () => {
  const { out, kh, model } = await lab({ a: 'uuid-a1', b: 'uuid-b1' });
  forgetKeysOfNewDomains(model);
  fs.writeFileSync(path.join(out, '.labforge-known-hosts.json'), '{"a": "uuid-');
  fs.appendFileSync(kh, `10.240.0.11 ${await hostKey(path.dirname(out), 'k2')}\n`);
  const write = jest.spyOn(process.stderr, 'write').mockImplementation(() => true);
  try {
    forgetKeysOfNewDomains(model);
    expect(String(write.mock.calls[0][0])).toMatch(
      /\.labforge-known-hosts\.json is damaged \(cut short: the JSON ends early\).*forgotten once and learned again/,
    );
  } finally {
    write.mockRestore();
  }
  expect(await sshKnows(kh, '10.240.0.11')).toBe(false);
});

test.each([
  ['a link', (f: string, dir: string) => fs.symlinkSync(path.join(dir, 'elsewhere'), f), /a symbolic link/],
  ['a FIFO', (f: string) => execaSync('mkfifo', [f]), /a FIFO/],
  ['a folder', (f: string) => fs.mkdirSync(f), /a folder/],
])('known_hosts that is %s ends a login with exit 2 naming it, left as it is', async (_what, make, why) => {
  const dir = tempDir();
  const bin = path.join(dir, 'bin');
  fs.mkdirSync(bin);
  standInVirsh(bin, ['t-a']);
  fs.writeFileSync(path.join(bin, 'ssh'), `#!/bin/sh\ntouch '${dir}/ssh-ran'\n`, { mode: 0o755 });
  fs.writeFileSync(path.join(dir, 'elsewhere'), 'theirs\n');
  const file = writeLab(LAB, dir);
  const out = path.join(dir, 'out');
  expect((await cli(['--lab', file, '--out', out, 'render'])).exitCode).toBe(0);
  const kh = path.join(out, 'known_hosts');
  make(kh, dir);
  const r = await execa(process.execPath, [CLI, '--lab', file, '--out', out, 'ssh', 'a', '--', 'true'], {
    env: { PATH: `${bin}:${process.env.PATH}`, NO_COLOR: '1' },
    reject: false,
    timeout: 30000,
  });
  expect(r.exitCode).toBe(2);
  expect(r.stderr).toContain(`${kh} is damaged (`);
  expect(r.stderr).toMatch(why);
  expect(r.stderr).toContain("the nodes' host keys as ssh learned them");
  expect(fs.existsSync(path.join(dir, 'ssh-ran'))).toBe(false);
  expect(fs.readFileSync(path.join(dir, 'elsewhere'), 'utf8')).toBe('theirs\n');
});
