// What Fedora publishes, read (pure): file names per release, CHECKSUM files, releases.json; the catalogue of what
// this labforge knows, the default release taken from it, and the shipped lab.lock that pins it.
import fs from 'node:fs';
import path from 'node:path';
import { catalogued, imageOf, planLock, type LabLock } from '../../src/lab/base-image.js';
import {
  CATALOGUE,
  checksumFilesIn,
  checksumName,
  compareCompose,
  DEFAULT_RELEASE,
  FEDORA,
  fromChecksumFile,
  fromReleasesJson,
  imageName,
  imageNamePattern,
  parseChecksumFile,
} from '../../src/lab/fedora.js';
import { loadLabFile, loadLabText } from '../../src/lab/load.js';
import { clearsignedChecksumFile } from '../fedora-mirror.js';
import { guideLab, ROOT } from '../support.js';

const checksumFile = clearsignedChecksumFile;

const listing = (names: string[]) =>
  `<html><body><h1>Index</h1>${names.map((n) => `<a href="${n}">${n}</a>`).join('\n')}</body></html>`;

describe('reading what Fedora publishes', () => {
  test('file names per release: 41+ Generic, 40 its own order, 34-39 without Generic, the netinst ISO', () => {
    expect(imageName(44, 'cloud', '1.7')).toBe('Fedora-Cloud-Base-Generic-44-1.7.x86_64.qcow2');
    expect(imageName(40, 'cloud', '1.14')).toBe('Fedora-Cloud-Base-Generic.x86_64-40-1.14.qcow2');
    expect(imageName(38, 'cloud', '1.6')).toBe('Fedora-Cloud-Base-38-1.6.x86_64.qcow2');
    expect(imageName(44, 'iso', '1.7')).toBe('Fedora-Everything-netinst-x86_64-44-1.7.iso');
    for (const [r, m, c] of [
      [44, 'cloud', '1.7'],
      [40, 'cloud', '1.14'],
      [38, 'cloud', '1.6'],
      [43, 'iso', '1.6'],
    ] as const)
      expect(imageNamePattern(r, m).exec(imageName(r, m, c))?.[1]).toBe(c);
    expect(imageNamePattern(44, 'cloud').test('Fedora-Cloud-Base-Generic-44-1.7.aarch64.qcow2')).toBe(false);
  });

  test('compose labels sort as versions: 1.10 is newer than 1.9', () => {
    expect(['1.9', '1.10', '1.2'].sort(compareCompose)).toEqual(['1.2', '1.9', '1.10']);
    expect(
      checksumFilesIn(
        listing(['Fedora-Cloud-44-1.9-x86_64-CHECKSUM', 'Fedora-Cloud-44-1.10-x86_64-CHECKSUM']),
        44,
        'cloud',
      )[0],
    ).toBe('Fedora-Cloud-44-1.10-x86_64-CHECKSUM');
  });

  test('a clearsigned CHECKSUM file: only the SHA256 lines count, the signature is skipped', () => {
    const text = checksumFile({
      'Fedora-Cloud-Base-Generic-44-1.7.x86_64.qcow2': 'a'.repeat(64),
      'Fedora-Cloud-Base-AmazonEC2-44-1.7.x86_64.raw.xz': 'b'.repeat(64),
    });
    expect([...parseChecksumFile(text).keys()]).toHaveLength(2);
    expect(fromChecksumFile(text, 'https://m/x/Fedora-Cloud-44-1.7-x86_64-CHECKSUM', 44, 'cloud')).toEqual({
      url: 'https://m/x/Fedora-Cloud-Base-Generic-44-1.7.x86_64.qcow2',
      checksum: `sha256:${'a'.repeat(64)}`,
      compose: '1.7',
      from: 'https://m/x/Fedora-Cloud-44-1.7-x86_64-CHECKSUM',
    });
  });

  test('releases.json: the x86_64 Cloud Base Generic qcow2 of the release, moved onto the mirror', () => {
    const link =
      'https://download.fedoraproject.org/pub/fedora/linux/releases/44/Cloud/x86_64/images/Fedora-Cloud-Base-Generic-44-1.7.x86_64.qcow2';
    const json = [
      {
        version: '44',
        arch: 'aarch64',
        variant: 'Cloud',
        link: link.replace(/x86_64/g, 'aarch64'),
        sha256: 'c'.repeat(64),
      },
      {
        version: '44',
        arch: 'x86_64',
        variant: 'Cloud',
        link: link.replace('.qcow2', '.raw.xz'),
        sha256: 'd'.repeat(64),
      },
      { version: '44', arch: 'x86_64', variant: 'Cloud', link, sha256: 'A'.repeat(64) },
      { version: '43', arch: 'x86_64', variant: 'Cloud', link: link.replace(/44/g, '43'), sha256: 'e'.repeat(64) },
    ];
    expect(fromReleasesJson(json, 44, 'cloud', 'https://mirror.example.org/fedora/')).toEqual({
      url: 'https://mirror.example.org/fedora/releases/44/Cloud/x86_64/images/Fedora-Cloud-Base-Generic-44-1.7.x86_64.qcow2',
      checksum: `sha256:${'a'.repeat(64)}`,
      compose: '1.7',
      from: 'releases.json',
    });
    expect(fromReleasesJson(json, 44, 'cloud', 'https://x', '1.6')).toBeUndefined();
    expect(fromReleasesJson(json, 42, 'cloud', 'https://x')).toBeUndefined();
  });
});

describe('the catalogue and the default release', () => {
  test('a lab file that names no release gets the newest release in the catalogue', () => {
    expect(DEFAULT_RELEASE).toBe(Math.max(...Object.keys(CATALOGUE).map(Number)));
    expect(loadLabText(guideLab(), '/tmp/fedora/lab.yaml').lab.image.release).toBe(DEFAULT_RELEASE);
  });

  test("the shipped lab.yaml and lab.lock: the lock fits the lab file and pins the catalogue's image of the default release", () => {
    const { lab } = loadLabFile(path.join(ROOT, 'lab.yaml'));
    expect(lab.image.release).toBe(DEFAULT_RELEASE);
    const lock = JSON.parse(fs.readFileSync(path.join(ROOT, 'lab.lock'), 'utf8')) as LabLock;
    const plan = planLock(lab, lock);
    expect(plan.kind).toBe('keep');
    expect(imageOf(plan)).toEqual(catalogued(lab));
    expect(lock.image).toMatchObject({
      release: DEFAULT_RELEASE,
      compose: CATALOGUE[DEFAULT_RELEASE].compose,
      checksum: `sha256:${CATALOGUE[DEFAULT_RELEASE].cloudSha256}`,
      mirror: FEDORA.mirror,
    });
  });

  test("the catalogue's netinst ISO is checked by its compose's CHECKSUM file", () => {
    const { lab } = loadLabText(guideLab('image: { method: iso }'), '/tmp/fedora/lab.yaml');
    const known = CATALOGUE[DEFAULT_RELEASE];
    expect(catalogued(lab)?.checksum).toBe(
      `file:${FEDORA.mirror}/releases/${DEFAULT_RELEASE}/Everything/x86_64/iso/${checksumName(DEFAULT_RELEASE, 'iso', known.compose)}`,
    );
    expect(checksumName(44, 'cloud', '1.7')).toBe('Fedora-Cloud-44-1.7-x86_64-CHECKSUM');
    expect(checksumName(44, 'iso', '1.7')).toBe('Fedora-Everything-44-1.7-x86_64-CHECKSUM');
  });
});
