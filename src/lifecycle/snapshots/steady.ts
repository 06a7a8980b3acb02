// While the lab stands still (suspended for a save, paused after a revert), every libvirt request runs to its end
// and no node is left paused, whatever signal comes in.
import { SnapshotError } from '../../errors.js';
import { interruptedBy, tracked } from '../../tools/signals.js';
import type { Virsh } from '../../tools/virsh.js';

/** Runs `fn` so that a SIGINT/SIGTERM does not end labforge at once (it stops the virsh running and the code that
 *  follows sees it): the `finally` blocks in `fn` (resuming suspended nodes) still run. */
export async function shieldedFromSignals<T>(fn: () => Promise<T>): Promise<T> {
  return tracked({ kill: () => undefined }, fn());
}

export function stopIfInterrupted(what: string): void {
  const sig = interruptedBy();
  if (sig) throw new SnapshotError(`interrupted (${sig}) ${what}`);
}

/** Resumes those of the domains that are paused now, all at once. */
export async function resumePaused(virsh: Virsh, domains: string[]): Promise<void> {
  await settleAll(
    domains.map(async (uuid) => {
      if ((await virsh.domainState(uuid)) === 'paused') await virsh.resume(uuid);
    }),
  );
}

/** Settles every promise; throws the first failure after all have ended (a node's failure never leaves another
 *  node's action running unseen). */
export async function settleAll<T>(items: Promise<T>[]): Promise<T[]> {
  const settled = await Promise.allSettled(items);
  const failed = settled.find((s): s is PromiseRejectedResult => s.status === 'rejected');
  if (failed) throw failed.reason;
  return settled.map((s) => (s as PromiseFulfilledResult<T>).value);
}
