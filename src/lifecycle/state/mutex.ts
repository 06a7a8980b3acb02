// One command at a time per lab output folder: the mutex <out>/.lock.
//
// The lock file is made complete and then hard-linked into place (link(2) fails when the name exists), so nobody
// ever reads a half-written lock. A lock is stale when its process is gone, or when its pid now belongs to a
// process that started at another time (the pid was reused). Breaking a stale lock happens under a second,
// short-lived lock (.lock.break), and the lock is checked again under it, so two commands never both take over.
import fs from 'node:fs';
import path from 'node:path';
import { errnoCode, LabBusyError } from '../../errors.js';
import { FileLayer, TEMP_MARK, TEMP_NAME } from '../../fsguard/layer.js';
import { readOwnJson } from './outdir.js';
import { LAYOUT } from '../../layout.js';
import { MUTEX_BREAK_STALE_S } from '../../time-limits.js';
import { describeStopped, processStart, readLedger, recordChildrenIn, stopLeftovers } from '../../tools/children.js';

interface Holder {
  pid: number;
  /** The process's start time (clock ticks since boot, /proc/<pid>/stat field 22), when known. */
  start?: string;
  command: string;
  started: string;
}

export { processStart };

function alive(h: Holder): boolean {
  try {
    process.kill(h.pid, 0);
  } catch (e) {
    if (errnoCode(e) !== 'EPERM') return false;
  }
  const start = processStart(h.pid);
  return h.start === undefined || start === undefined || start === h.start;
}

/** The lock's holder; undefined (a stale lock) when it is not a small regular file holding one: a link, a FIFO or
 *  a device planted in its place is never followed, waited on or read without end (checked on the descriptor). */
function readHolder(file: string): Holder | undefined {
  const h = readOwnJson<Holder>(file);
  return Number.isInteger(h?.pid) && h!.pid > 0 ? h : undefined;
}

/** Puts `text` at `file` only if nothing is there, complete or not at all. */
function linkInPlace(file: string, text: string): boolean {
  const { layer, name } = FileLayer.beside(file);
  return layer.publish(name, text);
}

/** Removes the lock file itself (never what a link there points at); a FIFO, socket or device node planted as the
 *  lock is a stale lock too, and unlinking it touches only the name. */
function removeLock(file: string): void {
  const { layer, name } = FileLayer.beside(file);
  layer.remove(name, ['file', 'link', 'fifo', 'socket', 'device']);
}

/** Removes the lock if it is still the stale one `seen` (same inode), under .lock.break. */
function breakStale(file: string, seen: fs.Stats): void {
  const breaker = `${file}.break`;
  if (!linkInPlace(breaker, String(process.pid))) {
    const st = fs.lstatSync(breaker, { throwIfNoEntry: false });
    if (st && Date.now() - st.mtimeMs > MUTEX_BREAK_STALE_S * 1000) removeLock(breaker);
    return; // someone else is breaking it; try again
  }
  try {
    const now = fs.lstatSync(file, { throwIfNoEntry: false });
    if (now && now.ino === seen.ino && now.dev === seen.dev) {
      const h = readHolder(file);
      if (!h || !alive(h)) removeLock(file);
    }
  } finally {
    removeLock(breaker);
  }
}

/** Who holds a lock file made by `tryLock`. */
export type LockHolder = Holder;

/** One try at the lock file `file` for `command`: taken (a release that removes only our own lock), or the live
 *  holder. A stale lock (its process gone, or its pid reused) is broken under `<file>.break` and tried again. */
export function tryLock(file: string, command: string): { release: () => void } | { holder: Holder } {
  const me: Holder = { pid: process.pid, start: processStart(process.pid), command, started: new Date().toISOString() };
  for (let attempt = 0; attempt < 50; attempt++) {
    if (linkInPlace(file, JSON.stringify(me))) {
      return {
        release: () => {
          // Only our own lock is removed.
          const h = readHolder(file);
          if (h?.pid === process.pid && h.started === me.started) removeLock(file);
        },
      };
    }
    const seen = fs.lstatSync(file, { throwIfNoEntry: false });
    if (!seen) continue;
    const holder = readHolder(file);
    if (holder && alive(holder)) return { holder };
    breakStale(file, seen);
  }
  throw new LabBusyError(`cannot take ${file}: other commands keep taking it; try again`);
}

/** Takes <out>/.lock or says who holds it; a stale lock is taken over. Returns the release. */
export function acquireMutex(outDir: string, command: string): () => void {
  const file = path.join(outDir, LAYOUT.mutex);
  const got = tryLock(file, command);
  if ('release' in got) {
    removeDeadTemps(outDir);
    return () => {
      recordChildrenIn(undefined);
      got.release();
    };
  }
  const holder = got.holder;
  throw new LabBusyError(
    `another labforge holds ${file}: \`labforge ${holder.command}\` (pid ${holder.pid}, started ${holder.started}); wait for it or stop it`,
  );
}

/** The programs the command holding the lock is running (tools/children.ts). */
export function childrenLedger(outDir: string): string {
  return path.join(outDir, `${LAYOUT.mutex}.children`);
}

/** The children ledger's temp files (FileLayer's `..lock.children.labforge-tmp-<hex>`): only the holder of the lock
 *  writes the ledger, so once we hold it any such file is what a killed holder left between write and rename. */
function removeDeadTemps(outDir: string): void {
  const out = new FileLayer(outDir);
  const prefix = `.${LAYOUT.mutex}.children${TEMP_MARK}`;
  for (const name of out.list('')) if (name.startsWith(prefix) && TEMP_NAME.test(name)) out.remove(name);
}

/**
 * Run right after acquireMutex: stops the programs a killed holder of the lock left running (its `vagrant up`, its
 * `vagrant destroy -f`: same pid and start time as recorded), says so on stderr, and from now on records this
 * command's own children in the ledger. Vagrant refuses to act on a machine another Vagrant works on, and two
 * commands must never act on a lab at once: the leftover goes before this command acts.
 */
export async function settleLeftovers(outDir: string, say: (line: string) => void = console.error): Promise<void> {
  const ledger = childrenLedger(outDir);
  const left = readLedger(ledger);
  const stopped = await stopLeftovers(left);
  if (stopped.length)
    say(`labforge: stopped what an earlier, killed labforge left running on this lab: ${describeStopped(stopped)}`);
  recordChildrenIn(ledger);
}
