// destroy's decision: given the lab's ownership record and what libvirt has now, what goes and what stays (and why).
import {
  emptyRecord,
  mergeRecords,
  planDestroy,
  recordOn,
  recordUris,
  type LibvirtNow,
  type OwnershipRecord,
} from '../../../src/lifecycle/state/ownership.js';

const POOL = '/var/lib/libvirt/images';
const BASE = `${POOL}/labforge-VAGRANTSLASH-local-0b58d605aa2e5cf2_vagrant_box_image_0_box.img`;
const vol = (name: string, backing?: string) => ({ pool: 'default', name, path: `${POOL}/${name}`, backing });

/** Lab `web` (node `db`) and lab `web-db` (node `1`), both up from the same box: the old prefix rule `web-db-*`
 *  matched `web-db-1.img`, the disk of the other lab. */
const web: OwnershipRecord = {
  ...emptyRecord('web', 'qemu:///system'),
  domains: [{ node: 'db', uuid: 'aaaaaaaa-0000-0000-0000-000000000001', name: 'web-db' }],
  volumes: [vol('web-db.img', BASE)],
  networks: [
    { name: 'web', uuid: 'nnnnnnnn-0000-0000-0000-000000000001' },
    { name: 'web-mgmt', uuid: 'nnnnnnnn-0000-0000-0000-000000000002' },
  ],
};
const both: LibvirtNow = {
  domains: [
    { uuid: 'aaaaaaaa-0000-0000-0000-000000000001', name: 'web-db' },
    { uuid: 'bbbbbbbb-0000-0000-0000-000000000001', name: 'web-db-1' },
  ],
  volumes: [
    vol('web-db.img', BASE),
    vol('web-db-1.img', BASE),
    { pool: 'default', name: BASE.split('/').pop()!, path: BASE },
  ],
  networks: [
    { name: 'web', uuid: 'nnnnnnnn-0000-0000-0000-000000000001', users: ['web-db'] },
    { name: 'web-mgmt', uuid: 'nnnnnnnn-0000-0000-0000-000000000002', users: ['web-db'] },
    { name: 'web-db', uuid: 'nnnnnnnn-0000-0000-0000-000000000003', users: ['web-db-1'] },
    { name: 'web-db-mgmt', uuid: 'nnnnnnnn-0000-0000-0000-000000000004', users: ['web-db-1'] },
  ],
};

test("destroying lab web removes its own domain, disk and networks, never lab web-db's web-db-1 disk", () => {
  const plan = planDestroy(web, both, { labNetworks: ['web-mgmt', 'web'] });
  expect(plan.domains).toEqual([{ uuid: 'aaaaaaaa-0000-0000-0000-000000000001', name: 'web-db' }]);
  expect(plan.volumes.map((v) => v.name)).toEqual(['web-db.img']);
  expect(plan.networks).toEqual(['web', 'web-mgmt']);
  expect(plan.kept).toEqual([
    `volume ${BASE.split('/').pop()} (pool default): the box's base volume, still the backing file of web-db-1.img (pool default)`,
  ]);
});

test('the box base volume goes once no volume left is backed by it', () => {
  const webDb: OwnershipRecord = {
    ...emptyRecord('web-db', 'qemu:///system'),
    domains: [{ node: '1', uuid: 'bbbbbbbb-0000-0000-0000-000000000001', name: 'web-db-1' }],
    volumes: [vol('web-db-1.img', BASE)],
  };
  const afterWeb: LibvirtNow = {
    domains: [both.domains[1]],
    volumes: [vol('web-db-1.img', BASE), { pool: 'default', name: 'base.img', path: BASE }],
    networks: [],
  };
  const plan = planDestroy(webDb, afterWeb, { labNetworks: [] });
  expect(plan.volumes.map((v) => v.path)).toEqual([`${POOL}/web-db-1.img`, BASE]);
  expect(plan.kept).toEqual([]);
});

test('a network that existed before up (not recorded) stays, and destroy says why', () => {
  const reused = { ...web, networks: [web.networks[0]] };
  const plan = planDestroy(reused, both, { labNetworks: ['web-mgmt', 'web'] });
  expect(plan.networks).toEqual(['web']);
  expect(plan.kept).toContain('network web-mgmt: labforge did not define it (it existed when the lab came up)');
});

test('without a record file, the lab networks stay and destroy says nothing records that labforge defined them', () => {
  const fromIds = { ...web, networks: [] };
  const plan = planDestroy(fromIds, both, { labNetworks: ['web-mgmt', 'web'], recordMissing: true });
  expect(plan.networks).toEqual([]);
  expect(plan.kept.filter((k) => k.startsWith('network '))).toEqual([
    "network web-mgmt: no ownership record says labforge defined it (remove it with virsh net-destroy and net-undefine if it is the lab's)",
    "network web: no ownership record says labforge defined it (remove it with virsh net-destroy and net-undefine if it is the lab's)",
  ]);
});

test('a recorded network another domain still uses stays; one redefined since (other UUID) stays', () => {
  const now: LibvirtNow = {
    ...both,
    networks: [
      { name: 'web', uuid: 'nnnnnnnn-0000-0000-0000-000000000001', users: ['web-db', 'other-vm'] },
      { name: 'web-mgmt', uuid: 'ffffffff-0000-0000-0000-000000000009', users: [] },
    ],
  };
  const plan = planDestroy(web, now, { labNetworks: ['web-mgmt', 'web'] });
  expect(plan.networks).toEqual([]);
  expect(plan.kept).toEqual(
    expect.arrayContaining([
      'network web: still used by domain other-vm',
      "network web-mgmt: not the network labforge defined (UUID ffffffff-0000-0000-0000-000000000009, labforge's was nnnnnnnn-0000-0000-0000-000000000002)",
    ]),
  );
});

