// A damaged state file (truncated as after a crash mid-write, emptied, not the shape labforge writes): the command
// ends with exit 2 naming the file and how to recover, never a raw JSON error, and touches nothing.
import fs from 'node:fs';
import path from 'node:path';
import { cli, ownershipRecord, tempDir, writeLab } from '../../support.js';

const GOOD = ownershipRecord('t');

test.each([
  ['truncated', GOOD.slice(0, 40), /is damaged \(.*JSON.*\)/],
  ['empty', '', /is damaged \(empty\)/],
  ['not an object', '[1, 2]', /is damaged \(not a JSON object\)/],
  ['a list that is not one', '{"domains": "a"}', /is damaged \("domains" is not a list\)/],
])(
  'an ownership record that is %s: destroy and snapshot list exit 2 naming it and the way out',
  async (_how, text, why) => {
    const dir = tempDir();
    const file = writeLab('name: t\nvips: []\nnodes:\n  - { name: a, ip: 10.240.0.11 }\n', dir);
    const out = path.join(dir, 'out');
    expect((await cli(['--lab', file, '--out', out, 'render'])).exitCode).toBe(0);
    const state = path.join(out, '.labforge-state.json');
    fs.writeFileSync(state, text);
    for (const args of [['destroy'], ['snapshot', 'list']]) {
      const r = await cli(['--lab', file, '--out', out, ...args]);
      expect(r.exitCode).toBe(2);
      expect(r.stderr).toContain(`${state} is damaged (`);
      expect(r.stderr).toMatch(why);
      expect(r.stderr).toContain('To recover: put back a good copy, or move it away');
      expect(r.stderr).not.toMatch(/SyntaxError|at JSON\.parse|TypeError/);
      expect(fs.readFileSync(state, 'utf8')).toBe(text);
      expect(fs.existsSync(path.join(out, '.lock'))).toBe(false);
    }
  },
);
