#!/usr/bin/env node
// npm run chaos: faults against a real two-node lab of Debian test-box nodes (TCG), in a libvirt environment of its
// own (network and mount namespaces with their own libvirtd: scripts/e2e-env.sh), and a table of what happened.
//
//   npm run chaos -- [--seed N] [--count N] [--plan LIST] [--no-libvirtd] [--no-lost-host] [--no-full-disk]
//                    [--report FILE.json]
//
// --seed N     the seed of the random kill points (printed at the start; the same seed replays the same points)
// --count N    how many random kill points (default 20)
// --plan LIST  instead of random points, exactly these, comma-separated (scripts/chaos-lab.js: parsePlan):
//              kill:halt@12.5, kill:snapshot-save@1, kill:up@40, libvirtd:up@30, lost-host, full-disk:snapshot-save
//
// Each kill point: labforge is killed with SIGKILL (only labforge: its Vagrant, virsh or ssh children live on, as
// after a crash) at a random moment of up, halt, snapshot save, snapshot restore, reset or destroy; then the same
// command is run again, and the lab is checked: in the state the command asks for (destroy: nothing of the lab in
// libvirt, the pool, the output folder's state or on the host) and nothing leaked (lock files, a program of the
// killed labforge still running, temp folders, ssh connection sockets). Then one libvirtd restart during up, one
// lost host (every QEMU process killed), one full disk (the pool on a small file system). The table at the end:
// fault, command, point, converged, what leaked. Exit 0 only when every point converged with nothing leaked.
// Needs root and what .ci/run installs (libvirtd, vagrant + vagrant-libvirt, packer, qemu, debootstrap).
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { execFileSync, spawn } from 'node:child_process';
import { labWork, testBoxImage } from './lab-env.js';

const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');
const args = process.argv.slice(2);
const opt = (name) => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
};
const known = new Set(['--seed', '--count', '--plan', '--report', '--no-libvirtd', '--no-lost-host', '--no-full-disk']);
for (let i = 0; i < args.length; i++) {
  if (!known.has(args[i])) {
    console.error(`chaos: unknown argument ${JSON.stringify(args[i])} (see the head of scripts/chaos.js)`);
    process.exit(2);
  }
  if (['--seed', '--count', '--plan', '--report'].includes(args[i])) i++;
}
const seed = opt('--seed') ?? String(crypto.randomInt(1, 2 ** 31));
if (!/^\d+$/.test(seed)) {
  console.error(`chaos: --seed must be a whole number, got ${JSON.stringify(seed)}`);
  process.exit(2);
}
const count = opt('--count') ?? '20';
if (!/^\d+$/.test(count)) {
  console.error(`chaos: --count must be a whole number, got ${JSON.stringify(count)}`);
  process.exit(2);
}

const why = [];
if (process.getuid?.() !== 0) why.push('root (network namespace, libvirtd)');
for (const tool of ['ip', 'libvirtd', 'virsh', 'vagrant', 'packer', 'qemu-system-x86_64', 'debootstrap', 'mkfs.ext4']) {
  try {
    execFileSync('sh', ['-c', `command -v ${tool}`], { stdio: 'ignore' });
  } catch {
    why.push(tool);
  }
}
if (why.length) {
  console.error(`chaos: this host lacks ${why.join(', ')} (.ci/run installs them)`);
  process.exit(3);
}

console.log(
  opt('--plan')
    ? `chaos: the points of --plan ${opt('--plan')}`
    : `chaos: seed ${seed} (replay with: npm run chaos -- --seed ${seed} --count ${count})`,
);
console.error('chaos: building (or reusing) the test box');
const image = testBoxImage(root);
const { work, ns, state, env } = labWork(root, 'chaos');
const result = opt('--report') ? path.resolve(opt('--report')) : path.join(work, 'result.json');
let child;
const stop = () => child?.kill('SIGINT');
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
let code = 1;
try {
  execFileSync('bash', [env, 'up', ns, state], { stdio: 'inherit' });
  code = await new Promise((resolve) => {
    child = spawn(
      'bash',
      [
        env,
        'exec',
        ns,
        state,
        process.execPath,
        path.join(root, 'scripts', 'chaos-lab.js'),
        JSON.stringify({
          work,
          image,
          seed: Number(seed),
          count: Number(count),
          plan: opt('--plan'),
          libvirtd: !args.includes('--no-libvirtd'),
          lostHost: !args.includes('--no-lost-host'),
          fullDisk: !args.includes('--no-full-disk'),
          ns,
          state,
          result,
        }),
      ],
      { stdio: 'inherit' },
    );
    child.on('exit', (c, sig) => resolve(c ?? (sig ? 130 : 1)));
  });
} finally {
  process.off('SIGINT', stop);
  // Whatever the lab left: the environment's down removes it (and says so).
  try {
    execFileSync('bash', [env, 'down', ns, state], { stdio: 'inherit' });
  } catch {
    code = code || 1;
  }
  if (!opt('--report') && fs.existsSync(result)) console.log(`chaos: result kept in ${result}`);
  // The full-disk file system is unmounted by chaos-lab.js; --one-file-system keeps rm out of one left mounted.
  for (const entry of fs.readdirSync(work)) {
    if (entry === 'result.json') continue;
    try {
      execFileSync('rm', ['-rf', '--one-file-system', path.join(work, entry)]);
    } catch {
      /* reported by the lab's own leak checks */
    }
  }
  if (opt('--report')) fs.rmSync(work, { recursive: true, force: true });
}
process.exit(code);
