// The one place labforge writes, renames, chmods, makes folders and deletes (docs/safety.md). A FileLayer works
// below one root folder (a lab's output folder, the folder of /etc/hosts or of a --file): every path it takes is
// relative to the root, and every component below the root is lstat'ed before use. It never follows a symbolic link
// there: a link where a folder is expected is refused; a link where a file is replaced is replaced itself (rename
// over it), never written through. Anything that is not a regular file, a folder or a link (FIFOs, devices, sockets)
// is refused. New files are made with O_CREAT|O_EXCL|O_NOFOLLOW under unpredictable names in the target's folder and
// renamed into place. Trees are deleted only from the list of entries labforge wrote into them (their record).
// The ESLint rule in eslint.config.js keeps node:fs writes out of every other module of src/.
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { errnoCode } from '../errors.js';
import { KIND_TEXT, kindOf, lstatOrUndefined, UnsafePathError, writeAll, type Kind } from './kinds.js';

export { kindOf, UnsafePathError, type Kind };

/** The marker in every temp name the layer makes: `<name>.labforge-tmp-<16 hex>`. */
export const TEMP_MARK = '.labforge-tmp-';
export const TEMP_NAME = /\.labforge-tmp-[0-9a-f]{16}$/;

const { O_WRONLY, O_RDONLY, O_CREAT, O_EXCL, O_NOFOLLOW, O_APPEND, O_DIRECTORY, O_NONBLOCK } = fs.constants;

export class FileLayer {
  /** The root, as given (absolute). The root itself is the user's choice and may be a link; nothing below may. */
  readonly root: string;

  constructor(root: string) {
    this.root = path.resolve(root);
  }

  /** A FileLayer for the folder holding `file`, and the file's name in it. */
  static beside(file: string): { layer: FileLayer; name: string } {
    const abs = path.resolve(file);
    return { layer: new FileLayer(path.dirname(abs)), name: path.basename(abs) };
  }

  private refuse(rel: string, why: string): never {
    throw new UnsafePathError(
      `${path.join(this.root, rel)} ${why}; labforge never follows links or touches special files in folders it writes`,
    );
  }

  /** Checks `rel` (relative, no `..`, no empty parts) and every folder on the way; returns the absolute path. */
  private walk(rel: string, makeFolders = false, folderMode = 0o755): string {
    if (rel === '' || path.isAbsolute(rel) || rel.includes('\0')) this.refuse(rel, 'is not a path below the folder');
    const parts = rel.split('/');
    if (parts.some((p) => p === '' || p === '.' || p === '..'))
      this.refuse(rel, 'is not a plain path below the folder');
    const root = fs.statSync(this.root, { throwIfNoEntry: false });
    if (!root?.isDirectory()) throw new UnsafePathError(`${this.root} is not a folder`);
    let at = this.root;
    for (const part of parts.slice(0, -1)) {
      at = path.join(at, part);
      const st = lstatOrUndefined(at);
      if (!st && makeFolders) {
        fs.mkdirSync(at, { mode: folderMode });
        continue;
      }
      if (!st) return path.join(this.root, rel); // the caller's open/lstat reports ENOENT
      if (!st.isDirectory()) this.refuse(path.relative(this.root, at), `is ${KIND_TEXT[kindOf(st)]}, not a folder`);
    }
    return path.join(this.root, rel);
  }

  /** What is at `rel` (never following a link), or undefined. */
  stat(rel: string): fs.Stats | undefined {
    return lstatOrUndefined(this.walk(rel));
  }

  /** Refuses unless `rel` is missing or one of `allowed`. */
  private expect(rel: string, allowed: Kind[]): fs.Stats | undefined {
    const st = this.stat(rel);
    if (st && !allowed.includes(kindOf(st))) this.refuse(rel, `is ${KIND_TEXT[kindOf(st)]}`);
    return st;
  }

  /** Makes the folder `rel` and those above it (each must be a real folder, never a link). */
  mkdir(rel: string, mode = 0o755): string {
    const abs = this.walk(rel, true, mode);
    const st = this.expect(rel, ['folder']);
    if (!st) fs.mkdirSync(abs, { mode });
    return abs;
  }

