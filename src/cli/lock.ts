// labforge lock: the lab's base image pinned in lab.lock (an exact URL and sha256).
import type { Command } from 'commander';
import { openLabOf } from './open.js';
import { printJson } from './output.js';

export function lockCommand(program: Command): void {
  program
    .command('lock')
    .description(
      "resolve the lab's base image to an exact URL and sha256 from Fedora's releases.json or CHECKSUM files " +
        'and write lab.lock beside the lab file',
    )
    .option(
      '--update',
      'resolve again: move to the newest compose of the release (or the image the lab file now names)',
    )
    .option('--json', 'print the result as JSON')
    .action(async (cmd: { update?: boolean; json?: boolean }) => {
      const { lockLab } = await import('../lifecycle/image/lockfile.js');
      const o = await openLabOf(program);
      const r = await lockLab(o.lab, o.ctx.localImageSha256, {
        update: cmd.update,
        note: (line) => !cmd.json && console.error(`labforge: ${line}`),
      });
      if (cmd.json) printJson(r);
      else if (!r.changed)
        console.log(
          `labforge: ${r.file} pins ${r.image.url} (${r.image.checksum})${r.reason ? '' : '; --update resolves again'}`,
        );
      else console.log(`labforge: wrote ${r.file}: ${r.image.url} (${r.image.checksum}, from ${r.image.from})`);
    });
}
