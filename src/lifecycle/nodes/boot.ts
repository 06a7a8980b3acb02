// A node that does not boot: Vagrant's boot time-out turned into an error that names each node still booting and
// shows the end of its serial console, the first place to look.
import fs from 'node:fs';
import path from 'node:path';
import type { Lab } from '../../lab/model.js';
import type { RunOptions } from '../../tools/run.js';
import { awaitLeases, LeaseVirsh } from './leases.js';
import { uriOfNode } from './lab-hosts.js';
import { consoleLog } from '../../layout.js';
import { BootTimeoutError, ToolError } from '../../errors.js';
import type { RenderContext } from '../../render/context.js';
import { bootTimeoutS } from '../../render/vagrantfile.js';
import * as vagrant from '../../tools/vagrant.js';

/** The tail of a node's serial console log (<out>/logs/<node>-console.log), the first place to look when it does
 *  not boot. */
export function consoleTail(lab: Lab, node: string, lines = 15): string {
  try {
    const text = fs.readFileSync(path.join(lab.outDir, consoleLog(node)), 'utf8').replace(/\r/g, '');
    return text.trimEnd().split('\n').slice(-lines).join('\n') || '(the console log is empty)';
  } catch {
    return '(no console log)';
  }
}

/** Each of these nodes with the tail of its console, one indented block a node. */
function consoleTails(lab: Lab, nodes: string[]): string {
  return nodes
    .map((n) => `${n}: its console (${consoleLog(n)}) ends with:\n${consoleTail(lab, n).replace(/^/gm, '    ')}`)
    .join('\n');
}

/** Vagrant's boot time-out as an error naming each node that is not running, with the tail of its console. */
export function bootTimedOut(lab: Lab, ctx: RenderContext, e: unknown): Error | undefined {
  if (!(e instanceof ToolError) || !/Timed out while waiting for the machine to boot/.test(e.message)) return undefined;
  // Vagrant prefixes a machine's lines with "==> <name>:" (or "    <name>:").
  const named = lab.nodes.filter((n) => new RegExp(`^\\s*(==> )?${n.name}: `, 'm').test(e.tail));
  const nodes = (named.length ? named : lab.nodes).map((n) => n.name);
  return new BootTimeoutError(
    `vagrant up timed out waiting for ${nodes.join(', ')} to boot ` +
      `(config.vm.boot_timeout ${bootTimeoutS(lab, ctx)} s; host.boot_timeout sets it):\n${consoleTails(lab, nodes)}`,
  );
}

/**
 * Waits, up to the boot time-out, until libvirt holds a management address for each of these nodes whose domain
 * runs (`states`: domain -> state), asking each node's own host as vagrant-libvirt does (nodes/leases.ts); a node
 * still without one is exit 1 naming it, with the tail of its console.
 */
export async function awaitManagementLeases(
  lab: Lab,
  ctx: RenderContext,
  pending: string[],
  states: Map<string, string>,
  opts: RunOptions & { progress?: (line: string) => void },
): Promise<void> {
  const booting = lab.nodes.filter((n) => pending.includes(n.name) && states.get(n.domain) === 'running');
  const virshOf = new Map<string, LeaseVirsh>();
  const leased = (domain: string) => {
    const uri = uriOfNode(
      lab,
      booting.find((n) => n.domain === domain)!,
    );
    if (!virshOf.has(uri)) virshOf.set(uri, new LeaseVirsh(uri, { log: opts.log }));
    return virshOf.get(uri)!.firstInterfaceLeased(domain);
  };
  const timeoutS = bootTimeoutS(lab, ctx);
  const noLease = await awaitLeases(new Map(booting.map((n) => [n.name, n.domain])), leased, {
    timeoutS,
    progress: opts.progress,
  });
  if (noLease.length)
    throw new BootTimeoutError(
      `${noLease.join(', ')} ran for ${timeoutS} s (host.boot_timeout) without an address on the management ` +
        `network, so Vagrant cannot provision ${noLease.length > 1 ? 'them' : 'it'}:\n${consoleTails(lab, noLease)}`,
    );
}

/** Vagrant's words when a provisioner needs a guest whose communicator does not answer yet (MachineGuestNotReady). */
const GUEST_NOT_READY = /not\s+ready\s+for\s+guest\s+communication/;

/**
 * `vagrant provision` of nodes that run and have their management address but may still be booting (an up killed
 * before Vagrant waited for their ssh): `vagrant provision` does not wait for the guest as `vagrant up` does
 * (WaitForCommunicator), and fails at once with "not ready for guest communication" while the guest's sshd is not up.
 * So it is run again every `pollS`, for up to the boot time-out in all; then the time-out names the nodes with their
 * consoles. Any other failure is Vagrant's, as it is. The provisioners are labforge's own, made to run more than once.
 */
export async function provisionBooted(
  lab: Lab,
  ctx: RenderContext,
  nodes: string[],
  opts: RunOptions,
  { timeoutS = bootTimeoutS(lab, ctx), pollS = 5 }: { timeoutS?: number; pollS?: number } = {},
): Promise<void> {
  const until = Date.now() + timeoutS * 1000;
  for (;;) {
    try {
      return await vagrant.provision(lab.outDir, nodes, opts);
    } catch (e) {
      if (!(e instanceof ToolError) || !GUEST_NOT_READY.test(e.tail)) throw e;
      if (Date.now() + pollS * 1000 > until)
        throw new BootTimeoutError(
          `${nodes.join(', ')} did not answer Vagrant's ssh within ${timeoutS} s (host.boot_timeout), so Vagrant ` +
            `cannot provision ${nodes.length > 1 ? 'them' : 'it'}:\n${consoleTails(lab, nodes)}`,
        );
      opts.onLine?.(
        `${nodes.join(', ')}: not answering Vagrant's ssh yet (still booting): again in ${pollS} s`,
        'stdout',
      );
      await new Promise((r) => setTimeout(r, pollS * 1000));
    }
  }
}
