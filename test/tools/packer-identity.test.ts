// Which program named `packer` is HashiCorp's Packer, decided without running an unknown program: the Go build
// information in the file (github.com/hashicorp/packer), the package that owns it, and only then, for an identified
// Packer whose version nothing else tells, `packer version` from an empty folder of its own. Fedora's cracklib-dicts
// installs /usr/sbin/packer (hashicorp/packer#1117, #11081, #12563; cracklib/cracklib#7), a C program that writes
// into the current folder when run; a root PATH lists /usr/sbin before /usr/bin.
import fs from 'node:fs';
import path from 'node:path';
import { readProgramKind } from '../../src/tools/go-binary.js';
import { candidates, identify, locate, PACKER_MODULE } from '../../src/tools/packer.js';
import { cli, tempDir, writeLab } from '../support.js';

const REAL = '/usr/bin/packer';
const haveReal = fs.existsSync(REAL) && readProgramKind(REAL).kind === 'go';
const itReal = haveReal ? test : test.skip;

/** A minimal 64-bit little-endian ELF file whose writable segment holds `blob` (Go's build information). `sections`:
 *  also a section table naming the blob `.go.buildinfo` (Go's linker writes one; stripped files may have none). */
function elf(blob: (base: number) => Buffer, sections = true): Buffer {
  const dataOff = 0x100;
  const vbase = 0x400000;
  const data = blob(vbase + dataOff);
  const shstr = Buffer.from('\0.go.buildinfo\0.shstrtab\0', 'latin1');
  const shstrOff = dataOff + data.length;
  const shoff = (shstrOff + shstr.length + 15) & ~15;
  const h = Buffer.alloc(64);
  Buffer.from('\x7fELF\x02\x01\x01', 'latin1').copy(h);
  h.writeUInt16LE(2, 16);
  h.writeUInt16LE(62, 18);
  h.writeUInt32LE(1, 20);
  h.writeBigUInt64LE(64n, 32); // e_phoff
  h.writeBigUInt64LE(sections ? BigInt(shoff) : 0n, 40);
  h.writeUInt16LE(64, 52);
  h.writeUInt16LE(56, 54);
  h.writeUInt16LE(1, 56);
  h.writeUInt16LE(64, 58);
  h.writeUInt16LE(sections ? 3 : 0, 60);
  h.writeUInt16LE(sections ? 2 : 0, 62);
  const ph = Buffer.alloc(56);
  ph.writeUInt32LE(1, 0); // PT_LOAD
  ph.writeUInt32LE(6, 4); // R|W
  ph.writeBigUInt64LE(BigInt(dataOff), 8);
  ph.writeBigUInt64LE(BigInt(vbase + dataOff), 16);
  ph.writeBigUInt64LE(BigInt(data.length), 32);
  const sh = Buffer.alloc(64 * 3);
  sh.writeUInt32LE(1, 64);
  sh.writeBigUInt64LE(BigInt(dataOff), 64 + 24);
  sh.writeBigUInt64LE(BigInt(data.length), 64 + 32);
  sh.writeUInt32LE(15, 128);
  sh.writeBigUInt64LE(BigInt(shstrOff), 128 + 24);
  sh.writeBigUInt64LE(BigInt(shstr.length), 128 + 32);
  const file = Buffer.alloc(shoff + (sections ? sh.length : 0));
  h.copy(file);
  ph.copy(file, 64);
  data.copy(file, dataOff);
  shstr.copy(file, shstrOff);
  if (sections) sh.copy(file, shoff);
  return file;
}

const MAGIC = Buffer.from('\xff Go buildinf:', 'latin1');
const sentinel = (s: string) => `${'0'.repeat(16)}${s}\n${'1'.repeat(16)}`;
const modinfo = (module: string, version = '(devel)') =>
  sentinel(`path\t${module}\nmod\t${module}\t${version}\t\nbuild\t-compiler=gc`);
const varint = (n: number) => Buffer.from(n < 128 ? [n] : [(n & 0x7f) | 0x80, n >> 7]);

/** Go 1.18+ build information: the strings inline after a 32-byte header. */
function inline(goVersion: string, mod: string): () => Buffer {
  return () => {
    const head = Buffer.alloc(32);
    MAGIC.copy(head);
    head[14] = 8;
    head[15] = 2;
    const v = Buffer.from(goVersion, 'latin1');
    const m = Buffer.from(mod, 'latin1');
    return Buffer.concat([head, varint(v.length), v, varint(m.length), m]);
  };
}

/** Before Go 1.18: pointers to string headers in the program's memory. */
function pointers(goVersion: string, mod: string): (base: number) => Buffer {
  return (base) => {
    const head = Buffer.alloc(32);
    MAGIC.copy(head);
    head[14] = 8;
    head[15] = 0;
    const v = Buffer.from(goVersion, 'latin1');
    const m = Buffer.from(mod, 'latin1');
    const hdrs = Buffer.alloc(32);
    const strings = Buffer.concat([v, m]);
    hdrs.writeBigUInt64LE(BigInt(base + 64), 0);
    hdrs.writeBigUInt64LE(BigInt(v.length), 8);
    hdrs.writeBigUInt64LE(BigInt(base + 64 + v.length), 16);
    hdrs.writeBigUInt64LE(BigInt(m.length), 24);
    head.writeBigUInt64LE(BigInt(base + 32), 16);
    head.writeBigUInt64LE(BigInt(base + 48), 24);
    return Buffer.concat([head, hdrs, strings]);
  };
}

