// The labforge command: commander wiring only. Each command parses, calls one lifecycle function, prints, and
// maps errors to exit codes: 2 for a mistake in the lab file or the call, 1 for a failing tool or a broken lab,
// 3 for a host that cannot run a lab. What the commands run is loaded when one runs (./commands.js), so `--help`
// and a mistyped command answer without loading the tools.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Command, CommanderError } from 'commander';
import type * as Commands from './commands.js';
import type { FanOptions, NodeOutcome } from './lifecycle/fanout.js';
import type { GlobalOptions, OpenLab } from './lifecycle/open.js';
import type { Block } from './lifecycle/workstation.js';
import { forwardSignals, interruptedBy } from './tools/signals.js';

/** The commands' implementation, loaded by the preAction hook before any action runs. */
let L: typeof Commands;

interface Global extends GlobalOptions {
  debug?: boolean;
  ci?: boolean;
}

/** The doctor checks a bake needs (it builds with Packer and QEMU and adds the box with Vagrant; no libvirtd). */
const BAKE_CHECKS = ['KVM', 'nested virtualization', 'vagrant', 'packer', 'qemu-img', 'ISO tool', 'base image'];

/** Non-interactive mode (CI=true or --ci): before a command that needs the host, doctor's fatal checks (those in
 *  `only`, or all) end it with exit code 3 and their reasons, apart from a broken lab's 1. Runs before anything
 *  else needs a tool. */
async function hostGate(program: Command, only?: string[]): Promise<void> {
  if (!L.isCi()) return;
  const opts = program.opts<Global>();
  const { lab } = L.loadLabFile(opts.lab, { outDir: opts.out, hostMemoryMiB: L.memoryMiB().total });
  const failed = (await L.doctor(lab)).filter((c) => c.status === 'fail' && (!only || only.includes(c.name)));
  if (failed.length)
    throw new L.HostNotReadyError(`this host cannot run lab ${lab.name} (labforge doctor):\n${L.formatChecks(failed)}`);
}

async function open(program: Command, onParsed?: (raw: unknown) => void): Promise<OpenLab> {
  const opts = program.opts<Global>();
  const o = await L.openLab(opts, onParsed);
  for (const w of o.warnings) console.error(w);
  return o;
}

/** Runs `fn` holding the lab's lock, in an output folder labforge owns (claimed here when new or empty). */
async function locked<T>(o: OpenLab, command: string, fn: () => Promise<T>): Promise<T> {
  L.claimOutDir(o.lab.outDir, o.lab.name);
  const release = L.acquireLock(o.lab.outDir, command);
  try {
    return await fn();
  } finally {
    release();
  }
}

function json(value: unknown): void {
  console.log(JSON.stringify(value, null, 2));
}

/** Opens the command's lab (open above), with a hook for the lab file as parsed (LoadOptions.onParsed). */
type Opener = (onParsed?: (raw: unknown) => void) => Promise<OpenLab>;

/** A read-only command that reports: text for people, --json for programs, exit code `failedStatus` (1 unless
 *  given; doctor's is 3, the host cannot run a lab) when `failed` says so. `get` opens the lab itself. */
function reportCommand<T>(
  program: Command,
  name: string,
  description: string,
  get: (open: Opener) => Promise<T>,
  format: (value: T) => string,
  failed?: (value: T) => boolean,
  failedStatus = 1,
): void {
  const openIt: Opener = (onParsed) => open(program, onParsed);
  program
    .command(name)
    .description(description)
    .option('--json', 'print the result as JSON')
    .action(async (cmd: { json?: boolean }) => {
      const value = await get(openIt);
      if (cmd.json) json(value);
      else console.log(format(value));
      if (failed?.(value)) process.exitCode = failedStatus;
    });
}

/** Runs verify and prints its table (up and reset end with it); exit code 1 when a node fails it. */
async function verifyTable(o: OpenLab): Promise<Awaited<ReturnType<typeof Commands.verify>>> {
  const verdicts = await L.verify(o.lab);
  console.log(L.formatVerdicts(verdicts));
  if (verdicts.some((n) => !n.ok)) {
    console.error(
      `labforge: verify failed on ${verdicts
        .filter((n) => !n.ok)
        .map((n) => n.node)
        .join(', ')}`,
    );
    process.exitCode = 1;
  }
  return verdicts;
}

