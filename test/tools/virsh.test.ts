// The virsh adapter's parsers, on real virsh 9.0 output captured on this machine (fixtures/README.md says how).
import fs from 'node:fs';
import path from 'node:path';
import { execa } from 'execa';
import { vagrantState } from '../../src/lifecycle/nodes/status.js';
import {
  parseDomainList,
  parseDomblklist,
  parseDomiflist,
  parseSerials,
  parseVolList,
  parseVolumeBacking,
  volumeDiskPool,
} from '../../src/tools/virsh-output.js';
import { requireTool, ROOT } from '../support.js';

const fixture = (name: string) => fs.readFileSync(path.join(ROOT, 'test', 'tools', 'fixtures', name), 'utf8');

test('vol-list: every volume with its path, names with spaces and non-ASCII letters intact', () => {
  expect(parseVolList(fixture('vol-list.txt'))).toEqual([
    {
      name: 'a-very-long-volume-name-that-is-wider-than-the-path-column.img',
      path: '/tmp/cap/pool/a-very-long-volume-name-that-is-wider-than-the-path-column.img',
    },
    { name: 'base_vagrant_box_image_0_box.img', path: '/tmp/cap/pool/base_vagrant_box_image_0_box.img' },
    { name: 'dïsk ünïcode.img', path: '/tmp/cap/pool/dïsk ünïcode.img' },
    { name: 'my disk.img', path: '/tmp/cap/pool/my disk.img' },
    { name: 'web-db-1.img', path: '/tmp/cap/pool/web-db-1.img' },
    { name: 'web-db.img', path: '/tmp/cap/pool/web-db.img' },
  ]);
});

test('vol-list: an empty pool has no volumes; a path that is not absolute is split at the Path column', () => {
  expect(parseVolList(' Name   Path\n------------------\n\n')).toEqual([]);
  expect(parseVolList(' Name        Path\n-------------------------\n lab disk    rbd/lab disk\n')).toEqual([
    { name: 'lab disk', path: 'rbd/lab disk' },
  ]);
});

test('domblklist --details: type, device, target and source; an empty CD-ROM has no source', () => {
  expect(parseDomblklist(fixture('domblklist-details.txt'))).toEqual([
    { type: 'file', device: 'disk', target: 'vda', source: '/tmp/cap/pool/web-db.img' },
    { type: 'volume', device: 'disk', target: 'vdb', source: 'my disk.img' },
    {
      type: 'file',
      device: 'cdrom',
      target: 'sda',
      source: '/tmp/cap/pool/a-very-long-volume-name-that-is-wider-than-the-path-column.img',
    },
    { type: 'file', device: 'cdrom', target: 'sdb', source: undefined },
  ]);
});

test('a volume disk finds its pool in the domain XML', () => {
  const xml = `<domain><devices>
    <disk type='file' device='disk'><source file='/x/a.img'/><target dev='vda' bus='virtio'/></disk>
    <disk type='volume' device='disk'><driver name='qemu' type='raw'/>
      <source pool='lab &amp; pool' volume='my disk.img'/><target dev='vdb' bus='virtio'/></disk>
  </devices></domain>`;
  expect(volumeDiskPool(xml, 'vdb')).toBe('lab & pool');
  expect(volumeDiskPool(xml, 'vda')).toBeUndefined();
});

test('domiflist: the network an interface is on, also when its name has spaces; bridges are told apart', () => {
  expect(parseDomiflist(fixture('domiflist.txt'))).toEqual([
    { type: 'network', source: 'lf cap net', model: 'virtio', mac: '52:54:00:aa:bb:cc' },
    { type: 'bridge', source: 'virbr77', model: 'rtl8139', mac: '52:54:00:02:41:4a' },
  ]);
});

test('vol-dumpxml: the backing file of a qcow2 overlay; none for a plain volume', () => {
  expect(parseVolumeBacking(fixture('vol-dumpxml-backed.xml'))).toBe('/tmp/cap/pool/base_vagrant_box_image_0_box.img');
  expect(
    parseVolumeBacking("<volume type='file'><name>a</name><target><path>/p/a</path></target></volume>"),
  ).toBeUndefined();
});

test('list --all: every domain with its state, in one call; "shut off" keeps its space (real virsh, test driver)', async () => {
  requireTool('virsh');
  // libvirt's built-in test driver needs no daemon: its one domain "test" runs; a stopped one is made beside it.
  const out = await execa('virsh', ['-q', '-c', 'test:///default', 'list', '--all']);
  expect(parseDomainList(out.stdout)).toEqual(new Map([['test', 'running']]));
  expect(parseDomainList(' 3    lab-a   running\n -    lab-b   shut off\n -    lab-c   paused\n')).toEqual(
    new Map([
      ['lab-a', 'running'],
      ['lab-b', 'shut off'],
      ['lab-c', 'paused'],
    ]),
  );
});

test("status speaks Vagrant's words: not_created without the machine's id or its domain, shutoff for shut off", () => {
  expect(vagrantState(false, 'running')).toBe('not_created');
  expect(vagrantState(true, undefined)).toBe('not_created');
  expect(vagrantState(true, 'running')).toBe('running');
  expect(vagrantState(true, 'shut off')).toBe('shutoff');
  expect(vagrantState(true, 'paused')).toBe('paused');
});

test("a domain's serial ports in order: the console log file first, the pty labforge console connects to second", () => {
  const xml = `<domain><devices>
    <serial type='file'>
      <source path='/out/logs/a&amp;b-console.log'/>
      <target type='isa-serial' port='0'><model name='isa-serial'/></target>
      <alias name='serial0'/>
    </serial>
    <serial type="pty">
      <source path='/dev/pts/3'/>
      <target type='isa-serial' port='1'/>
    </serial>
    <console type='file'><source path='/out/logs/a-console.log'/><target type='serial' port='0'/></console>
  </devices></domain>`;
  expect(parseSerials(xml)).toEqual([
    { type: 'file', path: '/out/logs/a&b-console.log' },
    { type: 'pty', path: '/dev/pts/3' },
  ]);
  expect(parseSerials('<domain><devices></devices></domain>')).toEqual([]);
});
