// Two commands at once on one lab (#23 point 5): while one labforge holds the lab (a live holder in <out>/.lock), every
// command that changes the lab is refused at once with exit 2 naming the holder, and changes nothing.
import fs from 'node:fs';
import path from 'node:path';
import { spawn } from 'node:child_process';
import { cli, ownershipRecord, tempDir, writeLab } from '../../support.js';

const CHANGING = [
  ['up'],
  ['halt'],
  ['destroy', '--yes'],
  ['snapshot', 'save', 's1'],
  ['snapshot', 'restore', 's1'],
  ['snapshot', 'delete', 's1'],
  ['reset'],
  ['bake'],
];

test.each(CHANGING.map((a) => [a.join(' '), a] as const))(
  'labforge %s while `labforge up` holds the lab: exit 2 naming the holder, nothing changed',
  async (_name, args) => {
    const dir = tempDir();
    const file = writeLab('name: t\nvips: []\nnodes:\n  - { name: a, ip: 10.240.0.11 }\n', dir);
    const out = path.join(dir, 'out');
    // An output folder labforge owns, with a record as up leaves it.
    expect((await cli(['--lab', file, '--out', out, 'render'])).exitCode).toBe(0);
    fs.writeFileSync(path.join(out, '.labforge-state.json'), ownershipRecord('t'));
    const holder = spawn('sleep', ['60']);
    try {
      const lock = JSON.stringify({ pid: holder.pid, command: 'up', started: '2026-12-03T06:00:00Z' });
      fs.writeFileSync(path.join(out, '.lock'), lock);
      const before = fs.readdirSync(out).sort();
      const started = Date.now();
      const r = await cli(['--lab', file, '--out', out, ...args], { env: { CI: '' } });
      expect({ exit: r.exitCode, said: r.stderr }).toEqual({
        exit: 2,
        said: expect.stringContaining(`another labforge holds ${out}/.lock: \`labforge up\` (pid ${holder.pid}`),
      });
      expect(Date.now() - started).toBeLessThan(20000);
      expect(fs.readdirSync(out).sort()).toEqual(before);
      expect(fs.readFileSync(path.join(out, '.lock'), 'utf8')).toBe(lock);
      expect(fs.readFileSync(path.join(out, '.labforge-state.json'), 'utf8')).toBe(ownershipRecord('t'));
    } finally {
      holder.kill();
    }
  },
);
