// What `npm run chaos` (scripts/chaos-lab.js) and the fault subset of the lifecycle e2e (test/e2e/faults.ts, which
// `npm test` runs) share: a labforge killed with SIGKILL at a moment, the lost host (every QEMU killed), and the checks
// of what a command left behind. Both run inside a libvirt environment of their own (scripts/e2e-env.sh).
import fs from 'node:fs';
import path from 'node:path';
import { execa } from 'execa';

export const lines = (s) =>
  String(s ?? '')
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean);

/** The processes in the network namespace of process `pid` whose command line matches `pattern`, as `pgrep -a`
 *  prints them ("PID command line"); pgrep itself left out. */
export const procsOf = (pid) => async (pattern) => {
  const { stdout } = await execa('pgrep', ['-a', '--ns', String(pid), '--nslist', 'net', '-f', pattern], {
    reject: false,
  });
  return lines(stdout).filter((l) => !l.includes('pgrep'));
};

/**
 * Waits for a labforge started as `child` (execa, `all: true`, `reject: false`) to end; with `killAt` (s after
 * `started`), labforge alone is killed with SIGKILL then (its Vagrant, Packer, virsh or ssh children live on, as after a
 * crash); with
 * `killWhen` (an async predicate, asked every 100 ms), as soon as it holds (say, once a child of labforge's runs). A
 * killed labforge is waited for by its exit alone: a program it started may live on holding its output open.
 * Gives { exitCode, signal, all, stdout, seconds, killed: { at, last } when it was killed }.
 */
export async function endOf(child, { killAt, killWhen, started = Date.now() } = {}) {
  let text = '';
  let killed;
  let timer;
  const kill = () => {
    killed = { at: (Date.now() - started) / 1000, last: lines(text).pop() ?? '(nothing printed yet)' };
    try {
      process.kill(child.pid, 'SIGKILL');
    } catch {
      killed = undefined; // it had ended already
    }
  };
  if (killAt !== undefined) timer = setTimeout(kill, Math.max(0, killAt * 1000 - (Date.now() - started)));
  child.all?.on('data', (d) => {
    text += d;
  });
  let over = false;
  const exited = new Promise((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })));
  exited.then(() => (over = true));
  if (killWhen)
    (async () => {
      while (!over && !killed) {
        if (await killWhen()) {
          if (!over) kill();
          return;
        }
        await new Promise((res) => setTimeout(res, 100));
      }
    })();
  const ended = await Promise.race([child.then((r) => ({ r })), exited.then((e) => ({ e }))]);
  const r = ended.r ?? (killed ? undefined : await child);
  clearTimeout(timer);
  const seconds = (Date.now() - started) / 1000;
  if (!r) return { exitCode: undefined, signal: 'SIGKILL', all: text, stdout: '', seconds, killed };
  const stdout = String(r.stdout ?? '');
  return { exitCode: r.exitCode, signal: r.signal, all: String(r.all ?? text), stdout, seconds, killed };
}

/** How a killed run reads in a table: when the kill came and labforge's last line, or that it had finished. */
export const describeKill = (first, at) =>
  first.killed
    ? `kill -9 at ${first.killed.at.toFixed(1)} s; last line: ${first.killed.last.replace(/^\S+T\S+ /, '').slice(0, 90)}`
    : `finished (exit ${first.exitCode}) in ${first.seconds.toFixed(1)} s, before the kill at ${typeof at === 'number' ? `${at.toFixed(1)} s` : at}`;

/** The host lost, as the lab sees a host reboot: every QEMU process of the environment killed at once (SIGKILL).
 *  Gives the `pgrep -a` lines of the processes killed. */
export async function killQemu(procs) {
  const qemu = await procs('qemu-system');
  for (const l of qemu) {
    try {
      process.kill(Number(l.split(' ')[0]), 'SIGKILL');
    } catch {
      /* gone already */
    }
  }
  return qemu;
}

/** What the next command said about the killed one (tools/children.ts, the stale lock, paused nodes). */
export function noticed(text) {
  const said = [];
  const stopped = /stopped what an earlier, killed labforge left running on this lab: ([^\n]*)/.exec(text);
  if (stopped) said.push(`stopped ${stopped[1]}`);
  if (/resumed [^\n]*paused|left paused|resum(ed|es) .*paused/i.test(text)) said.push('resumed paused nodes');
  return said.join('; ');
}

