// Lab snapshots, the pure parts: names, which domain is a node's (by the UUID recorded, never by name), what save
// and restore refuse, the list, the clock fix; and the CLI's refusals, which write nothing.
import fs from 'node:fs';
import path from 'node:path';
import { loadLabText } from '../../../src/lab/load.js';
import { emptyRecord, type OwnershipRecord } from '../../../src/lifecycle/state/ownership.js';
import {
  baselineLacks,
  baselineMissing,
  clockCommand,
  formatSnapshotRows,
  parseClockAnswer,
  planRestore,
  planSave,
  snapshotNameProblem,
  snapshotRows,
} from '../../../src/lifecycle/snapshots/plan.js';
import { type LiveDomain, resolveNodes } from '../../../src/lifecycle/nodes/domains.js';
import { SnapshotError, UsageError } from '../../../src/errors.js';
import { cli, tempDir, writeLab } from '../../support.js';

const LAB = 'name: t\nvips: []\nnodes:\n  - { name: a, ip: 10.240.0.11 }\n  - { name: b, ip: 10.240.0.12 }\n';
const lab = loadLabText(LAB, '/tmp/snap/lab.yaml', { outDir: '/tmp/snap/out' }).lab;
const UA = '11111111-1111-1111-1111-111111111111';
const UB = '22222222-2222-2222-2222-222222222222';
const OTHER = '33333333-3333-3333-3333-333333333333';

function record(more: Partial<OwnershipRecord> = {}): OwnershipRecord {
  return {
    ...emptyRecord('t', 'qemu:///system'),
    domains: [
      { node: 'a', uuid: UA, name: 't-a' },
      { node: 'b', uuid: UB, name: 't-b' },
    ],
    ...more,
  };
}
const live: LiveDomain[] = [
  { uuid: UA, name: 't-a', state: 'running' },
  { uuid: UB, name: 't-b', state: 'shut off' },
];
const complete = (
  name: string,
  parts = [
    { node: 'a', uuid: UA, state: 'running', taken: true },
    { node: 'b', uuid: UB, state: 'shutoff', taken: true },
  ],
) => ({
  name,
  createdAt: '2026-11-26T10:00:00Z',
  status: 'complete' as const,
  parts,
});

describe('snapshot names', () => {
  test.each(['baseline', 's1', 'before-upgrade', 'v1.2_rc3', 'A', 'x'.repeat(64)])('%j is a name', (name) => {
    expect(snapshotNameProblem(name)).toBeUndefined();
  });
  test.each([
    '',
    ' ',
    'a b',
    'a;b',
    '$(id)',
    '`id`',
    'a"b',
    "a'b",
    '<x>',
    'a&b',
    'a/b',
    '-a',
    '.a',
    '_a',
    'a\nb',
    'a\tb',
    'a\u0000b',
    'a\u001b[31m',
    'ä',
    'x'.repeat(65),
    '#{x}',
    'a|b',
  ])('%j is refused, naming the value', (name) => {
    const problem = snapshotNameProblem(name);
    expect(problem).toBe(
      `must be 1-64 letters, digits, '.', '_' or '-', starting with a letter or digit, got ${JSON.stringify(name)}`,
    );
    // The value is quoted as JSON: a control character shows as an escape, never raw.
    // eslint-disable-next-line no-control-regex -- no control character may reach the message
    expect(problem).not.toMatch(/[\u0000-\u0008\u000a-\u001f]/);
  });
});

describe("which domain is a node's", () => {
  test('the recorded UUID that exists now; a node without one is not created', () => {
    const { nodes, refused } = resolveNodes(lab, record(), [live[0]]);
    expect(nodes).toEqual([{ node: 'a', domain: live[0] }, { node: 'b' }]);
    expect(refused).toEqual([]);
  });

  test("a domain with the node's domain name but another UUID is refused and never used", () => {
    const impostor = { uuid: OTHER, name: 't-b', state: 'running' };
    const { nodes, refused } = resolveNodes(lab, record(), [live[0], impostor]);
    expect(nodes[1]).toEqual({ node: 'b' });
    expect(refused).toEqual([
      `domain t-b (${OTHER}) is not the domain labforge recorded for node b (${UB}): labforge leaves it alone`,
    ]);
    const none = resolveNodes(lab, undefined, [impostor]);
    expect(none.refused).toEqual([
      `domain t-b (${OTHER}) is not the domain labforge recorded for node b (none recorded): labforge leaves it alone`,
    ]);
  });
});

