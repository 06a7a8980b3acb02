// The bake hash (in the box name, and `bake --hash` for CI caches) changes with every input of the bake, and
// only with those.
import { loadLabText } from '../../src/lab/load.js';
import { renderLab } from '../../src/render/index.js';
import type { RenderContext } from '../../src/render/context.js';
import { guideLab, vagrantKeyPair } from '../support.js';

const ctx: RenderContext = { driver: 'qemu', vagrantPublicKeys: (await vagrantKeyPair()).publicKeys };
const hashOf = (text: string, c: RenderContext = ctx) =>
  renderLab(loadLabText(guideLab(text), '/tmp/h/lab.yaml').lab, c).hash;

test('labs that bake the same image share the box; the nodes and network do not matter', () => {
  expect(hashOf('name: a')).toBe(
    hashOf('name: b\nnetwork: { cidr: 10.9.0.0/24 }\nvips: []\nnodes: [{ name: x, ip: 10.9.0.5 }]'),
  );
});

test('every bake input changes the hash', () => {
  const base = hashOf('{}');
  const variants = [
    'image: { update: false }',
    'image: { release: 43 }',
    'image: { method: iso }',
    'image: { disk: 30G }',
    'image: { memory: 4G }',
    `image: { url: "https://mirror.example.org/f.qcow2", checksum: "sha256:${'a'.repeat(64)}" }`,
    `image: { url: "https://mirror.example.org/f.qcow2", checksum: "sha256:${'b'.repeat(64)}" }`,
    'image: { mirror: "https://mirror.example.org/fedora/linux" }',
  ].map((v) => hashOf(v));
  // The image lab.lock pins (the context carries it) is a bake input too.
  expect(
    hashOf('{}', { ...ctx, baseImage: { url: 'https://m.example.org/F.qcow2', checksum: `sha256:${'c'.repeat(64)}` } }),
  ).not.toBe(base);
  for (const h of variants) expect(h).not.toBe(base);
  expect(new Set(variants).size).toBe(variants.length);
  expect(hashOf('{}', { ...ctx, driver: 'kvm' })).not.toBe(base);
  expect(hashOf('image: { local: /x.qcow2, disk: 2G }', { ...ctx, localImageSha256: 'a'.repeat(64) })).not.toBe(
    hashOf('image: { local: /x.qcow2, disk: 2G }', { ...ctx, localImageSha256: 'b'.repeat(64) }),
  );
});

test('the box name carries the hash', () => {
  const r = renderLab(loadLabText(guideLab(), '/tmp/h/lab.yaml').lab, ctx);
  expect(r.box).toBe(`labforge/fedora44-${r.hash}`);
  expect(r.files.Vagrantfile).toContain(`BOX = '${r.box}'`);
});