function program(dir: string, name: string, content: Buffer | string, mode = 0o755): string {
  fs.mkdirSync(dir, { recursive: true });
  const file = path.join(dir, name);
  fs.writeFileSync(file, content, { mode });
  return file;
}

test('the Go build information names the main module, in both of its formats, with or without a section table', () => {
  const dir = tempDir();
  const cases: [string, Buffer][] = [
    ['inline', elf(inline('go1.22.5', modinfo(PACKER_MODULE, 'v1.11.2')))],
    ['pointers', elf(pointers('go1.16.3', modinfo(PACKER_MODULE)))],
    ['no sections', elf(inline('go1.21.0', modinfo('github.com/example/tool')), false)],
  ];
  const kinds = cases.map(([name, bytes]) => readProgramKind(program(dir, name, bytes)));
  expect(kinds).toEqual([
    { kind: 'go', goVersion: 'go1.22.5', path: PACKER_MODULE, mainVersion: 'v1.11.2' },
    { kind: 'go', goVersion: 'go1.16.3', path: PACKER_MODULE },
    { kind: 'go', goVersion: 'go1.21.0', path: 'github.com/example/tool' },
  ]);
  expect(readProgramKind(program(dir, 'script', '#!/bin/sh\necho hi\n'))).toEqual({ kind: 'not-elf' });
  expect(readProgramKind('/bin/true')).toEqual({ kind: 'not-go' });
  // A truncated or lying ELF file is not Go, and reading it does not throw or run away.
  const cut = elf(inline('go1.22.5', modinfo(PACKER_MODULE))).subarray(0, 200);
  expect(readProgramKind(program(dir, 'cut', cut))).toEqual({ kind: 'not-go' });
  const liar = elf(pointers('go1.16.3', modinfo(PACKER_MODULE)));
  liar.writeBigUInt64LE(0xffffffffn, 0x100 + 16);
  expect(readProgramKind(program(dir, 'liar', liar))).toEqual({ kind: 'not-go' });
});

itReal("this host's /usr/bin/packer is HashiCorp's, with its version from the package that owns it", async () => {
  const c = await identify(REAL);
  expect(c.hashicorp).toBe(true);
  expect(c.owner?.name).toBe('packer');
  expect(c.version?.text).toMatch(/^\d+\.\d+\.\d+$/);
  expect(c.how).toContain(`built from ${PACKER_MODULE} with go1.`);
});

itReal(
  'a copy no package owns (setup-packer, a download) is identified by its build information, then asked its version from an empty folder',
  async () => {
    const dir = tempDir();
    const copy = path.join(dir, 'bin', 'packer');
    fs.mkdirSync(path.dirname(copy));
    fs.copyFileSync(REAL, copy);
    const c = await identify(copy);
    expect(c).toMatchObject({ hashicorp: true, owner: undefined });
    expect(c.version?.text).toBe((await identify(REAL)).version?.text);
  },
);

test("cracklib's packer and other programs are never run: not Go, or Go of another module", async () => {
  const dir = tempDir();
  const marker = path.join(dir, 'ran');
  // What cracklib's packer does when run: write into the current folder.
  const script = program(path.join(dir, 'sbin'), 'packer', `#!/bin/sh\ntouch '${marker}'\necho "Packer v9.9.9"\n`);
  const other = program(path.join(dir, 'other'), 'packer', elf(inline('go1.22.5', modinfo('example.com/packer'))));
  const c = await identify(script);
  expect(c).toMatchObject({ hashicorp: false, how: expect.stringContaining('not a compiled program') });
  expect(await identify(other)).toMatchObject({
    hashicorp: false,
    how: 'a Go program of module example.com/packer (no package)',
  });
  await expect(locate(`${path.dirname(script)}:${path.dirname(other)}`, undefined)).rejects.toThrow(
    `HashiCorp's Packer is not installed or not on PATH (${script} is not HashiCorp's Packer: not a compiled program`,
  );
  expect(fs.existsSync(marker)).toBe(false);
});

itReal(
  "a root PATH with cracklib's /usr/sbin/packer first: labforge runs HashiCorp's, found later on PATH",
  async () => {
    const dir = tempDir();
    const marker = path.join(dir, 'ran');
    program(path.join(dir, 'sbin'), 'packer', `#!/bin/sh\ntouch '${marker}'\n`);
    const found = await locate(`${path.join(dir, 'sbin')}:/usr/bin`, undefined);
    expect(found.file).toBe(REAL);
    expect((await candidates(`${path.join(dir, 'sbin')}:/usr/bin`)).map((c) => c.hashicorp)).toEqual([false, true]);
    // doctor says which program it found and how it knows.
    const lab = writeLab('name: t\nvips: []\nnodes:\n  - { name: a, ip: 10.240.0.11 }\n', dir);
    const r = await cli(['--lab', lab, 'doctor'], {
      cwd: dir,
      env: { PATH: `${path.join(dir, 'sbin')}:${process.env.PATH}` },
    });
    expect(r.stdout).toMatch(
      new RegExp(`ok +packer: Packer \\d+\\.\\d+\\.\\d+ at ${REAL}, built from ${PACKER_MODULE}`),
    );
    expect(fs.existsSync(marker)).toBe(false);
  },
);
