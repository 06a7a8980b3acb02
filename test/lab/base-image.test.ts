// The one plan for the base image (lab/base-image.ts): the lab file's own image, else a lock that fits, else the
// release resolved (or, without the network, the catalogue's), and why the lock is not kept.
import { catalogued, imageOf, NO_LOCK, planLock, type LabLock } from '../../src/lab/base-image.js';
import { DEFAULT_RELEASE } from '../../src/lab/fedora.js';
import { loadLabText } from '../../src/lab/load.js';
import { guideLab } from '../support.js';

const load = (text: string) => loadLabText(guideLab(text), '/tmp/plan/lab.yaml').lab;
const lab = load('{}');
const lockOf = (l = lab): LabLock => ({ lockfile: 1, image: catalogued(l)! });

test('a lock that fits is kept; --update resolves again', () => {
  expect(planLock(lab, lockOf())).toEqual({ kind: 'keep', lock: lockOf() });
  expect(planLock(lab, lockOf(), undefined, { update: true })).toEqual({
    kind: 'resolve',
    reason: 'asked to update',
    catalogue: catalogued(lab),
  });
});

test('without a lock the release is resolved; offline the catalogue has the default release, not an old one', () => {
  const plan = planLock(lab, undefined);
  expect(plan).toEqual({ kind: 'resolve', reason: NO_LOCK, catalogue: catalogued(lab) });
  expect(imageOf(plan)?.release).toBe(DEFAULT_RELEASE);
  expect(imageOf(planLock(load('image: { release: 40 }'), undefined))).toBeUndefined();
});

test('a lock for another release or mirror is not kept, and says why', () => {
  const other = load('image: { release: 43 }');
  expect(planLock(lab, lockOf(other))).toMatchObject({
    kind: 'resolve',
    reason: `it pins release 43, the lab file asks for ${DEFAULT_RELEASE}`,
  });
  const mirrored = load('image: { mirror: "https://mirror.example.org/fedora" }');
  expect(planLock(mirrored, lockOf())).toMatchObject({ kind: 'resolve', reason: expect.stringMatching(/mirror/) });
});

test('the image the lab file names wins over any lock and is locked as given', () => {
  const url = load('image: { url: "https://example.org/base.qcow2", checksum: "sha256:' + 'a'.repeat(64) + '" }');
  const plan = planLock(url, lockOf());
  expect(plan).toMatchObject({ kind: 'given', reason: 'the lab file names another image.url or image.checksum' });
  expect(imageOf(plan)).toEqual({
    method: 'cloud',
    url: 'https://example.org/base.qcow2',
    checksum: `sha256:${'a'.repeat(64)}`,
    from: 'lab file',
  });
  const local = loadLabText(guideLab('image: { local: images/base.qcow2 }'), '/tmp/plan/lab.yaml').lab;
  expect(imageOf(planLock(local, undefined, 'b'.repeat(64)))).toEqual({
    method: 'cloud',
    url: 'images/base.qcow2',
    checksum: `sha256:${'b'.repeat(64)}`,
    from: 'local file',
  });
});
