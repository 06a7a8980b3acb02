#!/usr/bin/env node
// The lab half of `npm run chaos` (scripts/chaos.js starts it INSIDE a libvirt environment of its own: network and
// mount namespaces with their own libvirtd, scripts/e2e-env.sh; nothing here reaches outside it).
//
//   node scripts/chaos-lab.js '{"work":...,"image":...,"seed":N,"count":N,"plan":...,"ns":...,"state":...,
//                               "result":...}'
//
// A two-node lab of the Debian test box (the e2e's), its pool on a loop-mounted ext4 file system of its own (so
// that the full-disk point can fill it), a bystander network and pool that no point may touch. Writes
// {seed, rows, ...} to the result file as it goes (a run cut short still reports what it did).
import fs from 'node:fs';
import path from 'node:path';
import { execa } from 'execa';
import { AFTER, ESTIMATE, MOMENTS, describePlan, parsePlan, randomPlan, rng, summary, table } from './chaos-plan.js';
import * as checks from './chaos-checks.js';
import { testBoxImageLines } from './lab-env.js';

const cfg = JSON.parse(process.argv[2] ?? '{}');
const ROOT = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');
const CLI = path.join(ROOT, 'bin', 'labforge.js');
const E2E_ENV = path.join(ROOT, 'scripts', 'e2e-env.sh');
const work = cfg.work;
const LAB = 'chaos';
const NODES = ['node1', 'node2'];
const NETWORKS = ['lf-chaos', 'lf-chaos-mgmt'];
const labDir = path.join(work, 'lab');
const labFile = path.join(labDir, 'lab.yaml');
const out = path.join(labDir, 'out');
const fsImage = path.join(work, 'pool.ext4');
const fsMount = path.join(work, 'poolfs');
const pool = path.join(fsMount, 'pool');
const tmp = path.join(work, 'tmp');
const bystanderPool = path.join(work, 'bystander-pool');
const result = { seed: cfg.seed, count: cfg.count, plan: cfg.plan ?? null, rows: [], setup: [], notes: [] };
const save = () => fs.writeFileSync(cfg.result, JSON.stringify(result, null, 2));
const t0 = Date.now();
const say = (line) => console.log(`[chaos ${new Date().toISOString().slice(11, 19)}] ${line}`);

// ------------------------------------------------------------------------------------------------ running things
const env = {
  ...process.env,
  // The box is baked once per test image and labforge recipe, and kept between chaos runs.
  VAGRANT_HOME: path.join(ROOT, '.cache', 'chaos-vagrant-home'),
  VAGRANT_CHECKPOINT_DISABLE: '1',
  XDG_STATE_HOME: path.join(work, 'state'),
  // labforge's (and its tools') temp files: checked for leftovers after every command.
  TMPDIR: tmp,
  CI: 'true',
  LABFORGE_OFFLINE: '1',
  NO_COLOR: '1',
};

const sh = async (cmd, args, opts = {}) => execa(cmd, args, { env, reject: false, all: true, ...opts });
const virsh = async (...a) => String((await sh('virsh', ['-q', '-c', 'qemu:///system', ...a])).stdout);
const lines = checks.lines;
const words = (c) =>
  c === 'snapshot-save' ? ['snapshot', 'save'] : c === 'snapshot-restore' ? ['snapshot', 'restore'] : [c];
let snapName = 'c0';
/** `first`: the run a point kills (a bake then rebuilds the box even when it is installed: --force). */
const argsOf = (command, first = false) => {
  const a = words(command);
  if (command === 'bake' && first) a.push('--force');
  if (command === 'snapshot-save' || command === 'snapshot-restore') a.push(snapName);
  if (command === 'destroy') a.push('--yes');
  return a;
};

/** labforge COMMAND; with `killAt` (s) or `killWhen` (an async predicate), labforge alone is killed with SIGKILL at
 *  that moment (its children live on). */
