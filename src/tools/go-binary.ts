// What a program is, read from its file without running it: the ELF header, and the build information every Go
// program carries (Go's `debug/buildinfo` format: the `.go.buildinfo` section, or the start of the writable data
// segment, holds the Go version and the main module's path). Used to tell HashiCorp's Packer (a Go program whose main
// module is github.com/hashicorp/packer) from other programs named `packer`, such as cracklib's (C) on Fedora.
import fs from 'node:fs';

export type ProgramKind =
  { kind: 'not-elf' } | { kind: 'not-go' } | { kind: 'go'; goVersion: string; path?: string; mainVersion?: string };

const MAGIC = Buffer.from('\xff Go buildinf:', 'latin1');
/** Bounds on what is read: headers and the build information are small; a hostile file cannot make us read more. */
const MAX_TABLE = 1 << 20;
const MAX_INFO = 1 << 20;
const SEARCH = 64 * 1024;

interface Elf {
  fd: number;
  is64: boolean;
  le: boolean;
  size: number;
}

function read(elf: Pick<Elf, 'fd' | 'size'>, offset: number, length: number): Buffer {
  if (offset < 0 || length < 0 || offset + length > elf.size) throw new RangeError('outside the file');
  const buf = Buffer.alloc(length);
  let done = 0;
  while (done < length) {
    const n = fs.readSync(elf.fd, buf, done, length - done, offset + done);
    if (n === 0) break;
    done += n;
  }
  return buf.subarray(0, done);
}

function word(b: Buffer, at: number, size: number, le: boolean): number {
  if (size === 8) return Number(le ? b.readBigUInt64LE(at) : b.readBigUInt64BE(at));
  if (size === 4) return le ? b.readUInt32LE(at) : b.readUInt32BE(at);
  return le ? b.readUInt16LE(at) : b.readUInt16BE(at);
}

interface Segment {
  vaddr: number;
  offset: number;
  filesz: number;
  writable: boolean;
  executable: boolean;
}

function segments(elf: Elf, h: Buffer): Segment[] {
  const W = elf.is64 ? 8 : 4;
  const phoff = word(h, elf.is64 ? 32 : 28, W, elf.le);
  const phentsize = word(h, elf.is64 ? 54 : 42, 2, elf.le);
  const phnum = word(h, elf.is64 ? 56 : 44, 2, elf.le);
  if (phnum * phentsize > MAX_TABLE || phnum === 0) return [];
  const t = read(elf, phoff, phnum * phentsize);
  const out: Segment[] = [];
  for (let i = 0; i < phnum; i++) {
    const p = i * phentsize;
    if (word(t, p, 4, elf.le) !== 1) continue; // PT_LOAD
    const flags = word(t, elf.is64 ? p + 4 : p + 24, 4, elf.le);
    out.push({
      offset: word(t, elf.is64 ? p + 8 : p + 4, W, elf.le),
      vaddr: word(t, elf.is64 ? p + 16 : p + 8, W, elf.le),
      filesz: word(t, elf.is64 ? p + 32 : p + 16, W, elf.le),
      writable: (flags & 2) !== 0,
      executable: (flags & 1) !== 0,
    });
  }
  return out;
}

/** The file offset and size of the section named `name`, from the section header table. */
function section(elf: Elf, h: Buffer, name: string): { offset: number; size: number } | undefined {
  const W = elf.is64 ? 8 : 4;
  const shoff = word(h, elf.is64 ? 40 : 32, W, elf.le);
  const shentsize = word(h, elf.is64 ? 58 : 46, 2, elf.le);
  const shnum = word(h, elf.is64 ? 60 : 48, 2, elf.le);
  const shstrndx = word(h, elf.is64 ? 62 : 50, 2, elf.le);
  if (!shoff || !shnum || shnum * shentsize > MAX_TABLE || shstrndx >= shnum) return undefined;
  const t = read(elf, shoff, shnum * shentsize);
  const entry = (i: number) => {
    const s = i * shentsize;
    return {
      name: word(t, s, 4, elf.le),
      offset: word(t, elf.is64 ? s + 24 : s + 16, W, elf.le),
      size: word(t, elf.is64 ? s + 32 : s + 20, W, elf.le),
    };
  };
  const strtab = entry(shstrndx);
  if (strtab.size > MAX_TABLE) return undefined;
  const names = read(elf, strtab.offset, strtab.size);
  const wanted = Buffer.from(`${name}\0`, 'latin1');
  for (let i = 0; i < shnum; i++) {
    const e = entry(i);
    if (names.subarray(e.name, e.name + wanted.length).equals(wanted)) return { offset: e.offset, size: e.size };
  }
  return undefined;
}

