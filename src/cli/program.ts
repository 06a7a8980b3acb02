// The labforge program: its global options and every command, each in a file of its own beside this one (parse,
// call one lifecycle function, print, exit code).
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Command } from 'commander';
import { bakeCommand } from './bake.js';
import { ciCommand } from './ci.js';
import { completionCommand } from './completion.js';
import { consoleCommand } from './console.js';
import { copyCommand } from './copy.js';
import { destroyCommand } from './destroy.js';
import { doctorCommand } from './doctor.js';
import { graphCommand } from './graph.js';
import { haltCommand } from './halt.js';
import { hostsCommand } from './hosts.js';
import { initCommand } from './init.js';
import { inventoryCommand } from './inventory.js';
import { lockCommand } from './lock.js';
import { lsCommand } from './ls.js';
import type { ProgramOptions } from './open.js';
import { provisionCommand } from './provision.js';
import { renderCommand } from './render.js';
import { resetCommand } from './reset.js';
import { runCommand } from './run.js';
import { setupCommand } from './setup.js';
import { snapshotCommand } from './snapshot.js';
import { sshConfigCommand } from './ssh-config.js';
import { sshCommand } from './ssh.js';
import { statusCommand } from './status.js';
import { oneLineUnknownCommands } from './suggest.js';
import { upCommand } from './up.js';
import { verifyCommand } from './verify.js';

/** The commands in the order `--help` lists them. */
const COMMANDS = [
  initCommand,
  renderCommand,
  lockCommand,
  bakeCommand,
  upCommand,
  verifyCommand,
  statusCommand,
  lsCommand,
  sshCommand,
  runCommand,
  copyCommand,
  provisionCommand,
  graphCommand,
  hostsCommand,
  sshConfigCommand,
  inventoryCommand,
  snapshotCommand,
  resetCommand,
  consoleCommand,
  haltCommand,
  destroyCommand,
  doctorCommand,
  setupCommand,
  ciCommand,
  completionCommand,
];

/** labforge's version, from the package.json of the package this file is part of (found upward from here: dist/cli/
 *  as tsc writes it, or dist/bundle/ in the bundle). */
function labforgeVersion(): string {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 4; i++, dir = path.dirname(dir)) {
    try {
      const pkg = JSON.parse(fs.readFileSync(path.join(dir, 'package.json'), 'utf8')) as {
        name?: string;
        version?: string;
      };
      if (pkg.name === 'labforge' && pkg.version) return pkg.version;
    } catch {
      /* not here */
    }
  }
  return 'unknown';
}

export function buildProgram(): Command {
  const program = new Command('labforge')
    .description('Turn one lab file into a running, reproducible multi-VM lab on libvirt (Packer + Vagrant).')
    .version(labforgeVersion(), '-V, --version', "print labforge's version")
    .option('-l, --lab <file>', 'lab file', 'lab.yaml')
    .option('-o, --out <dir>', 'output directory (default: .labforge/<lab name>/ beside the lab file)')
    .option('--debug', 'show stack traces')
    .option(
      '--ci',
      'non-interactive mode, as with CI=true: one timestamped line per step, a summary, ' +
        'exit code 3 when the host cannot run a lab',
    )
    // A mistake in the call: commander's one-line error and where the help is, not the whole help.
    .showHelpAfterError('(add --help for usage)')
    // Every command's help also lists --lab, --out, --debug and --ci.
    .configureHelp({ showGlobalOptions: true })
    .exitOverride()
    .hook('preAction', (cmd) => {
      if (cmd.opts<ProgramOptions>().ci) process.env.CI = 'true';
    });
  for (const add of COMMANDS) add(program);
  oneLineUnknownCommands(program);
  return program;
}