test('a recorded domain libvirt no longer knows is skipped; a new domain with its old name is not touched', () => {
  const now: LibvirtNow = {
    domains: [{ uuid: 'cccccccc-0000-0000-0000-000000000001', name: 'web-db' }],
    volumes: [vol('web-db.img')],
    networks: [],
  };
  const gone = { ...web, volumes: [], networks: [] };
  const plan = planDestroy(gone, now, { labNetworks: [] });
  expect(plan.domains).toEqual([]);
  expect(plan.volumes).toEqual([]);
  expect(plan.kept).toEqual([
    'domain web-db (cccccccc-0000-0000-0000-000000000001): not the domain labforge recorded for node db (aaaaaaaa-0000-0000-0000-000000000001)',
  ]);
});

test('recorded volumes already gone (vagrant destroy removed them) are not removed again; nothing else is', () => {
  const now: LibvirtNow = {
    domains: [],
    volumes: [vol('web-db-1.img', BASE), { pool: 'default', name: 'base.img', path: BASE }],
    networks: [],
  };
  const plan = planDestroy(web, now, { labNetworks: [] });
  expect(plan).toEqual({
    domains: [],
    volumes: [],
    networks: [],
    kept: [
      "volume base.img (pool default): the box's base volume, still the backing file of web-db-1.img (pool default)",
    ],
  });
});

test('a lab disk another volume was since made an overlay of stays, and so does the base under it', () => {
  const now: LibvirtNow = {
    ...both,
    volumes: [
      ...both.volumes.filter((v) => v.name !== 'web-db-1.img'),
      vol('copy-of-web-db.qcow2', `${POOL}/web-db.img`),
    ],
  };
  const plan = planDestroy(web, now, { labNetworks: [] });
  expect(plan.volumes).toEqual([]);
  expect(plan.kept[0]).toBe(
    'volume web-db.img (pool default): the backing file of copy-of-web-db.qcow2 (pool default)',
  );
  expect(plan.kept[1]).toMatch(/the box's base volume, still the backing file of web-db.img/);
});

test('a later up adds to the record: domains by UUID, volumes by path, networks by name', () => {
  const first = mergeRecords(emptyRecord('web', 'qemu:///system'), { networks: [web.networks[0]] });
  const second = mergeRecords(first, { domains: web.domains, volumes: web.volumes });
  const third = mergeRecords(second, {
    domains: [{ node: 'db', uuid: web.domains[0].uuid, name: 'web-db' }],
    volumes: [vol('web-db.img', BASE)],
  });
  expect(third.domains).toHaveLength(1);
  expect(third.volumes).toHaveLength(1);
  expect(third.networks).toEqual([web.networks[0]]);
});

describe('a lab across hosts: each host its own part of the record', () => {
  const A = 'qemu+ssh://root@10.77.0.11/system';
  const B = 'qemu+ssh://root@10.77.0.12/system';
  // The same paths on both hosts (the box's base volume, the management network's name, the pool): different objects.
  const span = mergeRecords(emptyRecord('span', A), {
    domains: [
      { node: 'node1', uuid: 'aaaaaaaa-0000-0000-0000-000000000001', name: 'span-node1' },
      { node: 'node2', uuid: 'bbbbbbbb-0000-0000-0000-000000000001', name: 'span-node2', uri: B },
    ],
    volumes: [vol('span-node1.img', BASE), { ...vol('span-node2.img', BASE), uri: B }],
    networks: [
      { name: 'span-mgmt', uuid: 'nnnnnnnn-0000-0000-0000-00000000000a' },
      { name: 'span-mgmt', uuid: 'nnnnnnnn-0000-0000-0000-00000000000b', uri: B },
    ],
    pools: [
      { name: 'default', uuid: 'pppppppp-0000-0000-0000-00000000000a', path: POOL, madeFolder: false },
      { name: 'default', uuid: 'pppppppp-0000-0000-0000-00000000000b', path: POOL, madeFolder: false, uri: B },
    ],
  });

  test('entries of the same name or path on two hosts stay apart, and a later merge updates the right one', () => {
    expect(span.networks).toHaveLength(2);
    expect(span.pools).toHaveLength(2);
    const again = mergeRecords(span, { networks: [{ name: 'span-mgmt', uuid: 'changed', uri: B }] });
    expect(again.networks.map((n) => n.uuid)).toEqual(['nnnnnnnn-0000-0000-0000-00000000000a', 'changed']);
    expect(recordUris(span)).toEqual([A, B]);
  });

  test("destroy's plan on host b holds b's domain, disk, base volume and network, and nothing of a's", () => {
    const nowB: LibvirtNow = {
      domains: [{ uuid: 'bbbbbbbb-0000-0000-0000-000000000001', name: 'span-node2' }],
      volumes: [vol('span-node2.img', BASE), { pool: 'default', name: BASE.split('/').pop()!, path: BASE }],
      networks: [{ name: 'span-mgmt', uuid: 'nnnnnnnn-0000-0000-0000-00000000000b', users: ['span-node2'] }],
    };
    const b = recordOn(span, B);
    expect(b.pools!.map((p) => p.uuid)).toEqual(['pppppppp-0000-0000-0000-00000000000b']);
    const plan = planDestroy(b, nowB, { labNetworks: [] });
    expect(plan.domains.map((d) => d.name)).toEqual(['span-node2']);
    expect(plan.volumes.map((v) => v.name)).toEqual(['span-node2.img', BASE.split('/').pop()]);
    expect(plan.networks).toEqual(['span-mgmt']);
    // Host a's part weighed against host b's libvirt removes nothing there (node1's UUID is not on b).
    expect(planDestroy(recordOn(span, A), nowB, { labNetworks: [] }).domains).toEqual([]);
  });
});