  /** Makes a new folder with an unpredictable name `<prefix><hex>` inside the folder `rel`; returns its path. */
  mkdirUnique(rel: string, prefix: string, mode = 0o755): string {
    this.mkdir(rel);
    for (;;) {
      const name = `${rel}/${prefix}${crypto.randomBytes(6).toString('hex')}`;
      try {
        fs.mkdirSync(this.walk(name), { mode });
        this.chmod(name, mode);
        return name;
      } catch (e) {
        if (errnoCode(e) !== 'EEXIST') throw e;
      }
    }
  }

  /** Creates a file that does not exist yet (O_EXCL, never through a link) and writes it; returns false if taken. */
  createNew(rel: string, data: string | Buffer, mode = 0o644): boolean {
    const abs = this.walk(rel, true);
    let fd: number;
    try {
      fd = fs.openSync(abs, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW, 0o600);
    } catch (e) {
      if (errnoCode(e) === 'EEXIST') return false;
      throw e;
    }
    try {
      fs.fchmodSync(fd, mode); // the umask must not widen or narrow it
      writeAll(fd, data);
    } catch (e) {
      fs.closeSync(fd);
      fs.unlinkSync(abs); // ours: made by this call
      throw e;
    }
    fs.closeSync(fd);
    return true;
  }

  /** Writes `rel` whole: a new temp file beside it, then rename(2) over it. A link at `rel` is replaced, not followed;
   *  a folder, FIFO, device or socket there is refused. `owner`: uid and gid to give the new file (when root). */
  write(rel: string, data: string | Buffer, mode = 0o644, owner?: { uid: number; gid: number }): void {
    this.walk(rel, true);
    this.expect(rel, ['file', 'link']);
    const tmp = this.tempName(rel);
    this.createNew(tmp, data, mode);
    try {
      if (owner)
        try {
          fs.chownSync(this.walk(tmp), owner.uid, owner.gid);
        } catch {
          /* not root: the file stays ours */
        }
      this.expect(rel, ['file', 'link']);
      fs.renameSync(this.walk(tmp), this.walk(rel));
    } catch (e) {
      fs.rmSync(this.walk(tmp), { force: true }); // ours: createNew made it
      throw e;
    }
  }

  /** Puts `data` at `rel` only if nothing is there (a lock): complete (a temp file hard-linked into place, link(2)
   *  fails when the name exists) or not at all. */
  publish(rel: string, data: string, mode = 0o644): boolean {
    const tmp = this.tempName(rel);
    if (!this.createNew(tmp, data, mode)) throw new UnsafePathError(`${path.join(this.root, tmp)} exists`);
    try {
      fs.linkSync(this.walk(tmp), this.walk(rel));
      return true;
    } catch (e) {
      if (errnoCode(e) === 'EEXIST') return false;
      throw e;
    } finally {
      fs.unlinkSync(this.walk(tmp)); // ours: createNew made it
    }
  }

  /** An unpredictable name for a temp file beside `rel`. */
  tempName(rel: string): string {
    const dir = path.posix.dirname(rel);
    const name = `.${path.posix.basename(rel)}${TEMP_MARK}${crypto.randomBytes(8).toString('hex')}`;
    return dir === '.' ? name : `${dir}/${name}`;
  }

  /** Appends to `rel` (creating it), never through a link, only to a regular file. */
  append(rel: string, data: string | Buffer, mode = 0o644): void {
    const fd = this.openAppend(rel, mode);
    try {
      writeAll(fd, data);
    } finally {
      fs.closeSync(fd);
    }
  }

  /** A descriptor for appending to `rel` (a regular file, created if missing), for a log stream. */
  openAppend(rel: string, mode = 0o644): number {
    const abs = this.walk(rel, true);
    this.expect(rel, ['file']);
    let fd: number;
    try {
      fd = fs.openSync(abs, O_WRONLY | O_APPEND | O_CREAT | O_NOFOLLOW | O_NONBLOCK, mode);
    } catch (e) {
      if (errnoCode(e) === 'ELOOP') this.refuse(rel, 'is a symbolic link');
      throw e;
    }
    if (!fs.fstatSync(fd).isFile()) {
      fs.closeSync(fd);
      this.refuse(rel, 'is not a regular file');
    }
    return fd;
  }

