// Point 8 of the chaos run of 2026-12-03 (docs/faults.md): an `up` killed 23 s in left both domains running and
// booting; the next up waited for their management leases, then ran `vagrant provision`, which Vagrant answered at
// once with "Guest-specific operations were attempted on a machine that is not ready for guest communication" (the
// guests' sshd was not up yet; `vagrant provision`, unlike `vagrant up`, does not wait for it). provisionBooted asks
// again until the boot time-out. A stand-in vagrant says what the real one said.
import fs from 'node:fs';
import path from 'node:path';
import { BootTimeoutError, ToolError } from '../../../src/errors.js';
import { loadLabFile } from '../../../src/lab/load.js';
import { provisionBooted } from '../../../src/lifecycle/nodes/boot.js';
import type { RenderContext } from '../../../src/render/context.js';
import { tempDir, writeLab } from '../../support.js';

const NOT_READY =
  '==> node1: Running provisioner: lab-files (file)...\n' +
  'Guest-specific operations were attempted on a machine that is not\n' +
  'ready for guest communication. This should not happen and a bug\n' +
  'should be reported.';

/** A lab, and a stand-in vagrant on PATH that fails `notReady` times with Vagrant's words (then with `then`, or
 *  succeeds), counting its calls. */
function setup(notReady: number, then?: string) {
  const dir = tempDir();
  const bin = path.join(dir, 'bin');
  fs.mkdirSync(bin);
  fs.writeFileSync(path.join(dir, 'not-ready'), NOT_READY);
  fs.writeFileSync(
    path.join(bin, 'vagrant'),
    [
      '#!/bin/sh',
      `n=$(cat '${dir}/calls' 2>/dev/null || echo 0); n=$((n + 1)); echo $n > '${dir}/calls'`,
      `echo "$*" >> '${dir}/args'`,
      `if [ $n -le ${notReady} ]; then cat '${dir}/not-ready' >&2; exit 1; fi`,
      then ? `echo '${then}' >&2; exit 1` : 'exit 0',
      '',
    ].join('\n'),
    { mode: 0o755 },
  );
  const saved = process.env.PATH;
  process.env.PATH = `${bin}:${saved}`;
  const file = writeLab('name: t\nvips: []\nnodes:\n  - { name: node1, ip: 10.240.0.11 }\n', dir);
  // vagrant runs in the output folder.
  fs.mkdirSync(path.join(dir, 'out'));
  const lab = loadLabFile(file, { outDir: path.join(dir, 'out') }).lab;
  const calls = () => Number(fs.readFileSync(path.join(dir, 'calls'), 'utf8'));
  const restore = () => (process.env.PATH = saved);
  /** What provisionBooted threw, with these limits. */
  const failure = async (limits: { timeoutS: number; pollS: number }): Promise<unknown> => {
    try {
      await provisionBooted(lab, ctx, ['node1'], {}, limits);
    } catch (e) {
      return e;
    } finally {
      restore();
    }
    return undefined;
  };
  return { dir, lab, calls, restore, failure };
}

const ctx = {} as RenderContext;

test('a guest not ready for Vagrant yet is asked again until it is; each wait is said', async () => {
  const { lab, calls, restore, dir } = setup(2);
  const said: string[] = [];
  try {
    await provisionBooted(lab, ctx, ['node1'], { onLine: (l) => said.push(l) }, { timeoutS: 10, pollS: 0.05 });
  } finally {
    restore();
  }
  expect(calls()).toBe(3);
  expect(fs.readFileSync(path.join(dir, 'args'), 'utf8')).toBe('provision node1\nprovision node1\nprovision node1\n');
  expect(said.filter((l) => /not answering/.test(l))).toEqual([
    "node1: not answering Vagrant's ssh yet (still booting): again in 0.05 s",
    "node1: not answering Vagrant's ssh yet (still booting): again in 0.05 s",
  ]);
});

test('never ready by the boot time-out: exit 1 naming the node and host.boot_timeout, with its console', async () => {
  const { calls, failure } = setup(1000);
  const e = await failure({ timeoutS: 0.3, pollS: 0.05 });
  expect(e).toBeInstanceOf(BootTimeoutError);
  expect((e as Error).message).toMatch(
    new RegExp(
      "^node1 did not answer Vagrant's ssh within 0\\.3 s \\(host\\.boot_timeout\\), so Vagrant cannot provision it:\\n" +
        'node1: its console \\(logs/node1-console\\.log\\) ends with:\\n {4}\\(no console log\\)$',
    ),
  );
  expect(calls()).toBeGreaterThan(1);
});

test("any other failure of vagrant provision is Vagrant's, at once", async () => {
  const { calls, failure } = setup(0, 'The SSH command responded with a non-zero exit status.');
  const e = await failure({ timeoutS: 10, pollS: 0.05 });
  expect(e).toBeInstanceOf(ToolError);
  expect((e as ToolError).tail).toContain('non-zero exit status');
  expect(calls()).toBe(1);
});
