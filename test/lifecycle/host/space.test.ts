// Free space where the lab's disks and output go (src/lifecycle/host/space.ts): the mount a path is on, the sentence
// a full file system gets, the tools' ENOSPC turned into it, and statfs of a real size-limited tmpfs.
import fs from 'node:fs';
import path from 'node:path';
import { execa } from 'execa';
import {
  DiskFullError,
  diskFullOr,
  localSpace,
  mountOf,
  NO_SPACE,
  requireSpace,
} from '../../../src/lifecycle/host/space.js';
import { ToolError } from '../../../src/errors.js';
import { onCleanup, tempDir } from '../../support.js';

const MOUNTINFO = [
  '22 27 0:21 / /proc rw,relatime - proc proc rw',
  '27 1 252:0 / / rw,relatime - ext4 /dev/vda rw',
  '40 27 0:40 / /var/lib/libvirt rw - xfs /dev/sdb1 rw',
  '41 40 7:3 / /var/lib/libvirt/my\\040pool rw shared:1 - ext4 /dev/loop3 rw',
  '42 27 0:50 / /var/lib/libvirt/images2 rw - tmpfs tmpfs rw,size=1024k',
].join('\n');

test('mountOf: the deepest mount point above a path (optional fields, octal escapes); a sibling with a common prefix is not it', () => {
  expect(mountOf('/var/lib/libvirt/images/a.img', MOUNTINFO)).toEqual({
    mountPoint: '/var/lib/libvirt',
    fsType: 'xfs',
    source: '/dev/sdb1',
  });
  expect(mountOf('/var/lib/libvirt/my pool/x.qcow2', MOUNTINFO)).toEqual({
    mountPoint: '/var/lib/libvirt/my pool',
    fsType: 'ext4',
    source: '/dev/loop3',
  });
  expect(mountOf('/var/lib/libvirt/images2', MOUNTINFO)?.fsType).toBe('tmpfs');
  // "/var/lib/libvirt/images20" is not below the images2 mount.
  expect(mountOf('/var/lib/libvirt/images20/x', MOUNTINFO)?.mountPoint).toBe('/var/lib/libvirt');
  expect(mountOf('/home/u/lab', MOUNTINFO)).toEqual({ mountPoint: '/', fsType: 'ext4', source: '/dev/vda' });
  expect(mountOf('/x', '')).toBeUndefined();
});

test('requireSpace: enough passes; too little is exit 1 naming the place, what is free, what is needed and why', () => {
  const space = {
    availableBytes: 100 * 2 ** 20,
    where: 'storage pool default (/p), on the ext4 file system mounted at /p (/dev/loop3)',
  };
  expect(() => requireSpace('labforge up', space, 100 * 2 ** 20, 'x')).not.toThrow();
  let caught: unknown;
  try {
    requireSpace('labforge snapshot save', space, 1056 * 2 ** 20, 'the memory of 2 running nodes');
  } catch (e) {
    caught = e;
  }
  expect(caught).toBeInstanceOf(DiskFullError);
  expect((caught as DiskFullError).exitStatus).toBe(1);
  expect((caught as Error).message).toBe(
    'labforge snapshot save: not enough free space in storage pool default (/p), on the ext4 file system mounted at /p ' +
      '(/dev/loop3): 100 MiB free, labforge snapshot save needs about 1056 MiB (the memory of 2 running nodes). Nothing was ' +
      'changed: free space there (or give host.pool_path a larger file system), then run labforge snapshot save again',
  );
});

