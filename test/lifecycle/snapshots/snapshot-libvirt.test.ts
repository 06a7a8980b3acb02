// Lab snapshots against a real libvirtd in the test's own network namespace, without Vagrant: two small domains of
// lab `t` (a running in its BIOS, b shut off), recorded by UUID as up records them. save takes both at one moment
// and leaves a running, restore brings the disks back, a snapshot made by hand is never touched, a domain that is
// not the recorded one is refused, and an interrupted save leaves no node paused and a record list/delete handle.
// Then halt of a node that ignores the power button: asked again over ssh, forced off at the time limit.
import fs from 'node:fs';
import path from 'node:path';
import { loadLabText } from '../../../src/lab/load.js';
import { deleteSnapshot, listSnapshots } from '../../../src/lifecycle/snapshots/delete.js';
import { restoreSnapshot } from '../../../src/lifecycle/snapshots/restore.js';
import { saveSnapshot } from '../../../src/lifecycle/snapshots/save.js';
import { SnapshotError, UsageError } from '../../../src/errors.js';
import { LAYOUT } from '../../../src/layout.js';
import { readRecord } from '../../../src/lifecycle/state/record.js';
import { PAUSED_WHY } from '../../../src/lifecycle/nodes/status.js';
import { verify } from '../../../src/lifecycle/nodes/verify.js';
import { qemuSnapshots } from '../../../src/tools/qemu-snapshots.js';
import { Virsh } from '../../../src/tools/virsh.js';
import { lines, qcow2Disk, useNetns } from '../../netns.js';
import { cli, CLI, ownershipRecord, tempDir } from '../../support.js';

const ns = useNetns('lf-snap');
let work: string;

afterAll(async () => {
  for (const dom of ['t-a', 't-b']) {
    await ns().virshQuiet('destroy', dom);
    await ns().virshQuiet('undefine', '--snapshots-metadata', dom);
  }
  if (work) fs.rmSync(work, { recursive: true, force: true });
});

const virsh = (...args: string[]) => ns().virsh(...args);

