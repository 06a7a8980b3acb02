// A lock on a shared file that labforge changes by read, change and replace (the workstation's /etc/hosts and
// ~/.ssh/config, which several labs edit): a lock file beside it, `.<name>.labforge-lock`, made by exclusive create
// (complete, then hard-linked into place) and holding the holder's pid and process start time. A lock whose process
// is gone (or whose pid now belongs to another process) is stale and taken over (state/mutex.ts, the same mechanism as
// the output folder's own lock). A live holder is waited for, up to SHARED_FILE_LOCK_WAIT_S, so two labs installing at
// once both end with their blocks in.
import fs from 'node:fs';
import path from 'node:path';
import { LabBusyError } from '../../errors.js';
import { FileLayer } from '../../fsguard/layer.js';
import { SHARED_FILE_LOCK_WAIT_S } from '../../time-limits.js';
import { tryLock } from '../state/mutex.js';

/** The lock file of `file`: beside the file itself (through a link, beside what it points to, where the change is
 *  made), so every path to the same file takes the same lock. */
export function lockFileOf(file: string): string {
  const real = fs.existsSync(file) ? fs.realpathSync(file) : path.resolve(file);
  return path.join(path.dirname(real), `.${path.basename(real)}.labforge-lock`);
}

/** Runs `change` (synchronous: read, change, atomic replace) holding the lock of `file`; waits for another holder up
 *  to `waitS` seconds, then fails naming it (exit 2). `create`: the file may be created, and its folder with it
 *  (0700, as ~/.ssh); otherwise a missing folder is left to `change` to report. */
export async function withFileLock<T>(
  file: string,
  command: string,
  change: () => T,
  opts: { create: boolean; waitS?: number },
): Promise<T> {
  const waitS = opts.waitS ?? SHARED_FILE_LOCK_WAIT_S;
  const lock = lockFileOf(file);
  if (!fs.existsSync(path.dirname(lock))) {
    if (!opts.create) return change();
    const { layer, name } = FileLayer.beside(path.dirname(lock));
    layer.mkdir(name, 0o700);
  }
  const deadline = Date.now() + waitS * 1000;
  let delay = 5;
  for (;;) {
    const got = tryLock(lock, command);
    if ('release' in got) {
      try {
        return change();
      } finally {
        got.release();
      }
    }
    if (Date.now() >= deadline)
      throw new LabBusyError(
        `${file} is being changed by another labforge: \`labforge ${got.holder.command}\` (pid ${got.holder.pid}, ` +
          `started ${got.holder.started}) holds ${lock}; waited ${waitS} s. Try again when it has finished`,
      );
    await new Promise((r) => setTimeout(r, delay));
    delay = Math.min(delay * 2, 200);
  }
}
