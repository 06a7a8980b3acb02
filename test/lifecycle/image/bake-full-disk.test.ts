// A full disk during bake (#23, docs/faults.md "A full disk"): real `labforge bake` runs with the real Vagrant adding a
// real libvirt box (metadata.json, Vagrantfile and a qcow2 box.img in a tar.gz, as Packer's vagrant post-processor
// writes it) into a Vagrant home on a size-limited tmpfs. A stand-in Packer (LABFORGE_PACKER) puts the box file in
// place instead of building one, so no VM runs. Too little room is refused before Vagrant starts; a disk that fills
// anyway (another program writing while Vagrant copies the file, or a box that unpacks to more than it says) is exit 1
// naming the file system and quoting Vagrant; nothing of a half-added box is left and the box installed before is
// still listed and whole. The output folder on a small tmpfs: refused before Packer builds (a local base image of a
// known size), and a build that fails on "No space left on device" named the same way.
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import { execa } from 'execa';
import { CLI, onCleanup, packerBin, tempDir, toolPath, writeLab } from '../../support.js';

const MiB = 2 ** 20;
const root = process.getuid?.() === 0;
const hasVagrant = toolPath('vagrant') !== undefined;

/** A stand-in Packer: `build` copies $STANDIN_DIR/next.box to the box the bake adds, and runs $STANDIN_DIR/during-build
 *  (if there) first; every command line goes to $STANDIN_DIR/calls. */
const PACKER = [
  'echo "$*" >> "$STANDIN_DIR/calls"',
  'case "$1" in',
  '  version) echo "Packer v1.9.4" ;;',
  '  build) if [ -x "$STANDIN_DIR/during-build" ]; then "$STANDIN_DIR/during-build" || exit 1; fi',
  '         mkdir -p box && cp "$STANDIN_DIR/next.box" box/labforge.box ;;',
  'esac',
].join('\n');

let dir = '';
let env: Record<string, string> = {};
let lab = '';
let out = '';
let vh = '';
let boxA = '';

/** A tar archive (ustar) of these files, as bsdtar reads it. */
function tar(files: [string, Buffer][]): Buffer {
  const parts: Buffer[] = [];
  for (const [name, data] of files) {
    const h = Buffer.alloc(512);
    h.write(name, 0);
    h.write('0000644\0', 100);
    h.write('0000000\0', 108);
    h.write('0000000\0', 116);
    h.write(`${data.length.toString(8).padStart(11, '0')}\0`, 124);
    h.write(
      `${Math.floor(Date.now() / 1000)
        .toString(8)
        .padStart(11, '0')}\0`,
      136,
    );
    h.write('        ', 148);
    h.write('0', 156);
    h.write('ustar\0', 257);
    h.write('00', 263);
    let sum = 0;
    for (const b of h) sum += b;
    h.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148);
    parts.push(h, data, Buffer.alloc((512 - (data.length % 512)) % 512));
  }
  return Buffer.concat(parts);
}

const META = Buffer.from('{"format":"qcow2","provider":"libvirt","virtual_size":1}');
const VAGRANTFILE = Buffer.from('Vagrant.configure("2") do |config|\nend\n');
const sha256 = (f: string) => crypto.createHash('sha256').update(fs.readFileSync(f)).digest('hex');

/** A libvirt box of a real qcow2 image holding `mib` MiB of random data (incompressible, like Packer's compressed
 *  disk), gzip-compressed as Packer writes it. */
async function realBox(file: string, mib: number): Promise<void> {
  const raw = path.join(dir, 'image.raw');
  fs.writeFileSync(raw, crypto.randomBytes(mib * MiB));
  const img = path.join(dir, 'box.img');
  await execa('qemu-img', ['convert', '-f', 'raw', '-O', 'qcow2', raw, img]);
  const body = tar([
    ['metadata.json', META],
    ['Vagrantfile', VAGRANTFILE],
    ['box.img', fs.readFileSync(img)],
  ]);
  fs.writeFileSync(file, zlib.gzipSync(Buffer.concat([body, Buffer.alloc(1024)])));
  fs.rmSync(raw);
  fs.rmSync(img);
}

async function mountTmpfs(at: string, size: string): Promise<void> {
  fs.mkdirSync(at, { recursive: true });
  await execa('mount', ['-t', 'tmpfs', '-o', `size=${size},mode=0755`, 'tmpfs', at]);
  onCleanup(() => execa('umount', ['-l', at], { reject: false }));
}

async function bake(...args: string[]) {
  const r = await execa('node', [CLI, '--lab', lab, '--out', out, 'bake', ...args], { env, reject: false, all: true });
  return { ...r, all: String(r.all ?? '') };
}

const vagrantBoxes = async () =>
  (await execa('vagrant', ['box', 'list', '--machine-readable'], { env, reject: false })).stdout
    .split('\n')
    .filter((l) => l.includes(',box-name,'))
    .map((l) => l.split(',').pop());

