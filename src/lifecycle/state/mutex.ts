// One command at a time per lab output folder: the mutex <out>/.lock.
//
// The lock file is made complete and then hard-linked into place (link(2) fails when the name exists), so nobody
// ever reads a half-written lock. A lock is stale when its process is gone, or when its pid now belongs to a
// process that started at another time (the pid was reused). Breaking a stale lock happens under a second,
// short-lived lock (.lock.break), and the lock is checked again under it, so two commands never both take over.
import fs from 'node:fs';
import path from 'node:path';
import { errnoCode, LabBusyError } from '../../errors.js';
import { LAYOUT } from '../../layout.js';
import { MUTEX_BREAK_STALE_S } from '../../time-limits.js';
import { processStart, readLedger, recordChildrenIn, stopLeftovers } from '../../tools/children.js';

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

function readHolder(file: string): Holder | undefined {
  try {
    const h = JSON.parse(fs.readFileSync(file, 'utf8'));
    return Number.isInteger(h?.pid) && h.pid > 0 ? (h as Holder) : undefined;
  } catch {
    return undefined;
  }
}

/** Puts `text` at `file` only if nothing is there, complete or not at all. */
function linkInPlace(file: string, text: string): boolean {
  const tmp = `${file}.${process.pid}.${Math.random().toString(36).slice(2)}`;
  fs.writeFileSync(tmp, text, { flag: 'wx' });
  try {
    fs.linkSync(tmp, file);
    return true;
  } catch (e) {
    if (errnoCode(e) === 'EEXIST') return false;
    throw e;
  } finally {
    fs.rmSync(tmp, { force: true });
  }
}

/** Removes the lock if it is still the stale one `seen` (same inode), under .lock.break. */
function breakStale(file: string, seen: fs.Stats): void {
  const breaker = `${file}.break`;
  if (!linkInPlace(breaker, String(process.pid))) {
    const st = fs.statSync(breaker, { throwIfNoEntry: false });
    if (st && Date.now() - st.mtimeMs > MUTEX_BREAK_STALE_S * 1000) fs.rmSync(breaker, { force: true });
    return; // someone else is breaking it; try again
  }
  try {
    const now = fs.statSync(file, { throwIfNoEntry: false });
    if (now && now.ino === seen.ino && now.dev === seen.dev) {
      const h = readHolder(file);
      if (!h || !alive(h)) fs.rmSync(file, { force: true });
    }
  } finally {
    fs.rmSync(breaker, { force: true });
  }
}

/** Takes <out>/.lock or says who holds it; a stale lock is taken over. Returns the release. */
export function acquireMutex(outDir: string, command: string): () => void {
  const file = path.join(outDir, LAYOUT.mutex);
  const me: Holder = { pid: process.pid, start: processStart(process.pid), command, started: new Date().toISOString() };
  for (let attempt = 0; attempt < 50; attempt++) {
    if (linkInPlace(file, JSON.stringify(me))) {
      removeDeadTemps(outDir);
      return () => {
        recordChildrenIn(undefined);
        // Only our own lock is removed.
        if (readHolder(file)?.pid === process.pid) fs.rmSync(file, { force: true });
      };
    }
    const seen = fs.statSync(file, { throwIfNoEntry: false });
    if (!seen) continue;
    const holder = readHolder(file);
    if (holder && alive(holder))
      throw new LabBusyError(
        `another labforge holds ${file}: \`labforge ${holder.command}\` (pid ${holder.pid}, started ${holder.started}); wait for it or stop it`,
      );
    breakStale(file, seen);
  }
  throw new LabBusyError(`cannot take ${file}: other commands keep taking it; try again`);
}

/** The programs the command holding the lock is running (tools/children.ts). */
export function childrenLedger(outDir: string): string {
  return path.join(outDir, `${LAYOUT.mutex}.children`);
}

/** The lock's temporary files (`.lock.<pid>.<random>`, `.lock.children.<pid>.tmp`) of processes that are gone: a
 *  kill between writing one and removing it. */
function removeDeadTemps(outDir: string): void {
  let names: string[];
  try {
    names = fs.readdirSync(outDir);
  } catch {
    return;
  }
  for (const name of names) {
    const m = /^\.lock\.(?:children\.|break\.)?(\d+)\.(?:tmp|[a-z0-9]+)$/.exec(name);
    if (m && Number(m[1]) !== process.pid && processStart(Number(m[1])) === undefined)
      fs.rmSync(path.join(outDir, name), { force: true });
  }
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
    say(
      `labforge: stopped what an earlier, killed labforge left running on this lab: ${stopped
        .map((c) => `${c.tool} (pid ${c.pid})`)
        .join(', ')}`,
    );
  recordChildrenIn(ledger);
}
