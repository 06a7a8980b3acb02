// What hosts and ssh-config share: the lab's block for one of the workstation's files, printed, put in (--install)
// or taken out (--remove).
import type { Command } from 'commander';
import { EXIT, UsageError } from '../errors.js';
import { isPrivateDomain, PUBLIC_DOMAIN_FLAG } from '../lab/domain.js';
import type { Block } from '../lifecycle/host/workstation.js';
import type { OpenLab } from '../lifecycle/open.js';
import { confirm } from './confirm.js';
import { openLabOf } from './open.js';
import { printJson } from './output.js';

export interface WorkstationFile {
  /** The command's name. */
  name: string;
  /** What the block is for, in the description. */
  what: string;
  /** The file it changes unless --file names another, as the help shows it. */
  file: string;
  /** That file: resolved when the command runs. */
  defaultFile: () => Promise<string>;
  /** Whether a missing file counts as empty (~/.ssh/config) or is an error (/etc/hosts). */
  create: boolean;
  block: (o: OpenLab) => Promise<Block>;
}

export function workstationCommand(program: Command, w: WorkstationFile): void {
  program
    .command(w.name)
    .description(`print the lab's block for ${w.what}, or put it in (--install) or take it out (--remove)`)
    .option('--install', `install the block in ${w.file} (idempotent; a backup first, other lines untouched)`)
    .option('--remove', `remove the block from ${w.file}`)
    .option('--file <file>', `the file to change instead of ${w.file}`)
    .option(
      PUBLIC_DOMAIN_FLAG,
      "with --install: install the lab's names also when its domain is a public one (not example.com, .test, " +
        '.internal, .lan, .home.arpa, ...), where they shadow real hosts',
    )
    .option('-y, --yes', 'change the file without asking (needed without a terminal, unless in CI mode)')
    .option('--json', 'print the result as JSON')
    .action(
      async (cmd: {
        install?: boolean;
        remove?: boolean;
        file?: string;
        yes?: boolean;
        json?: boolean;
        publicDomain?: boolean;
      }) => {
        if (cmd.install && cmd.remove) throw new UsageError(`${w.name}: --install and --remove exclude each other`);
        const { applyBlock } = await import('../lifecycle/host/workstation.js');
        const { withFileLock } = await import('../lifecycle/host/file-lock.js');
        const o = await openLabOf(program);
        if (cmd.install && !cmd.publicDomain && !isPrivateDomain(o.lab.domain))
          throw new UsageError(
            `${w.name} --install: domain ${JSON.stringify(o.lab.domain)} is not a reserved or private domain, so the ` +
              `lab's names (${o.lab.nodes[0]?.fqdn ?? `*.${o.lab.domain}`}, ...) would shadow real hosts; pass ` +
              `${PUBLIC_DOMAIN_FLAG} to install them anyway, or use a domain like example.com or one under .test, ` +
              '.internal, .lan or .home.arpa',
          );
        const b = await w.block(o);
        if (!cmd.install && !cmd.remove) {
          process.stdout.write(b.text);
          return;
        }
        const target = cmd.file ?? (await w.defaultFile());
        const lab = `lab ${o.lab.name}`;
        const shown = cmd.remove
          ? `labforge ${w.name}: removes the block of ${lab} from ${target}`
          : `labforge ${w.name}: puts this block of ${lab} in ${target} (replacing an older one of the lab):\n${b.text.trimEnd()}`;
        if (!(await confirm(w.name, shown, `Change ${target}?`, cmd.yes))) {
          console.error(`labforge: ${target} not changed`);
          process.exitCode = EXIT.failure;
          return;
        }
        // Read, change and replace under the file's lock: another lab's install at the same moment is not lost.
        const r = await withFileLock(
          target,
          `${w.name} --${cmd.remove ? 'remove' : 'install'}`,
          () => applyBlock(target, cmd.remove ? { ...b, text: undefined } : b, { create: w.create }),
          { create: w.create },
        );
        if (cmd.json) printJson(r);
        else if (!r.changed)
          console.log(
            `labforge: ${target} already ${cmd.remove ? 'has no block' : 'has the block'} of ${lab}; nothing changed`,
          );
        else {
          const done = cmd.remove ? `removed the block of ${lab} from` : `installed the block of ${lab} in`;
          console.log(`labforge: ${done} ${target}${r.backup ? ` (backup: ${r.backup})` : ''}`);
        }
      },
    );
}
