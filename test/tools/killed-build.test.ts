// A labforge killed with SIGKILL during `packer build` leaves Packer's build VM running: Packer dies with labforge (its
// output goes nowhere) and QEMU, no longer below a running Packer, is out of the ledger's reach (issue #23, the second
// chaos run's row 4). The next bake stops every process whose TMPDIR is a dead labforge's build folder, and only those.
import fs from 'node:fs';
import path from 'node:path';
import { execa } from 'execa';
import { sweepKilledBuilds } from '../../src/tools/packer.js';
import { tempDir } from '../support.js';

const running = (pid: number) => {
  try {
    const state = fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ')[0];
    return state !== 'Z' && state !== 'X';
  } catch {
    return false;
  }
};

/** Starts `sleep` orphaned (its parent shell exits at once, as Packer did), with TMPDIR=`tmpdir`; gives its pid. */
async function orphan(tmpdir: string): Promise<number> {
  const { stdout } = await execa('sh', ['-c', 'sleep 300 >/dev/null 2>&1 & echo $!'], { env: { TMPDIR: tmpdir } });
  return Number(stdout.trim());
}

test("the next bake stops what runs in a killed labforge's build folder, and nothing else", async () => {
  const parent = tempDir();
  const gone = Number((await execa('sh', ['-c', 'echo $$'])).stdout.trim());
  const dead = path.join(parent, `labforge-packer-build-${gone}-abc123`);
  const live = path.join(parent, `labforge-packer-build-${process.pid}-def456`); // a build that still runs (ours)
  fs.mkdirSync(dead);
  fs.mkdirSync(live);
  const buildVm = await orphan(dead);
  const ofLiveBuild = await orphan(live);
  const lookAlike = await orphan(`${dead}x`); // another folder whose name begins like the dead one's
  try {
    expect(running(buildVm)).toBe(true);
    const swept = await sweepKilledBuilds(parent);
    expect(swept.stopped.map((c) => [c.pid, c.tool])).toEqual([[buildVm, 'sleep']]);
    expect(swept.removed).toEqual([path.basename(dead)]);
    expect(running(buildVm)).toBe(false);
    expect(running(ofLiveBuild)).toBe(true);
    expect(running(lookAlike)).toBe(true);
    expect(fs.existsSync(live)).toBe(true);
    // Nothing left to do the second time.
    expect(await sweepKilledBuilds(parent)).toEqual({ stopped: [], removed: [] });
  } finally {
    for (const pid of [buildVm, ofLiveBuild, lookAlike]) if (running(pid)) process.kill(pid, 'SIGKILL');
  }
});