function uvarint(b: Buffer, at: number): [number, number] {
  let value = 0;
  let shift = 0;
  for (let i = at; i < b.length && shift < 35; i++) {
    value += (b[i] & 0x7f) * 2 ** shift;
    if ((b[i] & 0x80) === 0) return [value, i + 1];
    shift += 7;
  }
  throw new RangeError('bad varint');
}

/** Go wraps the module information in two 16-byte markers; inside are `path\t...` and `mod\t<path>\t<version>` lines. */
function parseModinfo(text: string): { path?: string; mainVersion?: string } {
  const inner = text.length >= 33 && text[text.length - 17] === '\n' ? text.slice(16, -16) : text;
  const out: { path?: string; mainVersion?: string } = {};
  for (const line of inner.split('\n')) {
    const f = line.split('\t');
    if (f[0] === 'path' && f[1]) out.path = f[1];
    if (f[0] === 'mod' && f[2] && f[2] !== '(devel)') out.mainVersion = f[2];
  }
  return out;
}

/** Reads the build information at `at` in `data` (the bytes of the section or segment that starts with the magic). */
function parseBuildInfo(elf: Elf, segs: Segment[], data: Buffer): ProgramKind {
  const ptrSize = data[14];
  const flags = data[15];
  let goVersion: string;
  let modinfo: string;
  if (flags & 2) {
    // Go 1.18+: both strings inline after the 32-byte header, each a uvarint length and its bytes.
    const [vlen, vAt] = uvarint(data, 32);
    goVersion = data.subarray(vAt, vAt + vlen).toString('latin1');
    const [mlen, mAt] = uvarint(data, vAt + vlen);
    modinfo = data.subarray(mAt, mAt + mlen).toString('latin1');
  } else {
    // Before Go 1.18: two pointers to Go string headers {data pointer, length} in the program's memory.
    if (ptrSize !== 4 && ptrSize !== 8) return { kind: 'not-go' };
    const le = (flags & 1) === 0;
    const at = (vaddr: number, length: number) => {
      const s = segs.find((g) => vaddr >= g.vaddr && vaddr + length <= g.vaddr + g.filesz);
      if (!s || length > MAX_INFO) throw new RangeError('pointer outside the file');
      return read(elf, s.offset + (vaddr - s.vaddr), length);
    };
    const str = (ptr: number) => {
      const header = at(ptr, 2 * ptrSize);
      const len = word(header, ptrSize, ptrSize, le);
      return len === 0 ? '' : at(word(header, 0, ptrSize, le), len).toString('latin1');
    };
    goVersion = str(word(data, 16, ptrSize, le));
    modinfo = str(word(data, 16 + ptrSize, ptrSize, le));
  }
  return { kind: 'go', goVersion, ...parseModinfo(modinfo) };
}

/** What kind of program the regular file at `file` is. Nothing is executed; at most a few headers, a section and 64 KiB
 *  are read. Throws when the file cannot be opened or is not a regular file. */
export function readProgramKind(file: string): ProgramKind {
  const fd = fs.openSync(file, fs.constants.O_RDONLY | fs.constants.O_NONBLOCK);
  try {
    const st = fs.fstatSync(fd);
    if (!st.isFile()) throw new Error(`${file} is not a regular file`);
    const h = read({ fd, size: st.size }, 0, Math.min(64, st.size));
    if (h.length < 52 || h.toString('latin1', 0, 4) !== '\x7fELF') return { kind: 'not-elf' };
    const elf: Elf = { fd, is64: h[4] === 2, le: h[5] === 1, size: st.size };
    if (elf.is64 && h.length < 64) return { kind: 'not-elf' };
    try {
      const segs = segments(elf, h);
      const sec = section(elf, h, '.go.buildinfo');
      let data: Buffer | undefined;
      if (sec && sec.size >= 32) data = read(elf, sec.offset, Math.min(sec.size, MAX_INFO));
      else {
        // No section table entry: Go's own reader looks at the start of the first writable, non-executable segment.
        const seg = segs.find((s) => s.writable && !s.executable);
        if (seg) {
          const window = read(elf, seg.offset, Math.min(seg.filesz, SEARCH));
          for (let i = 0; i + 32 <= window.length; i += 16)
            if (window.subarray(i, i + MAGIC.length).equals(MAGIC)) {
              data = read(elf, seg.offset + i, Math.min(seg.filesz - i, MAX_INFO));
              break;
            }
        }
      }
      if (!data || !data.subarray(0, MAGIC.length).equals(MAGIC)) return { kind: 'not-go' };
      return parseBuildInfo(elf, segs, data);
    } catch (e) {
      if (e instanceof RangeError) return { kind: 'not-go' }; // a truncated or malformed ELF file
      throw e;
    }
  } finally {
    fs.closeSync(fd);
  }
}
