// labforge run / copy with stand-in ssh and scp (nothing is contacted): targets, bounded parallelism, prefixed
// output kept apart by stream, a summary, exit code 1 when any node failed, time-outs and dead nodes as failures of
// that node. The real thing runs in the end-to-end test.
import fs from 'node:fs';
import path from 'node:path';
import { execa } from 'execa';
import { loadLabText } from '../../../src/lab/load.js';
import { parseCopy } from '../../../src/lifecycle/nodes/fanout.js';
import { selectNodes } from '../../../src/lifecycle/nodes/select.js';
import { CLI, standInVirsh, tempDir, writeLab } from '../../support.js';

const LAB = `name: t
domain: example.com
vips: []
roles: { etcd: {}, worker: {} }
nodes:
  - { name: etcd1, role: etcd, ip: 10.240.0.11 }
  - { name: etcd2, role: etcd, ip: 10.240.0.12 }
  - { name: worker1, role: worker, ip: 10.240.0.31 }
  - { name: worker2, role: worker, ip: 10.240.0.32 }
`;

describe('targets', () => {
  const lab = loadLabText(LAB, '/tmp/t/lab.yaml').lab;
  const names = (t: string) => selectNodes(lab, t).map((n) => n.name);
  test.each([
    ['all', ['etcd1', 'etcd2', 'worker1', 'worker2']],
    ['etcd', ['etcd1', 'etcd2']],
    ['worker*', ['worker1', 'worker2']],
    ['etcd?', ['etcd1', 'etcd2']],
    ['worker2,etcd1', ['etcd1', 'worker2']],
    ['etcd2.example.com', ['etcd2']],
    ['10.240.0.31', ['worker1']],
    ['etcd,etcd1', ['etcd1', 'etcd2']],
  ])('%s', (t, want) => expect(names(t)).toEqual(want));
  test('a word that names nothing is exit 2 naming it, the nodes and the roles', () => {
    expect(() => selectNodes(lab, 'etcd1,lb')).toThrow(
      'targets: "lb" names no node of lab t (nodes: etcd1, etcd2, worker1, worker2; roles: etcd, worker; or all)',
    );
    expect(() => selectNodes(lab, 'etcd1,')).toThrow('has an empty entry');
  });
  test('copy: exactly one side is TARGETS:PATH', () => {
    expect(parseCopy('/etc/hosts', 'all:/etc/hosts')).toEqual({
      direction: 'push',
      targets: 'all',
      remote: '/etc/hosts',
      local: '/etc/hosts',
    });
    expect(parseCopy('etcd:/etc/os-release', 'out')).toEqual({
      direction: 'pull',
      targets: 'etcd',
      remote: '/etc/os-release',
      local: 'out',
    });
    expect(() => parseCopy('a', 'b')).toThrow('exactly one of');
    expect(() => parseCopy('all:/x', 'etcd:/y')).toThrow('exactly one of');
    expect(parseCopy('./a:b', 'all:/tmp/').local).toBe('./a:b');
  });
});

/** A stand-in ssh: by node address, answers with output on both streams (etcd1), exits 3 (etcd2), never answers
 *  (worker1, until killed) or refuses the connection (worker2). Each call logs its start and end. */
