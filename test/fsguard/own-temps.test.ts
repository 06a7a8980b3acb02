// A labforge killed with SIGKILL during `packer build` runs no clean-up: its temp folder (Packer's TMPDIR) stays. The
// next build's folder carries its pid, and the folders of the same prefix whose pid is gone are removed first; a
// running process's folder, a link and another name are left alone (issue #23, bake kill points).
import fs from 'node:fs';
import path from 'node:path';
import { execa } from 'execa';
import { makeOwnPidTemp, sweepDeadTemps } from '../../src/fsguard/user-files.js';
import { tempDir } from '../support.js';

test("a dead pid's folder is swept before a new one is made; a live one, a link and other names stay", async () => {
  const parent = tempDir();
  // A pid that no longer runs: a process that has ended (and been waited for).
  const gone = (await execa('sh', ['-c', 'echo $$'])).stdout.trim();
  const dead = path.join(parent, `lf-build-${gone}-abc123`);
  fs.mkdirSync(path.join(dead, 'sub'), { recursive: true });
  fs.writeFileSync(path.join(dead, 'sub', 'packer_to_cdrom1'), 'x');
  const live = path.join(parent, `lf-build-1-live00`); // pid 1 always runs
  fs.mkdirSync(live);
  const target = tempDir();
  fs.symlinkSync(target, path.join(parent, `lf-build-${gone}-link00`));
  fs.mkdirSync(path.join(parent, `other-${gone}-x`));
  const mine = makeOwnPidTemp(parent, 'lf-build-');
  expect(path.basename(mine)).toMatch(new RegExp(`^lf-build-${process.pid}-`));
  expect(fs.existsSync(dead)).toBe(false);
  expect(fs.existsSync(live)).toBe(true);
  expect(fs.lstatSync(path.join(parent, `lf-build-${gone}-link00`)).isSymbolicLink()).toBe(true);
  expect(fs.existsSync(target)).toBe(true);
  expect(fs.existsSync(path.join(parent, `other-${gone}-x`))).toBe(true);
  // This process's own folder is never swept while it runs.
  expect(sweepDeadTemps(parent, 'lf-build-')).toEqual([]);
  expect(fs.existsSync(mine)).toBe(true);
});