async function labforge(command, { killAt, killWhen, during, first, extraEnv, measure = true } = {}) {
  const started = Date.now();
  const child = execa('node', [CLI, '--lab', labFile, '--out', out, ...argsOf(command, first)], {
    env: { ...env, ...extraEnv },
    cwd: labDir,
    reject: false,
    all: true,
    timeout: 60 * 60 * 1000,
  });
  const side = during ? during(started) : undefined;
  const r = await checks.endOf(child, { killAt, killWhen, started });
  await side;
  // What a command takes from a known state, to draw kill moments in: not the run after a kill (it finishes half-done
  // work), nor a bake that only finds its box.
  if (measure && !r.killed && r.exitCode === 0 && !(command === 'bake' && !first) && !extraEnv)
    ESTIMATE[estimateKey(command)] = r.seconds;
  return r;
}

let state = 'absent';
const estimateKey = (command) => (command === 'up' ? `up:${state}` : command);

// ------------------------------------------------------------------------------------------------ checks
/** Processes in this environment (its network namespace) whose command line matches. */
const procs = checks.procsOf(process.pid);
const domainStates = () => checks.domainStates(virsh, LAB, NODES);

/** What a command left that it should not have (scripts/chaos-checks.js). `after`: the lab's state now (absent: also
 *  everything of the lab anywhere). */
const leaks = (after) =>
  checks.leaks({
    out,
    tmp,
    procs,
    virsh,
    after,
    nodes: NODES,
    networks: NETWORKS,
    pool,
    bystander: { network: 'chaos-bystander', pool: 'chaos-bystander', volume: 'bystander.qcow2' },
  });

/** The lab's box (lab.lock's bake.box) installed once in Vagrant's home (`home`) and whole: metadata.json, Vagrantfile
 *  and a box.img that `qemu-img check` reads through: [ok, why not]. */
