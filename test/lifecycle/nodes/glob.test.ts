// Run targets' globs (issue #18, class 4): matched in linear time without backtracking, with a length bound. Checked
// for correctness against a reference (the regular expression labforge used to build) on short random inputs, and on
// the inputs that made that expression backtrack forever; timing is left to `npm run bench`.
import path from 'node:path';
import { execa } from 'execa';
import fc from 'fast-check';
import { UsageError } from '../../../src/errors.js';
import { loadLabText } from '../../../src/lab/load.js';
import { GLOB_MAX_LENGTH, globMatch } from '../../../src/lifecycle/nodes/glob.js';
import { selectNodes } from '../../../src/lifecycle/nodes/select.js';
import { CLI, tempDir, writeLab } from '../../support.js';

/** The reference: a glob as a regular expression (correct, but it backtracks). */
const reference = (glob: string, name: string) =>
  new RegExp(
    `^${glob
      .replace(/[.+^${}()|[\]\\]/g, '\\$&')
      .replace(/\*/g, '[^]*')
      .replace(/\?/g, '[^]')}$`,
  ).test(name);

const LONG = `n${'a'.repeat(61)}1`; // a node name of the longest kind: 63 characters

test('property: the same answer as the regular expression on short patterns and names', () => {
  const pattern = fc.string({ unit: fc.constantFrom('a', 'b', '-', '*', '?'), maxLength: 10 });
  const name = fc.string({ unit: fc.constantFrom('a', 'b', '-'), maxLength: 12 });
  fc.assert(
    fc.property(pattern, name, (p, n) => globMatch(p, n) === reference(p, n)),
    { numRuns: 20000 },
  );
  // Names built to match a pattern: its stars and ?s filled in.
  fc.assert(
    fc.property(
      pattern,
      fc.array(fc.string({ unit: fc.constantFrom('a', 'b'), maxLength: 4 }), { minLength: 11, maxLength: 11 }),
      (p, fills) => {
        let i = 0;
        const n = p.replace(/[*?]/g, (c) => (c === '*' ? fills[i++] : (fills[i++] + 'a').slice(0, 1)));
        expect(globMatch(p, n)).toBe(true);
      },
    ),
    { numRuns: 5000 },
  );
});

test('10000 stars against long names: the right answer (a regular expression would not come back)', () => {
  const stars = '*'.repeat(10000);
  expect(globMatch(stars, 'a'.repeat(100000))).toBe(true);
  expect(globMatch(`${stars}x`, 'a'.repeat(100000))).toBe(false);
  expect(globMatch(`${'*a'.repeat(5000)}*`, 'a'.repeat(100000))).toBe(true);
  expect(globMatch(`${'*a'.repeat(5000)}*`, 'a'.repeat(4999))).toBe(false);
  expect(globMatch(`${'*?'.repeat(3000)}*b`, `${'a'.repeat(50000)}b`)).toBe(true);
  expect(globMatch(`${'*?'.repeat(3000)}*b`, `${'a'.repeat(2999)}b`)).toBe(false);
});

test('globs on known names', () => {
  for (const [p, n, m] of [
    ['controller*', 'controller1', true],
    ['controller*', 'worker1', false],
    ['*1', 'etcd1', true],
    ['e?cd*', 'etcd12', true],
    ['e?cd?', 'etcd12', false],
    ['*', '', true],
    ['', '', true],
    ['?', '', false],
    ['a*b*c', 'abc', true],
    ['a*b*c', 'acb', false],
    ['*ab*ab*', 'abab', true],
    ['*ab*ab*', 'aba', false],
  ] as const)
    expect([p, n, globMatch(p, n)]).toEqual([p, n, m]);
});

describe('targets', () => {
  const dir = '/tmp/glob-test';
  const { lab } = loadLabText(
    `name: t\nvips: []\nnodes:\n  - { name: ${LONG}, ip: 10.240.0.11 }\n  - { name: worker1, ip: 10.240.0.12 }\n`,
    path.join(dir, 'lab.yaml'),
  );

  test('a glob of many stars against a 63-character node name: answered (the names it matches, or exit 2)', () => {
    expect(selectNodes(lab, '*'.repeat(GLOB_MAX_LENGTH)).map((n) => n.name)).toEqual([LONG, 'worker1']);
    expect(() => selectNodes(lab, `${'*'.repeat(200)}x`)).toThrow(UsageError);
    expect(() => selectNodes(lab, `${'*'.repeat(200)}x`)).toThrow(`targets: "${'*'.repeat(200)}x" names no node`);
    expect(selectNodes(lab, `n${'*a'.repeat(60)}*1`).map((n) => n.name)).toEqual([LONG]);
  });

  test(`an entry longer than ${GLOB_MAX_LENGTH} characters is exit 2 naming its length and the bound`, () => {
    const word = '*'.repeat(GLOB_MAX_LENGTH + 1);
    expect(() => selectNodes(lab, `worker1,${word}`)).toThrow(
      `targets: an entry of ${GLOB_MAX_LENGTH + 1} characters ("${'*'.repeat(20)}"...) is longer than the ${GLOB_MAX_LENGTH}`,
    );
  });

  test("labforge run with a backtracking target (the issue's example) answers at once: exit 2, nothing run", async () => {
    const d = tempDir();
    const file = writeLab(`name: t\nvips: []\nnodes:\n  - { name: ${LONG}, ip: 10.240.0.11 }\n`, d);
    // A time limit of its own: the regular expression this replaced never came back, in a synchronous loop.
    const r = await execa(
      'node',
      [CLI, '--lab', file, '--out', path.join(d, 'out'), 'run', `${'*'.repeat(40)}x`, '--', 'true'],
      {
        env: { NO_COLOR: '1', LABFORGE_OFFLINE: '1' },
        reject: false,
        timeout: 60000,
      },
    );
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toContain('names no node of lab t');
  });
});