describe('save', () => {
  const resolved = resolveNodes(lab, record(), live).nodes;

  test('takes every node, running or shut off', () => {
    expect(planSave(record(), resolved, 's1').map((n) => n.node)).toEqual(['a', 'b']);
  });

  test('a name the lab has is a usage error (exit 2) naming it; an interrupted save is taken again, an interrupted delete refused', () => {
    const r = record({ snapshots: [complete('s1'), { ...complete('s2'), status: 'saving' }] });
    const e = (() => {
      try {
        planSave(r, resolved, 's1');
      } catch (err) {
        return err as UsageError;
      }
    })();
    expect(e).toBeInstanceOf(UsageError);
    expect(e!.exitStatus).toBe(2);
    expect(e!.message).toBe(
      'snapshot save: lab t already has a snapshot "s1" (taken 2026-11-26T10:00:00Z); delete it first or choose another name',
    );
    // One left by an interrupted save is taken again, whole, by the same save; one left by a delete is refused.
    expect(planSave(r, resolved, 's2').map((n) => n.node)).toEqual(['a', 'b']);
    const deleting = record({ snapshots: [{ ...complete('s3'), status: 'deleting' }] });
    expect(() => planSave(deleting, resolved, 's3')).toThrow(
      new SnapshotError(
        'snapshot s3 is incomplete (interrupted while deleting): `labforge snapshot delete s3` removes its parts',
      ),
    );
  });

  test('a node that is not created stops the save, named', () => {
    const partial = resolveNodes(lab, record(), [live[0]]).nodes;
    expect(() => planSave(record(), partial, 's1')).toThrow(
      'cannot snapshot lab t: node b is not created (run labforge up)',
    );
    // Adding nodes to a snapshot (the baseline of a node added later) takes only those.
    expect(
      planSave(record({ snapshots: [complete('baseline')] }), partial, 'baseline', ['a']).map((n) => n.node),
    ).toEqual(['a']);
  });
});

describe('restore', () => {
  const resolved = resolveNodes(lab, record(), live).nodes;
  const has = new Map([
    [UA, ['baseline', 's1']],
    [UB, ['baseline', 's1']],
  ]);

  test('every part, with the state it had', () => {
    const plan = planRestore(record({ snapshots: [complete('s1')] }), resolved, 's1', has);
    expect(plan.parts.map((p) => [p.node, p.domain, p.state])).toEqual([
      ['a', UA, 'running'],
      ['b', UB, 'shutoff'],
    ]);
    expect(plan.uncovered).toEqual([]);
  });

  test('an unknown name is a usage error listing the recorded ones', () => {
    expect(() => planRestore(record({ snapshots: [complete('s1')] }), resolved, 'nope', has)).toThrow(
      new UsageError('snapshot restore: lab t has no snapshot "nope" (recorded: s1)'),
    );
    expect(() => planRestore(record(), resolved, 'nope', has)).toThrow('(it has none)');
    expect(() => planRestore(record(), resolved, 'baseline', has)).toThrow(
      'snapshot restore: lab t has no snapshot "baseline" (it has none); ' +
        'labforge up takes it (a lab brought up by an older labforge has none: run labforge up)',
    );
  });

  test('an incomplete snapshot is refused: interrupted saving, deleting, or a part never taken', () => {
    for (const s of [
      { ...complete('s1'), status: 'saving' as const },
      { ...complete('s1'), status: 'deleting' as const },
    ]) {
      expect(() => planRestore(record({ snapshots: [s] }), resolved, 's1', has)).toThrow(
        `snapshot s1 is incomplete (labforge was interrupted while ${s.status} it): restore refuses it`,
      );
    }
    const untaken = complete('s1', [
      { node: 'a', uuid: UA, state: 'running', taken: true },
      { node: 'b', uuid: UB, state: 'running', taken: false },
    ]);
    expect(() => planRestore(record({ snapshots: [untaken] }), resolved, 's1', has)).toThrow(SnapshotError);
  });

  test('a part whose domain is gone, re-created, or lost the snapshot is refused; a node added later is left as it is', () => {
    const recreated = resolveNodes(
      lab,
      {
        ...record(),
        domains: [
          { node: 'a', uuid: UA },
          { node: 'b', uuid: OTHER },
        ],
      },
      [live[0], { uuid: OTHER, name: 't-b', state: 'running' }],
    ).nodes;
    expect(() => planRestore(record({ snapshots: [complete('s1')] }), recreated, 's1', has)).toThrow(
      `snapshot s1: node b's domain ${UB} is gone`,
    );
    expect(() =>
      planRestore(
        record({ snapshots: [complete('s1')] }),
        resolved,
        's1',
        new Map([
          [UA, ['s1']],
          [UB, []],
        ]),
      ),
    ).toThrow("libvirt has no snapshot s1 of node b's domain t-b any more");
    const onlyA = complete('s1', [{ node: 'a', uuid: UA, state: 'running', taken: true }]);
    expect(planRestore(record({ snapshots: [onlyA] }), resolved, 's1', has).uncovered).toEqual(['b']);
  });
});

