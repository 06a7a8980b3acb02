// One command at a time per lab output directory.
import fs from 'node:fs';
import path from 'node:path';
import { UsageError } from './open.js';

export class LabLockedError extends UsageError {}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e: any) {
    return e.code === 'EPERM';
  }
}

/** Takes <out>/.lock or says who holds it; a lock whose process is gone is taken over. Returns the release. */
export function acquireLock(outDir: string, command: string): () => void {
  fs.mkdirSync(outDir, { recursive: true });
  const file = path.join(outDir, '.lock');
  const me = JSON.stringify({ pid: process.pid, command, started: new Date().toISOString() });
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      fs.writeFileSync(file, me, { flag: 'wx' });
      return () => fs.rmSync(file, { force: true });
    } catch (e: any) {
      if (e.code !== 'EEXIST') throw e;
      let holder: { pid: number; command: string; started: string } | undefined;
      try {
        holder = JSON.parse(fs.readFileSync(file, 'utf8'));
      } catch {
        holder = undefined;
      }
      if (holder && alive(holder.pid))
        throw new LabLockedError(`another labforge holds ${file}: \`labforge ${holder.command}\` (pid ${holder.pid}, started ${holder.started}); wait for it or stop it`);
      fs.rmSync(file, { force: true }); // stale: its process is gone
    }
  }
  throw new LabLockedError(`cannot take ${file}`);
}
