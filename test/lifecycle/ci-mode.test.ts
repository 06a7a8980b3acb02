// Non-interactive mode (CI=true or --ci): a host that cannot run a lab ends up/bake with exit code 3 and doctor's
// reasons (apart from a broken lab's 1), and every step is one timestamped line, then a summary, also written to
// $GITHUB_STEP_SUMMARY.
import fs from 'node:fs';
import path from 'node:path';
import { execa } from 'execa';
import { runSteps, stepLine, stepsSummary } from '../../src/lifecycle/steps.js';
import { HostNotReadyError } from '../../src/errors.js';
import { CLI, tempDir, writeLab } from '../support.js';

/** labforge run by node's own path with a PATH of one empty folder: no virsh, vagrant, packer, qemu-img, ssh. */
async function withoutTools(args: string[], env: Record<string, string> = {}) {
  const dir = tempDir();
  const bin = path.join(dir, 'empty-bin');
  fs.mkdirSync(bin);
  const lab = writeLab('name: t\nvips: []\nnodes:\n  - { name: a, ip: 10.240.0.11 }\n', dir);
  return execa(process.execPath, [CLI, '--lab', lab, ...args], {
    env: { PATH: bin, NO_COLOR: '1', ...env },
    extendEnv: false,
    reject: false,
    all: true,
  });
}

