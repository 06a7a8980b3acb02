// What the file layer finds at a path, in the words its messages use.
import fs from 'node:fs';
import { errnoCode, UsageError } from '../errors.js';

/** Refused by the layer (exit 2): the message names the path and what labforge found there. */
export class UnsafePathError extends UsageError {}

export type Kind = 'file' | 'folder' | 'link' | 'fifo' | 'device' | 'socket';

export function kindOf(st: fs.Stats): Kind {
  if (st.isSymbolicLink()) return 'link';
  if (st.isDirectory()) return 'folder';
  if (st.isFile()) return 'file';
  if (st.isFIFO()) return 'fifo';
  if (st.isSocket()) return 'socket';
  return 'device';
}

export const KIND_TEXT: Record<Kind, string> = {
  file: 'a file',
  folder: 'a folder',
  link: 'a symbolic link',
  fifo: 'a FIFO (named pipe)',
  device: 'a device node',
  socket: 'a socket',
};

/** lstat, or undefined when nothing is there. */
export function lstatOrUndefined(p: string): fs.Stats | undefined {
  try {
    return fs.lstatSync(p);
  } catch (e) {
    if (errnoCode(e) === 'ENOENT') return undefined;
    throw e;
  }
}

/** Writes all of `data` to `fd` (write(2) may write less than asked). */
export function writeAll(fd: number, data: string | Buffer): void {
  const buf = typeof data === 'string' ? Buffer.from(data) : data;
  for (let off = 0; off < buf.length;) off += fs.writeSync(fd, buf, off, buf.length - off);
}