test('save, list, restore, delete on real domains; hand-made snapshots and other domains stay untouched; SIGINT leaves no node paused', async () => {
  work = tempDir('labforge-snap-');
  fs.chmodSync(work, 0o755);
  const disks = path.join(work, 'disks');
  fs.mkdirSync(disks, { mode: 0o755 });
  const uuids: Record<string, string> = {};
  for (const n of ['a', 'b']) {
    const disk = path.join(disks, `t-${n}.qcow2`);
    await ns().exec('qemu-img', ['create', '-q', '-f', 'qcow2', disk, '16M']);
    fs.chmodSync(disk, 0o666);
    uuids[n] = await ns().defineDomain(`t-${n}`, qcow2Disk(disk));
  }
  await virsh('start', 't-a');
  const out = path.join(work, 'out');
  const labText = 'name: t\nvips: []\nnodes:\n  - { name: a, ip: 10.240.0.11 }\n  - { name: b, ip: 10.240.0.12 }\n';
  fs.writeFileSync(path.join(work, 'lab.yaml'), labText);
  // An output folder labforge owns, as after up (render claims it).
  expect((await cli(['--lab', path.join(work, 'lab.yaml'), '--out', out, 'render'])).exitCode).toBe(0);
  const { lab } = loadLabText(labText, path.join(work, 'lab.yaml'), { outDir: out });
  const domains = ['a', 'b'].map((n) => ({ node: n, uuid: uuids[n], name: `t-${n}` }));
  fs.writeFileSync(path.join(out, LAYOUT.state), ownershipRecord('t', { domains }));

  // save: both nodes, a running (suspended and resumed), b shut off.
  const saved = await saveSnapshot(lab, 's1');
  expect(saved.nodes).toEqual(['a', 'b']);
  expect((await virsh('domstate', 't-a')).trim()).toBe('running');
  expect((await virsh('domstate', 't-b')).trim()).toBe('shut off');
  for (const n of ['a', 'b']) expect(lines(await virsh('snapshot-list', `t-${n}`, '--name'))).toEqual(['s1']);
  expect(await virsh('snapshot-dumpxml', 't-a', 's1')).toContain("<memory snapshot='internal'/>");
  expect(readRecord(out)!.snapshots).toEqual([
    {
      name: 's1',
      createdAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/),
      status: 'complete',
      parts: [
        { node: 'a', uuid: uuids.a, state: 'running', taken: true },
        { node: 'b', uuid: uuids.b, state: 'shutoff', taken: true },
      ],
    },
  ]);
  expect((await listSnapshots(lab)).map((r) => [r.name, r.coverage, r.status])).toEqual([['s1', '2/2', 'complete']]);

  // A snapshot made by hand with a name labforge is asked for: neither replaced nor deleted.
  await virsh('snapshot-create-as', 't-b', 'hand');
  await expect(saveSnapshot(lab, 'hand')).rejects.toThrow(
    new SnapshotError(
      'domain t-b already has a snapshot hand that labforge did not record: labforge leaves it alone; choose another name',
    ),
  );
  await expect(deleteSnapshot(lab, 'hand')).rejects.toThrow(UsageError);
  expect(lines(await virsh('snapshot-list', 't-b', '--name')).sort()).toEqual(['hand', 's1']);
  expect(readRecord(out)!.snapshots!.map((s) => s.name)).toEqual(['s1']);

  // A record naming another UUID for b: the domain t-b is not labforge's, and nothing is done to either node.
  const snapshots = readRecord(out)!.snapshots;
  fs.writeFileSync(
    path.join(out, LAYOUT.state),
    ownershipRecord('t', {
      domains: [domains[0], { node: 'b', uuid: '00000000-0000-0000-0000-000000000001', name: 't-b' }],
    }),
  );
  await expect(saveSnapshot(lab, 's9')).rejects.toThrow(
    `domain t-b (${uuids.b}) is not the domain labforge recorded for node b (00000000-0000-0000-0000-000000000001): labforge leaves it alone`,
  );
  expect(lines(await virsh('snapshot-list', 't-a', '--name'))).toEqual(['s1']);
  expect((await virsh('domstate', 't-a')).trim()).toBe('running');
  // What provisioning ran goes with a snapshot (a's, on its recorded domain; b's entry names another domain).
  const ran = (key: string) => ({ 'provision[0]': { key, at: '2026-12-03T00:00:00Z' } });
  fs.writeFileSync(
    path.join(out, LAYOUT.state),
    ownershipRecord('t', {
      domains,
      snapshots,
      provisioned: { a: { domain: uuids.a, steps: ran('k1') }, b: { domain: 'another-domain', steps: ran('k0') } },
    }),
  );

  // restore of a shut-off snapshot: what was written to the disk after it is gone.
  await virsh('destroy', 't-a');
  const offline = await saveSnapshot(lab, 'off');
  expect(readRecord(out)!.snapshots!.find((x) => x.name === 'off')!.provision).toEqual({
    a: { domain: uuids.a, steps: ran('k1') },
  });
  // Provisioning after the snapshot: a ran the step anew, b too; the restore puts back the snapshot's record.
  fs.writeFileSync(
    path.join(out, LAYOUT.state),
    JSON.stringify({
      ...readRecord(out),
      provisioned: { a: { domain: uuids.a, steps: ran('k2') }, b: { domain: uuids.b, steps: ran('k2') } },
    }),
  );
  expect(offline.suspendedSeconds).toBeLessThan(5);
  const diskA = path.join(disks, 't-a.qcow2');
  await ns().exec('qemu-io', ['-f', 'qcow2', '-c', 'write -P 0xab 0 64k', diskA]);
  expect(
    (await ns().exec('qemu-io', ['-f', 'qcow2', '-c', 'read -P 0xab 0 64k', diskA], { reject: false })).stdout,
  ).not.toMatch(/Pattern verification failed/);
  const r = await restoreSnapshot(lab, 'off');
  const back = await ns().exec('qemu-io', ['-f', 'qcow2', '-r', '-c', 'read -P 0 0 64k', diskA], { reject: false });
  expect(back.stdout).not.toMatch(/Pattern verification failed/);
  expect(back.stdout).toMatch(/read 65536\/65536 bytes/);
  expect(r.nodes).toEqual(['a', 'b']);
  expect(r.clocks).toEqual([]);
  expect(readRecord(out)!.provisioned).toEqual({ a: { domain: uuids.a, steps: ran('k1') } });
  expect((await virsh('domstate', 't-a')).trim()).toBe('shut off');

  // SIGINT at different moments of a save: never a node left paused; the snapshot is absent, complete, or
  // incomplete (list says so, restore refuses it, delete removes its parts).
  await virsh('start', 't-a');
  let retaken = 0;
  for (const [i, delayMs] of [150, 400, 700, 1000, 1500].entries()) {
    const name = `int${i}`;
    const child = ns().exec(
      'node',
      [CLI, '--lab', path.join(work, 'lab.yaml'), '--out', out, 'snapshot', 'save', name],
      { cwd: work, env: { CI: 'true', LABFORGE_OFFLINE: '1' }, reject: false, timeout: 120000 },
    );
    await new Promise((res) => setTimeout(res, delayMs));
    child.kill('SIGINT');
    const ended = await child;
    // 130 after labforge's handler ran; killed by the signal itself when it came before Node had started labforge
    // (a loaded host), which touched nothing.
    expect([0, 130, 'SIGINT']).toContain(ended.exitCode ?? ended.signal);
    expect((await virsh('domstate', 't-a')).trim()).toBe('running');
    const row = (await listSnapshots(lab)).find((x) => x.name === name);
    if (row && row.status === 'incomplete') {
      expect(row.reason).toMatch(/interrupted while saving|no part for/);
      await expect(restoreSnapshot(lab, name)).rejects.toThrow(SnapshotError);
      if (row.reason === 'interrupted while saving') {
        // The same save run again finishes it: every part taken again, complete.
        await saveSnapshot(lab, name);
        expect((await listSnapshots(lab)).find((x) => x.name === name)).toMatchObject({
          status: 'complete',
          coverage: '2/2',
        });
        for (const n of ['a', 'b']) expect(lines(await virsh('snapshot-list', `t-${n}`, '--name'))).toContain(name);
        retaken++;
      }
    }
    if (row) await deleteSnapshot(lab, name);
    for (const n of ['a', 'b']) expect(lines(await virsh('snapshot-list', `t-${n}`, '--name'))).not.toContain(name);
    expect(readRecord(out)!.snapshots!.map((s) => s.name)).toEqual(['s1', 'off']);
  }
  console.log(`interrupted saves taken again by the same save: ${retaken} of 5`);
  // As a kill -9 (or a libvirtd restart) during snapshot-create leaves it: recorded `saving`, a's part made in
  // libvirt but not recorded as taken. The same save finishes it, saying so.
  await virsh('snapshot-create-as', 't-a', 'killed', '--description', 'labforge: lab t, snapshot killed', '--atomic');
  const before = readRecord(out)!;
  const saving = {
    name: 'killed',
    createdAt: '2026-12-03T06:00:00Z',
    status: 'saving',
    parts: [
      { node: 'a', uuid: uuids.a, state: 'running', taken: false },
      { node: 'b', uuid: uuids.b, state: 'shutoff', taken: false },
    ],
  };
  fs.writeFileSync(
    path.join(out, LAYOUT.state),
    JSON.stringify({ ...before, snapshots: [...before.snapshots!, saving] }),
  );
  const said: string[] = [];
  await saveSnapshot(lab, 'killed', { progress: (l) => said.push(l) });
  expect(said).toContain('snapshot killed was left incomplete by an interrupted save: taking it again');
  expect((await listSnapshots(lab)).find((x) => x.name === 'killed')).toMatchObject({
    status: 'complete',
    coverage: '2/2',
  });
  expect(readRecord(out)!.snapshots!.find((x) => x.name === 'killed')!.createdAt).not.toBe('2026-12-03T06:00:00Z');
  for (const n of ['a', 'b']) expect(lines(await virsh('snapshot-list', `t-${n}`, '--name'))).toContain('killed');
  await deleteSnapshot(lab, 'killed');

  // delete: every part, and only labforge's.
  expect(await deleteSnapshot(lab, 's1')).toEqual({ name: 's1', removed: ['a', 'b'] });
  await deleteSnapshot(lab, 'off');
  expect(lines(await virsh('snapshot-list', 't-a', '--name'))).toEqual([]);
  expect(lines(await virsh('snapshot-list', 't-b', '--name'))).toEqual(['hand']);
  expect(readRecord(out)!.snapshots).toEqual([]);
}, 300000);