function setup(behaviour: 'mixed' | 'slow') {
  const dir = tempDir();
  const bin = path.join(dir, 'bin');
  fs.mkdirSync(bin);
  standInVirsh(bin, ['t-etcd1', 't-etcd2', 't-worker1', 't-worker2']);
  const mixed = `case "$host" in
  *10.240.0.11) echo "hello from $host"; echo "warning on stderr" >&2; exit 0 ;;
  *10.240.0.12) echo "about to fail"; exit 3 ;;
  *10.240.0.31) exec sleep 30 ;;
  *) echo "ssh: connect to host 10.240.0.32 port 22: Connection refused" >&2; exit 255 ;;
esac`;
  const slow = 'sleep 1; echo done';
  fs.writeFileSync(
    path.join(bin, 'ssh'),
    // No shared connection (ssh -O check, ssh -M): each command connects by itself, as with an ssh too old for one.
    [
      '#!/bin/bash',
      'case " $* " in *" -O "*|*" -M "*) exit 255 ;; esac',
      'for a in "$@"; do case "$a" in root@*) host=$a ;; esac; done',
      `echo "start $host $(date +%s.%N)" >> '${dir}/calls'`,
      behaviour === 'mixed' ? mixed : slow,
      `echo "end $host $(date +%s.%N)" >> '${dir}/calls'`,
      '',
    ].join('\n'),
    { mode: 0o755 },
  );
  fs.writeFileSync(path.join(bin, 'scp'), `#!/bin/bash\nprintf '%s\\n' "$*" >> '${dir}/scp-calls'\n`, { mode: 0o755 });
  const lab = writeLab(LAB, dir);
  const labforge = (args: string[]) =>
    execa(process.execPath, [CLI, '--lab', lab, '--out', path.join(dir, 'out'), ...args], {
      env: { PATH: `${bin}:${process.env.PATH}`, NO_COLOR: '1' },
      reject: false,
    });
  /** The most calls that were running at one moment, and the order they started in. */
  const concurrency = () => {
    const events = fs
      .readFileSync(path.join(dir, 'calls'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => l.split(' '));
    let now = 0;
    let most = 0;
    for (const [kind] of [...events].sort((a, b) => Number(a[2]) - Number(b[2]))) {
      now += kind === 'start' ? 1 : -1;
      most = Math.max(most, now);
    }
    return { most, order: events.filter(([k]) => k === 'start').map(([, host]) => host) };
  };
  return { dir, labforge, concurrency };
}

describe('labforge run', () => {
  test('each node ends with its exit code; a silent node times out and a dead one fails, without holding the others up', async () => {
    const { labforge } = setup('mixed');
    const r = await labforge(['run', 'all', '--timeout', '3', '--', 'hostname']);
    expect(r.exitCode).toBe(1);
    expect(r.stdout.split('\n')).toEqual(
      expect.arrayContaining(['etcd1   | hello from root@10.240.0.11', 'etcd2   | about to fail']),
    );
    expect(r.stdout).not.toContain('warning on stderr');
    expect(r.stderr).toContain('etcd1   | warning on stderr');
    expect(r.stderr).toContain(
      'labforge: `hostname` on 4 nodes: 1 ok, 3 failed (etcd2: exit 3; worker1: timed out after 3 s; worker2: no connection to 10.240.0.32',
    );
  });

  test('--json gives every node its exit code and both streams', async () => {
    const { labforge } = setup('mixed');
    const r = await labforge(['run', 'etcd', '--json', '--', 'hostname']);
    expect(r.exitCode).toBe(1);
    const out = JSON.parse(r.stdout);
    expect(out.map((o: { node: string; exitCode: number; ok: boolean }) => [o.node, o.exitCode, o.ok])).toEqual([
      ['etcd1', 0, true],
      ['etcd2', 3, false],
    ]);
    expect(out[0].stderr).toBe('warning on stderr');
  });

  test('all nodes at once by default, at most --parallel N, and --serial one after another in order', async () => {
    const all = setup('slow');
    expect((await all.labforge(['run', 'all', '--', 'true'])).exitCode).toBe(0);
    expect(all.concurrency().most).toBe(4);
    const two = setup('slow');
    await two.labforge(['run', 'all', '--parallel', '2', '--', 'true']);
    expect(two.concurrency().most).toBe(2);
    const serial = setup('slow');
    await serial.labforge(['run', 'all', '--serial', '--', 'true']);
    expect(serial.concurrency()).toEqual({
      most: 1,
      order: ['root@10.240.0.11', 'root@10.240.0.12', 'root@10.240.0.31', 'root@10.240.0.32'],
    });
  }, 30000);

  test('bad targets or options are exit 2 and nothing runs', async () => {
    const { dir, labforge } = setup('slow');
    expect((await labforge(['run', 'nope', '--', 'true'])).exitCode).toBe(2);
    expect((await labforge(['run', 'all', '--parallel', '0', '--', 'true'])).exitCode).toBe(2);
    expect(fs.existsSync(path.join(dir, 'calls'))).toBe(false);
  });
});

describe('labforge copy', () => {
  test('push sends the file to every target; pull fetches one copy per node into DEST/<node>/', async () => {
    const { dir, labforge } = setup('slow');
    expect((await labforge(['copy', '/etc/hostname', 'etcd:/etc/x'])).exitCode).toBe(0);
    const pull = path.join(dir, 'pulled');
    expect((await labforge(['copy', 'worker*:/etc/os-release', pull])).exitCode).toBe(0);
    const calls = fs.readFileSync(path.join(dir, 'scp-calls'), 'utf8').trim().split('\n').sort();
    expect(calls.map((c) => c.split(' ').slice(-2).join(' '))).toEqual([
      '/etc/hostname root@10.240.0.11:/etc/x',
      '/etc/hostname root@10.240.0.12:/etc/x',
      `root@10.240.0.31:/etc/os-release ${pull}/worker1/`,
      `root@10.240.0.32:/etc/os-release ${pull}/worker2/`,
    ]);
    expect(fs.readdirSync(pull).sort()).toEqual(['worker1', 'worker2']);
  });
});
