// Files and folders the user names (an output folder, --out, --output, --file, lab.lock beside the lab file, a
// command's log) and labforge's own temp folders: each write still goes through a FileLayer on the file's folder, so
// the last component is never followed (a link there is replaced or refused) and never a special file.
import fs from 'node:fs';
import path from 'node:path';
import { FileLayer } from './layer.js';

/** Makes a folder the user named (an output folder, --out, a copy's destination) and the folders above it: the
 *  path is the user's choice, links in it included; what labforge then writes below it goes through a FileLayer. */
export function makeUserFolder(abs: string, mode = 0o755): void {
  fs.mkdirSync(abs, { recursive: true, mode });
}

/** Writes a file the user named (lab.lock beside the lab file, --output): whole, by rename, never through a link
 *  or into a special file at that name (FileLayer.write in the file's folder). */
export function writeUserFile(file: string, data: string | Buffer, mode = 0o644): void {
  const { layer, name } = FileLayer.beside(file);
  layer.write(name, data, mode);
}

/** Appends to a file the user named (--summary, $GITHUB_STEP_SUMMARY): a regular file only, never via a link. */
export function appendUserFile(file: string, data: string | Buffer, mode = 0o644): void {
  const { layer, name } = FileLayer.beside(file);
  layer.append(name, data, mode);
}

/** A temp folder of labforge's own under `parent` (os.tmpdir()): mkdtemp, removed with removeOwnTemp. */
export function makeOwnTemp(parent: string, prefix: string): string {
  return fs.mkdtempSync(path.join(parent, prefix));
}

/** A temp folder of this process under `parent` named `<prefix><pid>-XXXXXX`, after removing those of the same prefix
 *  whose process is gone (a labforge killed with SIGKILL runs no clean-up): see sweepDeadTemps. */
export function makeOwnPidTemp(parent: string, prefix: string): string {
  sweepDeadTemps(parent, prefix);
  return makeOwnTemp(parent, `${prefix}${process.pid}-`);
}

/** The folders `<prefix><pid>-*` under `parent` whose pid no longer runs, when they are real folders (not links) of
 *  this user: a killed labforge's temp folders (full paths). */
export function deadTemps(parent: string, prefix: string): string[] {
  let names: string[] = [];
  try {
    names = fs.readdirSync(parent);
  } catch {
    return [];
  }
  return names
    .filter((name) => {
      if (!name.startsWith(prefix)) return false;
      const pid = Number(/^(\d+)-/.exec(name.slice(prefix.length))?.[1]);
      if (!pid || fs.existsSync(`/proc/${pid}`)) return false;
      const st = fs.lstatSync(path.join(parent, name), { throwIfNoEntry: false });
      return st?.isDirectory() === true && st.uid === process.getuid?.();
    })
    .map((name) => path.join(parent, name));
}

/** Removes deadTemps(parent, prefix). Gives the names removed. */
export function sweepDeadTemps(parent: string, prefix: string): string[] {
  return deadTemps(parent, prefix).map((dir) => {
    removeOwnTemp(dir);
    return path.basename(dir);
  });
}

/** Removes a temp folder makeOwnTemp made (recorded by its caller); rm does not follow links inside it. */
export function removeOwnTemp(dir: string): void {
  fs.rmSync(dir, { recursive: true, force: true });
}

/** A descriptor for appending to a file the user or labforge names (a command's log), through FileLayer.openAppend. */
export function openUserAppend(file: string, mode = 0o644): number {
  const { layer, name } = FileLayer.beside(file);
  return layer.openAppend(name, mode);
}

/** A stream appending to a file (a command's log) opened through openUserAppend. */
export function openUserAppendStream(file: string): fs.WriteStream {
  return fs.createWriteStream('', { fd: openUserAppend(file) });
}
