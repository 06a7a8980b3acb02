// destroy against a real libvirtd in the test's own network namespace, without Vagrant: lab `web` (node `db`) next to
// the domain, disk and network of lab `web-db` (node `1`), whose disk `web-db-1.img` the old name-prefix rule
// matched. destroy removes exactly what lab web owns and says what it keeps.
import fs from 'node:fs';
import path from 'node:path';
import { loadLabText } from '../../src/lab/load.js';
import { destroy } from '../../src/lifecycle/destroy.js';
import { LAYOUT } from '../../src/layout.js';
import { Virsh } from '../../src/tools/virsh.js';
import { lines, qcow2Disk, useNetns } from '../netns.js';
import { ownershipRecord, tempDir } from '../support.js';

const ns = useNetns('lf-destroy');
const BASE = 'labforge-VAGRANTSLASH-local-0123456789abcdef_vagrant_box_image_0_box.img';
let work: string;

afterAll(async () => {
  // What the test defined goes before its files do (the namespace's teardown removes anything left as well).
  const quiet = ns().virshQuiet;
  for (const dom of ['web-db', 'web-db-1']) await quiet('undefine', dom);
  for (const net of ['lfd-web', 'lfd-web-mgmt', 'lfd-webdb']) await quiet('net-undefine', net);
  await quiet('pool-destroy', 'lfd');
  await quiet('pool-undefine', 'lfd');
  if (work) fs.rmSync(work, { recursive: true, force: true });
});

const virsh = (...args: string[]) => ns().virsh(...args);

const devices = (disk: string, iso: string, network: string) =>
  qcow2Disk(disk) +
  `<disk type='file' device='cdrom'><driver name='qemu' type='raw'/><source file='${iso}'/><target dev='sda' bus='sata'/><readonly/></disk>
  <interface type='network'><source network='${network}'/><model type='virtio'/></interface>`;

test("destroy of lab web removes its domain, its disk and the network labforge defined, and nothing of lab web-db's", async () => {
  work = tempDir('labforge-destroy-');
  fs.chmodSync(work, 0o755);
  const pool = path.join(work, 'pool');
  fs.mkdirSync(pool, { mode: 0o755 });
  await virsh('pool-define-as', 'lfd', 'dir', '--target', pool);
  await virsh('pool-start', 'lfd');
  await virsh('vol-create-as', 'lfd', BASE, '16M', '--format', 'qcow2');
  for (const disk of ['web-db.img', 'web-db-1.img'])
    await virsh(
      'vol-create-as',
      'lfd',
      disk,
      '16M',
      '--format',
      'qcow2',
      '--backing-vol',
      BASE,
      '--backing-vol-format',
      'qcow2',
    );
  await virsh('vol-create-as', 'lfd', 'shared install.iso', '1M', '--format', 'raw');
  for (const net of ['lfd-web', 'lfd-web-mgmt', 'lfd-webdb']) {
    fs.writeFileSync(path.join(work, `${net}.xml`), `<network><name>${net}</name></network>`);
    await virsh('net-define', path.join(work, `${net}.xml`));
  }
  const iso = path.join(pool, 'shared install.iso');
  const uuid = await ns().defineDomain('web-db', devices(path.join(pool, 'web-db.img'), iso, 'lfd-web'));
  await ns().defineDomain('web-db-1', devices(path.join(pool, 'web-db-1.img'), iso, 'lfd-webdb'));

  // Lab web: Vagrant recorded its node's domain id; labforge defined lfd-web and reused lfd-web-mgmt.
  const out = path.join(work, 'out');
  const { lab } = loadLabText(
    'name: web\n' +
      'network: { name: lfd-web, cidr: 10.243.0.0/24, management: { name: lfd-web-mgmt, cidr: 192.168.243.0/24 } }\n' +
      'vips: []\nnodes: [{ name: db, ip: 10.243.0.11 }]\n',
    path.join(work, 'lab.yaml'),
    { outDir: out },
  );
  fs.mkdirSync(path.join(out, '.vagrant', 'machines', 'db', 'libvirt'), { recursive: true });
  fs.writeFileSync(path.join(out, '.vagrant', 'machines', 'db', 'libvirt', 'id'), `${uuid}\n`);
  const netUuid = await new Virsh('qemu:///system').networkUuid('lfd-web');
  // vagrant-libvirt lists every network a node joined, also one that existed before: vagrant destroy must not get it.
  const created = path.join(out, '.vagrant', 'machines', 'db', 'libvirt', 'created_networks');
  fs.writeFileSync(created, `${await new Virsh('qemu:///system').networkUuid('lfd-web-mgmt')}\n${netUuid}\n`);
  fs.writeFileSync(
    path.join(out, LAYOUT.state),
    ownershipRecord('web', { networks: [{ name: 'lfd-web', uuid: netUuid }] }),
  );

  const { removed, kept } = await destroy(lab, {});

  expect(removed).toEqual(['domain web-db', 'volume web-db.img', 'network lfd-web']);
  expect(kept).toEqual([
    `volume ${BASE} (pool lfd): the box's base volume, still the backing file of web-db-1.img (pool lfd)`,
    'network lfd-web-mgmt: labforge did not define it (it existed when the lab came up)',
  ]);
  expect(lines(await virsh('list', '--all', '--name'))).toEqual(['web-db-1']);
  const vols = lines(await virsh('vol-list', '--pool', 'lfd')).map((l) => l.slice(0, l.indexOf(' /')).trim());
  expect(vols.sort()).toEqual([BASE, 'shared install.iso', 'web-db-1.img'].sort());
  expect(
    lines(await virsh('net-list', '--all', '--name'))
      .filter((n) => n.startsWith('lfd-'))
      .sort(),
  ).toEqual(['lfd-web-mgmt', 'lfd-webdb']);
  expect(fs.existsSync(path.join(out, LAYOUT.state))).toBe(false);
  expect(fs.existsSync(created)).toBe(false);
});