test('a node left paused (labforge killed during a save): status and verify say so, save resumes it before it snapshots', async () => {
  if ((await virsh('domstate', 't-a')).trim() === 'shut off') await virsh('start', 't-a');
  await virsh('suspend', 't-a');
  const out = path.join(work, 'out');
  const labFile = path.join(work, 'lab.yaml');
  const st = await ns().exec('node', [CLI, '--lab', labFile, '--out', out, 'status'], { cwd: work, reject: false });
  expect(st.exitCode).toBe(0);
  expect(st.stdout).toMatch(/^a +t\.example\.com|^a /m);
  expect(st.stdout).toContain(`a: ${PAUSED_WHY}`);
  // verify of a one-node lab (only a: nothing is asked of an address outside the namespace): no ssh time-out.
  const one = loadLabText('name: t\nvips: []\nnodes:\n  - { name: a, ip: 10.240.0.11 }\n', labFile, { outDir: out });
  const started = Date.now();
  const [v] = await verify(one.lab);
  expect(v.ok).toBe(false);
  expect(v.problems).toEqual([`a is ${PAUSED_WHY}`]);
  expect(Date.now() - started).toBeLessThan(10000);
  // save resumes it and says so; the snapshot is of a running node.
  const { lab } = loadLabText(fs.readFileSync(labFile, 'utf8'), labFile, { outDir: out });
  const said: string[] = [];
  await saveSnapshot(lab, 'thawed', { progress: (l) => said.push(l) });
  expect(said[0]).toBe(`resumed a: ${PAUSED_WHY}`);
  expect((await virsh('domstate', 't-a')).trim()).toBe('running');
  expect(
    readRecord(out)!
      .snapshots!.find((x) => x.name === 'thawed')!
      .parts.map((p) => [p.node, p.state]),
  ).toEqual([
    ['a', 'running'],
    ['b', 'shutoff'],
  ]);
  await deleteSnapshot(lab, 'thawed');
}, 120000);