describe('list', () => {
  test('name, time, coverage, state at save, complete or incomplete with the reason', () => {
    const r = record({
      snapshots: [
        complete('baseline'),
        {
          ...complete('s1'),
          status: 'saving',
          parts: [
            { node: 'a', uuid: UA, state: 'running', taken: true },
            { node: 'b', uuid: UB, state: 'running', taken: false },
          ],
        },
        complete('s2'),
      ],
    });
    const has = new Map([
      [UA, ['baseline', 's1', 's2']],
      [UB, ['baseline']],
    ]);
    const rows = snapshotRows(lab, r, has);
    expect(rows.map((x) => [x.name, x.coverage, x.status, x.reason])).toEqual([
      ['baseline', '2/2', 'complete', undefined],
      ['s1', '1/2', 'incomplete', 'interrupted while saving'],
      ['s2', '1/2', 'incomplete', 'no part for b'],
    ]);
    expect(formatSnapshotRows(rows).split('\n')).toEqual([
      'NAME      TAKEN                 NODES  STATE AT SAVE         STATUS',
      'baseline  2026-11-26T10:00:00Z  2/2    a running, b shutoff  complete',
      's1        2026-11-26T10:00:00Z  1/2    running               incomplete (interrupted while saving)',
      's2        2026-11-26T10:00:00Z  1/2    a running, b shutoff  incomplete (no part for b)',
    ]);
    expect(formatSnapshotRows([])).toBe('labforge: the lab has no snapshots');
  });

  test("up's nothing-to-do check: the nodes whose current domain (Vagrant's id) has no taken baseline part, from the record alone", () => {
    const current = [
      { node: 'a', uuid: UA },
      { node: 'b', uuid: OTHER },
    ];
    expect(baselineMissing(undefined, current)).toEqual(['a', 'b']);
    expect(baselineMissing(record({ snapshots: [complete('baseline')] }), current)).toEqual(['b']);
    expect(
      baselineMissing(
        record({
          snapshots: [{ ...complete('baseline'), parts: [{ node: 'a', uuid: UA, state: 'running', taken: false }] }],
        }),
        current.slice(0, 1),
      ),
    ).toEqual(['a']);
  });

  test('the baseline lacks the nodes with no taken part in their current domain', () => {
    const resolved = resolveNodes(lab, record(), live).nodes;
    expect(baselineLacks(record(), resolved)).toEqual(['a', 'b']);
    expect(baselineLacks(record({ snapshots: [complete('baseline')] }), resolved)).toEqual([]);
    expect(
      baselineLacks(
        record({ snapshots: [complete('baseline', [{ node: 'a', uuid: UA, state: 'running', taken: true }])] }),
        resolved,
      ),
    ).toEqual(['b']);
  });
});

describe('the clock after a restore', () => {
  test('set to the host time it is sent with; the answer says how far behind the guest was', async () => {
    expect(clockCommand(1795686660123)).toBe(
      'before=$(date +%s.%N); date -u -s @1795686660.123 >/dev/null && echo "before=$before"',
    );
    expect(parseClockAnswer('before=1795686000.5\n', 1795686660123)).toBe(660);
    expect(parseClockAnswer('date: cannot set date: Operation not permitted\n', 1795686660123)).toBeUndefined();
  });
});

