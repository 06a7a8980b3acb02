// labforge console NODE: the node's serial console. Every node has two serial ports (the Vagrantfile): the first
// (ttyS0, the kernel's console) is written to <out>/logs/<node>-console.log, which `console NODE --log` prints; the
// second (ttyS1) is a pty with a login prompt (a getty the bake and provision/node.sh enable), which `console NODE`
// connects the user's terminal to, so a node that never answers on the network can still be logged into.
import fs from 'node:fs';
import path from 'node:path';
import type { Lab, LabNode } from '../../lab/model.js';
import { consoleHistory, consoleLog } from '../../layout.js';
import type { Virsh } from '../../tools/virsh.js';
import { labVirsh } from './lab-hosts.js';
import { parseSerials } from '../../tools/virsh-output.js';
import { ConsoleError } from '../../errors.js';
import { terminalText } from '../../inert.js';
import { readRecord } from '../state/record.js';
import { liveDomains, resolveNodes, type LiveDomain } from './domains.js';
import { appendUserFile } from '../../fsguard/user-files.js';

/** The serial device `console` connects to: the second serial port, ttyS1 in the guest. */
export const CONSOLE_DEVICE = 'serial1';

export function consoleLogPath(lab: Lab, node: LabNode): string {
  return path.join(lab.outDir, consoleLog(node.name));
}

/** Console output made safe for a terminal (inert.ts): no carriage returns, no escape sequences (colours, cursor
 *  moves, a title change a guest could send), 7-bit or 8-bit, no other control character (C0 or C1) but tab and
 *  newline, invisible and bidirectional characters shown escaped. */
export function cleanConsole(text: string): string {
  return terminalText(text);
}

/** The last `lines` lines of a text (all of it when undefined). */
export function lastLines(text: string, lines?: number): string {
  if (lines === undefined) return text;
  const all = text.replace(/\n$/, '').split('\n');
  return `${all.slice(-lines).join('\n')}\n`;
}

/** Where a node's console log is kept when a restore would lose it: QEMU starts the log file anew when libvirt
 *  reverts a domain to a snapshot. */
export function consoleHistoryPath(lab: Lab, node: LabNode): string {
  return path.join(lab.outDir, consoleHistory(node.name));
}

/** The line put between what a node's console wrote before a restore and after it. */
export function restoreMarker(snapshot: string, at: Date): string {
  return `--- labforge: snapshot ${snapshot} restored at ${at.toISOString()}; the console continues from the snapshot's moment ---\n`;
}

/** Before a restore: appends each node's console log so far to its history (`console --log` prints both). */
export function keepConsoleLogs(lab: Lab, nodes: LabNode[], snapshot: string, at = new Date()): void {
  for (const node of nodes) {
    let text: Buffer;
    try {
      text = fs.readFileSync(consoleLogPath(lab, node));
    } catch {
      continue;
    }
    // Also after a console that wrote nothing since the last restore: the marker says the restore happened.
    const ending = text.length === 0 || text[text.length - 1] === 0x0a ? '' : '\n';
    appendUserFile(
      consoleHistoryPath(lab, node),
      Buffer.concat([text, Buffer.from(`${ending}${restoreMarker(snapshot, at)}`)]),
    );
  }
}

/** The captured serial console of a node (cleaned for the terminal): what it wrote before the last restores, then
 *  since. */
export function readConsoleLog(lab: Lab, node: LabNode, lines?: number): string {
  const file = consoleLogPath(lab, node);
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch {
    throw new ConsoleError(
      `node ${node.name} has no console log (${file}): it has not been created yet (run labforge up)`,
    );
  }
  let history = '';
  try {
    history = fs.readFileSync(consoleHistoryPath(lab, node), 'utf8');
  } catch {
    /* no restore yet */
  }
  return lastLines(cleanConsole(history + text), lines);
}

/** Prints what the node's console writes from now on (after the log so far), until labforge is interrupted. */
export async function followConsoleLog(
  lab: Lab,
  node: LabNode,
  write: (text: string) => void,
  lines?: number,
): Promise<never> {
  const file = consoleLogPath(lab, node);
  write(readConsoleLog(lab, node, lines));
  let offset = fs.statSync(file).size;
  for (;;) {
    await new Promise((r) => setTimeout(r, 500));
    const size = fs.statSync(file, { throwIfNoEntry: false })?.size ?? 0;
    // A new domain (destroy, up) starts the file again.
    if (size < offset) offset = 0;
    if (size === offset) continue;
    const fd = fs.openSync(file, 'r');
    try {
      const buf = Buffer.alloc(size - offset);
      fs.readSync(fd, buf, 0, buf.length, offset);
      write(cleanConsole(buf.toString('utf8')));
    } finally {
      fs.closeSync(fd);
    }
    offset = size;
  }
}

/** The node's domain, checked: labforge recorded it (by UUID), it runs and has the console's pty serial port. */
export async function consoleDomain(lab: Lab, node: LabNode, virsh: Virsh): Promise<LiveDomain> {
  const { nodes, refused } = resolveNodes(lab, readRecord(lab.outDir), await liveDomains(virsh));
  const mine = refused.find((r) => r.includes(`for node ${node.name} `));
  if (mine) throw new ConsoleError(`console: ${mine}`);
  const domain = nodes.find((n) => n.node === node.name)?.domain;
  if (!domain) throw new ConsoleError(`console: node ${node.name} is not created (run labforge up)`);
  if (domain.state !== 'running')
    throw new ConsoleError(
      `console: node ${node.name} is not running (libvirt says ${domain.state}); labforge up starts it`,
    );
  const serials = parseSerials(await virsh.domainXml(domain.uuid));
  if (serials[1]?.type !== 'pty')
    throw new ConsoleError(
      `console: node ${node.name}'s domain ${domain.name} has no second serial port (pty): ` +
        'it was created by an older labforge; destroy and up the lab to get one',
    );
  return domain;
}

/** Connects the user's terminal to the node's ttyS1; returns virsh's exit code. */
export async function attachConsole(lab: Lab, node: LabNode, say: (line: string) => void): Promise<number> {
  const virsh = labVirsh(lab);
  const domain = await consoleDomain(lab, node, virsh);
  say(
    `labforge: serial console of ${node.name} (ttyS1 of domain ${domain.name}); ` +
      (lab.access.rootPassword === undefined
        ? 'the lab sets no access.root_password, so root cannot log in here'
        : "log in as root with the lab's root password (access.root_password)") +
      '. Press Enter for a prompt; Ctrl+] leaves.',
  );
  return virsh.console(domain.uuid, CONSOLE_DEVICE);
}