test('a save cut by a libvirtd restart left copies in the disks that libvirt lost: the retake (and a delete) removes them first', async () => {
  if ((await virsh('domstate', 't-a')).trim() !== 'running') await virsh('start', 't-a');
  expect((await virsh('domstate', 't-b')).trim()).toBe('shut off');
  const out = path.join(work, 'out');
  const labFile = path.join(work, 'lab.yaml');
  const { lab } = loadLabText(fs.readFileSync(labFile, 'utf8'), labFile, { outDir: out });
  const uuids = Object.fromEntries(readRecord(out)!.domains.map((d) => [d.node, d.uuid]));
  const disk = (n: string) => path.join(work, 'disks', `t-${n}.qcow2`);
  /** The names of the internal snapshots in a node's disk, as QEMU has them (libvirt's and lost ones). */
  const inDisk = async (n: string) =>
    (JSON.parse((await ns().exec('qemu-img', ['info', '-U', '--output=json', disk(n)])).stdout).snapshots ?? []).map(
      (x: { name: string }) => x.name,
    ) as string[];
  /** As a libvirtd restarted during the save leaves them: written into the disks, libvirt has no metadata. */
  const lose = async (name: string) => {
    await virsh('qemu-monitor-command', 't-a', '--hmp', `savevm ${name}`);
    await ns().exec('qemu-img', ['snapshot', '-c', name, disk('b')]);
  };
  const recordSaving = (name: string) => {
    const before = readRecord(out)!;
    const parts = ['a', 'b'].map((n) => ({ node: n, uuid: uuids[n], state: 'running', taken: false }));
    const saving = { name, createdAt: '2026-12-03T06:00:00Z', status: 'saving', parts };
    fs.writeFileSync(
      path.join(out, LAYOUT.state),
      JSON.stringify({ ...before, snapshots: [...before.snapshots!, saving] }),
    );
  };
  await lose('lost');
  // A copy libvirt does not know under another name: not labforge's, never touched.
  await virsh('qemu-monitor-command', 't-a', '--hmp', 'savevm keep');
  // QEMU's own list (QMP query-block through libvirt, as labforge asks it): both copies in a's one disk.
  expect(await qemuSnapshots(new Virsh('qemu:///system'), uuids.a)).toEqual([
    {
      disk: expect.any(String),
      snapshots: [
        { id: expect.stringMatching(/^\d+$/), name: 'lost' },
        { id: expect.stringMatching(/^\d+$/), name: 'keep' },
      ],
    },
  ]);
  for (const n of ['a', 'b']) {
    expect(await inDisk(n)).toContain('lost');
    expect(lines(await virsh('snapshot-list', `t-${n}`, '--name'))).not.toContain('lost');
  }
  recordSaving('lost');
  const said: string[] = [];
  await saveSnapshot(lab, 'lost', { progress: (l) => said.push(l) });
  expect(said).toContain(
    "removed QEMU's copies of snapshot lost that libvirt had lost (a save interrupted by a libvirtd restart) from the disks of a, b",
  );
  expect((await listSnapshots(lab)).find((x) => x.name === 'lost')).toMatchObject({
    status: 'complete',
    coverage: '2/2',
  });
  // One snapshot of the name in each disk, libvirt's (without the fix, qemu-img gave b a second one beside the lost
  // copy, and libvirt 11 refused a's); the other name is still there.
  expect((await inDisk('a')).filter((x) => x === 'lost')).toHaveLength(1);
  expect((await inDisk('b')).filter((x) => x === 'lost')).toHaveLength(1);
  expect(await inDisk('a')).toContain('keep');
  expect((await virsh('domstate', 't-a')).trim()).toBe('running');
  await deleteSnapshot(lab, 'lost');

  // A delete of a save recorded as interrupted removes the lost copies too.
  await lose('gone');
  recordSaving('gone');
  const told: string[] = [];
  expect(await deleteSnapshot(lab, 'gone', { progress: (l) => told.push(l) })).toEqual({ name: 'gone', removed: [] });
  expect(told).toEqual([
    "removed QEMU's copies of snapshot gone that libvirt had lost (a save interrupted by a libvirtd restart) from the disks of a, b",
  ]);
  for (const n of ['a', 'b']) expect(await inDisk(n)).not.toContain('gone');
  expect(readRecord(out)!.snapshots!.map((x) => x.name)).not.toContain('gone');
  expect(await inDisk('a')).toContain('keep');
  await virsh('qemu-monitor-command', 't-a', '--hmp', 'delvm keep');
}, 120000);