describe('the CLI', () => {
  function setup() {
    const dir = tempDir();
    const labFile = writeLab(LAB, dir);
    const out = path.join(dir, 'out');
    return { out, labforge: (args: string[]) => cli(['--lab', labFile, '--out', out, ...args]) };
  }

  test('help lists snapshot, reset and console with their options; up has --no-verify', async () => {
    const top = await cli(['--help']);
    for (const c of ['snapshot', 'reset [options] [name]', 'console [options] <node>']) expect(top.stdout).toContain(c);
    const snap = await cli(['snapshot', '--help']);
    for (const c of ['save [options] <name>', 'restore [options] <name>', 'list [options]', 'delete [options] <name>'])
      expect(snap.stdout).toContain(c);
    expect((await cli(['console', '--help'])).stdout).toMatch(/--log[\s\S]*--lines <n>[\s\S]*--follow/);
    expect((await cli(['up', '--help'])).stdout).toContain('--no-verify');
  });

  test.each([
    [['snapshot', 'save', 'a;b'], 'snapshot save: the snapshot name must be'],
    [['snapshot', 'restore', '$(id)'], 'snapshot restore: the snapshot name must be'],
    [['snapshot', 'delete', 'a\nb'], 'snapshot delete: the snapshot name must be'],
    [['reset', '<x>'], 'reset: the snapshot name must be'],
    [['console', 'zz', '--log'], 'console: "zz" is not a node of lab t (nodes: a, b)'],
    [['console', 'a', '--lines', '3'], 'console: --lines and --follow go with --log'],
    [['console', 'a', '--log', '--lines', '0'], '--lines: must be a whole number from 1 to 999999999, got "0"'],
    [['console', 'a', '--log', '--lines', '2x'], '--lines: must be a whole number from 1 to 999999999, got "2x"'],
    [['halt', '--timeout', '0'], '--timeout: must be a whole number from 1 to 3600, got "0"'],
    [['halt', '--timeout', '3601'], '--timeout: must be a whole number from 1 to 3600, got "3601"'],
    [['halt', '--timeout', '1m'], '--timeout: must be a whole number from 1 to 3600, got "1m"'],
  ])('%j: exit code 2, one sentence naming the value, nothing written', async (args, message) => {
    const { out, labforge } = setup();
    const r = await labforge(args);
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toContain(message);
    expect(r.stderr).not.toMatch(/\n\s+at /);
    expect(fs.existsSync(out)).toBe(false);
  });

  test('console without a terminal, a node never created, and a lab never up: clear messages, nothing written', async () => {
    const { out, labforge } = setup();
    const noTty = await labforge(['console', 'a']);
    expect(noTty.exitCode).toBe(2);
    expect(noTty.stderr).toContain(
      'console: needs a terminal (standard input is not one); `console NODE --log` prints the captured log',
    );
    const noLog = await labforge(['console', 'a', '--log']);
    expect(noLog.exitCode).toBe(1);
    expect(noLog.stderr).toContain(
      `labforge: node a has no console log (${path.join(out, 'logs', 'a-console.log')}): it has not been created yet (run labforge up)`,
    );
    for (const args of [['snapshot', 'restore', 's1'], ['snapshot', 'delete', 's1'], ['reset']]) {
      const r = await labforge(args);
      expect(r.exitCode).toBe(1);
      expect(r.stderr).toContain(
        'labforge: lab t has no nodes labforge created (no domains in its ownership record): run labforge up first',
      );
    }
    expect(fs.existsSync(path.join(out, '.labforge-state.json'))).toBe(false);
  });

  test('console --log prints the captured console, cleaned of escape sequences; --lines N the last N', async () => {
    const { out, labforge } = setup();
    // An output folder labforge owns (render claims it); vagrant-libvirt's QEMU writes the log into its logs/.
    expect((await labforge(['render'])).exitCode).toBe(0);
    fs.mkdirSync(path.join(out, 'logs'), { recursive: true });
    fs.writeFileSync(
      path.join(out, 'logs', 'a-console.log'),
      'Linux version 6.1\r\n\u001b[0;32m  OK  \u001b[0m] Started ssh\r\n\u001b]0;title\u0007a login: \u0007\n',
    );
    const r = await labforge(['console', 'a', '--log']);
    expect(r.exitCode).toBe(0);
    // (execa drops the last newline of what it captured.)
    expect(r.stdout).toBe('Linux version 6.1\n  OK  ] Started ssh\na login: ');
    const tail = await labforge(['console', 'a', '--log', '--lines', '1']);
    expect(tail.stdout).toBe('a login: ');
  });
});
