// Vagrant's adapter: its machine-readable output, parsed as Vagrant writes it (the format of vagrant 2.3.4's output
// here); where the installed Vagrant keeps its files and insecure keys; its box store in both layouts.
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import { execa } from 'execa';
import { vagrantKeys } from '../../src/lifecycle/host/vagrant-keys.js';
import {
  boxAddTempFiles,
  boxInstalled,
  boxUnpackedBytes,
  parseMachineReadable,
  parseStatus,
  describe as describeVagrant,
  insecureKeys,
  parseSourceRoot,
  preferredKey,
  publicBlobOf,
  vagrantArchitecture,
} from '../../src/tools/vagrant.js';
import { requireTool, tempDir } from '../support.js';

test('fields unescape %!(VAGRANT_COMMA) and \\n', () => {
  const [line] = parseMachineReadable('1795609947,vagrant-libvirt,plugin-version,0.11.2%!(VAGRANT_COMMA) system\n');
  expect(line).toEqual({
    timestamp: 1795609947,
    target: 'vagrant-libvirt',
    type: 'plugin-version',
    data: ['0.11.2, system'],
  });
  const [ui] = parseMachineReadable('1,,ui,info,line one\\nline two%!(VAGRANT_COMMA) still two');
  expect(ui.data).toEqual(['info', 'line one\nline two, still two']);
});

test('status: every machine with its state and provider', () => {
  const text = [
    '1795609946,etcd1,metadata,provider,libvirt',
    '1795609946,etcd2,metadata,provider,libvirt',
    '1795609947,etcd1,provider-name,libvirt',
    '1795609947,etcd1,state,running',
    '1795609947,etcd1,state-human-short,running',
    '1795609947,etcd2,provider-name,libvirt',
    '1795609947,etcd2,state,not_created',
    '1795609947,,ui,info,Current machine states:',
  ].join('\n');
  expect(parseStatus(text)).toEqual([
    { name: 'etcd1', state: 'running', provider: 'libvirt' },
    { name: 'etcd2', state: 'not_created', provider: 'libvirt' },
  ]);
});

// ---------------------------------------------------------------- where Vagrant is, its insecure keys, its boxes

/** The lines Vagrant's debug log writes for its core plugins, as three installations lay them out: Debian 12's
 *  vagrant 2.3.4, Debian 13's 2.3.8.dev, HashiCorp's package (Vagrant 2.4 under /opt/vagrant/embedded). */
const LOGS = {
  '/usr/share/rubygems-integration/all/gems/vagrant-2.3.4':
    ' INFO global: Vagrant version: 2.3.4\nDEBUG global: Loading core plugin: ' +
    '/usr/share/rubygems-integration/all/gems/vagrant-2.3.4/plugins/providers/virtualbox/plugin.rb\n',
  '/usr/lib/x86_64-linux-gnu/rubygems-integration/3.3.0/gems/vagrant-2.3.8.dev':
    'DEBUG global: Loading core plugin: ' +
    '/usr/lib/x86_64-linux-gnu/rubygems-integration/3.3.0/gems/vagrant-2.3.8.dev/plugins/providers/docker/plugin.rb\n' +
    'DEBUG global: Loading core plugin: ' +
    '/usr/lib/x86_64-linux-gnu/rubygems-integration/3.3.0/gems/vagrant-2.3.8.dev/plugins/hosts/linux/plugin.rb\n',
  '/opt/vagrant/embedded/gems/gems/vagrant-2.4.1':
    '2026-12-02T10:00:00.000Z DEBUG global: Loading core plugin: /opt/vagrant/embedded/gems/gems/vagrant-2.4.1/plugins/commands/box/plugin.rb\n',
};

test("Vagrant's folder is read from its debug log, however it was installed; a log without the line names none", () => {
  for (const [root, log] of Object.entries(LOGS)) expect(parseSourceRoot(log)).toBe(root);
  expect(parseSourceRoot(' INFO global: Vagrant version: 2.3.4\n')).toBeUndefined();
  expect(
    parseSourceRoot('DEBUG global: Loading plugin: /home/u/.vagrant.d/gems/x/plugins/a/b/plugin.rb'),
  ).toBeUndefined();
});

