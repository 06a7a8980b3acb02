// The labforge command: commander wiring only. Each command parses, calls one lifecycle function, prints, and
// maps errors to exit codes: 2 for a mistake in the lab file or the call, 1 for a failing tool or host.
import { spawnSync } from 'node:child_process';
import { Command, CommanderError } from 'commander';
import { LabFileMissingError, LabValidationError } from './lab/load.js';
import { renderLab } from './render/index.js';
import { bake } from './lifecycle/bake.js';
import { destroy, halt } from './lifecycle/destroy.js';
import { doctor, formatChecks } from './lifecycle/doctor.js';
import { acquireLock } from './lifecycle/lock.js';
import { target } from './lifecycle/nodes.js';
import { openLab, UsageError, type GlobalOptions, type OpenLab } from './lifecycle/open.js';
import { formatStatus, status } from './lifecycle/status.js';
import { HostNotReadyError, up } from './lifecycle/up.js';
import { formatVerdicts, verify } from './lifecycle/verify.js';
import { renderToDisk } from './lifecycle/write.js';
import { interactiveArgs } from './tools/ssh.js';
import { forwardSignals, interruptedBy, ToolError, ToolMissingError } from './tools/run.js';

interface Global extends GlobalOptions {
  debug?: boolean;
}

function open(program: Command): OpenLab {
  const opts = program.opts<Global>();
  const o = openLab(opts);
  for (const w of o.warnings) console.error(w);
  return o;
}

/** Runs `fn` holding the lab's lock. */
async function locked<T>(o: OpenLab, command: string, fn: () => Promise<T>): Promise<T> {
  const release = acquireLock(o.lab.outDir, command);
  try {
    return await fn();
  } finally {
    release();
  }
}

function json(value: unknown): void {
  console.log(JSON.stringify(value, null, 2));
}

/** A read-only command that reports: text for people, --json for programs, exit code 1 when `failed` says so. */
function reportCommand<T>(program: Command, name: string, description: string, get: (o: OpenLab) => Promise<T>, format: (value: T) => string, failed?: (value: T) => boolean): void {
  program
    .command(name)
    .description(description)
    .option('--json', 'print the result as JSON')
    .action(async (cmd: { json?: boolean }) => {
      const value = await get(open(program));
      if (cmd.json) json(value);
      else console.log(format(value));
      if (failed?.(value)) process.exitCode = 1;
    });
}