/** libvirt's state of each node's domain `<lab>-<node>` ('absent' when there is none). */
export async function domainStates(virsh, lab, nodes) {
  const states = {};
  for (const n of nodes) states[n] = lines(await virsh('domstate', `${lab}-${n}`))[0] ?? 'absent';
  return states;
}

/**
 * What a command left that it should not have: lock files, programs of a labforge still running, temp files (in
 * `tmp`, labforge's TMPDIR), a bystander network or volume gone. `after` is the lab's state now; 'absent' (after a
 * destroy) also looks for everything of the lab anywhere: domains, networks, pools and volumes in libvirt, files in
 * the pool's folder, the ownership record, Vagrant's machine ids, mux sockets and ssh masters, QEMU.
 * `opts`: { out, tmp, procs (procsOf), virsh (args => stdout), after, nodes, networks, pool, bystander: { network,
 * pool, volume } }.
 */
export async function leaks({ out, tmp, procs, virsh, after, nodes, networks, pool, bystander }) {
  const found = [];
  if (fs.existsSync(out))
    for (const f of fs.readdirSync(out)) if (f === '.lock' || f.startsWith('.lock.')) found.push(`lock file ${f}`);
  // Every program a labforge started ends with it, or is stopped by the next labforge (the one just run).
  for (const p of await procs('bin/labforge\\.js')) found.push(`labforge still running: ${p.slice(0, 80)}`);
  for (const p of await procs('bin/vagrant( |$)')) found.push(`vagrant still running: ${p.slice(0, 80)}`);
  for (const p of await procs('(^|/)virsh ')) found.push(`virsh still running: ${p.slice(0, 80)}`);
  for (const p of await procs('(^|/)packer ')) found.push(`packer still running: ${p.slice(0, 80)}`);
  // Packer's build VM: a QEMU working in the lab's Packer folder (its paths are relative to it). It outlives a Packer
  // that died with a killed labforge; the next bake stops it.
  const buildVms = [];
  for (const p of await procs('qemu-system')) {
    let cwd;
    try {
      cwd = fs.readlinkSync(`/proc/${p.split(' ')[0]}/cwd`);
    } catch {
      continue;
    }
    if (cwd === path.join(out, 'packer')) buildVms.push(p);
  }
  for (const p of buildVms) found.push(`Packer's build VM still running: ${p.slice(0, 60)}`);
  if (tmp && fs.existsSync(tmp)) for (const f of fs.readdirSync(tmp)) found.push(`temp ${f}`);
  // Bystanders: never touched.
  if (bystander) {
    if (!lines(await virsh('net-list', '--all', '--name')).includes(bystander.network))
      found.push('REMOVED the bystander network');
    if (!lines(await virsh('vol-list', '--pool', bystander.pool)).some((l) => l.startsWith(bystander.volume)))
      found.push('REMOVED the bystander volume');
  }
  if (after === 'absent') {
    for (const d of lines(await virsh('list', '--all', '--name'))) found.push(`domain ${d}`);
    for (const n of lines(await virsh('net-list', '--all', '--name')))
      if (networks.includes(n)) found.push(`network ${n}`);
    for (const p of lines(await virsh('pool-list', '--all', '--name'))) {
      if (p === bystander?.pool) continue;
      found.push(`pool ${p}`);
      for (const v of lines(await virsh('vol-list', '--pool', p)))
        found.push(`volume ${v.split(/\s+/)[0]} (pool ${p})`);
    }
    if (pool && fs.existsSync(pool) && fs.readdirSync(pool).length)
      found.push(`files in the pool folder: ${fs.readdirSync(pool).join(' ')}`);
    for (const f of ['.labforge-state.json', '.lock.children', 'known_hosts', '.labforge-known-hosts.json'])
      if (fs.existsSync(path.join(out, f))) found.push(`${f}`);
    const mux = path.join(out, '.mux');
    if (fs.existsSync(mux) && fs.readdirSync(mux).length) found.push(`mux sockets: ${fs.readdirSync(mux).join(' ')}`);
    for (const n of nodes)
      if (fs.existsSync(path.join(out, '.vagrant', 'machines', n, 'libvirt', 'id')))
        found.push(`.vagrant/machines/${n}/libvirt/id`);
    for (const p of await procs(`ControlPath=${out}`)) found.push(`ssh master: ${p.slice(0, 60)}`);
    for (const p of await procs('qemu-system')) if (!buildVms.includes(p)) found.push(`qemu: ${p.slice(0, 60)}`);
  }
  return found;
}
