// QEMU's copies of a snapshot that libvirt lost (a libvirtd restart during a save): which domains labforge clears
// (only a snapshot it recorded as interrupted, only the domains it recorded parts on), how (QEMU's delvm for a
// running node, qemu-img by id on a real qcow2 for a shut-off one), and what it refuses. libvirt is a stand-in here;
// test/lifecycle/snapshots/snapshot-libvirt.test.ts runs the same on a real libvirtd.
import fs from 'node:fs';
import path from 'node:path';
import { execa } from 'execa';
import { loadLabText } from '../../../src/lab/load.js';
import { emptyRecord, type OwnershipRecord } from '../../../src/lifecycle/state/ownership.js';
import { lostCopyDomains } from '../../../src/lifecycle/snapshots/plan.js';
import { removeLostCopies } from '../../../src/lifecycle/snapshots/lost-copies.js';
import { parseImageSnapshots } from '../../../src/tools/qemu-img.js';
import { qemuSnapshotDelete } from '../../../src/tools/qemu-snapshots.js';
import { Virsh } from '../../../src/tools/virsh.js';
import type { BlockDevice } from '../../../src/tools/virsh-output.js';
import { requireTool, ROOT, tempDir } from '../../support.js';

const UA = '11111111-1111-1111-1111-111111111111';
const UB = '22222222-2222-2222-2222-222222222222';
const LAB = 'name: t\nvips: []\nnodes:\n  - { name: a, ip: 10.240.0.11 }\n  - { name: b, ip: 10.240.0.12 }\n';
const lab = loadLabText(LAB, '/tmp/lost/lab.yaml', { outDir: '/tmp/lost/out' }).lab;

const record = (status: 'saving' | 'deleting' | 'complete', parts = [UA, UB]): OwnershipRecord => ({
  ...emptyRecord('t', 'qemu:///system'),
  snapshots: [
    {
      name: 's',
      createdAt: '2026-12-03T06:00:00Z',
      status,
      parts: parts.map((uuid, i) => ({ node: ['a', 'b'][i], uuid, state: 'running', taken: false })),
    },
  ],
});

describe('which domains', () => {
  test('only a snapshot recorded as interrupted (saving, deleting), only the domains recorded as its parts', () => {
    expect(lostCopyDomains(record('saving'), 's', [UA, UB])).toEqual([UA, UB]);
    expect(lostCopyDomains(record('deleting'), 's', [UB])).toEqual([UB]);
    expect(lostCopyDomains(record('saving', [UA]), 's', [UA, UB])).toEqual([UA]);
  });
  test('never by guess: a complete snapshot, a name the record lacks, a lab without snapshots', () => {
    expect(lostCopyDomains(record('complete'), 's', [UA, UB])).toEqual([]);
    expect(lostCopyDomains(record('saving'), 'other', [UA, UB])).toEqual([]);
    expect(lostCopyDomains(emptyRecord('t', 'qemu:///system'), 's', [UA])).toEqual([]);
  });
});

/** A libvirt stand-in: each domain's state, libvirt's snapshot names, QEMU's snapshot names per disk, its disks. */
class FakeVirsh extends Virsh {
  calls: string[] = [];
  constructor(
    readonly doms: Record<
      string,
      { states: string[]; libvirt: string[]; qemu?: Record<string, string[]>; disks?: BlockDevice[] }
    >,
    uri = 'qemu:///system',
  ) {
    super(uri);
  }
  override async snapshots(d: string) {
    return this.doms[d].libvirt;
  }
  override async domainState(d: string) {
    const s = this.doms[d].states;
    return s.length > 1 ? s.shift()! : s[0];
  }
  override async domainDisks(d: string) {
    return this.doms[d].disks ?? [];
  }
  override async qemuMonitor(d: string, command: string, hmp = false) {
    this.calls.push(`${d} ${hmp ? 'hmp ' : ''}${command}`);
    const qemu = this.doms[d].qemu ?? {};
    const m = /^delvm (\S+)$/.exec(command);
    if (hmp && m) {
      // One copy per disk, as QEMU's delvm deletes.
      for (const disk of Object.keys(qemu)) {
        const i = qemu[disk].indexOf(m[1]);
        if (i >= 0) qemu[disk].splice(i, 1);
      }
      return '';
    }
    if (command === '{"execute":"query-block"}')
      return JSON.stringify({
        return: Object.entries(qemu).map(([disk, names]) => ({
          device: '',
          qdev: disk,
          inserted: {
            'node-name': `${disk}-format`,
            image: { snapshots: names.map((name, i) => ({ id: String(i + 1), name })) },
          },
        })),
        id: 'libvirt-1',
      });
    throw new Error(`unexpected monitor command ${command}`);
  }
}