export function buildProgram(): Command {
  const program = new Command('labforge')
    .description('Turn one lab file into a running, reproducible multi-VM lab on libvirt (Packer + Vagrant).')
    .option('-l, --lab <file>', 'lab file', 'lab.yaml')
    .option('-o, --out <dir>', 'output directory (default: .labforge/<lab name>/ beside the lab file)')
    .option('--debug', 'show stack traces')
    .showHelpAfterError()
    .exitOverride();

  program
    .command('render')
    .description('validate the lab file and write the Packer recipe, Vagrantfile, network XML, hosts and ssh_config')
    .option('--json', 'print the result as JSON')
    .action(async (cmd: { json?: boolean }) => {
      const o = open(program);
      const r = await locked(o, 'render', () => renderToDisk(o.lab, o.ctx));
      if (cmd.json) json({ outDir: o.lab.outDir, box: r.box, hash: r.hash, files: Object.keys(r.files) });
      else console.log(`labforge: rendered lab ${o.lab.name} (${Object.keys(r.files).length} files) into ${o.lab.outDir}; box ${r.box}`);
    });

  program
    .command('bake')
    .description('build the base image with Packer and add it as a Vagrant box (skipped when the box with this hash exists)')
    .option('--force', 'rebuild even when the box is installed')
    .option('--hash', 'only print the hash of every bake input (a CI cache key)')
    .option('--json', 'print the result as JSON')
    .action(async (cmd: { force?: boolean; hash?: boolean; json?: boolean }) => {
      const o = open(program);
      if (cmd.hash) {
        const r = renderLab(o.lab, o.ctx);
        if (cmd.json) json({ hash: r.hash, box: r.box });
        else console.log(r.hash);
        return;
      }
      const r = await locked(o, 'bake', () => bake(o, { force: cmd.force }));
      if (cmd.json) json(r);
      else if (!r.built) console.log(`labforge: box ${r.box} is already installed; nothing to bake (use --force to rebuild)`);
      else console.log(`labforge: baked and added box ${r.box} in ${Math.round(r.seconds)} s`);
    });

  program
    .command('up')
    .description('create and start the lab: networks, nodes (vagrant up), static addresses, names, root key')
    .action(async () => {
      const o = open(program);
      await locked(o, 'up', () => up(o));
    });

  reportCommand(
    program,
    'verify',
    'check every node: root ssh with the lab key, name, static address, SELinux off, no firewalld, names and pings',
    (o) => verify(o.lab),
    formatVerdicts,
    (v) => v.some((n) => !n.ok),
  );
  reportCommand(program, 'status', "every node's state (Vagrant and libvirt) and address", (o) => status(o.lab), formatStatus);

  program
    .command('ssh')
    .description('log in to a node as root with the lab key (arguments after -- run as a command)')
    .argument('<node>', 'node name')
    .argument('[command...]', 'command to run instead of a shell')
    .action(async (name: string, command: string[]) => {
      const o = open(program);
      const node = o.lab.nodes.find((n) => n.name === name || n.fqdn === name);
      if (!node) throw new UsageError(`ssh: "${name}" is not a node of lab ${o.lab.name} (nodes: ${o.lab.nodes.map((n) => n.name).join(', ')})`);
      const r = spawnSync('ssh', [...interactiveArgs(target(o.lab, node)), ...command], { stdio: 'inherit' });
      if (r.error) throw new ToolMissingError(`ssh could not be run: ${r.error.message}`);
      process.exitCode = r.status ?? 1;
    });

  program
    .command('halt')
    .description('shut the nodes down (vagrant halt); `up` starts them again')
    .action(async () => {
      const o = open(program);
      await locked(o, 'halt', () => halt(o.lab));
    });

  program
    .command('destroy')
    .description('remove exactly what the lab owns in libvirt: its domains, their disks, the networks labforge defined (the box stays unless --box)')
    .option('--box', 'also remove the baked box')
    .action(async (cmd: { box?: boolean }) => {
      const o = open(program);
      const { removed, kept } = await locked(o, 'destroy', () => destroy(o.lab, { box: cmd.box }));
      console.log(`labforge: destroyed lab ${o.lab.name}${removed.length ? ` (also removed ${removed.join(', ')})` : ''}`);
      for (const k of kept) console.log(`labforge: kept ${k}`);
    });

  reportCommand(
    program,
    'doctor',
    'check that this host can run the lab; each check says ok, warn or fail with the fix',
    (o) => doctor(o.lab),
    formatChecks,
    (checks) => checks.some((c) => c.status === 'fail'),
  );

  return program;
}

/** Runs the CLI; resolves with the exit code. */
export async function main(argv: string[]): Promise<number> {
  forwardSignals();
  const program = buildProgram();
  try {
    await program.parseAsync(argv);
    const sig = interruptedBy();
    if (sig) return sig === 'SIGINT' ? 130 : 143;
    return typeof process.exitCode === 'number' ? process.exitCode : 0;
  } catch (e) {
    const sig = interruptedBy();
    if (sig) {
      console.error(`labforge: interrupted (${sig}); the tool it was running has stopped`);
      return sig === 'SIGINT' ? 130 : 143;
    }
    if (e instanceof CommanderError) return e.exitCode === 0 ? 0 : 2;
    const debug = program.opts<Global>().debug || argv.includes('--debug');
    const err = e as Error;
    if (err instanceof LabValidationError || err instanceof LabFileMissingError || err instanceof UsageError) {
      console.error(err.message);
      return 2;
    }
    const known = err instanceof ToolError || err instanceof ToolMissingError || err instanceof HostNotReadyError;
    console.error(`labforge: ${debug && !known ? err.stack : err.message}`);
    return 1;
  }
}

