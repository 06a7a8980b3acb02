// The pure half of `npm run chaos` (scripts/chaos-plan.js): a seed replays the same kill points, the plan walks the
// lab's states (no halt of a destroyed lab), --plan is read strictly, and the table keeps one row per line.
// @ts-expect-error -- a plain ES module of the repository's scripts, without types
import { describePlan, parsePlan, randomPlan, summary, table } from '../../scripts/chaos-plan.js';

interface Point {
  fault: string;
  after?: { moment: string; seconds: number };
  command?: string;
  fraction?: number;
  at?: number;
}

test('a seed gives the same points every time; another seed others; every fraction in [0, 1)', () => {
  const a: Point[] = randomPlan(1234, 40);
  expect(randomPlan(1234, 40)).toEqual(a);
  expect(describePlan(randomPlan(1235, 40))).not.toBe(describePlan(a));
  expect(a).toHaveLength(40);
  for (const p of a) expect(p.fraction).toBeGreaterThanOrEqual(0);
  for (const p of a) expect(p.fraction).toBeLessThan(1);
});

test('the random plan only asks what the lab can do from where it is', () => {
  const from: Record<string, string[]> = {
    running: ['halt', 'snapshot-save', 'snapshot-restore', 'reset', 'destroy'],
    halted: ['up', 'destroy'],
    absent: ['up', 'bake'],
  };
  const after: Record<string, string> = {
    up: 'running',
    halt: 'halted',
    'snapshot-save': 'running',
    'snapshot-restore': 'running',
    reset: 'running',
    destroy: 'absent',
    bake: 'absent',
  };
  for (const seed of [1, 2, 3, 99, 2 ** 31 - 1]) {
    let state = 'running';
    const seen = new Set<string>();
    for (const p of randomPlan(seed, 60) as Point[]) {
      expect(from[state]).toContain(p.command);
      seen.add(p.command!);
      state = after[p.command!];
    }
    expect([...seen].sort()).toEqual(Object.keys(after).sort());
  }
});

test('--plan: exact points; anything else is refused naming it', () => {
  expect(parsePlan('kill:halt@12.5, libvirtd:snapshot-save@1,lost-host@40,full-disk:up')).toEqual([
    { fault: 'kill', command: 'halt', at: 12.5 },
    { fault: 'libvirtd', command: 'snapshot-save', at: 1 },
    { fault: 'lost-host', command: 'up', at: 40 },
    { fault: 'full-disk', command: 'up', at: undefined },
  ]);
  expect(parsePlan('kill:bake@add,kill:bake@add+2.5,kill:bake@90')).toEqual([
    { fault: 'kill', command: 'bake', at: undefined, after: { moment: 'add', seconds: 1 } },
    { fault: 'kill', command: 'bake', at: undefined, after: { moment: 'add', seconds: 2.5 } },
    { fault: 'kill', command: 'bake', at: 90 },
  ]);
  expect(describePlan(parsePlan('kill:bake@add+2.5,kill:up@40'))).toBe('kill:bake@add+2.5, kill:up@40');
  expect(() => parsePlan('kill:bake@later')).toThrow('--plan: cannot read "kill:bake@later"');
  expect(() => parsePlan('kill:hlat@3')).toThrow('--plan: "hlat" is not one of');
  expect(() => parsePlan('reboot')).toThrow('--plan: cannot read "reboot"');
  expect(() => parsePlan('kill:halt@x')).toThrow('--plan: cannot read "kill:halt@x"');
  expect(parsePlan('full-disk:bake,full-disk:snapshot-save')).toEqual([
    { fault: 'full-disk', command: 'bake', at: undefined },
    { fault: 'full-disk', command: 'snapshot-save', at: undefined },
  ]);
  expect(() => parsePlan('full-disk:halt')).toThrow(
    '--plan: full-disk:halt: a full disk is a point of snapshot-save, up, bake',
  );
});

test('the table: one line per point, pipes in text escaped, what did not converge and what leaked spelled out', () => {
  const t: string = table([
    {
      fault: 'kill -9 labforge',
      command: 'halt',
      from: 'running',
      point: 'kill -9 at 3.1 s; last line: a | b',
      nextExit: 0,
      nextSeconds: 20.4,
      said: 'stopped vagrant (pid 7)',
      converged: true,
      why: '',
      leaked: [],
    },
    {
      fault: 'kill -9 labforge',
      command: 'destroy',
      from: 'halted',
      point: 'p\nq',
      nextExit: 1,
      nextSeconds: 2,
      said: '',
      converged: false,
      why: 'exit 1: x',
      leaked: ['lock file .lock', 'pool default'],
    },
    {
      fault: 'kill -9 labforge',
      command: 'reset',
      from: 'running',
      point: 'finished (exit 0) in 3.0 s, before the kill at 4.0 s',
      nextSeconds: 0,
      said: '',
      converged: true,
      why: '',
      leaked: [],
    },
  ]);
  const rows = t.split('\n');
  expect(rows).toHaveLength(5);
  expect(rows[2]).toBe(
    '| 1 | kill -9 labforge | halt (running) | kill -9 at 3.1 s; last line: a \\| b | exit 0, 20 s; stopped vagrant (pid 7) | yes | nothing |',
  );
  expect(rows[3]).toBe(
    '| 2 | kill -9 labforge | destroy (halted) | p q | exit 1, 2 s | **no**: exit 1: x | lock file .lock, pool default |',
  );
  // A command that ended before its kill is not run again.
  expect(rows[4]).toBe(
    '| 3 | kill -9 labforge | reset (running) | finished (exit 0) in 3.0 s, before the kill at 4.0 s | ' +
      'none: the command ended before the kill | yes | nothing |',
  );
});

test('the summary: one row per fault and command; a point that leaked is not counted clean', () => {
  const row = (fault: string, command: string, converged: boolean, leaked: string[], nextSeconds: number) => ({
    fault,
    command,
    converged,
    leaked,
    nextSeconds,
  });
  const text: string = summary([
    row('kill -9 labforge', 'halt', true, [], 12.2),
    row('kill -9 labforge', 'halt', true, ['temp x'], 30.6),
    row('kill -9 labforge', 'up', false, [], 100),
    row('kill -9 labforge', 'snapshot save c2', true, [], 20),
    row('kill -9 labforge', 'snapshot save c6', false, [], 22),
    row('lost host', 'up', true, [], 55),
  ]);
  expect(text.split('\n')).toEqual([
    '| fault | command | points | converged, nothing leaked | slowest next command |',
    '|---|---|---|---|---|',
    '| kill -9 labforge | halt | 2 | 1 | 31 s |',
    '| kill -9 labforge | up | 1 | 0 | 100 s |',
    '| kill -9 labforge | snapshot save | 2 | 1 | 22 s |',
    '| lost host | up | 1 | 1 | 55 s |',
    '| **all** | | **6** | **3** | |',
  ]);
});
