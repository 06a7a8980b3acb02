// SIGTERM/SIGINT reach the tool labforge is running, and labforge exits after it does (128 + signal).
import fs from 'node:fs';
import path from 'node:path';
import { execa } from 'execa';
import { CLI, tempDir, writeLab } from '../support.js';

test.each([
  ['SIGTERM', 143],
  ['SIGINT', 130],
] as const)('%s is passed to a running packer build and labforge exits %i after it', async (signal, code) => {
  const dir = tempDir();
  const bin = path.join(dir, 'bin');
  fs.mkdirSync(bin);
  const marker = path.join(dir, 'packer-got');
  // A stand-in packer that reports its version, then "builds" until a signal arrives and records which one.
  fs.writeFileSync(
    path.join(bin, 'packer'),
    `#!/bin/bash\nif [ "$1" = version ]; then echo "Packer v1.6.6"; exit 0; fi\ntrap 'echo TERM > ${marker}; exit 143' TERM\ntrap 'echo INT > ${marker}; exit 130' INT\necho building\nwhile true; do sleep 1 & wait $!; done\n`,
    { mode: 0o755 },
  );
  const lab = writeLab('name: t\nvips: []\nnodes:\n  - { name: a, ip: 10.240.0.11 }\n', dir);
  const child = execa('node', [CLI, '--lab', lab, '--out', path.join(dir, 'out'), 'bake', '--force'], {
    env: { PATH: `${bin}:${process.env.PATH}`, VAGRANT_HOME: path.join(dir, 'vh'), CI: 'true' },
    reject: false,
    all: true,
  });
  // Wait until the stand-in is building, then signal labforge only (not its process group).
  const deadline = Date.now() + 30000;
  const logs = path.join(dir, 'out', 'logs');
  const building = () => fs.existsSync(logs) && fs.readdirSync(logs).some((f) => fs.readFileSync(path.join(logs, f), 'utf8').includes('building'));
  while (!building()) {
    if (Date.now() > deadline) throw new Error('the stand-in packer never started');
    await new Promise((r) => setTimeout(r, 100));
  }
  child.kill(signal);
  const r = await child;
  expect(fs.readFileSync(marker, 'utf8').trim()).toBe(signal === 'SIGTERM' ? 'TERM' : 'INT');
  expect(r.exitCode).toBe(code);
  expect(r.all).toContain('interrupted');
}, 60000);