const a = { node: 'a', uuid: UA };
const b = { node: 'b', uuid: UB };

describe('a running node: through its QEMU', () => {
  test('every copy of the name in every disk goes (one per disk and delvm), other names stay; then said', async () => {
    const v = new FakeVirsh({
      [UA]: { states: ['running'], libvirt: [], qemu: { vda: ['keep', 's', 's'], vdb: ['s'] } },
      [UB]: { states: ['paused'], libvirt: [], qemu: { vda: ['keep'] } },
    });
    const said = await removeLostCopies(lab, v, [a, b], 's');
    expect(v.doms[UA].qemu).toEqual({ vda: ['keep'], vdb: [] });
    expect(v.doms[UB].qemu).toEqual({ vda: ['keep'] });
    expect(v.calls.filter((c) => c.includes('delvm'))).toEqual([`${UA} hmp delvm s`, `${UA} hmp delvm s`]);
    expect(said).toEqual([
      "removed QEMU's copies of snapshot s that libvirt had lost (a save interrupted by a libvirtd restart) from the disks of a",
    ]);
  });
  test("a domain where libvirt lists the snapshot is libvirt's to delete: QEMU is not asked", async () => {
    const v = new FakeVirsh({ [UA]: { states: ['running'], libvirt: ['s'], qemu: { vda: ['s'] } } });
    expect(await removeLostCopies(lab, v, [a], 's')).toEqual([]);
    expect(v.calls).toEqual([]);
  });
  test('no copy: nothing deleted, nothing said', async () => {
    const v = new FakeVirsh({ [UA]: { states: ['running'], libvirt: [], qemu: { vda: ['keep'] } } });
    expect(await removeLostCopies(lab, v, [a], 's')).toEqual([]);
    expect(v.calls).toEqual([`${UA} {"execute":"query-block"}`]);
  });
  test('QEMU matches names, not ids: a name of digits is deleted as a name; one that is not one HMP word is refused', async () => {
    const v = new FakeVirsh({ [UA]: { states: ['running'], libvirt: [], qemu: { vda: ['x', '1', '7'] } } });
    expect(await removeLostCopies(lab, v, [a], '1')).toHaveLength(1);
    expect(v.doms[UA].qemu).toEqual({ vda: ['x', '7'] });
    await expect(qemuSnapshotDelete(v, UA, 'a b')).rejects.toThrow(/not deleted/);
    await expect(qemuSnapshotDelete(v, UA, '-x')).rejects.toThrow(/not deleted/);
    expect(v.calls.filter((c) => c.includes('delvm'))).toEqual([`${UA} hmp delvm 1`]);
  });
  test('HMP failures come as text: reported', async () => {
    const v = new FakeVirsh({ [UA]: { states: ['running'], libvirt: [] } });
    v.qemuMonitor = async () => "Error: Error while deleting snapshot on 'drive-virtio-disk0'";
    await expect(qemuSnapshotDelete(v, UA, 's')).rejects.toThrow(
      `QEMU's delvm s on domain ${UA} failed: Error: Error while deleting snapshot on 'drive-virtio-disk0'`,
    );
  });
});