async function boxWhole(home = env.VAGRANT_HOME) {
  // The box the lab's render names. A killed `bake --force` leaves the old box (and the old lab.lock), and the plain
  // bake run next keeps it: the old state. lab.lock records a bake only where this lab built one (Vagrant's home is
  // shared between runs: the box may be another run's); when it does, it must name the same box.
  let box;
  let baked;
  try {
    box = JSON.parse(fs.readFileSync(path.join(out, '.labforge-render.json'), 'utf8')).box;
    baked = JSON.parse(fs.readFileSync(labFile.replace(/\.yaml$/, '.lock'), 'utf8')).bake?.box;
  } catch (e) {
    return [false, `no render manifest or lab.lock: ${e.message}`];
  }
  if (!box) return [false, 'the render manifest names no box'];
  if (baked && baked !== box) return [false, `lab.lock records a bake of ${baked}, the render names ${box}`];
  const list = await sh('vagrant', ['box', 'list', '--machine-readable'], { env: { ...env, VAGRANT_HOME: home } });
  const listed = lines(list.stdout).filter((l) => l.endsWith(`,box-name,${box}`));
  if (listed.length !== 1) return [false, `vagrant box list shows ${box} ${listed.length} times`];
  const dir = path.join(home, 'boxes', box.replace(/\//g, '-VAGRANTSLASH-'));
  const found = fs.readdirSync(dir, { recursive: true }).map(String);
  const img = found.find((f) => f.endsWith(`libvirt${path.sep}box.img`));
  for (const f of ['metadata.json', 'Vagrantfile', 'box.img'])
    if (!found.some((x) => path.basename(x) === f)) return [false, `${box}: no ${f} in ${dir}`];
  const check = await sh('qemu-img', ['check', '-q', path.join(dir, img)]);
  return check.exitCode === 0 ? [true, ''] : [false, `${box}: qemu-img check: ${tail(check.all)}`];
}

/** What a bake left besides the common leaks: Vagrant's own temp folder (a box being added), Packer's build and box
 *  folders in the output folder. */
function bakeLeaks(home = env.VAGRANT_HOME) {
  const found = [];
  const vtmp = path.join(home, 'tmp');
  if (fs.existsSync(vtmp)) for (const f of fs.readdirSync(vtmp)) found.push(`Vagrant's temp ${f}`);
  for (const f of ['build', 'box']) if (fs.existsSync(path.join(out, 'packer', f))) found.push(`packer/${f}`);
  return found;
}

/** Whether the lab is in the state `command` asks for: [ok, why not]. `home`: Vagrant's home a bake used. */
async function converged(command, r, home) {
  const st = await domainStates();
  const all = (s) => NODES.every((n) => st[n] === s);
  const show = NODES.map((n) => `${n} ${st[n]}`).join(', ');
  if (r.exitCode !== 0) return [false, `exit ${r.exitCode}: ${tail(r.all)}`];
  switch (command) {
    case 'up':
    case 'reset':
      return all('running') ? [true, ''] : [false, show];
    case 'halt':
      return all('shut off') ? [true, ''] : [false, show];
    case 'snapshot-save': {
      const list = await sh('node', [CLI, '--lab', labFile, '--out', out, 'snapshot', 'list', '--json'], {
        cwd: labDir,
      });
      const row = JSON.parse(String(list.stdout) || '[]').find((s) => s.name === snapName);
      if (!row || row.status !== 'complete' || row.coverage !== '2/2')
        return [false, `snapshot ${snapName}: ${JSON.stringify(row)}`];
      return all('running') ? [true, ''] : [false, show];
    }
    case 'snapshot-restore': {
      if (!all('running')) return [false, show];
      const v = await labforge('verify');
      return v.exitCode === 0 ? [true, ''] : [false, `verify exit ${v.exitCode}: ${tail(v.all)}`];
    }
    case 'destroy':
      return all('absent') ? [true, ''] : [false, show];
    case 'bake':
      return boxWhole(home);
    case 'verify':
      return all('running') ? [true, ''] : [false, show];
  }
  return [false, `unknown command ${command}`];
}

const tail = (text) =>
  lines(text)
    .filter((l) => !/^\s*at /.test(l))
    .slice(-2)
    .join(' / ')
    .slice(0, 240);

const noticed = checks.noticed;

// ------------------------------------------------------------------------------------------------ the points
/** Bring the lab to `want` with plain commands (no fault), when a point needs it. */
async function reach(want) {
  if (state === want) return;
  if (want === 'running') {
    const r = await labforge('up');
    if (r.exitCode !== 0) throw new Error(`up (to start a point) failed: ${tail(r.all)}`);
  } else if (want === 'halted') {
    await reach('running');
    const r = await labforge('halt');
    if (r.exitCode !== 0) throw new Error(`halt (to start a point) failed: ${tail(r.all)}`);
  } else if (want === 'absent') {
    const r = await labforge('destroy');
    if (r.exitCode !== 0) throw new Error(`destroy (to start a point) failed: ${tail(r.all)}`);
  }
  state = want;
}

function record(row) {
  result.rows.push(row);
  save();
  say(
    `#${result.rows.length} ${row.fault} ${row.command} ${row.point}: ${row.converged ? 'converged' : 'NOT converged'}` +
      `${row.why ? ` (${row.why})` : ''}; leaked: ${row.leaked.length ? row.leaked.join(', ') : 'nothing'}` +
      `${row.said ? `; next command: ${row.said}` : ''}`,
  );
}

/** The lab after `command` ended well: its state and the snapshots there are. */
function ended(command) {
  // A bake changes no lab: the lab stays as it was.
  if (command !== 'bake') state = AFTER[command];
  if (command === 'snapshot-save') savedSnapshots.add(snapName);
  if (command === 'destroy') savedSnapshots.clear();
}

async function killPoint(p) {
  const command = p.command;
  // A kill drawn past the command's end (its estimate came from a slower run) is drawn once more, as the same
  // fraction of the time the command just took, from the same state.
  for (let attempt = 1; ; attempt++) {
    if (['snapshot-restore', 'snapshot-save', 'reset', 'halt'].includes(command)) await reach('running');
    if (command === 'snapshot-restore' && !savedSnapshots.size) {
      // Something to restore: a snapshot taken without a fault.
      snapName = `c${result.rows.length}`;
      const s = await labforge('snapshot-save');
      if (s.exitCode !== 0) throw new Error(`snapshot save (to start a point) failed: ${tail(s.all)}`);
      savedSnapshots.add(snapName);
    }
    if (command === 'snapshot-save') snapName = `c${result.rows.length + 1}${attempt > 1 ? 'b' : ''}`;
    if (command === 'snapshot-restore') snapName = [...savedSnapshots].pop();
    const from = state;
    const est = ESTIMATE[estimateKey(command)] ?? 20;
    const moment = p.after ? MOMENTS[p.after.moment] : undefined;
    // A program of labforge's own running: killed as soon as it is seen (polled every 100 ms), then `seconds` later.
    const killWhen = moment
      ? async () =>
          (await procs(moment.proc)).length > 0 &&
          (await new Promise((res) => setTimeout(() => res(true), p.after.seconds * 1000)))
      : undefined;
    const at = p.after ? undefined : (p.at ?? Math.max(0.5, p.fraction * est));
    const when = p.after ? `${p.after.seconds} s after \`${moment.proc}\` runs` : `${at.toFixed(1)} s`;
    say(
      `point ${result.rows.length + 1}: ${command} from ${from}, labforge killed at ${when} (of about ${est.toFixed(0)} s)`,
    );
    const first = await labforge(command, { killAt: at, killWhen, first: true });
    const before = !first.killed && first.exitCode === 0;
    if (before && attempt === 1 && p.fraction !== undefined && p.at === undefined) {
      say(`${command} ended in ${first.seconds.toFixed(1)} s, before the kill: drawn again from ${from}`);
      ended(command);
      await reach(from);
      continue;
    }
    const point = checks.describeKill(first, at ?? when);
    // A command that ended before its kill had no fault: it is judged by its own end, not run again.
    const again = before ? first : await labforge(command, { measure: false });
    const [ok, why] = await converged(command, again);
    const now = command === 'bake' ? state : AFTER[command];
    if (ok) ended(command);
    record({
      fault: 'kill -9 labforge',
      command: argsOf(command, true)
        .filter((a) => a !== '--yes')
        .join(' '),
      from,
      point,
      firstExit: first.killed ? 'SIGKILL' : first.exitCode,
      nextExit: before ? undefined : again.exitCode,
      nextSeconds: before ? 0 : again.seconds,
      converged: ok,
      why,
      said: noticed(before ? '' : again.all),
      leaked: [...(await leaks(ok ? now : 'not converged')), ...(command === 'bake' ? bakeLeaks() : [])],
      snapshot: command === 'snapshot-save' ? snapName : undefined,
    });
    if (!ok) await recover();
    return;
  }
}
const savedSnapshots = new Set();

/** After a point that did not converge: the lab back to a known state (up, else destroy and up), noted. */
async function recover() {
  let r = await labforge('up', { measure: false });
  if (r.exitCode === 0) {
    state = 'running';
    result.notes.push(`recovered with up after point ${result.rows.length}`);
    return;
  }
  await labforge('destroy', { measure: false });
  savedSnapshots.clear();
  r = await labforge('up', { measure: false });
  state = r.exitCode === 0 ? 'running' : 'unknown';
  result.notes.push(`recovered with destroy + up after point ${result.rows.length}: ${state}`);
  save();
}

async function libvirtdPoint(p) {
  const command = p.command ?? 'up';
  await reach(command === 'up' ? 'halted' : 'running');
  if (command === 'snapshot-save') snapName = `c${result.rows.length + 1}`;
  const from = state;
  const est = ESTIMATE[estimateKey(command)] ?? 20;
  const r = rng((cfg.seed ^ 0x5bd1e995) + result.rows.length)();
  const at = p.at ?? (command === 'up' ? 5 + r * est * 0.6 : 0.5 + r * est * 0.8);
  say(`libvirtd restart during ${command} from ${from}, at ${at.toFixed(1)} s`);
  let restarted = '';
  const first = await labforge(command, {
    during: async () => {
      await new Promise((res) => setTimeout(res, at * 1000));
      const x = await sh('bash', [E2E_ENV, 'restart-libvirtd', cfg.ns, cfg.state, '3']);
      restarted =
        x.exitCode === 0 ? `libvirtd killed at ${at.toFixed(1)} s, back 3 s later` : `restart failed: ${tail(x.all)}`;
    },
  });
  let again = first;
  if (first.exitCode !== 0) again = await labforge(command);
  const [ok, why] = await converged(command, again);
  if (ok) state = AFTER[command];
  if (ok && command === 'snapshot-save') savedSnapshots.add(snapName);
  const how =
    first.exitCode === 0
      ? 'rode it out'
      : `failed (exit ${first.exitCode}: ${tail(first.all).slice(0, 160)}), run again`;
  record({
    fault: 'libvirtd killed and restarted',
    command: argsOf(command).join(' '),
    from,
    point: `${restarted}; ${command} ${how}`,
    firstExit: first.exitCode,
    nextExit: again.exitCode,
    nextSeconds: again.seconds,
    converged: ok,
    why,
    said: noticed(again.all),
    leaked: await leaks(state),
  });
  if (!ok) await recover();
}

async function lostHostPoint(p) {
  await reach('running');
  const qemu = await checks.killQemu(procs);
  await new Promise((r) => setTimeout(r, 3000));
  const status = await sh('node', [CLI, '--lab', labFile, '--out', out, 'status', '--json'], { cwd: labDir });
  const states = JSON.parse(String(status.stdout) || '[]').map((n) => `${n.name} ${n.state}`);
  const down = states.length === NODES.length && states.every((s) => !s.endsWith(' running'));
  // With @SECONDS, the up that brings the lab back is itself killed (kill -9 of labforge) then, and run again.
  const killed = p.at === undefined ? undefined : await labforge('up', { killAt: p.at });
  const again = await labforge('up', { measure: false });
  let [ok, why] = await converged('up', again);
  if (ok) {
    const v = await labforge('verify');
    if (v.exitCode !== 0) [ok, why] = [false, `verify exit ${v.exitCode}: ${tail(v.all)}`];
  }
  // Snapshots taken before are still listed (or reported lost).
  const list = await sh('node', [CLI, '--lab', labFile, '--out', out, 'snapshot', 'list', '--json'], { cwd: labDir });
  const snaps = JSON.parse(String(list.stdout) || '[]').map((s) => `${s.name} ${s.status}`);
  if (ok) state = 'running';
  record({
    fault: 'host lost (every QEMU killed)',
    command: 'status, up, verify',
    from: 'running',
    point:
      `${qemu.length} QEMU processes killed; status said: ${states.join(', ')}` +
      `${killed?.killed ? `; the up after it killed -9 at ${killed.killed.at.toFixed(1)} s` : ''}` +
      `; snapshots after: ${snaps.join(', ') || 'none'}`,
    firstExit: status.exitCode,
    nextExit: again.exitCode,
    nextSeconds: again.seconds,
    converged: ok && down,
    why: down ? why : `status did not say the nodes are down: ${states.join(', ')}`,
    said: noticed(again.all),
    leaked: await leaks(state),
  });
  if (!ok) await recover();
}

/** The pool's file system filled up to `leaveMiB` free; returns the filler file. */
async function fill(leaveMiB) {
  const filler = path.join(fsMount, 'filler');
  const { stdout } = await sh('df', ['-B1', '--output=avail', fsMount]);
  const avail = Number(lines(stdout)[1]);
  const size = Math.max(0, avail - leaveMiB * 2 ** 20);
  await sh('fallocate', ['-l', String(size), filler]);
  return filler;
}

/** A full Vagrant home while bake adds the box: Vagrant's home for the point on the pool's file system, holding the
 *  lab's box as the installed one (copied from the chaos home), the file system filled to 150 MiB free (the box needs
 *  about twice its size), then `bake --force` (Packer builds, then the box is added). Exit 1 naming the file system and
 *  the space needed; the box installed before still listed and whole, nothing of the new one in Vagrant's tmp/ or
 *  boxes/, lab.lock's bake unchanged; then, with room again, `bake` finds the box installed. */
async function fullDiskBakePoint() {
  const home = path.join(fsMount, 'vagrant-home');
  const lockFile = labFile.replace(/\.yaml$/, '.lock');
  // The lab's box (a bake that found it installed records nothing in lab.lock).
  const hash = await sh('node', [CLI, '--lab', labFile, '--out', out, 'bake', '--hash', '--json'], { cwd: labDir });
  const name = JSON.parse(String(hash.stdout)).box;
  const box = name.replace(/\//g, '-VAGRANTSLASH-');
  const before = fs.readFileSync(lockFile, 'utf8');
  fs.cpSync(path.join(env.VAGRANT_HOME, 'boxes', box), path.join(home, 'boxes', box), { recursive: true });
  const extraEnv = { VAGRANT_HOME: home };
  const filler = await fill(150);
  const free = (await sh('df', ['-h', '--output=avail', fsMount])).stdout.split('\n')[1]?.trim();
  say(`full disk: bake --force with Vagrant's home on the pool's file system, ${free} free`);
  const first = await labforge('bake', { first: true, extraEnv });
  const message = lines(first.all)
    .filter((l) => /space|ENOSPC|full/i.test(l))
    .slice(-1)
    .join(' / ')
    .slice(0, 400);
  const [whole, notWhole] = await boxWhole(home);
  const half = [...(whole ? [] : [notWhole]), ...bakeLeaks(home)];
  if (fs.readFileSync(lockFile, 'utf8') !== before) half.push('lab.lock changed');
  fs.rmSync(filler, { force: true });
  const again = await labforge('bake', { extraEnv });
  const [ok, why] = await converged('bake', again, home);
  const re = (t) => t.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const named = new RegExp(
    `not enough free space in Vagrant's home ${re(home)}, on the ext4 file system mounted at ${re(fsMount)}`,
  );
  record({
    fault: "full disk (Vagrant's home)",
    command: 'bake --force',
    from: state,
    point: `${free} free; exit ${first.exitCode}: ${message || tail(first.all)}${half.length ? `; LEFT HALF: ${half.join(', ')}` : ''}`,
    firstExit: first.exitCode,
    nextExit: again.exitCode,
    nextSeconds: again.seconds,
    converged: ok && first.exitCode === 1 && !half.length && named.test(first.all),
    why: first.exitCode !== 1 ? `the full-disk run exited ${first.exitCode}` : half.join(', ') || why,
    said: noticed(again.all),
    leaked: [...(await leaks(state)), ...bakeLeaks()],
  });
  fs.rmSync(home, { recursive: true, force: true });
}

async function fullDiskPoint(p) {
  const command = p.command ?? 'snapshot-save';
  if (command === 'bake') return fullDiskBakePoint();
  if (command === 'up') await reach('absent');
  else await reach('running');
  const from = state;
  if (command === 'snapshot-save') snapName = `full${result.rows.length + 1}`;
  const filler = await fill(command === 'up' ? 100 : 200);
  const before = (await sh('df', ['-h', '--output=avail', fsMount])).stdout.split('\n')[1]?.trim();
  say(`full disk: ${command} with ${before} free in the pool's file system`);
  const first = await labforge(command);
  const message = lines(first.all)
    .filter((l) => /space|ENOSPC|full/i.test(l))
    .slice(-2)
    .join(' / ')
    .slice(0, 240);
  // Nothing recorded half: no snapshot recorded complete, the lab as it was.
  let half = '';
  if (command === 'snapshot-save') {
    const list = await sh('node', [CLI, '--lab', labFile, '--out', out, 'snapshot', 'list', '--json'], { cwd: labDir });
    const row = JSON.parse(String(list.stdout) || '[]').find((s) => s.name === snapName);
    if (row) half = `snapshot ${snapName} recorded ${row.status}`;
    const st = await domainStates();
    if (!NODES.every((n) => st[n] === 'running')) half += ` nodes: ${JSON.stringify(st)}`;
  }
  fs.rmSync(filler, { force: true });
  const again = await labforge(command);
  const [ok, why] = await converged(command, again);
  if (ok) state = AFTER[command];
  record({
    fault: 'full disk (pool file system)',
    command: argsOf(command).join(' '),
    from,
    point: `${before} free; exit ${first.exitCode}: ${message || tail(first.all)}${half ? `; LEFT HALF: ${half}` : ''}`,
    firstExit: first.exitCode,
    nextExit: again.exitCode,
    nextSeconds: again.seconds,
    converged: ok && first.exitCode === 1 && !half && /space/i.test(message),
    why: first.exitCode !== 1 ? `the full-disk run exited ${first.exitCode}` : half || why,
    said: noticed(again.all),
    leaked: await leaks(state),
  });
  if (!ok) await recover();
}

// ------------------------------------------------------------------------------------------------ setup, run, table
async function must(what, cmd, args, opts) {
  const started = Date.now();
  const r = await sh(cmd, args, opts);
  result.setup.push([what, (Date.now() - started) / 1000]);
  if (r.exitCode !== 0) throw new Error(`${what}: ${cmd} ${args.join(' ')} exited ${r.exitCode}:\n${tail(r.all)}`);
  return r;
}

async function setup(plan) {
  fs.mkdirSync(labDir, { recursive: true });
  fs.mkdirSync(tmp, { recursive: true, mode: 0o1777 });
  // The pool's own file system: 4 GiB of ext4 on a sparse file, mounted in this environment's mount namespace.
  await must('pool file system', 'truncate', ['-s', '4G', fsImage]);
  await must('mkfs', 'mkfs.ext4', ['-q', '-F', fsImage]);
  fs.mkdirSync(fsMount, { recursive: true });
  await must('mount', 'mount', ['-o', 'loop', fsImage, fsMount]);
  fs.chmodSync(fsMount, 0o755);
  fs.writeFileSync(
    labFile,
    [
      `name: ${LAB}`,
      'domain: example.com',
      'network:',
      `  name: ${NETWORKS[0]}`,
      '  cidr: 10.243.0.0/24',
      `  management: { name: ${NETWORKS[1]}, cidr: 192.168.127.0/24, forward: isolated }`,
      'vips: []',
      'defaults: { cpus: 1, memory: 512M }',
      'nodes:',
      '  - { name: node1, ip: 10.243.0.11 }',
      '  - { name: node2, ip: 10.243.0.12 }',
      ...testBoxImageLines(cfg.image),
      'host:',
      '  driver: qemu',
      `  pool_path: ${JSON.stringify(pool)}`,
      '',
    ].join('\n'),
  );
  // Bystanders: a network and a pool with a volume that are not the lab's.
  const netXml = path.join(work, 'bystander-net.xml');
  fs.writeFileSync(netXml, "<network><name>chaos-bystander</name><bridge name='virbr-chby'/></network>\n");
  await must('bystander network', 'virsh', ['-q', '-c', 'qemu:///system', 'net-define', netXml]);
  fs.mkdirSync(bystanderPool, { recursive: true });
  await must('bystander pool', 'virsh', [
    '-q',
    '-c',
    'qemu:///system',
    'pool-define-as',
    'chaos-bystander',
    'dir',
    '--target',
    bystanderPool,
  ]);
  await must('bystander pool start', 'virsh', ['-q', '-c', 'qemu:///system', 'pool-start', 'chaos-bystander']);
  await must('bystander volume', 'virsh', [
    '-q',
    '-c',
    'qemu:///system',
    'vol-create-as',
    'chaos-bystander',
    'bystander.qcow2',
    '1M',
    '--format',
    'qcow2',
  ]);
  // A check of the set-up alone (no guest is started): CHAOS_SETUP_ONLY=1.
  if (process.env.CHAOS_SETUP_ONLY) throw new Error('stopped before the bake (CHAOS_SETUP_ONLY)');
  // A plan that starts with a kill of bake (or up) starts from nothing: that point bakes (and brings the lab up).
  const first = plan[0]?.fault === 'kill' ? plan[0].command : undefined;
  if (first === 'bake') return;
  say('bake (the box is kept in .cache/chaos-vagrant-home between runs)');
  await must('bake', 'node', [CLI, '--lab', labFile, '--out', out, 'bake'], { cwd: labDir, timeout: 60 * 60 * 1000 });
  if (first === 'up') return;
  // Points of bake's full disk alone need no lab up.
  if (plan.every((p) => p.fault === 'full-disk' && p.command === 'bake')) return;
  say('up');
  const up = await labforge('up');
  result.setup.push(['up', up.seconds]);
  if (up.exitCode !== 0) throw new Error(`the first up failed:\n${tail(up.all)}`);
  state = 'running';
  save();
}

async function main() {
  const plan = cfg.plan ? parsePlan(cfg.plan) : randomPlan(cfg.seed, cfg.count);
  if (!cfg.plan) {
    if (cfg.libvirtd)
      plan.splice(
        Math.floor(plan.length / 2),
        0,
        { fault: 'libvirtd', command: 'up' },
        { fault: 'libvirtd', command: 'verify' },
        { fault: 'libvirtd', command: 'snapshot-save' },
      );
    if (cfg.lostHost) plan.push({ fault: 'lost-host', command: 'up' });
    if (cfg.fullDisk)
      plan.push({ fault: 'full-disk', command: 'snapshot-save' }, { fault: 'full-disk', command: 'up' });
  }
  result.planned = plan;
  say(`seed ${cfg.seed}: ${describePlan(plan)}`);
  await setup(plan);
  for (const p of plan) {
    try {
      if (p.fault === 'kill') await killPoint(p);
      else if (p.fault === 'libvirtd') await libvirtdPoint(p);
      else if (p.fault === 'lost-host') await lostHostPoint(p);
      else if (p.fault === 'full-disk') await fullDiskPoint(p);
    } catch (e) {
      result.notes.push(`point ${p.fault}:${p.command}: ${e.message}`);
      say(`point ${p.fault}:${p.command} could not run: ${e.message}`);
      save();
      await recover();
    }
  }
  // The end: the lab destroyed, and nothing of it left.
  const d = await labforge('destroy');
  const left = await leaks('absent');
  result.final = { exitCode: d.exitCode, leaked: left };
  say(`final destroy: exit ${d.exitCode}; left: ${left.length ? left.join(', ') : 'nothing'}`);
}

/** The tables of what ran; exit 0 only when every point converged with nothing leaked and the run was not stopped. */
function report() {
  result.minutes = (Date.now() - t0) / 60000;
  save();
  console.log(`\nchaos seed ${cfg.seed}, ${result.rows.length} points, ${result.minutes.toFixed(1)} min:\n`);
  console.log(table(result.rows));
  console.log(`\nin short:\n\n${summary(result.rows)}`);
  if (result.notes.length) console.log(`\nnotes:\n${result.notes.map((n) => `- ${n}`).join('\n')}`);
  const bad = result.rows.filter((r) => !r.converged || r.leaked.length).length + (result.final?.leaked.length ? 1 : 0);
  return bad || result.notes.some((n) => n.startsWith('stopped')) ? 1 : 0;
}

// Ctrl-C (scripts/chaos.js passes it on): the points done so far are still reported; the environment's teardown
// (scripts/e2e-env.sh) removes the lab.
process.once('SIGINT', () => {
  result.notes.push('stopped: interrupted (SIGINT) during the next point');
  report();
  process.exit(130);
});

try {
  await main();
} catch (e) {
  result.notes.push(`stopped: ${e.message}`);
  say(`stopped: ${e.message}`);
  await labforge('destroy').catch(() => undefined);
} finally {
  await sh('umount', ['-l', fsMount]);
  process.exitCode = report();
}