test("the installed Vagrant says where it is: its keys/vagrant.pub is there, and so is vagrant-libvirt's plugin", async () => {
  requireTool('vagrant');
  const { plugins, sourceRoot } = await describeVagrant();
  expect(sourceRoot).toBeDefined();
  expect(fs.statSync(path.join(sourceRoot!, 'keys', 'vagrant.pub')).isFile()).toBe(true);
  expect(plugins.map((p) => p.name)).toContain('vagrant-libvirt');
  const keys = insecureKeys(sourceRoot!);
  // Every private key found is the half of one of the public keys (the blob in its .pub line).
  for (const k of keys.privateKeys) {
    const blob = publicBlobOf(fs.readFileSync(k.file, 'utf8'))!.blob;
    expect(keys.publicKeys.map((l) => l.split(' ')[1])).toContain(blob);
  }
});

/** A Vagrant folder with keys/ laid out as Vagrant >= 2.3.8 has it: vagrant.pub with an RSA and an ed25519 line,
 *  vagrant.key.rsa (PEM) and vagrant.key.ed25519 (OpenSSH format) beside it, and the deprecated keys/vagrant. */
async function fakeVagrantRoot(dir: string): Promise<{ root: string; pubs: string[] }> {
  requireTool('ssh-keygen');
  const keys = path.join(dir, 'keys');
  fs.mkdirSync(keys, { recursive: true });
  const make = async (type: string, file: string, pem: boolean) => {
    await execa('ssh-keygen', [
      '-q',
      '-t',
      type,
      ...(pem ? ['-m', 'PEM'] : []),
      '-N',
      '',
      '-C',
      'vagrant insecure public key',
      '-f',
      path.join(keys, file),
    ]);
    const pub = fs.readFileSync(path.join(keys, `${file}.pub`), 'utf8').trim();
    fs.rmSync(path.join(keys, `${file}.pub`));
    return pub;
  };
  const rsa = await make('rsa', 'vagrant.key.rsa', true);
  const ed = await make('ed25519', 'vagrant.key.ed25519', false);
  fs.copyFileSync(path.join(keys, 'vagrant.key.rsa'), path.join(keys, 'vagrant'));
  fs.writeFileSync(path.join(keys, 'vagrant.pub'), `${rsa}\n${ed}\n`);
  return { root: dir, pubs: [rsa, ed] };
}

test('two insecure keys (Vagrant >= 2.3.8): both public lines kept byte for byte, each private key matched, ed25519 preferred for logging in', async () => {
  const { root, pubs } = await fakeVagrantRoot(tempDir());
  const keys = insecureKeys(root);
  expect(keys.publicKeys).toEqual(pubs);
  expect(keys.privateKeys.map((k) => [path.basename(k.file), k.type])).toEqual([
    ['vagrant', 'ssh-rsa'],
    ['vagrant.key.ed25519', 'ssh-ed25519'],
  ]);
  expect(path.basename(preferredKey(keys).file)).toBe('vagrant.key.ed25519');
});

test('one insecure key (Vagrant < 2.3.8: keys/vagrant and a one-line vagrant.pub) is used as it is', async () => {
  const { root, pubs } = await fakeVagrantRoot(tempDir());
  const keys = path.join(root, 'keys');
  fs.rmSync(path.join(keys, 'vagrant.key.rsa'));
  fs.rmSync(path.join(keys, 'vagrant.key.ed25519'));
  fs.writeFileSync(path.join(keys, 'vagrant.pub'), `${pubs[0]}\n`);
  const found = insecureKeys(root);
  expect(found.publicKeys).toEqual([pubs[0]]);
  expect(preferredKey(found)).toEqual({ file: path.join(keys, 'vagrant'), type: 'ssh-rsa' });
});

test('keys that do not fit are refused naming the file: no private half, a line that is no key, no vagrant.pub', async () => {
  const { root, pubs } = await fakeVagrantRoot(tempDir());
  const keys = path.join(root, 'keys');
  const other = await fakeVagrantRoot(tempDir());
  fs.writeFileSync(path.join(keys, 'vagrant.pub'), `${other.pubs.join('\n')}\n`);
  expect(() => insecureKeys(root)).toThrow(`${keys} has no private key that matches a key in vagrant.pub`);
  fs.writeFileSync(path.join(keys, 'vagrant.pub'), `${pubs[0]}\nssh-rsa AAAA $(reboot)\u0007\n`);
  expect(() => insecureKeys(root)).toThrow(
    `${path.join(keys, 'vagrant.pub')} has a line that is not an OpenSSH public key`,
  );
  fs.rmSync(path.join(keys, 'vagrant.pub'));
  fs.mkdirSync(path.join(keys, 'vagrant.pub'));
  expect(() => insecureKeys(root)).toThrow('is not a regular file');
});

