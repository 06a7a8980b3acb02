// labforge destroy: exactly what the lab owns removed from libvirt (its domains, their disks, its networks); the plan
// printed and confirmed first on a terminal (--yes or CI mode goes on), or only printed (--dry-run).
import type { Command } from 'commander';
import { EXIT } from '../errors.js';
import { confirm } from './confirm.js';
import { holdingLab, openLabOf } from './open.js';
import { printJson, stdoutToStderr } from './output.js';

interface DestroyFlags {
  box?: boolean;
  yes?: boolean;
  dryRun?: boolean;
  json?: boolean;
}

export function destroyCommand(program: Command): void {
  program
    .command('destroy')
    .description(
      'remove exactly what the lab owns in libvirt: its domains, their disks, the networks labforge defined ' +
        '(the box stays unless --box); on a terminal it lists them and asks first',
    )
    .option('--box', 'also remove the baked box')
    .option('-y, --yes', 'do not ask (needed without a terminal, unless in CI mode)')
    .option('--dry-run', 'print what would be removed, remove nothing')
    .option('--json', 'print the result (or with --dry-run the plan) as JSON')
    .action(async (cmd: DestroyFlags) => {
      const { destroy, formatDestroyPlan, planLabDestroy, removesAnything } = await import('../lifecycle/destroy.js');
      const o = await openLabOf(program);
      if (cmd.dryRun) {
        const plan = await planLabDestroy(o.lab, { box: cmd.box });
        if (cmd.json) printJson(plan);
        else console.log(formatDestroyPlan(plan));
        return;
      }
      const r = await holdingLab(o, 'destroy', async () => {
        const plan = await planLabDestroy(o.lab, { box: cmd.box });
        if (removesAnything(plan)) {
          const go = await confirm('destroy', formatDestroyPlan(plan), `Destroy lab ${o.lab.name}?`, cmd.yes);
          if (!go) return undefined;
        }
        return stdoutToStderr(cmd.json, () => destroy(o.lab, { box: cmd.box }));
      });
      if (!r) {
        console.error(`labforge: destroy of lab ${o.lab.name} not confirmed; nothing removed`);
        process.exitCode = EXIT.failure;
        return;
      }
      if (cmd.json) return printJson({ lab: o.lab.name, removed: r.removed, kept: r.kept });
      const also = r.removed.length ? ` (also removed ${r.removed.join(', ')})` : '';
      console.log(`labforge: destroyed lab ${o.lab.name}${also}`);
      for (const k of r.kept) console.log(`labforge: kept ${k}`);
    });
}
