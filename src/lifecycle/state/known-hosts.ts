// The nodes' host keys, `<out>/known_hosts`: ssh learns a node's key at its first login (accept-new) and refuses a
// different one after. A node's host keys are made at its first boot, so a node whose domain was made anew (an up
// after a destroy that was killed half way, a `vagrant destroy` by hand) answers with new ones, and every login to
// it would fail on "REMOTE HOST IDENTIFICATION HAS CHANGED". So labforge keeps beside it which domain each node's
// keys were learned from (`.labforge-known-hosts.json`, node -> the domain id Vagrant recorded), and before a login
// drops the lines of every node whose domain is not that one any more. Never by guess: only the addresses and names
// of the lab's own nodes, and only when their domain changed. Lines ssh cannot read (a file cut short, junk) are
// dropped too, so ssh never appends a key to a cut line.
import crypto from 'node:crypto';
import path from 'node:path';
import { BOUNDS } from '../../bounds.js';
import type { Lab } from '../../lab/model.js';
import { LAYOUT } from '../../layout.js';
import { outLayer, owned } from './outdir.js';
import { vagrantDomainIds } from './record.js';
import { isObject, readRebuildableJson, readStateText, type StateFileKind } from './state-file.js';

const KNOWN_HOSTS: StateFileKind = {
  what: "the nodes' host keys as ssh learned them",
  role: 'which ssh reads at every login to a node',
  recover: 'remove it; ssh learns the nodes\u2019 keys again at the next login',
  maxBytes: BOUNDS.recordBytes.max,
  noFollow: true,
};

const LEARNED: StateFileKind = {
  what: "the domain each node's host keys in known_hosts were learned from",
  role: 'by which labforge forgets the keys of a node that was made anew',
  recover: 'remove it; labforge then forgets every node\u2019s key once and ssh learns them again',
  maxBytes: BOUNDS.recordBytes.max,
  noFollow: true,
};

/** node -> the domain id Vagrant recorded when its host keys were (or were about to be) learned. */
type Learned = Record<string, string>;

function learnedProblem(v: unknown): string | undefined {
  if (!isObject(v)) return 'not a JSON object';
  for (const [k, id] of Object.entries(v)) if (typeof id !== 'string') return `the domain of "${k}" is not text`;
  return undefined;
}

/** Whether one `host` pattern of a known_hosts line (plain, `[host]:port`, or hashed `|1|salt|hash`) names `name`. */
function hostMatches(pattern: string, name: string): boolean {
  const hashed = /^\|1\|([A-Za-z0-9+/]+=*)\|([A-Za-z0-9+/]+=*)$/.exec(pattern);
  if (hashed) {
    const mac = crypto.createHmac('sha1', Buffer.from(hashed[1], 'base64')).update(name).digest('base64');
    return mac === hashed[2];
  }
  const plain = pattern.startsWith('[') ? /^\[([^\]]+)\](?::\d+)?$/.exec(pattern)?.[1] : pattern;
  return plain?.toLowerCase() === name.toLowerCase();
}

/** Whether the key blob (base64) is whole: a sequence of length-prefixed fields that uses every byte, the first being
 *  the key type the line names. A line cut short fails this (ssh cannot read it either). */
function wholeKey(type: string, base64: string): boolean {
  if (!/^[A-Za-z0-9+/]+=*$/.test(base64) || base64.length % 4 !== 0) return false;
  const blob = Buffer.from(base64, 'base64');
  let at = 0;
  let first: string | undefined;
  while (at < blob.length) {
    if (at + 4 > blob.length) return false;
    const len = blob.readUInt32BE(at);
    if (at + 4 + len > blob.length) return false;
    first ??= blob.subarray(at + 4, at + 4 + len).toString('latin1');
    at += 4 + len;
  }
  return first === type;
}

/** The host patterns of a known_hosts line ssh can read, or undefined for a line it cannot (junk, a key cut short).
 *  Comments and blank lines have none. */
function lineHosts(line: string): string[] | undefined {
  const t = line.trim();
  if (t === '' || t.startsWith('#')) return [];
  const fields = t.split(/\s+/);
  if (fields[0].startsWith('@')) fields.shift();
  const [hosts, type, key] = fields;
  if (!hosts || !type || !key || !wholeKey(type, key)) return undefined;
  return hosts.split(',');
}

/** The known_hosts text without the lines naming any of `names`, nor those ssh cannot read; and how many of each. */
export function withoutHosts(text: string, names: string[]): { text: string; dropped: number; damaged: number } {
  let dropped = 0;
  let damaged = 0;
  const kept = text.split('\n').filter((line) => {
    if (line.trim() === '') return false;
    const hosts = lineHosts(line);
    if (hosts === undefined) return (damaged++, false);
    if (hosts.some((h) => !h.startsWith('!') && names.some((n) => hostMatches(h, n)))) return (dropped++, false);
    return true;
  });
  return { text: kept.length ? `${kept.join('\n')}\n` : '', dropped, damaged };
}

/**
 * Makes `<out>/known_hosts` hold no key of a node whose domain is not the one its keys were learned from (or that
 * has no domain now), and records the domains now. Nothing is written in a folder labforge does not own. Anything
 * but a regular file at known_hosts (a link, a FIFO, a folder) or one too long ends the command: exit 2 naming it,
 * left as it is.
 */
export function forgetKeysOfNewDomains(lab: Lab): void {
  if (!owned(lab.outDir)) return;
  const file = path.join(lab.outDir, LAYOUT.knownHosts);
  const text = readStateText(file, KNOWN_HOSTS);
  const learnedFile = path.join(lab.outDir, LAYOUT.knownHostsDomains);
  const learned =
    readRebuildableJson<Learned>(
      learnedFile,
      LEARNED,
      learnedProblem,
      "every node's key is forgotten once and learned again",
    ) ?? {};
  const domains = new Map(vagrantDomainIds(lab.outDir).map((d) => [d.node, d.uuid]));
  const now: Learned = {};
  const names: string[] = [];
  for (const n of lab.nodes) {
    const id = domains.get(n.name);
    if (id) now[n.name] = id;
    if (learned[n.name] !== id) names.push(n.ip, n.name, n.fqdn);
  }
  if (text !== undefined) {
    const left = withoutHosts(text, names);
    if (left.text !== text) outLayer(lab.outDir).write(LAYOUT.knownHosts, left.text, 0o644);
  }
  // After known_hosts: a kill between the two writes leaves the old record, and the next login forgets again.
  if (JSON.stringify(now) !== JSON.stringify(learned))
    outLayer(lab.outDir).write(LAYOUT.knownHostsDomains, `${JSON.stringify(now, null, 2)}\n`, 0o644);
}
