// The programs labforge is running, written down next to the lab's mutex (<out>/.lock.children) so that a labforge
// killed with SIGKILL does not leave its `vagrant up` or `vagrant destroy -f` running unnoticed: the next command,
// when it takes over the stale lock, stops every recorded program that still runs (same pid AND same start time,
// /proc/<pid>/stat field 22, so a reused pid is never hit) and its descendants, before it acts itself. Node has no
// prctl(PR_SET_PDEATHSIG), so the children cannot be made to die with labforge; this is the other half.
import fs from 'node:fs';
import { BOUNDS } from '../bounds.js';
import { FileLayer } from '../fsguard/layer.js';
import { readBoundedIfExists } from '../fsguard/read.js';
import { CHILD_STOP_GRACE_S } from '../time-limits.js';

export interface ChildEntry {
  pid: number;
  /** /proc/<pid>/stat field 22 (clock ticks since boot). */
  start: string;
  /** The program, for the message. */
  tool: string;
}

let ledger: string | undefined;
const live = new Map<number, ChildEntry>();

/** When a process started, from /proc; undefined where there is no /proc or no such process. */
export function processStart(pid: number): string | undefined {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) is in parentheses and may hold spaces: count fields after the last ')'.
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19];
  } catch {
    return undefined;
  }
}

function parentOf(pid: number): number | undefined {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
  } catch {
    return undefined;
  }
}

function write(): void {
  if (!ledger) return;
  try {
    const { layer, name } = FileLayer.beside(ledger);
    if (live.size === 0) layer.remove(name);
    else layer.write(name, `${JSON.stringify([...live.values()])}\n`);
  } catch {
    // A full disk must not stop the command; the ledger is a safety net, not the command's state.
  }
}

/** From now on the children are written down in `file` (undefined: no longer). */
export function recordChildrenIn(file: string | undefined): void {
  if (ledger && !file) {
    const { layer, name } = FileLayer.beside(ledger);
    layer.remove(name);
  }
  ledger = file;
  write();
}

/** A child was started (run.ts). */
export function childStarted(pid: number | undefined, tool: string): void {
  if (pid === undefined) return;
  const start = processStart(pid);
  if (start === undefined) return; // already gone
  live.set(pid, { pid, start, tool });
  write();
}

/** A child ended (run.ts). */
export function childEnded(pid: number | undefined): void {
  if (pid === undefined || !live.delete(pid)) return;
  write();
}

/** Reads a ledger; an unreadable or damaged one lists nothing (it is only ever written whole, by rename). */
export function readLedger(file: string): ChildEntry[] {
  try {
    const text = readBoundedIfExists(file, { what: 'labforge', maxBytes: BOUNDS.recordBytes.max, noFollow: true });
    const list = JSON.parse(text ?? '[]') as unknown;
    if (!Array.isArray(list)) return [];
    return list.filter(
      (e): e is ChildEntry =>
        Number.isInteger(e?.pid) && e.pid > 1 && typeof e.start === 'string' && typeof e.tool === 'string',
    );
  } catch {
    return [];
  }
}

/** The recorded entries still running as the same process (pid and start time both match). */
export function stillRunning(entries: ChildEntry[]): ChildEntry[] {
  return entries.filter((e) => e.pid !== process.pid && same(e.pid, e.start));
}

/**
 * The processes of this user whose environment holds exactly `name=value`, as entries to stop. A program does not
 * always stay below the one that started it: Packer's build VM (QEMU) outlives a Packer that died with the labforge
 * that ran it. It still carries the TMPDIR labforge gave Packer, a temp folder named after that labforge's pid.
 */
export function processesWithEnv(name: string, value: string): ChildEntry[] {
  const want = `${name}=${value}`;
  const found: ChildEntry[] = [];
  let pids: string[];
  try {
    pids = fs.readdirSync('/proc').filter((n) => /^\d+$/.test(n));
  } catch {
    return [];
  }
  for (const p of pids) {
    const pid = Number(p);
    if (pid === process.pid) continue;
    try {
      if (!fs.readFileSync(`/proc/${p}/environ`, 'latin1').split('\0').includes(want)) continue;
      const start = processStart(pid);
      const tool = fs.readFileSync(`/proc/${p}/comm`, 'utf8').trim();
      if (start !== undefined) found.push({ pid, start, tool });
    } catch {
      // gone, or not ours to read
    }
  }
  return found;
}

/** The processes below `roots` (children, grandchildren, ...), from /proc. */
function descendants(roots: number[]): number[] {
  let pids: number[];
  try {
    pids = fs
      .readdirSync('/proc')
      .filter((n) => /^\d+$/.test(n))
      .map(Number);
  } catch {
    return [];
  }
  const parent = new Map(pids.map((p) => [p, parentOf(p)]));
  const found = new Set(roots);
  let grew = true;
  while (grew) {
    grew = false;
    for (const [p, pp] of parent)
      if (pp !== undefined && found.has(pp) && !found.has(p)) {
        found.add(p);
        grew = true;
      }
  }
  return [...found].filter((p) => !roots.includes(p));
}

/** Whether `pid` is still the process that started at `start` (a zombie is gone: it only waits to be reaped). */
function same(pid: number, start: string | undefined): boolean {
  try {
    const fields = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    const rest = fields.slice(fields.lastIndexOf(')') + 2).split(' ');
    return rest[0] !== 'Z' && rest[0] !== 'X' && rest[19] === start;
  } catch {
    return false;
  }
}

function signal(pid: number, start: string | undefined, sig: NodeJS.Signals): void {
  if (!same(pid, start)) return; // gone, or the pid is another process now
  try {
    process.kill(pid, sig);
  } catch {
    /* gone */
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** `vagrant (pid 41235), virsh (pid 41240)`: what stopLeftovers stopped, for a message. */
export function describeStopped(entries: ChildEntry[]): string {
  return entries.map((c) => `${c.tool} (pid ${c.pid})`).join(', ');
}

/**
 * Stops what a killed labforge left running: SIGTERM to each recorded program and everything below it, up to
 * `graceMs` to end, then SIGKILL. Returns what was stopped (for the message). Only processes whose pid and start time
 * are the recorded ones (or that descend from them now) are signalled.
 */
export async function stopLeftovers(entries: ChildEntry[], graceMs = CHILD_STOP_GRACE_S * 1000): Promise<ChildEntry[]> {
  const running = stillRunning(entries);
  if (running.length === 0) return [];
  const tree = (): { pid: number; start: string | undefined }[] => {
    const roots = stillRunning(running).map((e) => e.pid);
    return [...roots, ...descendants(roots)].map((pid) => ({ pid, start: processStart(pid) }));
  };
  const first = tree();
  for (const p of first) signal(p.pid, p.start, 'SIGTERM');
  const until = Date.now() + graceMs;
  while (Date.now() < until && first.some((p) => same(p.pid, p.start))) await sleep(100);
  for (const p of [...first, ...tree()]) signal(p.pid, p.start, 'SIGKILL');
  // SIGKILL is not instant for a process in the middle of a system call: wait (briefly) until it is gone.
  const deadline = Date.now() + 5000;
  while (Date.now() < deadline && first.some((p) => same(p.pid, p.start))) await sleep(50);
  return running;
}
