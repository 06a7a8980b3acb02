// labforge setup: what doctor checks, installed and started, by the release's plan (apt on Debian and Ubuntu, dnf on
// Fedora, HashiCorp's repository where the distribution has no Vagrant or Packer); idempotent.
import type { Command } from 'commander';
import { EXIT } from '../errors.js';
import { printJson } from './output.js';

interface SetupFlags {
  dryRun?: boolean;
  withTestTools?: boolean;
  start: boolean;
  kvmUdev?: boolean;
  user?: string;
  json?: boolean;
}

export function setupCommand(program: Command): void {
  program
    .command('setup')
    .description(
      'install and start what doctor checks, per release (Debian 12-13, Ubuntu 22.04/24.04/26.04, Fedora 42-44): ' +
        "libvirt, QEMU, dnsmasq, Vagrant, vagrant-libvirt, Packer (HashiCorp's repository where the distribution " +
        'has none), xorriso, OpenSSH; idempotent; --dry-run prints the plan as a shell script',
    )
    .option('--dry-run', 'print the plan (a shell script: why, then the command, every value quoted), run none')
    .option('--with-test-tools', "also the packages labforge's own tests use (test box, shellcheck, ruby, ...)")
    .option('--no-start', 'do not start libvirtd/virtlogd')
    .option(
      '--kvm-udev',
      'install the udev rule that opens /dev/kvm to every user (default: only on GitHub-hosted runners)',
    )
    .option('--no-kvm-udev', 'never install that rule')
    .option('--user <name>', 'the user to add to the libvirt group (default: the user who ran sudo, or you)')
    .option('--json', 'print the plan as JSON')
    .action(async (cmd: SetupFlags) => {
      const { setup } = await import('../lifecycle/host/setup.js');
      const r = await setup(
        {
          dryRun: cmd.dryRun,
          withTestTools: cmd.withTestTools,
          start: cmd.start,
          kvmUdev: cmd.kvmUdev,
          user: cmd.user,
        },
        (line) => {
          if (!cmd.json) console.log(line);
        },
      );
      if (cmd.json) printJson({ ...r.plan, commands: r.commands });
      else {
        console.log(`labforge setup: ${r.plan.release} (${r.plan.family} family)`);
        for (const n of r.plan.notes) console.log(`labforge setup: note: ${n}`);
        for (const p of r.plan.present) console.log(`labforge setup: already there: ${p}`);
        for (const m of r.plan.manual) console.error(`labforge setup: left to you: ${m}`);
        const left = r.plan.manual.length ? '; see what is left to you above' : '';
        if (!cmd.dryRun)
          console.log(
            `labforge setup: ${r.commands.length ? `done (${r.commands.length} commands)` : 'nothing to do'}${left}`,
          );
        else if (!r.commands.length) console.log('labforge setup: nothing to do');
      }
      if (r.plan.manual.length && !cmd.dryRun) process.exitCode = EXIT.host;
    });
}
