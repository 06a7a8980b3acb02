// Reading a file a user, a lab file or a repository names (docs/safety.md): opened with O_NONBLOCK (opening a FIFO
// never waits for a writer), checked on the open descriptor (a regular file only: no FIFO, device, socket or folder,
// so no read can block), and read up to a bound (a file whose size says 0 but that has no end, like
// /proc/self/pagemap, stops at the bound). hashFile streams with the same checks, so SIGINT stops it at once.
import crypto from 'node:crypto';
import fs from 'node:fs';
import { errnoCode, UsageError } from '../errors.js';
import { kindOf } from './layer.js';

const { O_RDONLY, O_NONBLOCK, O_NOFOLLOW } = fs.constants;

const NOT_REGULAR: Record<string, string> = {
  folder: 'a folder',
  link: 'a symbolic link',
  fifo: 'a FIFO (named pipe)',
  device: 'a device node',
  socket: 'a socket',
};

export interface ReadOptions {
  /** What names the file in messages: `--lab`, `lab.lock`, `--file`, `image.local`. */
  what: string;
  /** The most bytes accepted. */
  maxBytes: number;
  /** Do not follow a link at the last component (files in labforge's own folders). */
  noFollow?: boolean;
}

/** A file that cannot be read as asked (exit 2), naming `what`, the path and why. */
export class UnreadableFileError extends UsageError {
  constructor(
    readonly code: string | undefined,
    message: string,
  ) {
    super(message);
  }
}

/** Opens `file` for reading and checks the descriptor: a regular file. The caller closes it. */
export function openRegular(file: string, opts: Omit<ReadOptions, 'maxBytes'>): { fd: number; st: fs.Stats } {
  let fd: number;
  try {
    fd = fs.openSync(file, O_RDONLY | O_NONBLOCK | (opts.noFollow ? O_NOFOLLOW : 0));
  } catch (e) {
    const code = errnoCode(e);
    const why = code === 'ELOOP' ? 'is a symbolic link' : `cannot be read (${code ?? (e as Error).message})`;
    throw new UnreadableFileError(code, `${opts.what}: ${JSON.stringify(file)} ${why}`);
  }
  const st = fs.fstatSync(fd);
  if (!st.isFile()) {
    fs.closeSync(fd);
    throw new UnreadableFileError(
      'EFTYPE',
      `${opts.what}: ${JSON.stringify(file)} is ${NOT_REGULAR[kindOf(st)] ?? 'not a regular file'}, not a regular file`,
    );
  }
  return { fd, st };
}

/** The whole of a regular file of at most `maxBytes` bytes (its size as read, not as fstat says). */
export function readBounded(file: string, opts: ReadOptions): Buffer {
  return readBoundedStat(file, opts).data;
}

/** readBounded, with what fstat said of the descriptor it read. */
export function readBoundedStat(file: string, opts: ReadOptions): { data: Buffer; st: fs.Stats } {
  const { fd, st } = openRegular(file, opts);
  try {
    const chunks: Buffer[] = [];
    let total = 0;
    const buf = Buffer.alloc(Math.min(opts.maxBytes + 1, 1 << 20));
    for (;;) {
      const n = fs.readSync(fd, buf, 0, Math.min(buf.length, opts.maxBytes + 1 - total), null);
      if (n === 0) break;
      chunks.push(Buffer.from(buf.subarray(0, n)));
      total += n;
      if (total > opts.maxBytes)
        throw new UnreadableFileError(
          'EFBIG',
          `${opts.what}: ${JSON.stringify(file)} is larger than ${opts.maxBytes} bytes, more than such a file can be`,
        );
    }
    return { data: Buffer.concat(chunks, total), st };
  } finally {
    fs.closeSync(fd);
  }
}

export function readBoundedText(file: string, opts: ReadOptions): string {
  return readBounded(file, opts).toString('utf8');
}

/** readBoundedText, or undefined when the file does not exist. */
export function readBoundedIfExists(file: string, opts: ReadOptions): string | undefined {
  try {
    return readBoundedText(file, opts);
  } catch (e) {
    if (e instanceof UnreadableFileError && e.code === 'ENOENT') return undefined;
    throw e;
  }
}

/** sha256 of a regular file, streamed: at most the size fstat gave when it was opened (a file that says it is
 *  empty, or grows, while it has more is refused) and at most `maxBytes`; `signal` stops it at once. */
export async function hashFile(
  file: string,
  opts: ReadOptions & {
    signal?: AbortSignal;
    /** A sum known for this size and mtime (a cache): returned without reading. */
    cachedFor?: (size: number, mtimeMs: number) => string | undefined;
  },
): Promise<{ sha256: string; size: number; mtimeMs: number }> {
  const { fd, st } = openRegular(file, opts);
  const known = opts.cachedFor?.(st.size, st.mtimeMs);
  if (known) {
    fs.closeSync(fd);
    return { sha256: known, size: st.size, mtimeMs: st.mtimeMs };
  }
  const stream = fs.createReadStream('', { fd, highWaterMark: 1 << 20, autoClose: true, signal: opts.signal });
  const h = crypto.createHash('sha256');
  let total = 0;
  const limit = Math.min(st.size, opts.maxBytes);
  if (st.size > opts.maxBytes) {
    stream.destroy();
    throw new UnreadableFileError(
      'EFBIG',
      `${opts.what}: ${JSON.stringify(file)} is larger than ${opts.maxBytes} bytes`,
    );
  }
  try {
    for await (const chunk of stream as AsyncIterable<Buffer>) {
      total += chunk.length;
      if (total > limit)
        throw new UnreadableFileError(
          'EFBIG',
          `${opts.what}: ${JSON.stringify(file)} holds more than the ${st.size} bytes its size says ` +
            '(a file of the kernel or one that grows), not an image file',
        );
      h.update(chunk);
    }
  } finally {
    stream.destroy();
  }
  return { sha256: h.digest('hex'), size: st.size, mtimeMs: st.mtimeMs };
}