test("diskFullOr: a tool's ENOSPC becomes DiskFullError naming the place and quoting the tool; any other error stays", () => {
  const enospc = new ToolError(
    'virsh',
    ['virsh', 'snapshot-create-as', 'd', 's1'],
    1,
    'error: operation failed: Failed to take snapshot: Error while writing VM state: No space left on device',
  );
  const space = {
    availableBytes: 3 * 2 ** 20,
    where: 'storage pool default (/p), on the tmpfs file system mounted at /p (tmpfs)',
  };
  const e = diskFullOr(enospc, 'labforge snapshot save', space, 'snapshot s1 needs about 1056 MiB', 'Run it again.');
  expect(e).toBeInstanceOf(DiskFullError);
  expect((e as Error).message).toBe(
    'labforge snapshot save: storage pool default (/p), on the tmpfs file system mounted at /p (tmpfs) is full (3 MiB free ' +
      'now): snapshot s1 needs about 1056 MiB. The tool said: error: operation failed: Failed to take snapshot: Error ' +
      'while writing VM state: No space left on device. Run it again.',
  );
  const other = new ToolError('virsh', ['virsh', 'start', 'd'], 1, 'error: domain is already active');
  expect(diskFullOr(other, 'labforge up', space, 'x', 'y')).toBe(other);
  for (const said of ['ENOSPC: no space left on device, write', 'Disk quota exceeded', 'Not enough space in the pool'])
    expect(NO_SPACE.test(said)).toBe(true);
});

test("diskFullOr, short: a write that failed (curl's exit 23 in vagrant box add) is a full disk when the caller found the file system short", () => {
  const curl = new ToolError(
    'vagrant',
    ['vagrant', 'box', 'add', 'x.box'],
    1,
    'An error occurred while downloading the remote file.\n\nFailure writing output to destination\n',
  );
  const space = { availableBytes: 0, where: "Vagrant's home /vh, on the tmpfs file system mounted at /vh (tmpfs)" };
  expect(diskFullOr(curl, 'labforge bake', space, 'x', 'y')).toBe(curl);
  const e = diskFullOr(curl, 'labforge bake', space, 'the box needs about 49 MiB', 'Run it again.', true);
  expect(e).toBeInstanceOf(DiskFullError);
  expect((e as Error).message).toBe(
    "labforge bake: Vagrant's home /vh, on the tmpfs file system mounted at /vh (tmpfs) is full (0 MiB free now): the " +
      'box needs about 49 MiB. The tool said: Failure writing output to destination. Run it again.',
  );
  expect(() => requireSpace('labforge bake', space, 2 ** 20, 'the box', 'Nothing was installed.')).toThrow(
    "labforge bake: not enough free space in Vagrant's home /vh, on the tmpfs file system mounted at /vh (tmpfs): 0 MiB " +
      'free, labforge bake needs about 1 MiB (the box). Nothing was installed.',
  );
});

const root = process.getuid?.() === 0;
(root ? test : test.skip)(
  'localSpace: statfs of a real 8 MiB tmpfs, named by its mount (also for a folder not made yet)',
  async () => {
    const dir = tempDir('labforge-space-');
    const mnt = path.join(dir, 'small');
    fs.mkdirSync(mnt);
    await execa('mount', ['-t', 'tmpfs', '-o', 'size=8m', 'tmpfs', mnt]);
    onCleanup(() => execa('umount', ['-l', mnt]).then(() => fs.rmSync(dir, { recursive: true, force: true })));
    const s = localSpace(path.join(mnt, 'pool', 'not-yet'), 'storage pool default');
    expect(s.where).toBe(`storage pool default, on the tmpfs file system mounted at ${fs.realpathSync(mnt)} (tmpfs)`);
    expect(s.availableBytes).toBe(8 * 2 ** 20);
    fs.writeFileSync(path.join(mnt, 'filler'), Buffer.alloc(5 * 2 ** 20, 1));
    expect(localSpace(mnt, 'x').availableBytes).toBe(3 * 2 ** 20);
    expect(() => requireSpace('labforge up', localSpace(mnt, 'the output folder'), 16 * 2 ** 20, 'logs')).toThrow(
      new RegExp(
        '^labforge up: not enough free space in the output folder, on the tmpfs file system mounted at .* \\(tmpfs\\): ' +
          '3 MiB free, labforge up needs about 16 MiB \\(logs\\)',
      ),
    );
  },
);
