// labforge reset [NAME]: a snapshot restored (the baseline up took, by default) and verified.
import type { Command } from 'commander';
import { printJson } from './output.js';
import { onSnapshot, printRestore } from './snapshot.js';
import { printVerify } from './verify.js';

export function resetCommand(program: Command): void {
  program
    .command('reset')
    .description('restore a snapshot (the baseline up took, by default) and run verify: the lab as it was, checked')
    .argument('[name]', 'the snapshot', 'baseline')
    .option('--json', 'print the restore and the verify verdicts as JSON')
    .action(async (name: string, cmd: { json?: boolean }) => {
      const { restoreSnapshot } = await import('../lifecycle/snapshots/restore.js');
      const { o, r } = await onSnapshot(program, 'reset', 'reset', name, (lab) => restoreSnapshot(lab, name));
      if (cmd.json) {
        const { verify } = await import('../lifecycle/nodes/verify.js');
        const verdicts = await verify(o.lab);
        printJson({ restore: r, verify: verdicts });
        if (verdicts.some((n) => !n.ok) || r.clocks.some((c) => c.problem)) process.exitCode = 1;
        return;
      }
      printRestore(r);
      await printVerify(o);
    });
}
