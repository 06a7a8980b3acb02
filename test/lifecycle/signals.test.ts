// SIGTERM/SIGINT reach the tool labforge is running, and labforge exits after it does (128 + signal).
import fs from 'node:fs';
import path from 'node:path';
import { execa } from 'execa';
import { CLI, standInPacker } from '../support.js';

test.each([
  ['SIGTERM', 143],
  ['SIGINT', 130],
] as const)(
  '%s is passed to a running packer build and labforge exits %i after it',
  async (signal, code) => {
    // A stand-in packer that reports its version, then "builds" until a signal arrives and records which one.
    const { dir, lab, env } = standInPacker(
      [
        'if [ "$1" = version ]; then echo "Packer v1.6.6"; exit 0; fi',
        `trap 'echo TERM > "$STANDIN_DIR/packer-got"; exit 143' TERM`,
        `trap 'echo INT > "$STANDIN_DIR/packer-got"; exit 130' INT`,
        'echo building',
        'while true; do sleep 1 & wait $!; done',
      ].join('\n'),
    );
    const marker = path.join(dir, 'packer-got');
    const child = execa('node', [CLI, '--lab', lab, '--out', path.join(dir, 'out'), 'bake', '--force'], {
      env,
      reject: false,
      all: true,
    });
    // Wait until the stand-in is building, then signal labforge only (not its process group).
    const deadline = Date.now() + 30000;
    const logs = path.join(dir, 'out', 'logs');
    const building = () =>
      fs.existsSync(logs) &&
      fs.readdirSync(logs).some((f) => fs.readFileSync(path.join(logs, f), 'utf8').includes('building'));
    while (!building()) {
      if (Date.now() > deadline) throw new Error('the stand-in packer never started');
      await new Promise((r) => setTimeout(r, 100));
    }
    child.kill(signal);
    const r = await child;
    expect(fs.readFileSync(marker, 'utf8').trim()).toBe(signal === 'SIGTERM' ? 'TERM' : 'INT');
    expect(r.exitCode).toBe(code);
    expect(r.all).toContain('interrupted');
  },
  60000,
);
