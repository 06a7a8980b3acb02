// labforge snapshot save|restore|list|delete: snapshots of the whole lab, every node at one moment.
import type { Command } from 'commander';
import type { Lab } from '../lab/model.js';
import type { OpenLab } from '../lifecycle/open.js';
import type { RestoreResult } from '../lifecycle/snapshots/restore.js';
import { holdingLab, openLabOf } from './open.js';
import { printJson } from './output.js';

/** What a restore did, for people (snapshot restore and reset); exit code 1 when a clock could not be set. */
export function printRestore(r: RestoreResult): void {
  const set = r.clocks.filter((c) => c.behindS !== undefined);
  const clocks = set.length
    ? `; clocks set to now (they were ${set.map((c) => `${c.node} ${c.behindS} s`).join(', ')} behind)`
    : '';
  console.log(`labforge: restored snapshot ${r.name} on ${r.nodes.join(', ')} in ${r.seconds.toFixed(1)} s${clocks}`);
  for (const u of r.uncovered)
    console.error(`labforge: node ${u} is not in snapshot ${r.name} (added after it was taken): left as it is`);
  const unset = r.clocks.filter((c) => c.problem);
  for (const c of unset)
    console.error(`labforge: could not set the clock of ${c.node} (it runs from the snapshot's time): ${c.problem}`);
  if (unset.length) process.exitCode = 1;
}

/** A command on one snapshot of the lab: the name checked (before anything is opened), then `fn` run on the lab
 *  with its mutex held (under the name `mutex` shows to another command). */
export async function onSnapshot<T>(
  program: Command,
  command: string,
  mutex: string,
  name: string,
  fn: (lab: Lab) => Promise<T>,
): Promise<{ o: OpenLab; r: T }> {
  const { checkSnapshotName } = await import('../lifecycle/snapshots/plan.js');
  checkSnapshotName(command, name);
  const o = await openLabOf(program);
  return { o, r: await holdingLab(o, mutex, () => fn(o.lab)) };
}

export function snapshotCommand(program: Command): void {
  const snapshot = program
    .command('snapshot')
    .description(
      'snapshots of the whole lab: every node at one moment ' +
        '(internal snapshots with memory, taken while all nodes stand still)',
    );
  snapshot
    .command('save')
    .description('take a snapshot of every node at one moment (the nodes are suspended together, snapshotted, resumed)')
    .argument('<name>', "the snapshot's name: letters, digits, '.', '_', '-'")
    .option('--json', 'print the result as JSON')
    .action(async (name: string, cmd: { json?: boolean }) => {
      const { saveSnapshot } = await import('../lifecycle/snapshots/save.js');
      const { r } = await onSnapshot(program, 'snapshot save', 'snapshot', name, (lab) => saveSnapshot(lab, name));
      if (cmd.json) printJson(r);
      else
        console.log(
          `labforge: took snapshot ${r.name} of ${r.nodes.join(', ')} in ${r.seconds.toFixed(1)} s ` +
            `(the nodes stood still for ${r.suspendedSeconds.toFixed(1)} s)`,
        );
    });
  snapshot
    .command('restore')
    .description("revert every node to the snapshot (paused), resume them together, and set the guests' clocks to now")
    .argument('<name>', 'a snapshot of the lab (see snapshot list)')
    .option('--json', 'print the result as JSON')
    .action(async (name: string, cmd: { json?: boolean }) => {
      const { restoreSnapshot } = await import('../lifecycle/snapshots/restore.js');
      const restore = (lab: Lab) => restoreSnapshot(lab, name);
      const { r } = await onSnapshot(program, 'snapshot restore', 'snapshot', name, restore);
      if (!cmd.json) return printRestore(r);
      printJson(r);
      if (r.clocks.some((c) => c.problem)) process.exitCode = 1;
    });
  snapshot
    .command('list')
    .description("the lab's snapshots: name, when taken, node coverage, the nodes' state at save, complete or not")
    .option('--json', 'print the result as JSON')
    .action(async (cmd: { json?: boolean }) => {
      const { formatSnapshotRows } = await import('../lifecycle/snapshots/plan.js');
      const { listSnapshots } = await import('../lifecycle/snapshots/delete.js');
      const o = await openLabOf(program);
      const rows = await listSnapshots(o.lab);
      if (cmd.json) printJson(rows);
      else console.log(formatSnapshotRows(rows));
    });
  snapshot
    .command('delete')
    .description("delete a snapshot labforge took (every node's part; also an incomplete one)")
    .argument('<name>', 'a snapshot of the lab (see snapshot list)')
    .option('--json', 'print the result as JSON')
    .action(async (name: string, cmd: { json?: boolean }) => {
      const { deleteSnapshot } = await import('../lifecycle/snapshots/delete.js');
      const { r } = await onSnapshot(program, 'snapshot delete', 'snapshot', name, (lab) => deleteSnapshot(lab, name));
      if (cmd.json) printJson(r);
      else {
        const from = r.removed.length ? ` (from ${r.removed.join(', ')})` : ' (no node had a part of it left)';
        console.log(`labforge: deleted snapshot ${r.name}${from}`);
      }
    });
}