test.each([
  ['--ci up', ['--ci', 'up'], {}],
  ['CI=true up', ['up'], { CI: 'true' }],
  ['CI=true bake', ['bake'], { CI: 'true' }],
])(
  '%s on a host without libvirt, Vagrant and Packer exits 3 with the reasons doctor gives and `labforge setup` as the fix',
  async (_name, args, env) => {
    const r = await withoutTools(args, env);
    expect(r.exitCode).toBe(3);
    expect(r.stderr).toMatch(/^labforge: this host cannot run lab t \(labforge doctor\):/);
    expect(r.stderr).toMatch(/FAIL {2}vagrant: vagrant is not installed/);
    expect(r.stderr).toMatch(/FAIL {2}packer: HashiCorp's Packer is not installed/);
    expect(r.stderr).toContain('fix: run `labforge setup`');
    if (args.includes('up')) expect(r.stderr).toMatch(/FAIL {2}libvirt: cannot reach libvirtd/);
  },
);

test('CI=true bake with a Vagrant whose keys/ folder is missing exits 3, naming the folder it looked in', async () => {
  const dir = tempDir();
  const bin = path.join(dir, 'bin');
  fs.mkdirSync(bin);
  const root = path.join(dir, 'vagrant-root');
  fs.mkdirSync(root);
  // A vagrant that answers as Vagrant does, from a folder without keys/.
  fs.writeFileSync(
    path.join(bin, 'vagrant'),
    '#!/bin/sh\ncase "$1" in --version) echo "Vagrant 2.3.4" ;; ' +
      `*) echo "DEBUG global: Loading core plugin: ${root}/plugins/hosts/linux/plugin.rb" >&2 ;; esac\n`,
    { mode: 0o755 },
  );
  const lab = writeLab('name: t\nvips: []\nnodes:\n  - { name: a, ip: 10.240.0.11 }\n', dir);
  const r = await execa(process.execPath, [CLI, '--lab', lab, 'bake'], {
    env: { PATH: `${bin}:/usr/bin:/bin`, NO_COLOR: '1', CI: 'true', XDG_CACHE_HOME: path.join(dir, 'cache') },
    extendEnv: false,
    reject: false,
    all: true,
  });
  expect(r.exitCode).toBe(3);
  expect(r.stderr).toContain(`FAIL  Vagrant keys: Vagrant's insecure keys (in the Vagrant at ${root}): cannot read`);
});

test('without CI mode up runs doctor too (exit code 3), and doctor itself exits 3 when a check fails', async () => {
  const up = await withoutTools(['up']);
  expect(up.exitCode).toBe(3);
  expect(up.stderr).toMatch(/^labforge: this host cannot run lab t \(labforge doctor\):\n/);
  const doctor = await withoutTools(['doctor']);
  expect(doctor.exitCode).toBe(3);
  expect(doctor.stdout).toMatch(/FAIL {2}packer: HashiCorp's Packer is not installed/);
  expect(new HostNotReadyError('x').exitStatus).toBe(3);
});

test('a broken lab file is still exit code 2 in CI mode, before any host check', async () => {
  const dir = tempDir();
  const lab = writeLab('name: t\nnodes:\n  - { name: a, ip: 10.9.0.1 }\n', dir);
  const r = await execa(process.execPath, [CLI, '--lab', lab, '--ci', 'up'], { reject: false, all: true });
  expect(r.exitCode).toBe(2);
  expect(r.stderr).toContain('nodes[0].ip');
});

describe('steps in CI mode', () => {
  const saved = { CI: process.env.CI, GITHUB_STEP_SUMMARY: process.env.GITHUB_STEP_SUMMARY };
  afterEach(() => {
    for (const [k, v] of Object.entries(saved))
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
  });

  test('one timestamped line per step (done, skipped, failed), a final summary, and a wall-time table in the job summary', async () => {
    const summary = path.join(tempDir(), 'summary.md');
    process.env.CI = 'true';
    process.env.GITHUB_STEP_SUMMARY = summary;
    const printed: string[] = [];
    const original = console.log;
    console.log = (line: string) => void printed.push(line);
    try {
      await expect(
        runSteps<object>(
          [
            {
              title: 'Render',
              task: async (_c, progress) => (progress('tool output goes to the log, not here'), 'ok'),
            },
            {
              title: 'Check plugins',
              skip: () => 'Packer 1.6.6 has the qemu builder built in',
              task: async () => undefined,
            },
            {
              title: 'Build',
              task: async () => {
                throw new Error('packer failed: `packer build .` exited with code 1\n    Build errored');
              },
            },
            { title: 'Never', task: async () => 'not reached' },
          ],
          {},
        ),
      ).rejects.toThrow('packer failed');
    } finally {
      console.log = original;
    }
    const ts = '\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\.\\d{3}Z';
    expect(printed).toHaveLength(4);
    expect(printed[0]).toMatch(new RegExp(`^${ts} \\[DONE\\] Render: ok \\(\\d+\\.\\d s\\)$`));
    expect(printed[1]).toMatch(
      new RegExp(`^${ts} \\[SKIPPED\\] Packer 1.6.6 has the qemu builder built in \\(Check plugins\\)$`),
    );
    expect(printed[2]).toMatch(
      new RegExp(`^${ts} \\[FAILED\\] Build: packer failed: \`packer build .\` exited with code 1 \\(\\d+\\.\\d s\\)$`),
    );
    expect(printed[3]).toMatch(/^labforge: 3 steps: 1 done, 1 skipped, 1 failed in \d+\.\d s \(failed: Build\)$/);
    const md = fs.readFileSync(summary, 'utf8');
    expect(md).toContain('| labforge step | result | wall time |');
    expect(md).toMatch(/\| Render \| done: ok \| \d+\.\d s \|/);
    expect(md).toContain('| Build | failed: packer failed: `packer build .` exited with code 1 |');
  });

  test('the line and summary formats', () => {
    const at = new Date('2026-11-26T08:00:00.000Z');
    expect(stepLine({ title: 'Start 9 nodes', outcome: 'done', note: 'all running', seconds: 45.25 }, at)).toBe(
      '2026-11-26T08:00:00.000Z [DONE] Start 9 nodes: all running (45.3 s)',
    );
    expect(stepsSummary([{ title: 'a', outcome: 'done', seconds: 1 }])).toBe(
      'labforge: 1 step: 1 done, 0 skipped, 0 failed in 1.0 s',
    );
  });
});