/** A whole number from 1 to `max` given to an option. */
function wholeNumber(flag: string, v: string | undefined, max = 999_999_999): number | undefined {
  if (v === undefined) return undefined;
  if (!/^[1-9]\d{0,8}$/.test(v) || Number(v) > max)
    throw new L.UsageError(`${flag}: must be a whole number from 1 to ${max}, got ${JSON.stringify(v)}`);
  return Number(v);
}

/** labforge's version, from the package.json of the package this file is part of (found upward from here: dist/ as tsc
 *  writes it, or dist/bundle/ in the bundle). */
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
      'non-interactive mode, as with CI=true: one timestamped line per step, a summary, exit code 3 when the host cannot run a lab',
    )
    .showHelpAfterError()
    .exitOverride()
    .hook('preAction', async (cmd) => {
      if (cmd.opts<Global>().ci) process.env.CI = 'true';
      L ??= await import('./commands.js');
    });

  program
    .command('render')
    .description('validate the lab file and write the Packer recipe, Vagrantfile, network XML, hosts and ssh_config')
    .option('--json', 'print the result as JSON')
    .action(async (cmd: { json?: boolean }) => {
      const o = await open(program);
      L.requireBaseImage(o);
      const r = await locked(o, 'render', () => L.renderToDisk(o.lab, o.ctx));
      if (cmd.json) json({ outDir: o.lab.outDir, box: r.box, hash: r.hash, files: Object.keys(r.files) });
      else
        console.log(
          `labforge: rendered lab ${o.lab.name} (${Object.keys(r.files).length} files) into ${o.lab.outDir}; box ${r.box}`,
        );
    });

  program
    .command('lock')
    .description(
      "resolve the lab's base image to an exact URL and sha256 from Fedora's releases.json or CHECKSUM files and write lab.lock beside the lab file",
    )
    .option(
      '--update',
      'resolve again: move to the newest compose of the release (or the image the lab file now names)',
    )
    .option('--json', 'print the result as JSON')
    .action(async (cmd: { update?: boolean; json?: boolean }) => {
      const o = await open(program);
      const r = await L.lockLab(o.lab, o.ctx.localImageSha256, {
        update: cmd.update,
        note: (line) => !cmd.json && console.error(`labforge: ${line}`),
      });
      if (cmd.json) json(r);
      else if (!r.changed)
        console.log(
          `labforge: ${r.file} pins ${r.image.url} (${r.image.checksum})${r.reason ? '' : '; --update resolves again'}`,
        );
      else console.log(`labforge: wrote ${r.file}: ${r.image.url} (${r.image.checksum}, from ${r.image.from})`);
    });

  program
    .command('bake')
    .description(
      'build the base image with Packer and add it as a Vagrant box (skipped when the box with this hash exists)',
    )
    .option('--force', 'rebuild even when the box is installed')
    .option('--hash', 'only print the hash of every bake input (a CI cache key)')
    .option('--json', 'print the result as JSON')
    .action(async (cmd: { force?: boolean; hash?: boolean; json?: boolean }) => {
      if (!cmd.hash) await hostGate(program, BAKE_CHECKS);
      const o = await open(program);
      if (cmd.hash) {
        L.requireBaseImage(o);
        const r = L.renderLab(o.lab, o.ctx);
        if (cmd.json) json({ hash: r.hash, box: r.box });
        else console.log(r.hash);
        return;
      }
      const r = await locked(o, 'bake', () => L.bake(o, { force: cmd.force }));
      if (cmd.json) json(r);
      else if (!r.built)
        console.log(`labforge: box ${r.box} is already installed; nothing to bake (use --force to rebuild)`);
      else console.log(`labforge: baked and added box ${r.box} in ${Math.round(r.seconds)} s`);
    });

  program
    .command('up')
    .description(
      'create and start the lab: networks, nodes (vagrant up), static addresses, names, root key, the baseline snapshot; then verify',
    )
    .option('--no-verify', 'do not run verify at the end')
    .action(async (cmd: { verify: boolean }) => {
      // up runs doctor itself, unless the lab runs and nothing needs doing.
      const o = await open(program);
      await locked(o, 'up', () => L.up(o));
      // up ends with verify: the table, and exit code 1 when a node fails it (also when nothing needed doing).
      if (cmd.verify) await verifyTable(o);
    });

  program
    .command('verify')
    .description(
      'check every node: root ssh with the lab key, name, static address, SELinux off, no firewalld, names and pings',
    )
    .option('--json', 'print the result as JSON')
    .option('--report <file>', 'write the checks as JUnit XML (a test case per node and check) for CI test results')
    .option(
      '--summary <file>',
      'append a Markdown report (the verify table and the topology as a Mermaid diagram) to this file, e.g. $GITHUB_STEP_SUMMARY',
    )
    .action(async (cmd: { json?: boolean; report?: string; summary?: string }) => {
      for (const [flag, file] of [
        ['--report', cmd.report],
        ['--summary', cmd.summary],
      ] as const) {
        if (file !== undefined && (file === '' || !fs.existsSync(path.dirname(path.resolve(file)))))
          throw new L.UsageError(`verify ${flag}: ${JSON.stringify(file)} is not a file in an existing folder`);
      }
      const o = await open(program);
      const started = new Date();
      const verdicts = await L.verify(o.lab);
      const timing = {
        timestamp: started.toISOString().replace(/\.\d+Z$/, 'Z'),
        seconds: (Date.now() - started.getTime()) / 1000,
      };
      if (cmd.report) fs.writeFileSync(cmd.report, L.renderJunit(o.lab, verdicts, timing));
      if (cmd.summary) fs.appendFileSync(cmd.summary, L.renderSummary(o.lab, verdicts, timing));
      if (cmd.json) json(verdicts);
      else console.log(L.formatVerdicts(verdicts));
      if (verdicts.some((n) => !n.ok)) process.exitCode = 1;
    });
  reportCommand(
    program,
    'status',
    "every node's state (Vagrant and libvirt) and address",
    async (openLab) => {
      // The libvirt query starts while the lab file is validated (see earlyQuery).
      let early: Commands.DomainQuery | undefined;
      const o = await openLab((raw) => (early = L.earlyQuery(raw)));
      return L.status(o.lab, early);
    },
    (rows) => L.formatStatus(rows),
  );

  program
    .command('ssh')
    .description('log in to a node as root with the lab key (arguments after -- run as a command)')
    .argument('<node>', 'node name')
    .argument('[command...]', 'command to run instead of a shell')
    .action(async (name: string, command: string[]) => {
      const o = await open(program);
      const node = o.lab.nodes.find((n) => n.name === name || n.fqdn === name);
      if (!node)
        throw new L.UsageError(
          `ssh: "${name}" is not a node of lab ${o.lab.name} (nodes: ${o.lab.nodes.map((n) => n.name).join(', ')})`,
        );
      process.exitCode = L.ssh.login(L.target(o.lab, node), command);
    });

  /** Prefixes each output line with its node (a colour per node on a terminal), stdout and stderr kept apart. */
  const prefixer = (nodes: string[]) => {
    const width = Math.max(...nodes.map((n) => n.length));
    const colour = (stream: NodeJS.WriteStream) => Boolean(stream.isTTY) && !process.env.NO_COLOR;
    const colours = [36, 33, 35, 32, 34, 91, 96, 93, 95, 92];
    return (node: string, line: string, stream: 'stdout' | 'stderr') => {
      const out = stream === 'stdout' ? process.stdout : process.stderr;
      const tag = node.padEnd(width);
      const c = colours[nodes.indexOf(node) % colours.length];
      out.write(`${colour(out) ? `\u001b[${c}m${tag}\u001b[0m` : tag} | ${line}\n`);
    };
  };
  const fanOptions = (cmd: { parallel?: string; serial?: boolean; timeout?: string }, nodes: number): FanOptions => {
    return {
      parallel: cmd.serial ? 1 : (wholeNumber('--parallel', cmd.parallel, 999_999) ?? Math.min(nodes, 32)),
      timeoutS: wholeNumber('--timeout', cmd.timeout, 999_999) ?? 600,
    };
  };
  const fanCommand = (c: Command) =>
    c
      .option('--parallel <n>', 'at most this many nodes at once (default: all, up to 32)')
      .option('--serial', "one node after another, in the lab's order")
      .option('--timeout <seconds>', 'time limit on each node (default 600)')
      .option('--json', "print each node's exit code and output as JSON");
  const finish = (what: string, outcomes: NodeOutcome[], asJson?: boolean) => {
    if (asJson) json(outcomes);
    else console.error(L.summary(what, outcomes));
    if (outcomes.some((x) => !x.ok)) process.exitCode = 1;
  };

  fanCommand(
    program
      .command('run')
      .description(
        'run a shell command as root on the target nodes, in parallel: TARGETS is all, a role, a glob (controller*), names, FQDNs or addresses, comma-separated',
      )
      .argument('<targets>', 'which nodes')
      .argument('<command...>', 'the command (after --)'),
  ).action(
    async (
      targets: string,
      command: string[],
      cmd: { parallel?: string; serial?: boolean; timeout?: string; json?: boolean },
    ) => {
      const o = await open(program);
      const nodes = L.selectNodes(o.lab, targets);
      const opts = fanOptions(cmd, nodes.length);
      const outcomes = await L.runOn(o.lab, nodes, command.join(' '), {
        ...opts,
        onLine: cmd.json ? undefined : prefixer(nodes.map((n) => n.name)),
      });
      finish(`\`${command.join(' ')}\``, outcomes, cmd.json);
    },
  );

  fanCommand(
    program
      .command('copy')
      .description(
        'copy to the nodes (copy SRC TARGETS:DEST) or from them (copy TARGETS:SRC DEST, one copy per node under DEST/<node>/), in parallel',
      )
      .argument('<src>', 'a local path, or TARGETS:PATH')
      .argument('<dest>', 'TARGETS:PATH, or a local folder'),
  ).action(
    async (
      src: string,
      dest: string,
      cmd: { parallel?: string; serial?: boolean; timeout?: string; json?: boolean },
    ) => {
      const o = await open(program);
      const spec = L.parseCopy(src, dest);
      const nodes = L.selectNodes(o.lab, spec.targets);
      const opts = fanOptions(cmd, nodes.length);
      const outcomes = await L.copyOn(
        o.lab,
        nodes,
        spec,
        { ...opts, onLine: cmd.json ? undefined : prefixer(nodes.map((n) => n.name)) },
        (dir) => fs.mkdirSync(dir, { recursive: true }),
      );
      finish(
        spec.direction === 'push'
          ? `copy of ${spec.local} to ${spec.remote}`
          : `copy of ${spec.remote} to ${spec.local}/<node>/`,
        outcomes,
        cmd.json,
      );
    },
  );

  program
    .command('graph')
    .description(
      "draw the lab's topology: networks with subnet and gateway, every node with FQDN, address, role and size, the VIPs",
    )
    .option('--format <format>', 'mermaid (for Markdown), dot (Graphviz) or svg (drawn by Graphviz dot)', 'mermaid')
    .option('--output <file>', 'write to a file instead of standard output')
    .action(async (cmd: { format: string; output?: string }) => {
      if (!['mermaid', 'dot', 'svg'].includes(cmd.format))
        throw new L.UsageError(`--format: must be one of mermaid, dot, svg, got ${JSON.stringify(cmd.format)}`);
      const o = await open(program);
      const text =
        cmd.format === 'mermaid'
          ? L.renderMermaid(o.lab)
          : cmd.format === 'dot'
            ? L.renderDot(o.lab)
            : await L.graphviz.svg(L.renderDot(o.lab));
      if (cmd.output) fs.writeFileSync(cmd.output, text);
      else process.stdout.write(text);
    });

  const workstationCommand = (name: string, what: string, file: string, block: (o: OpenLab) => Block) =>
    program
      .command(name)
      .description(`print the lab's block for ${what}, or put it in (--install) or take it out (--remove)`)
      .option('--install', `install the block in ${file} (idempotent; a backup first, other lines untouched)`)
      .option('--remove', `remove the block from ${file}`)
      .option('--file <file>', `the file to change instead of ${file}`)
      .option('--json', 'print the result as JSON')
      .action(async (cmd: { install?: boolean; remove?: boolean; file?: string; json?: boolean }) => {
        if (cmd.install && cmd.remove) throw new L.UsageError(`${name}: --install and --remove exclude each other`);
        const o = await open(program);
        const b = block(o);
        if (!cmd.install && !cmd.remove) {
          process.stdout.write(b.text);
          return;
        }
        const target = cmd.file ?? (name === 'hosts' ? L.DEFAULT_HOSTS_FILE : L.defaultSshConfigFile());
        const r = L.applyBlock(target, cmd.remove ? { ...b, text: undefined } : b, { create: name !== 'hosts' });
        if (cmd.json) json(r);
        else if (!r.changed)
          console.log(
            `labforge: ${target} already ${cmd.remove ? 'has no block' : 'has the block'} of lab ${o.lab.name}; nothing changed`,
          );
        else
          console.log(
            `labforge: ${cmd.remove ? 'removed the block of' : 'installed the block of'} lab ${o.lab.name} ${cmd.remove ? 'from' : 'in'} ${target}${r.backup ? ` (backup: ${r.backup})` : ''}`,
          );
      });
  workstationCommand('hosts', "the workstation's /etc/hosts (every node and VIP by name)", '/etc/hosts', (o) =>
    L.hostsBlock(o.lab),
  );
  workstationCommand(
    'ssh-config',
    "~/.ssh/config (an Include of the lab's ssh_config, so `ssh root@etcd1` works)",
    '~/.ssh/config',
    (o) => L.sshConfigBlock(o.lab),
  );

  const snapshot = program
    .command('snapshot')
    .description(
      'snapshots of the whole lab: every node at one moment (internal snapshots with memory, taken while all nodes stand still)',
    );
  snapshot
    .command('save')
    .description('take a snapshot of every node at one moment (the nodes are suspended together, snapshotted, resumed)')
    .argument('<name>', "the snapshot's name: letters, digits, '.', '_', '-'")
    .option('--json', 'print the result as JSON')
    .action(async (name: string, cmd: { json?: boolean }) => {
      L.checkSnapshotName('snapshot save', name);
      const o = await open(program);
      const r = await locked(o, 'snapshot', () => L.saveSnapshot(o.lab, name));
      if (cmd.json) json(r);
      else
        console.log(
          `labforge: took snapshot ${r.name} of ${r.nodes.join(', ')} in ${r.seconds.toFixed(1)} s (the nodes stood still for ${r.suspendedSeconds.toFixed(1)} s)`,
        );
    });
  const restoreLine = (r: Awaited<ReturnType<typeof Commands.restoreSnapshot>>) => {
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
  };
  snapshot
    .command('restore')
    .description("revert every node to the snapshot (paused), resume them together, and set the guests' clocks to now")
    .argument('<name>', 'a snapshot of the lab (see snapshot list)')
    .option('--json', 'print the result as JSON')
    .action(async (name: string, cmd: { json?: boolean }) => {
      L.checkSnapshotName('snapshot restore', name);
      const o = await open(program);
      const r = await locked(o, 'snapshot', () => L.restoreSnapshot(o.lab, name));
      if (!cmd.json) return restoreLine(r);
      json(r);
      if (r.clocks.some((c) => c.problem)) process.exitCode = 1;
    });
  snapshot
    .command('list')
    .description("the lab's snapshots: name, when taken, node coverage, the nodes' state at save, complete or not")
    .option('--json', 'print the result as JSON')
    .action(async (cmd: { json?: boolean }) => {
      const o = await open(program);
      const rows = await L.listSnapshots(o.lab);
      if (cmd.json) json(rows);
      else console.log(L.formatSnapshotRows(rows));
    });
  snapshot
    .command('delete')
    .description("delete a snapshot labforge took (every node's part; also an incomplete one)")
    .argument('<name>', 'a snapshot of the lab (see snapshot list)')
    .option('--json', 'print the result as JSON')
    .action(async (name: string, cmd: { json?: boolean }) => {
      L.checkSnapshotName('snapshot delete', name);
      const o = await open(program);
      const r = await locked(o, 'snapshot', () => L.deleteSnapshot(o.lab, name));
      if (cmd.json) json(r);
      else
        console.log(
          `labforge: deleted snapshot ${r.name}${r.removed.length ? ` (from ${r.removed.join(', ')})` : ' (no node had a part of it left)'}`,
        );
    });

  program
    .command('reset')
    .description('restore a snapshot (the baseline up took, by default) and run verify: the lab as it was, checked')
    .argument('[name]', 'the snapshot', 'baseline')
    .option('--json', 'print the restore and the verify verdicts as JSON')
    .action(async (name: string, cmd: { json?: boolean }) => {
      L.checkSnapshotName('reset', name);
      const o = await open(program);
      const r = await locked(o, 'reset', () => L.restoreSnapshot(o.lab, name));
      if (cmd.json) {
        const verdicts = await L.verify(o.lab);
        json({ restore: r, verify: verdicts });
        if (verdicts.some((n) => !n.ok) || r.clocks.some((c) => c.problem)) process.exitCode = 1;
        return;
      }
      restoreLine(r);
      await verifyTable(o);
    });

  program
    .command('console')
    .description(
      "the node's serial console (ttyS1): log in as root with the lab's root password, also when the node does not answer on the network; --log prints the captured boot console (ttyS0)",
    )
    .argument('<node>', 'node name')
    .option('--log', 'print the captured serial console log (ttyS0) instead of connecting')
    .option('--lines <n>', 'with --log: only the last N lines')
    .option('--follow', 'with --log: keep printing what the console writes (Ctrl+C ends)')
    .action(async (name: string, cmd: { log?: boolean; lines?: string; follow?: boolean }) => {
      if (!cmd.log && (cmd.lines !== undefined || cmd.follow))
        throw new L.UsageError('console: --lines and --follow go with --log');
      const lines = wholeNumber('--lines', cmd.lines);
      const o = await open(program);
      const node = L.findNode(o.lab, 'console', name);
      if (cmd.log) {
        if (cmd.follow) await L.followConsoleLog(o.lab, node, (t) => process.stdout.write(t), lines);
        else process.stdout.write(L.readConsoleLog(o.lab, node, lines));
        return;
      }
      if (!process.stdin.isTTY)
        throw new L.UsageError(
          'console: needs a terminal (standard input is not one); `console NODE --log` prints the captured log',
        );
      process.exitCode = await L.attachConsole(o.lab, node, (line) => console.error(line));
    });

  program
    .command('halt')
    .description(
      'shut the nodes down, all at once (the ACPI power button; asked again over ssh after 30 s; forced off at a time limit, which is reported); `up` starts them again',
    )
    .argument('[targets]', 'which nodes (all, a role, a glob, names, FQDNs or addresses, comma-separated)', 'all')
    .option(
      '--time-limit <seconds>',
      'how long the nodes get to shut down by themselves before they are forced off, 1 to 3600 (default: 120 + 10 per node)',
    )
    .action(async (targets: string, cmd: { timeLimit?: string }) => {
      const timeLimitS = wholeNumber('--time-limit', cmd.timeLimit, 3600);
      const o = await open(program);
      const nodes = L.selectNodes(o.lab, targets);
      const { forced } = await locked(o, 'halt', () => L.halt(o.lab, { nodes, timeLimitS }));
      if (forced.length)
        console.log(
          `labforge: forced off after the time limit (they did not shut down by themselves): ${forced.join(', ')}`,
        );
    });

  program
    .command('destroy')
    .description(
      'remove exactly what the lab owns in libvirt: its domains, their disks, the networks labforge defined (the box stays unless --box)',
    )
    .option('--box', 'also remove the baked box')
    .action(async (cmd: { box?: boolean }) => {
      const o = await open(program);
      const { removed, kept } = await locked(o, 'destroy', () => L.destroy(o.lab, { box: cmd.box }));
      console.log(
        `labforge: destroyed lab ${o.lab.name}${removed.length ? ` (also removed ${removed.join(', ')})` : ''}`,
      );
      for (const k of kept) console.log(`labforge: kept ${k}`);
    });

  reportCommand(
    program,
    'doctor',
    'check that this host can run the lab; each check says ok, warn or fail with the fix',
    async (openLab) => L.doctor((await openLab()).lab),
    (checks) => L.formatChecks(checks),
    (checks) => checks.some((c) => c.status === 'fail'),
    3,
  );

  program
    .command('setup')
    .description(
      "install and start what doctor checks, per release (Debian 12-13, Ubuntu 22.04/24.04/26.04, Fedora 42-44): libvirt, QEMU, dnsmasq, Vagrant, vagrant-libvirt, Packer (HashiCorp's repository where the distribution has none), xorriso, OpenSSH; idempotent",
    )
    .option('--dry-run', 'print the commands, run none')
    .option('--with-test-tools', "also the packages labforge's own tests use (test box, shellcheck, ruby, ...)")
    .option('--no-start', 'do not start libvirtd/virtlogd')
    .option(
      '--kvm-udev',
      'install the udev rule that opens /dev/kvm to every user (default: only on GitHub-hosted runners)',
    )
    .option('--no-kvm-udev', 'never install that rule')
    .option('--user <name>', 'the user to add to the libvirt group (default: the user who ran sudo, or you)')
    .option('--json', 'print the plan as JSON')
    .action(
      async (cmd: {
        dryRun?: boolean;
        withTestTools?: boolean;
        start: boolean;
        kvmUdev?: boolean;
        user?: string;
        json?: boolean;
      }) => {
        const r = await L.setup(
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
        if (cmd.json) json({ ...r.plan, commands: r.commands });
        else {
          console.log(`labforge setup: ${r.plan.release} (${r.plan.family} family)`);
          for (const n of r.plan.notes) console.log(`labforge setup: note: ${n}`);
          for (const p of r.plan.present) console.log(`labforge setup: already there: ${p}`);
          for (const m of r.plan.manual) console.error(`labforge setup: left to you: ${m}`);
          if (!cmd.dryRun)
            console.log(
              `labforge setup: ${r.commands.length ? `done (${r.commands.length} commands)` : 'nothing to do'}${r.plan.manual.length ? '; see what is left to you above' : ''}`,
            );
          else if (!r.commands.length) console.log('labforge setup: nothing to do');
        }
        if (r.plan.manual.length && !cmd.dryRun) process.exitCode = 3;
      },
    );

  program
    .command('ci')
    .description(
      "write a CI file that runs this lab: a GitHub Actions workflow (GitHub-hosted runner with KVM) or a GitLab CI job (GitLab's hosted runners by default); the job installs labforge as this repository has it",
    )
    .argument('<system>', 'github or gitlab')
    .option(
      '--output <file>',
      'write to this file inside the repository (e.g. .github/workflows/labforge.yml, .gitlab-ci.yml) instead of standard output',
    )
    .option(
      '--install <spec>',
      'how the job gets labforge when package.json does not have it: a git spec (github:OWNER/labforge#v0.1.0, git+https://...), an https tarball URL, or a tarball file from npm pack (./labforge-0.1.0.tgz)',
    )
    .option(
      '--tags <list>',
      "gitlab: the runner tags, comma-separated (default: saas-linux-small-amd64, GitLab's hosted Linux runner)",
    )
    .option('--image <image>', "gitlab: the job's container image (default: node:20-bookworm)")
    .action(async (system: string, cmd: { output?: string; install?: string; tags?: string; image?: string }) => {
      const opts = program.opts<Global>();
      const r = L.ciFile(system, { lab: opts.lab, out: opts.out, ...cmd });
      for (const w of r.warnings) console.error(`labforge: ${w}`);
      if (!r.file) process.stdout.write(r.text);
      else console.log(`labforge: wrote ${cmd.output} for lab ${r.labName} (${r.labFile})`);
    });

  return program;
}

/** The exit code an error asks for (see `exitStatus` on labforge's error classes), or undefined for any other. */
function exitStatusOf(e: unknown): 1 | 2 | 3 | undefined {
  const status = (e as { exitStatus?: unknown } | undefined)?.exitStatus;
  return status === 1 || status === 2 || status === 3 ? status : undefined;
}

/** The build's warm-up (scripts/bundle.js): loads the commands and runs what most commands start with (the program,
 *  a lab file's load and validation, status's table), so that the V8 code cache recorded after it holds their
 *  compiled code. Runs no tool and writes nothing. */
export async function warmUp(labFile: string): Promise<void> {
  buildProgram();
  const C = await import('./commands.js');
  const { lab } = C.loadLabFile(labFile, {
    outDir: path.join(path.dirname(path.resolve(labFile)), '.labforge-warm-up'),
  });
  C.formatStatus(
    lab.nodes.map((n) => ({
      name: n.name,
      fqdn: n.fqdn,
      ip: n.ip,
      state: C.vagrantState(false, undefined),
      domain: 'absent',
    })),
  );
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
    // Every error labforge expects says how it ends the command (exitStatus on its class): 2 for a mistake in the
    // lab file or the call, 1 for a tool or the host. Anything else is a bug: its stack helps with --debug.
    const status = exitStatusOf(err);
    if (status === 2) {
      console.error(err.message);
      return 2;
    }
    console.error(`labforge: ${debug && status === undefined ? err.stack : err.message}`);
    return status === 3 ? 3 : 1;
  }
}
