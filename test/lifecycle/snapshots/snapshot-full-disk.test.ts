// A full disk against a real libvirtd in the test's own network namespace (#23 point 4): the lab's pool on a 48 MiB
// tmpfs. `snapshot save` of a running node (a small domain in its BIOS) is refused before anything is recorded or
// suspended, naming the file system and the space needed; the node keeps running, no snapshot exists or is recorded.
// up's check asks for the box's base volume and the new node disks in the same pool, and is refused the same way.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import { loadLabText } from '../../../src/lab/load.js';
import { saveSnapshot } from '../../../src/lifecycle/snapshots/save.js';
import { checkUpSpace } from '../../../src/lifecycle/up.js';
import { DiskFullError } from '../../../src/lifecycle/host/space.js';
import { LAYOUT } from '../../../src/layout.js';
import { readRecord } from '../../../src/lifecycle/state/record.js';
import { Virsh } from '../../../src/tools/virsh.js';
import { qcow2Disk, useNetns } from '../../netns.js';
import { cli, ownershipRecord } from '../../support.js';

// Not tempDir(): its clean-up may run before the file system below it is unmounted (afterAll here).
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'labforge-full-'));
fs.chmodSync(work, 0o755);
const small = path.join(work, 'small');
// Mounted before the environment is made: its mount namespace starts as a copy of this one, so libvirt, QEMU and
// this test see the same 48 MiB file system.
beforeAll(async () => {
  fs.mkdirSync(small);
  await execa('mount', ['-t', 'tmpfs', '-o', 'size=48m,mode=0755', 'tmpfs', small]);
});
const ns = useNetns('lf-full');
const vagrantHome = path.join(work, 'vagrant-home');
const savedHome = process.env.VAGRANT_HOME;

afterAll(async () => {
  const quiet = ns().virshQuiet;
  await quiet('destroy', 't-a');
  await quiet('undefine', '--snapshots-metadata', 't-a');
  await quiet('pool-destroy', 'default');
  await quiet('pool-undefine', 'default');
  process.env.VAGRANT_HOME = savedHome;
  await execa('umount', ['-l', small], { reject: false });
  fs.rmSync(work, { recursive: true, force: true });
});

const virsh = (...args: string[]) => ns().virsh(...args);

test('a pool on a full file system: snapshot save and up are refused naming it and the space needed; nothing recorded, the node runs on', async () => {
  await virsh('pool-define-as', 'default', 'dir', '--target', small);
  await virsh('pool-start', 'default');
  await virsh('vol-create-as', 'default', 't-a.qcow2', '16M', '--format', 'qcow2');
  const disk = path.join(small, 't-a.qcow2');
  const uuid = await ns().defineDomain('t-a', qcow2Disk(disk));
  await virsh('start', 't-a');
  const out = path.join(work, 'out');
  const labText = `name: t\nvips: []\nnodes:\n  - { name: a, ip: 10.240.0.11, memory: 256M }\nhost:\n  pool: default\n`;
  fs.writeFileSync(path.join(work, 'lab.yaml'), labText);
  expect((await cli(['--lab', path.join(work, 'lab.yaml'), '--out', out, 'render'])).exitCode).toBe(0);
  const { lab } = loadLabText(labText, path.join(work, 'lab.yaml'), { outDir: out });
  fs.writeFileSync(path.join(out, LAYOUT.state), ownershipRecord('t', { domains: [{ node: 'a', uuid, name: 't-a' }] }));
  const where = `storage pool default (${small}), on the tmpfs file system mounted at ${small} (tmpfs)`;

  const save = saveSnapshot(lab, 's1');
  await expect(save).rejects.toThrow(DiskFullError);
  await expect(save).rejects.toThrow(
    new RegExp(
      `^labforge snapshot save: not enough free space in ${where.replace(/[()/.]/g, '\\$&')}: (4[0-8]) MiB free, ` +
        'labforge snapshot save needs about 272 MiB \\(the memory of 1 running node, which the snapshot keeps in ' +
        "their disks, and 16 MiB for each node's device state\\)\\. Nothing was changed",
    ),
  );
  expect((await virsh('domstate', 't-a')).trim()).toBe('running');
  expect((await virsh('snapshot-list', 't-a', '--name')).trim()).toBe('');
  expect(readRecord(out)!.snapshots ?? []).toEqual([]);

  // up: the box's base volume is not in the pool yet, and node a has no domain Vagrant made.
  process.env.VAGRANT_HOME = vagrantHome;
  const boxDir = path.join(vagrantHome, 'boxes', 'labforge-VAGRANTSLASH-test', '0', 'libvirt');
  fs.mkdirSync(boxDir, { recursive: true });
  fs.writeFileSync(path.join(boxDir, 'metadata.json'), '{"provider":"libvirt"}');
  fs.closeSync(fs.openSync(path.join(boxDir, 'box.img'), 'w'));
  fs.truncateSync(path.join(boxDir, 'box.img'), 40 * 2 ** 20);
  await expect(checkUpSpace(lab, new Virsh(lab.host.uri), 'labforge/test')).rejects.toThrow(
    new RegExp(
      `^labforge up: not enough free space in ${where.replace(/[()/.]/g, '\\$&')}: \\d+ MiB free, labforge up needs ` +
        "about 168 MiB \\(the box's base volume, 40 MiB, and 128 MiB for each of the 1 node disks it creates\\)",
    ),
  );
  // With the base volume in the pool, only the node disk is asked for.
  await virsh('vol-create-as', 'default', 'labforge-VAGRANTSLASH-test_vagrant_box_image_0_box.img', '1M');
  await expect(checkUpSpace(lab, new Virsh(lab.host.uri), 'labforge/test')).rejects.toThrow(
    /needs about 128 MiB \(128 MiB for each of the 1 node disks it creates\)/,
  );
});