describe('the Vagrant folder is asked once and cached under a key that follows the vagrant on PATH', () => {
  const saved = { PATH: process.env.PATH, XDG_CACHE_HOME: process.env.XDG_CACHE_HOME };
  afterEach(() => Object.assign(process.env, saved));

  test('asked, then cached; a replaced vagrant or a vanished folder is asked again; a poisoned cache is not believed', async () => {
    const dir = tempDir();
    const { root } = await fakeVagrantRoot(path.join(dir, 'vagrant-root'));
    const bin = path.join(dir, 'bin');
    fs.mkdirSync(bin);
    const asked = path.join(dir, 'asked');
    const standIn = (rootDir: string) =>
      `#!/bin/bash\necho x >> '${asked}'\necho "DEBUG global: Loading core plugin: ${rootDir}/plugins/hosts/linux/plugin.rb" >&2\n`;
    const write = (rootDir: string) => {
      // A new file (new inode), as an upgrade writes it.
      fs.writeFileSync(path.join(bin, 'vagrant.new'), standIn(rootDir), { mode: 0o755 });
      fs.renameSync(path.join(bin, 'vagrant.new'), path.join(bin, 'vagrant'));
    };
    write(root);
    process.env.PATH = `${bin}:${saved.PATH}`;
    process.env.XDG_CACHE_HOME = path.join(dir, 'cache');
    const times = () => (fs.existsSync(asked) ? fs.readFileSync(asked, 'utf8').split('\n').filter(Boolean).length : 0);

    const first = await vagrantKeys();
    expect([first.from, first.dir, times()]).toEqual(['vagrant', path.join(root, 'keys'), 1]);
    const second = await vagrantKeys();
    expect([second.from, second.publicKeys, times()]).toEqual(['cache', first.publicKeys, 1]);

    // An upgrade replaces the program: Vagrant is asked again, and its new folder is used.
    const { root: root2 } = await fakeVagrantRoot(path.join(dir, 'vagrant-root-2'));
    write(root2);
    const third = await vagrantKeys();
    expect([third.from, third.dir, times()]).toEqual(['vagrant', path.join(root2, 'keys'), 2]);

    // The folder the cache names lost its keys (the old gem removed) or is another one (the file written by hand or
    // by another program), for the same program: its keys are read and must fit, or Vagrant is asked.
    write(root);
    expect((await vagrantKeys()).from).toBe('vagrant');
    const cacheFile = path.join(dir, 'cache', 'labforge', 'vagrant.json');
    const { identity } = JSON.parse(fs.readFileSync(cacheFile, 'utf8'));
    fs.renameSync(path.join(root2, 'keys'), path.join(root2, 'keys.gone'));
    for (const sourceRoot of [root2, path.join(dir, 'nowhere')]) {
      fs.writeFileSync(cacheFile, JSON.stringify({ identity, sourceRoot }));
      const before = times();
      const again = await vagrantKeys();
      expect([again.from, again.dir, times() - before]).toEqual(['vagrant', path.join(root, 'keys'), 1]);
    }
    expect((await vagrantKeys()).from).toBe('cache');
    // The cached matching of the private keys is taken only for files of that folder: one naming another file is
    // matched anew (and the cache rewritten), never used.
    const good = JSON.parse(fs.readFileSync(cacheFile, 'utf8'));
    fs.writeFileSync(
      cacheFile,
      JSON.stringify({ ...good, keys: { ...good.keys, privateKeys: [{ file: '/etc/passwd', type: 'ssh-ed25519' }] } }),
    );
    const matched = await vagrantKeys();
    expect([matched.from, matched.privateKeys]).toEqual(['cache', good.keys.privateKeys]);
    expect(JSON.parse(fs.readFileSync(cacheFile, 'utf8')).keys.privateKeys).toEqual(good.keys.privateKeys);
  });

  test('no vagrant on PATH: one sentence saying to install it', async () => {
    process.env.PATH = tempDir();
    await expect(vagrantKeys()).rejects.toThrow(/^vagrant is not installed .*install vagrant and vagrant-libvirt/);
  });

  test('a vagrant whose log names no folder: the command and what was missing', async () => {
    const dir = tempDir();
    fs.writeFileSync(path.join(dir, 'vagrant'), '#!/bin/bash\necho "Vagrant 9.9.9"\n', { mode: 0o755 });
    process.env.PATH = `${dir}:${saved.PATH}`;
    process.env.XDG_CACHE_HOME = path.join(dir, 'cache');
    await expect(vagrantKeys()).rejects.toThrow(
      /vagrant plugin list --machine-readable.*no 'Loading core plugin:' line/s,
    );
  });
});