test('halt: a node that ignores the ACPI power button is asked again over ssh, then forced off at the time limit, which is reported', async () => {
  // t-a runs in its BIOS: no operating system takes the power button, and nothing answers on its address.
  if ((await virsh('domstate', 't-a')).trim() === 'shut off') await virsh('start', 't-a');
  expect((await virsh('domstate', 't-a')).trim()).toBe('running');
  const r = await ns().exec(
    'node',
    [CLI, '--lab', path.join(work, 'lab.yaml'), '--out', path.join(work, 'out'), 'halt', 'a', '--timeout', '6'],
    {
      cwd: work,
      env: { CI: 'true', LABFORGE_OFFLINE: '1' },
      reject: false,
      timeout: 120000,
    },
  );
  expect(r.exitCode).toBe(0);
  expect(r.stdout).toContain('[DONE] Ask the running nodes to power off, all at once: a (ACPI power button)');
  expect(r.stdout).toContain(
    '[DONE] Wait until libvirt sees them shut off (at most 6 s, then force them off): forced off after 6 s: a (a asked again over ssh after 3 s)',
  );
  expect(r.stdout).toContain('labforge: forced off after the time limit (they did not shut down by themselves): a');
  expect((await virsh('domstate', 't-a')).trim()).toBe('shut off');
}, 120000);
