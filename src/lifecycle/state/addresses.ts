// The output folder's record of the addresses a render chose (lab/addresses.ts): .labforge-addresses.json. Read by
// every command that opens the lab, written by render, so a node keeps its address and the lab its management
// subnet across edits of the lab file.
import path from 'node:path';
import type { AddressRecord } from '../../lab/addresses.js';
import { CIDR, IPV4, LABEL } from '../../lab/schema.js';
import { addressRecordOf, type Lab } from '../../lab/model.js';
import { LAYOUT } from '../../layout.js';
import { readBoundedIfExists } from '../../fsguard/read.js';
import { atomicWrite } from './outdir.js';
import { isObject, readStateJson, type StateFileKind } from './state-file.js';

/** At most this many bytes of a record are read (a record of 1000 nodes is about 40 kB). */
const MAX_BYTES = 1024 * 1024;

/** A small JSON file of labforge's own: a regular file (no link followed), bounded, parsed; undefined if absent,
 *  not a regular file, too large or not JSON. */
export function readSmallJson(file: string, maxBytes = MAX_BYTES): unknown {
  try {
    const text = readBoundedIfExists(file, { what: 'labforge', maxBytes, noFollow: true });
    return text === undefined ? undefined : JSON.parse(text);
  } catch {
    return undefined;
  }
}

const ADDRESSES: StateFileKind = {
  what: "the lab's address record",
  role: 'the addresses a render chose for nodes without ip and the management subnet, kept so they never move',
  recover:
    'put back a good copy, or move it away; the next command then chooses them again from the lab file (a node ' +
    'without ip, or the management subnet, may then get another address than the running lab has: ' +
    '`labforge destroy` and `labforge up` it then)',
  maxBytes: MAX_BYTES,
  noFollow: true,
};

/** The record in an output folder; a damaged one (not JSON, not a record) ends the command (exit 2): choosing the
 *  addresses anew could move a running node. Entries that are not a node name and an address are left out. */
export function readAddressRecord(outDir: string): AddressRecord | undefined {
  const raw = readStateJson<AddressRecord>(path.join(outDir, LAYOUT.addresses), ADDRESSES, (v) =>
    !isObject(v) || v.version !== 1 || typeof v.lab !== 'string' || !isObject(v.nodes)
      ? 'not a record of version 1 with a lab name and its nodes'
      : undefined,
  );
  if (!raw) return undefined;
  const nodes: Record<string, string> = {};
  for (const [name, ip] of Object.entries(raw.nodes))
    if (LABEL.test(name) && typeof ip === 'string' && IPV4.test(ip)) nodes[name] = ip;
  const management = typeof raw.management === 'string' && CIDR.test(raw.management) ? raw.management : undefined;
  return { version: 1, lab: raw.lab, nodes, ...(management ? { management } : {}) };
}

/** Writes the lab's record into its (owned) output folder. */
export function writeAddressRecord(lab: Lab): void {
  atomicWrite(path.join(lab.outDir, LAYOUT.addresses), `${JSON.stringify(addressRecordOf(lab), null, 2)}\n`, 0o644);
}