describe('a shut-off node: qemu-img on its disk', () => {
  const fixture = fs.readFileSync(path.join(ROOT, 'test', 'tools', 'fixtures', 'qemu-img-info-snapshots.json'), 'utf8');
  test("qemu-img info's snapshots: a name twice, each with its own id", () => {
    expect(parseImageSnapshots(fixture)).toEqual({
      format: 'qcow2',
      snapshots: [
        { id: '1', name: 'keep' },
        { id: '2', name: 'lost' },
        { id: '3', name: 'lost' },
      ],
    });
    expect(parseImageSnapshots('{"format":"raw"}')).toEqual({ format: 'raw', snapshots: [] });
  });

  const qcow2 = async (names: string[]) => {
    requireTool('qemu-img');
    const file = path.join(tempDir('labforge-lost-'), 'disk with space.qcow2');
    await execa('qemu-img', ['create', '-q', '-f', 'qcow2', file, '16M']);
    for (const n of names) await execa('qemu-img', ['snapshot', '-c', n, file]);
    return file;
  };
  const names = async (file: string) =>
    parseImageSnapshots((await execa('qemu-img', ['info', '--output=json', file])).stdout).snapshots.map((s) => s.name);
  const disk = (file: string, more: Partial<BlockDevice> = {}): BlockDevice => ({
    type: 'file',
    device: 'disk',
    target: 'vda',
    source: file,
    ...more,
  });

  test('every copy of the name goes (a name twice); other names stay, also one that is another snapshot id', async () => {
    const file = await qcow2(['s', '1', 'keep', 's']);
    const cd = await qcow2(['s']);
    const v = new FakeVirsh({
      [UA]: { states: ['shut off'], libvirt: [], disks: [disk(file), disk(cd, { device: 'cdrom', target: 'sda' })] },
    });
    expect(await removeLostCopies(lab, v, [a], 's')).toHaveLength(1);
    expect(await names(file)).toEqual(['1', 'keep']);
    expect(await names(cd)).toEqual(['s']);
  });
  test('a node started meanwhile: its disk is left as it is', async () => {
    const file = await qcow2(['s']);
    const v = new FakeVirsh({ [UA]: { states: ['shut off', 'running'], libvirt: [], disks: [disk(file)] } });
    await expect(removeLostCopies(lab, v, [a], 's')).rejects.toThrow(
      'node a was started meanwhile: its disk ' + file + ' was left as it is',
    );
    expect(await names(file)).toEqual(['s']);
  });
  test('a disk qemu-img cannot change: refused naming the file and the commands to run by hand', async () => {
    const v = new FakeVirsh({ [UA]: { states: ['shut off'], libvirt: [], disks: [disk('/nonexistent/d.qcow2')] } });
    await expect(removeLostCopies(lab, v, [a], 's')).rejects.toThrow(
      new RegExp(
        'node a: could not remove the copy of snapshot s that libvirt lost from /nonexistent/d.qcow2: .*' +
          'qemu-img snapshot -l /nonexistent/d.qcow2, then qemu-img snapshot -d s /nonexistent/d.qcow2',
      ),
    );
  });
  test('on a remote host labforge cannot look into the disks: said, nothing done', async () => {
    const remote = loadLabText(
      LAB.replace('name: t\n', 'name: t\nhost: { uri: "qemu+ssh://u@h1/system" }\n'),
      '/tmp/lost/lab.yaml',
      {
        outDir: '/tmp/lost/out',
      },
    ).lab;
    const v = new FakeVirsh(
      { [UA]: { states: ['shut off'], libvirt: [], disks: [disk('/x.qcow2')] } },
      'qemu+ssh://u@h1/system',
    );
    expect(await removeLostCopies(remote, v, [a], 's')).toEqual([
      'node a is shut off on host h1: labforge cannot look into its disks there for a copy of snapshot s that ' +
        'libvirt lost (one would stay beside the new one); `labforge up` first lets it check',
    ]);
  });
});