  /** chmod of a file or folder, on a descriptor opened without following a link. */
  chmod(rel: string, mode: number): void {
    const abs = this.walk(rel);
    const st = this.expect(rel, ['file', 'folder']);
    if (!st) this.refuse(rel, 'does not exist');
    const fd = fs.openSync(abs, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | (st.isDirectory() ? O_DIRECTORY : 0));
    try {
      const now = fs.fstatSync(fd);
      if (now.ino !== st.ino || now.dev !== st.dev) this.refuse(rel, 'changed while labforge looked at it');
      fs.fchmodSync(fd, mode);
    } finally {
      fs.closeSync(fd);
    }
  }

  /** rename(2) within the root: `from` must be a file, folder or link labforge made; `to` is replaced only when it
   *  is a file or a link (never a folder's contents, never through a link). */
  rename(from: string, to: string): void {
    this.expect(from, ['file', 'folder', 'link']);
    this.walk(to, true);
    this.expect(to, ['file', 'link']);
    fs.renameSync(this.walk(from), this.walk(to));
  }

  /** Makes (or replaces, in one rename) the symbolic link `rel` pointing at `target`. */
  link(target: string, rel: string): void {
    this.walk(rel, true);
    this.expect(rel, ['link']);
    for (;;) {
      const tmp = this.tempName(rel);
      try {
        fs.symlinkSync(target, this.walk(tmp));
      } catch (e) {
        if (errnoCode(e) === 'EEXIST') continue;
        throw e;
      }
      try {
        fs.renameSync(this.walk(tmp), this.walk(rel));
      } catch (e) {
        fs.rmSync(this.walk(tmp), { force: true });
        throw e;
      }
      return;
    }
  }

  /** Where the link `rel` points, or undefined when `rel` is not a link. */
  readLink(rel: string): string | undefined {
    const st = this.stat(rel);
    return st?.isSymbolicLink() ? fs.readlinkSync(this.walk(rel)) : undefined;
  }

  /** Deletes the file or link `rel` (the link itself); a folder or special file is refused. False if missing. */
  remove(rel: string, allowed: Kind[] = ['file', 'link']): boolean {
    const st = this.expect(rel, allowed);
    if (!st) return false;
    if (st.isDirectory()) fs.rmdirSync(this.walk(rel));
    else fs.unlinkSync(this.walk(rel));
    return true;
  }

  /** Deletes a tree labforge wrote, from its record: the files and links `entries` lists (relative to `rel`), then
   *  the folders they were in, each only once it is empty. Anything else found there stays (and so do the folders
   *  that hold it); returns what stayed. */
  removeRecorded(rel: string, entries: readonly string[]): string[] {
    const st = this.expect(rel, ['folder']);
    if (!st) return [];
    const folders = new Set<string>([rel]);
    for (const entry of entries) {
      const p = `${rel}/${entry}`;
      try {
        this.remove(p);
      } catch (e) {
        if (!(e instanceof UnsafePathError)) throw e;
      }
      for (let d = path.posix.dirname(p); d !== rel && d !== '.'; d = path.posix.dirname(d)) folders.add(d);
    }
    const stayed: string[] = [];
    for (const d of [...folders].sort((a, b) => b.length - a.length)) {
      try {
        if (this.stat(d)?.isDirectory()) fs.rmdirSync(this.walk(d));
      } catch (e) {
        if (errnoCode(e) === 'ENOTEMPTY' || errnoCode(e) === 'EEXIST') stayed.push(d);
        else if (!(e instanceof UnsafePathError)) throw e;
      }
    }
    return stayed;
  }

  /** Deletes a folder a tool labforge ran wrote for it (Packer's build/ and box/ in a render folder labforge made):
   *  every component on the way is checked, and rm does not follow links inside it. Nothing else uses this. */
  removeToolOutput(rel: string): void {
    const st = this.expect(rel, ['folder']);
    if (st) fs.rmSync(this.walk(rel), { recursive: true, force: true });
  }

  /** The names in the folder `rel` ('' for the root), or [] when it is missing; a link there is refused. */
  list(rel: string): string[] {
    if (rel !== '' && !this.expect(rel, ['folder'])) return [];
    return fs.readdirSync(rel === '' ? this.root : this.walk(rel)).sort();
  }
}
