// destroy asks before it removes anything, against a real libvirtd in the test's own network namespace: --dry-run
// prints the plan and removes nothing; without a terminal and without --yes it refuses (exit 2, naming --yes); on a
// terminal (a pseudo-terminal from `script`) it lists what it removes and asks: "n" keeps everything, "y" removes
// it; CI mode and --yes go on without asking.
import fs from 'node:fs';
import path from 'node:path';
import { execa } from 'execa';
import { LAYOUT } from '../../src/layout.js';
import { useNetns } from '../netns.js';
import { CLI, cli, requireTool, tempDir, writeLab } from '../support.js';

const ns = useNetns('lf-confirm');
const LAB = 'name: cf\nvips: []\nnodes:\n  - { name: a, ip: 10.240.0.11 }\n';
let dir: string;
let lab: string;
let out: string;

const virsh = async (...args: string[]) => (await ns().virsh(...args)).trim();

/** Defines domain cf-a and records it as the lab's (the id Vagrant writes), in an output folder labforge owns. */
async function labWithDomain(): Promise<void> {
  const uuid = await ns().defineDomain('cf-a');
  const idDir = path.join(out, '.vagrant', 'machines', 'a', 'libvirt');
  fs.mkdirSync(idDir, { recursive: true });
  fs.writeFileSync(path.join(idDir, 'id'), `${uuid}\n`);
}

const domains = async () => (await virsh('list', '--all', '--name')).split('\n').filter(Boolean);
/** labforge run without CI mode (whatever the test runner's environment says). */
const labforge = (args: string[], env: Record<string, string> = {}) =>
  cli(['--lab', lab, '--out', out, ...args], { env: { CI: '', ...env } });

/** labforge on a pseudo-terminal (util-linux `script`), with `answer` typed in. */
function onTerminal(args: string[], answer: string) {
  const line = ['node', CLI, '--lab', lab, '--out', out, ...args].map((a) => `'${a.replace(/'/g, `'\\''`)}'`).join(' ');
  return execa('script', ['-qfec', line, '/dev/null'], {
    input: answer,
    env: { CI: '', NO_COLOR: '1', LABFORGE_OFFLINE: '1' },
    reject: false,
    timeout: 60000,
  });
}

beforeAll(() => {
  requireTool('script');
  dir = tempDir('labforge-confirm-');
  fs.chmodSync(dir, 0o755);
  lab = writeLab(LAB, dir);
  out = path.join(dir, 'out');
  fs.mkdirSync(out);
  fs.writeFileSync(path.join(out, LAYOUT.owner), JSON.stringify({ tool: 'labforge', lab: 'cf', claimed: 'now' }));
});

afterAll(async () => {
  await ns().virshQuiet('undefine', 'cf-a');
});

test('--dry-run prints the plan (text and JSON) and removes nothing', async () => {
  await labWithDomain();
  const r = await labforge(['destroy', '--dry-run']);
  expect(r.exitCode).toBe(0);
  expect(r.stdout).toBe('destroy of lab cf (qemu:///system) removes:\n  domains: cf-a');
  const j = await labforge(['destroy', '--dry-run', '--json']);
  expect(JSON.parse(j.stdout)).toMatchObject({ lab: 'cf', domains: ['cf-a'], volumes: [], networks: [] });
  expect(await domains()).toContain('cf-a');
});

test('no terminal, no --yes, not CI: exit 2 naming --yes, nothing removed', async () => {
  const r = await labforge(['destroy']);
  expect(r.exitCode).toBe(2);
  expect(r.stderr).toBe(
    'destroy: standard input is not a terminal to ask on; give --yes to go on without asking (or run in CI mode)',
  );
  expect(await domains()).toContain('cf-a');
});

test('on a terminal: the plan and a question; "n" removes nothing (exit 1), "y" destroys', async () => {
  const no = await onTerminal(['destroy'], 'n\n');
  expect(no.stdout).toContain('destroy of lab cf (qemu:///system) removes:');
  expect(no.stdout).toContain('domains: cf-a');
  expect(no.stdout).toContain('Destroy lab cf? [y/N]');
  expect(no.stdout).toContain('destroy of lab cf not confirmed; nothing removed');
  expect(no.exitCode).toBe(1);
  expect(await domains()).toContain('cf-a');

  const yes = await onTerminal(['destroy'], 'y\n');
  expect(yes.stdout).toContain('labforge: destroyed lab cf (also removed domain cf-a)');
  expect(yes.exitCode).toBe(0);
  expect(await domains()).not.toContain('cf-a');
});

test('CI mode goes on without asking; --yes --json gives the result as JSON', async () => {
  await labWithDomain();
  const ci = await labforge(['destroy'], { CI: 'true' });
  expect(ci.exitCode).toBe(0);
  expect(ci.stdout).toContain('labforge: destroyed lab cf (also removed domain cf-a)');
  expect(await domains()).not.toContain('cf-a');

  await labWithDomain();
  const j = await labforge(['destroy', '--yes', '--json']);
  expect(j.exitCode).toBe(0);
  expect(JSON.parse(j.stdout)).toEqual({ lab: 'cf', removed: ['domain cf-a'], kept: [] });
  expect(await domains()).not.toContain('cf-a');
});