test("a box in either of Vagrant's store layouts is installed; another architecture's, or a folder without metadata.json, is not", () => {
  const home = tempDir();
  const saved = process.env.VAGRANT_HOME;
  process.env.VAGRANT_HOME = home;
  try {
    const put = (name: string, ...rest: string[]) => {
      const dir = path.join(home, 'boxes', name, ...rest);
      fs.mkdirSync(dir, { recursive: true });
      fs.writeFileSync(path.join(dir, 'metadata.json'), '{"provider":"libvirt"}');
    };
    put('labforge-VAGRANTSLASH-old', '0', 'libvirt');
    put('labforge-VAGRANTSLASH-new', '0', vagrantArchitecture(), 'libvirt');
    put('labforge-VAGRANTSLASH-unknown-arch', '0', 'unknown', 'libvirt');
    put('labforge-VAGRANTSLASH-foreign', '0', vagrantArchitecture() === 'arm64' ? 'amd64' : 'arm64', 'libvirt');
    put('labforge-VAGRANTSLASH-vbox', '0', vagrantArchitecture(), 'virtualbox');
    fs.mkdirSync(
      path.join(home, 'boxes', 'labforge-VAGRANTSLASH-empty', '0', vagrantArchitecture(), 'libvirt', 'metadata.json'),
      {
        recursive: true,
      },
    );
    expect(
      ['old', 'new', 'unknown-arch', 'foreign', 'vbox', 'empty', 'absent'].map((n) => [
        n,
        boxInstalled(`labforge/${n}`),
      ]),
    ).toEqual([
      ['old', true],
      ['new', true],
      ['unknown-arch', true],
      ['foreign', false],
      ['vbox', false],
      ['empty', false],
      ['absent', false],
    ]);
    expect(vagrantArchitecture('x64')).toBe('amd64');
    expect(vagrantArchitecture('arm64')).toBe('arm64');
  } finally {
    if (saved === undefined) delete process.env.VAGRANT_HOME;
    else process.env.VAGRANT_HOME = saved;
  }
});

test('where `vagrant box add` copies a box file: the name the real Vagrant logs, also for a path with a space, % and non-ASCII', async () => {
  requireTool('vagrant');
  const dir = path.join(tempDir(), 'out 100% fertig-ü');
  fs.mkdirSync(dir);
  const file = path.join(dir, 'labforge.box');
  fs.writeFileSync(file, 'not a box');
  const home = path.join(dir, '..', 'vh');
  const r = await execa('vagrant', ['box', 'add', '--name', 'labforge/t', file], {
    env: { VAGRANT_HOME: home, VAGRANT_LOG: 'info', VAGRANT_CHECKPOINT_DISABLE: '1' },
    reject: false,
    all: true,
  });
  const logged = /Downloading box: \S+ => (\S+)/.exec(String(r.all))?.[1];
  expect(logged).toBeDefined();
  expect(path.relative(home, logged!)).toBe(boxAddTempFiles(file)[0]);
});

test('what a box unpacks to, at least: the size gzip records (never less than the file), a plain tar its size', () => {
  const dir = tempDir();
  const gz = path.join(dir, 'a.box');
  fs.writeFileSync(gz, zlib.gzipSync(Buffer.alloc(3_000_000, 1)));
  expect(boxUnpackedBytes(gz)).toBe(3_000_000);
  const random = path.join(dir, 'b.box');
  fs.writeFileSync(random, zlib.gzipSync(crypto.randomBytes(100_000)));
  expect(boxUnpackedBytes(random)).toBe(fs.statSync(random).size);
  const plain = path.join(dir, 'c.box');
  fs.writeFileSync(plain, Buffer.alloc(10_240));
  expect(boxUnpackedBytes(plain)).toBe(10_240);
});
