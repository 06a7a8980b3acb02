// What the scripts that boot a test lab share (npm run bench, npm run chaos): the test box image, built once and
// cached like the e2e's, and a work folder with the names of its network namespace and libvirt environment.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/** The test box's image (scripts/build-test-box.sh into .cache/test-box): its path, built when missing. */
export function testBoxImage(root) {
  return execFileSync(
    'bash',
    [path.join(root, 'scripts', 'build-test-box.sh'), path.join(root, '.cache', 'test-box')],
    { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] },
  )
    .trim()
    .split('\n')
    .pop();
}

/** The lab file's `image:` block for the test box as a local image (no update, a 2G disk, the bake VM's size
 *  under TCG), as lines. */
export function testBoxImageLines(image) {
  return ['image:', `  local: ${JSON.stringify(image)}`, '  update: false', '  disk: 2G', '  cpus: 1', '  memory: 1G'];
}

/** A new work folder `labforge-<name>-*` that libvirt's QEMU user can reach (the pool lives below it), the
 *  namespace `lf-<nsName>-<pid>`, its state folder and scripts/e2e-env.sh, which sets both up and takes them down. */
export function labWork(root, name, nsName = name) {
  const work = fs.mkdtempSync(path.join(os.tmpdir(), `labforge-${name}-`));
  fs.chmodSync(work, 0o755);
  const state = path.join(work, 'netns');
  fs.mkdirSync(state);
  return { work, ns: `lf-${nsName}-${process.pid}`, state, env: path.join(root, 'scripts', 'e2e-env.sh') };
}
