// labforge's own state files (the ownership record, the address record, the render manifest, lab.lock, the local
// image's cache...): one way to read them and one way to say one is damaged. Every write is atomic, but a user, a
// disk or a copy can still leave one empty, cut short, full of junk, the wrong shape or a folder. Each file says
// what it is and how to recover; a damaged one either ends the command with exit 2 naming it (StateFileError: the
// file is left as it is) or, where what it holds is rebuilt safely, is passed over with a note on stderr. Never a raw
// JSON error.
import { StateFileError } from '../../errors.js';
import fs from 'node:fs';
import { KIND_TEXT, kindOf, type Kind } from '../../fsguard/kinds.js';
import { readBoundedIfExists, UnreadableFileError } from '../../fsguard/read.js';

/** What a state file is and how to recover from its damage. */
export interface StateFileKind {
  /** What it is, in a few words: "the lab's ownership record". */
  what: string;
  /** Why labforge will not guess, or what it holds: "the list of what labforge created in libvirt". */
  role: string;
  /** How to recover, one sentence: "put back a good copy, or move it away; then ...". */
  recover: string;
  /** The most bytes it can be. */
  maxBytes: number;
  /** Not following a link at its name (files in labforge's own folders; the render manifest is a link). */
  noFollow?: boolean;
}

/** Why a text did not parse as JSON, in words (never the parser's own message, which quotes the junk). */
export function jsonDamage(text: string): string {
  if (text.trim() === '') return 'empty';
  if (text.includes('\u0000') || text.includes('\ufffd')) return 'not text: binary bytes';
  let message: string;
  try {
    JSON.parse(text);
    return 'readable';
  } catch (e) {
    message = (e as Error).message;
  }
  // Only the parser's position is taken from its message (its text quotes the junk): an error at the end, or an
  // open string or value, is JSON cut short.
  const at = /at position (\d+)/.exec(message);
  const end = text.trimEnd().length;
  if (/end of JSON input|Unterminated string/.test(message) || (at && Number(at[1]) >= end))
    return 'cut short: the JSON ends early';
  return at ? `not JSON: unexpected text at character ${Number(at[1]) + 1}` : 'not JSON';
}

/** The error for a damaged state file: names it, what it is, what was wrong, and how to recover (exit 2). */
export function damagedStateFile(file: string, kind: StateFileKind, why: string): StateFileError {
  return new StateFileError(
    `${file} is damaged (${why}): it is ${kind.what}, ${kind.role}. To recover: ${kind.recover}`,
  );
}

/** The reason an unreadable (not missing) file is damaged: a folder, a link, a FIFO... in the reader's words. */
function unreadable(e: UnreadableFileError, file: string): string {
  const at = e.message.indexOf(JSON.stringify(file));
  const why = at < 0 ? e.message : e.message.slice(at + JSON.stringify(file).length).trim();
  return why.replace(/, not a regular file$/, '').replace(/^is /, '');
}

/** How a JSON file labforge reads can be damaged: unreadable (a folder, a FIFO, too long: the reader's error),
 *  not JSON, or JSON of the wrong shape (what `check` found). */
export type JsonDamage =
  { how: 'unreadable'; error: UnreadableFileError } | { how: 'json'; text: string } | { how: 'shape'; problem: string };

/** Reads a JSON file of labforge's: undefined when it does not exist; its value when it is JSON of the shape `check`
 *  accepts (`check` returns what is wrong, or undefined); else the error `damaged` makes of the damage. */
export function readCheckedJson<T>(
  file: string,
  read: { what: string; maxBytes: number; noFollow?: boolean },
  check: (value: unknown) => string | undefined,
  damaged: (d: JsonDamage) => Error,
): T | undefined {
  let text: string | undefined;
  try {
    text = readBoundedIfExists(file, read);
  } catch (e) {
    if (e instanceof UnreadableFileError) throw damaged({ how: 'unreadable', error: e });
    throw e;
  }
  if (text === undefined) return undefined;
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw damaged({ how: 'json', text });
  }
  const problem = check(value);
  if (problem !== undefined) throw damaged({ how: 'shape', problem });
  return value as T;
}

/**
 * Reads a state file: undefined when it does not exist; its value when it is JSON of the shape `check` accepts
 * (`check` returns what is wrong, or undefined); else a StateFileError naming the file (exit 2). The file is never
 * changed here.
 */
export function readStateJson<T>(
  file: string,
  kind: StateFileKind,
  check: (value: unknown) => string | undefined,
): T | undefined {
  return readCheckedJson<T>(file, kind, check, (d) =>
    damagedStateFile(
      file,
      kind,
      d.how === 'unreadable' ? unreadable(d.error, file) : d.how === 'json' ? jsonDamage(d.text) : d.problem,
    ),
  );
}

/** Reads a state file that is text, not JSON (known_hosts): undefined when it does not exist; else its text, or a
 *  StateFileError naming the file (exit 2) when it cannot be read as one (a link, a FIFO, a folder, too long). */
export function readStateText(file: string, kind: StateFileKind): string | undefined {
  try {
    return readBoundedIfExists(file, kind);
  } catch (e) {
    if (e instanceof UnreadableFileError) throw damagedStateFile(file, kind, unreadable(e, file));
    throw e;
  }
}

/** readStateJson for a file whose content is rebuilt safely: a damaged one counts as none, and stderr says so
 *  (`rebuilt`: what happens instead, "it is written anew by this render"). */
export function readRebuildableJson<T>(
  file: string,
  kind: StateFileKind,
  check: (value: unknown) => string | undefined,
  rebuilt: string,
): T | undefined {
  try {
    return readStateJson<T>(file, kind, check);
  } catch (e) {
    if (!(e instanceof StateFileError)) throw e;
    noteDamage(e, rebuilt);
    return undefined;
  }
}

/** Says on stderr that a damaged state file was passed over, and what happens instead. */
export function noteDamage(e: StateFileError, instead: string): void {
  const head = e.message.slice(0, e.message.indexOf('. To recover: '));
  process.stderr.write(`labforge: ${head}; ${instead}\n`);
}

/** A check that the value is a JSON object (not a list, not null). */
export function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Ends the command (exit 2, a damaged state file) when something other than the `allowed` kinds is at `file`
 *  (nothing there is fine); it is left as it is. */
export function refuseUnexpected(file: string, kind: StateFileKind, allowed: Kind[], expected?: string): void {
  const st = fs.lstatSync(file, { throwIfNoEntry: false });
  if (st && !allowed.includes(kindOf(st)))
    throw damagedStateFile(
      file,
      kind,
      `${KIND_TEXT[kindOf(st)]}, not ${expected ?? allowed.map((k) => KIND_TEXT[k]).join(' or ')}`,
    );
}