/** The box lab.lock records as baked, installed once and whole: listed by Vagrant, its box.img the one of box A. */
async function boxAWhole(name: string) {
  expect(await vagrantBoxes()).toEqual([name]);
  const img = path.join(vh, 'boxes', name.replace(/\//g, '-VAGRANTSLASH-'), '0', 'libvirt', 'box.img');
  expect(sha256(img)).toBe(boxA);
  expect((await execa('qemu-img', ['check', '-q', img], { reject: false })).exitCode).toBe(0);
  expect(JSON.parse(fs.readFileSync(lab.replace(/\.yaml$/, '.lock'), 'utf8')).bake.box).toBe(name);
  // Nothing of a half-added box: no copy of the box file, no unpacked folder in Vagrant's tmp/; the box file Packer
  // built is not kept either (the next bake builds it again).
  expect(fs.readdirSync(path.join(vh, 'tmp'))).toEqual([]);
  expect(fs.existsSync(path.join(out, 'packer', 'box'))).toBe(false);
}

const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

(root && hasVagrant ? describe : describe.skip)(
  "bake with Vagrant's home on a small tmpfs (real vagrant box add)",
  () => {
    let installed = '';
    beforeAll(async () => {
      dir = tempDir('labforge-bakefull-');
      env = { ...packerBin(dir, PACKER), STANDIN_DIR: dir, LABFORGE_OFFLINE: '1', VAGRANT_CHECKPOINT_DISABLE: '1' };
      vh = env.VAGRANT_HOME;
      lab = writeLab('name: t\nvips: []\nnodes:\n  - { name: a, ip: 10.240.0.11 }\n', dir);
      out = path.join(dir, 'out');
      // 64 MiB: box A (24 MiB) needs 48 MiB to be added (Vagrant's copy of the file, and the file unpacked).
      await mountTmpfs(vh, '64m');
      await realBox(path.join(dir, 'next.box'), 24);
    }, 120_000);

    test('added when it fits; with too little room refused before Vagrant starts, naming the tmpfs and the space needed; box A whole', async () => {
      const first = await bake();
      if (first.exitCode !== 0) console.error(first.all);
      expect(first.exitCode).toBe(0);
      installed = JSON.parse(fs.readFileSync(lab.replace(/\.yaml$/, '.lock'), 'utf8')).bake.box;
      const img = path.join(vh, 'boxes', installed.replace(/\//g, '-VAGRANTSLASH-'), '0', 'libvirt', 'box.img');
      boxA = sha256(img);
      expect(await vagrantBoxes()).toEqual([installed]);

      // About 40 MiB are left: the same box again (bake --force) needs about 48.
      fs.writeFileSync(path.join(dir, 'calls'), '');
      const r = await bake('--force');
      console.log(`bake with 40 MiB free in Vagrant's home said:\n${r.stderr}`);
      expect(r.exitCode).toBe(1);
      expect(r.all).toMatch(
        new RegExp(
          `labforge bake: not enough free space in Vagrant's home ${escape(vh)}, on the tmpfs file system mounted at ` +
            `${escape(vh)} \\(tmpfs\\): \\d+ MiB free, labforge bake needs about 49 MiB \\(Vagrant copies the box file ` +
            `\\(25 MiB\\) into ${escape(vh)}/tmp and unpacks it there \\(25 MiB\\)\\)\\. Nothing was installed in Vagrant`,
        ),
      );
      expect(r.all).not.toMatch(/at .*\.js:\d+/);
      await boxAWhole(installed);
    }, 120_000);

    test('filled while Vagrant copies the box file: exit 1 naming the tmpfs, quoting Vagrant; its partial copy removed; box A whole', async () => {
      // Once `vagrant box add` of this box runs, the file system is filled to 1 MiB free.
      const filler = path.join(vh, 'filler');
      fs.writeFileSync(
        path.join(dir, 'during-build'),
        [
          '#!/bin/bash',
          '(',
          `  for i in $(seq 600); do pgrep -f "box add .*${dir}/" >/dev/null && break; sleep 0.05; done`,
          `  avail=$(df -B1 --output=avail "${vh}" | tail -1)`,
          `  fallocate -l $((avail - 1024 * 1024)) "${filler}"`,
          ') </dev/null >/dev/null 2>&1 &',
          '',
        ].join('\n'),
        { mode: 0o755 },
      );
      onCleanup(() => fs.rmSync(filler, { force: true }));
      // Room enough before Vagrant starts (96 MiB, box A holds 25 of them).
      await execa('mount', ['-o', 'remount,size=96m', vh]);
      const r = await bake('--force');
      fs.rmSync(path.join(dir, 'during-build'));
      console.log(`bake while the disk filled said:\n${r.stderr}`);
      expect(fs.existsSync(filler)).toBe(true);
      fs.rmSync(filler);
      expect(r.exitCode).toBe(1);
      expect(r.all).toMatch(
        new RegExp(
          `labforge bake: Vagrant's home ${escape(vh)}, on the tmpfs file system mounted at ${escape(vh)} \\(tmpfs\\) ` +
            `is full \\([01] MiB free now\\): Vagrant copies the box file .*about 49 MiB\\. The tool said: .+\\. Box ` +
            `${escape(installed)} was not installed and Vagrant's copy of the box file was removed`,
        ),
      );
      await boxAWhole(installed);
    }, 120_000);

    test('a box that unpacks to more than it records fills the disk while Vagrant unpacks it: exit 1, ENOSPC quoted; box A whole', async () => {
      // box.img of 80 MiB (72 MiB are free) of one byte repeated: a few KiB compressed; the gzip trailer records only the last member.
      const body = tar([
        ['metadata.json', META],
        ['Vagrantfile', VAGRANTFILE],
        ['box.img', Buffer.alloc(80 * MiB, 7)],
      ]);
      fs.writeFileSync(
        path.join(dir, 'next.box'),
        Buffer.concat([zlib.gzipSync(body), zlib.gzipSync(Buffer.alloc(1024))]),
      );
      const r = await bake('--force');
      console.log(`bake of a box that unpacks to 80 MiB said:\n${r.stderr}`);
      expect(r.exitCode).toBe(1);
      expect(r.all).toMatch(
        new RegExp(
          `labforge bake: Vagrant's home ${escape(vh)}, on the tmpfs file system mounted at ${escape(vh)} \\(tmpfs\\) ` +
            `is full .*The tool said: .*No space left on device`,
        ),
      );
      await boxAWhole(installed);
    }, 120_000);
  },
);

(root ? describe : describe.skip)('bake with the output folder on a small tmpfs', () => {
  test('a 24 MiB local image, 30 MiB free: refused before the build, naming the tmpfs and the need; an ENOSPC of the build named so too', async () => {
    const d = tempDir('labforge-bakeout-');
    const e = { ...packerBin(d, PACKER), STANDIN_DIR: d, LABFORGE_OFFLINE: '1' };
    const image = path.join(d, 'base.qcow2');
    fs.writeFileSync(image, crypto.randomBytes(24 * MiB));
    const file = writeLab(
      `name: t\nvips: []\nnodes:\n  - { name: a, ip: 10.240.0.11 }\nimage:\n  local: ${JSON.stringify(image)}\n  update: false\n`,
      d,
    );
    const small = path.join(d, 'small');
    await mountTmpfs(small, '30m');
    const o = path.join(small, 'out');
    const r = await execa('node', [CLI, '--lab', file, '--out', o, 'bake'], { env: e, reject: false, all: true });
    console.log(`bake with the output folder on a 30 MiB tmpfs said:\n${r.stderr}`);
    expect(r.exitCode).toBe(1);
    expect(r.all).toMatch(
      new RegExp(
        `labforge bake: not enough free space in the output folder ${escape(o)}, on the tmpfs file system mounted at ` +
          `${escape(small)} \\(tmpfs\\): \\d+ MiB free, labforge bake needs about 48 MiB \\(Packer's build disk, a copy ` +
          `of the base image ${escape(image)} \\(24 MiB\\).*\\)\\. Nothing was built or installed`,
      ),
    );
    expect(fs.readFileSync(path.join(d, 'calls'), 'utf8')).not.toMatch(/^build/m);

    // Room for the check, and a build that fails on a full disk (the stand-in fills the folder and says what QEMU
    // says): exit 1 naming the output folder's file system.
    fs.writeFileSync(
      path.join(d, 'during-build'),
      [
        '#!/bin/bash',
        `fallocate -l $(( $(df -B1 --output=avail "${small}" | tail -1) - 65536 )) "${small}/filler"`,
        'echo "==> qemu.fedora: Error creating hard drive: qemu-img: build/fedora: Could not resize image: No space left on device"',
        'exit 1',
        '',
      ].join('\n'),
      { mode: 0o755 },
    );
    await execa('mount', ['-o', 'remount,size=64m', small]);
    const f = await execa('node', [CLI, '--lab', file, '--out', o, 'bake'], { env: e, reject: false, all: true });
    console.log(`bake whose build filled the output folder said:\n${f.stderr}`);
    expect(f.exitCode).toBe(1);
    expect(f.all).toMatch(
      new RegExp(
        `labforge bake: the output folder ${escape(o)}, on the tmpfs file system mounted at ${escape(small)} \\(tmpfs\\) ` +
          `is full \\([01] MiB free now\\): Packer could not write the build's disk .*The tool said: .*No space left on device`,
      ),
    );
    fs.rmSync(path.join(small, 'filler'));
  }, 120_000);
});
