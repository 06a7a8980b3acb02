// lab.lock: resolving a release's image from Fedora-shaped indexes served on 127.0.0.1 (releases.json, folder
// listings, clearsigned CHECKSUM files, the archive), `labforge lock [--update]`, and bake refusing an image whose
// sha256 is not the locked one (real Packer, real download from the served mirror). Reading what Fedora publishes:
// test/lab/fedora.test.ts.
import crypto from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { execa } from 'execa';
import { clearsignedChecksumFile } from '../../fedora-mirror.js';
import { cli, fedora44Lock, packerBin, requireTool, tempDir, writeLab } from '../../support.js';

const sha = (text: string) => crypto.createHash('sha256').update(text).digest('hex');

const checksumFile = clearsignedChecksumFile;

const listing = (names: string[]) =>
  `<html><body><h1>Index</h1>${names.map((n) => `<a href="${n}">${n}</a>`).join('\n')}</body></html>`;

/** A Fedora-shaped mirror on 127.0.0.1: releases.json lists 44; 43 only has CHECKSUM files on the mirror; 40 is
 *  only in the archive. `files` can be changed while it serves. */
async function serveMirror() {
  const files = new Map<string, string>();
  const image44 = 'pretend qcow2 of 44 1.7';
  const server = http.createServer((req, res) => {
    const body = files.get(req.url ?? '');
    res.writeHead(body === undefined ? 404 : 200).end(body ?? 'not found');
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const rel = (r: number, what = 'Cloud/x86_64/images') => `/pub/releases/${r}/${what}`;
  files.set(
    '/releases.json',
    JSON.stringify([
      {
        version: '44',
        arch: 'x86_64',
        variant: 'Cloud',
        subvariant: 'Cloud_Base',
        link: `https://download.fedoraproject.org/pub/fedora/linux/releases/44/Cloud/x86_64/images/Fedora-Cloud-Base-Generic-44-1.7.x86_64.qcow2`,
        sha256: sha(image44),
      },
    ]),
  );
  files.set(`${rel(44)}/Fedora-Cloud-Base-Generic-44-1.7.x86_64.qcow2`, image44);
  files.set(`${rel(43)}/`, listing(['Fedora-Cloud-43-1.5-x86_64-CHECKSUM', 'Fedora-Cloud-43-1.6-x86_64-CHECKSUM']));
  files.set(
    `${rel(43)}/Fedora-Cloud-43-1.6-x86_64-CHECKSUM`,
    checksumFile({ 'Fedora-Cloud-Base-Generic-43-1.6.x86_64.qcow2': sha('43 1.6') }),
  );
  files.set(
    `${rel(43)}/Fedora-Cloud-43-1.5-x86_64-CHECKSUM`,
    checksumFile({ 'Fedora-Cloud-Base-Generic-43-1.5.x86_64.qcow2': sha('43 1.5') }),
  );
  files.set(`/archive/releases/40/Cloud/x86_64/images/`, listing(['Fedora-Cloud-40-1.14-x86_64-CHECKSUM']));
  files.set(
    `/archive/releases/40/Cloud/x86_64/images/Fedora-Cloud-40-1.14-x86_64-CHECKSUM`,
    checksumFile({ 'Fedora-Cloud-Base-Generic.x86_64-40-1.14.qcow2': sha('40') }),
  );
  const image = (release: number, extra = '') =>
    `image: { release: ${release}, mirror: "${base}/pub", archive: "${base}/archive", index: "${base}/releases.json"${extra} }\n`;
  return { base, files, image, image44, rel, close: () => new Promise<void>((r) => server.close(() => r())) };
}

const NODES = 'name: t\nvips: []\nnodes:\n  - { name: a, ip: 10.240.0.11 }\n';
type Mirror = Awaited<ReturnType<typeof serveMirror>>;

describe('labforge lock', () => {
  let m: Mirror;
  beforeAll(async () => {
    m = await serveMirror();
  });
  afterAll(async () => m.close());

  const lock = async (lab: string, args: string[] = []) => {
    const r = await cli(['--lab', lab, '--out', path.join(path.dirname(lab), 'out'), 'lock', '--json', ...args], {
      env: { LABFORGE_OFFLINE: '' },
    });
    const file = lab.replace(/\.yaml$/, '.lock');
    return { r, lock: fs.existsSync(file) ? JSON.parse(fs.readFileSync(file, 'utf8')) : undefined };
  };

  test("a current release comes from releases.json, on the lab's mirror", async () => {
    const { r, lock: l } = await lock(writeLab(NODES + m.image(44)));
    expect(r.exitCode).toBe(0);
    expect(l.image).toEqual({
      method: 'cloud',
      release: 44,
      compose: '1.7',
      url: `${m.base}/pub/releases/44/Cloud/x86_64/images/Fedora-Cloud-Base-Generic-44-1.7.x86_64.qcow2`,
      checksum: `sha256:${sha(m.image44)}`,
      from: 'releases.json',
      mirror: `${m.base}/pub`,
    });
  });

  test('a release releases.json does not list comes from its newest CHECKSUM file on the mirror; a pinned compose is kept', async () => {
    const lab = writeLab(NODES + m.image(43));
    const { lock: l } = await lock(lab);
    expect(l.image.url).toBe(
      `${m.base}/pub/releases/43/Cloud/x86_64/images/Fedora-Cloud-Base-Generic-43-1.6.x86_64.qcow2`,
    );
    expect(l.image.checksum).toBe(`sha256:${sha('43 1.6')}`);
    expect(l.image.from).toBe(`${m.base}/pub/releases/43/Cloud/x86_64/images/Fedora-Cloud-43-1.6-x86_64-CHECKSUM`);
    fs.writeFileSync(lab, NODES + m.image(43, ', compose: "1.5"'));
    expect((await lock(lab)).lock.image.compose).toBe('1.5');
  });

  test('a release past its end of life comes from the archive, under its own file name', async () => {
    const { lock: l } = await lock(writeLab(NODES + m.image(40)));
    expect(l.image.url).toBe(
      `${m.base}/archive/releases/40/Cloud/x86_64/images/Fedora-Cloud-Base-Generic.x86_64-40-1.14.qcow2`,
    );
  });

  test('--update moves to a newer compose; without it the lock is kept', async () => {
    const lab = writeLab(NODES + m.image(43));
    expect((await lock(lab)).lock.image.compose).toBe('1.6');
    const listingNow = m.files.get(`${m.rel(43)}/`)!;
    m.files.set(
      `${m.rel(43)}/`,
      listing(['Fedora-Cloud-43-1.6-x86_64-CHECKSUM', 'Fedora-Cloud-43-1.7-x86_64-CHECKSUM']),
    );
    m.files.set(
      `${m.rel(43)}/Fedora-Cloud-43-1.7-x86_64-CHECKSUM`,
      checksumFile({ 'Fedora-Cloud-Base-Generic-43-1.7.x86_64.qcow2': sha('43 1.7') }),
    );
    try {
      const kept = await lock(lab);
      expect(JSON.parse(kept.r.stdout).changed).toBe(false);
      expect(kept.lock.image.compose).toBe('1.6');
      const updated = await lock(lab, ['--update']);
      expect(updated.lock.image.compose).toBe('1.7');
      expect(updated.lock.image.checksum).toBe(`sha256:${sha('43 1.7')}`);
    } finally {
      m.files.set(`${m.rel(43)}/`, listingNow);
    }
  });

  test("the lab file's own image.url and image.checksum win and are locked as given", async () => {
    const { lock: l } = await lock(
      writeLab(`${NODES}image: { url: "https://example.org/mine.qcow2", checksum: "sha256:${'f'.repeat(64)}" }\n`),
    );
    expect(l.image).toEqual({
      method: 'cloud',
      url: 'https://example.org/mine.qcow2',
      checksum: `sha256:${'f'.repeat(64)}`,
      from: 'lab file',
    });
  });

  test('a release Fedora does not have: exit 2 naming image.release and every place looked at, no lock', async () => {
    const lab = writeLab(NODES + m.image(45));
    const { r, lock: l } = await lock(lab);
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toContain("image.release: no Fedora 45's Cloud Base Generic image was found");
    expect(r.stderr).toContain('releases.json lists no');
    expect(r.stderr).toContain('/archive/releases/45/Cloud/x86_64/images/: HTTP 404');
    expect(l).toBeUndefined();
  });

  test("Fedora's servers out of reach: exit 1 naming each, no lock", async () => {
    const closed = 'http://127.0.0.1:9';
    const lab = writeLab(
      `${NODES}image: { mirror: "${closed}/pub", archive: "${closed}/archive", index: "${closed}/releases.json" }\n`,
    );
    const { r, lock: l } = await lock(lab);
    expect(r.exitCode).toBe(1);
    expect(r.stderr).toContain("cannot reach Fedora's servers");
    expect(l).toBeUndefined();
  });

  test('a release older than the file names labforge knows is refused by validation (exit 2)', async () => {
    const { r } = await lock(writeLab(NODES + m.image(33)));
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toContain('image.release: must be a Fedora release of 34 or later');
  });
});

describe('bake and the lock', () => {
  let m: Mirror;
  beforeAll(async () => {
    m = await serveMirror();
  });
  afterAll(async () => m.close());

  test('an image whose sha256 is not the locked one: real Packer downloads it from the mirror, bake exits 1 naming both sums, installs nothing', async () => {
    requireTool('packer');
    requireTool('vagrant');
    const dir = tempDir();
    const lab = writeLab(NODES + m.image(44), dir);
    const wrong = 'b'.repeat(64);
    const url = `${m.base}/pub/releases/44/Cloud/x86_64/images/Fedora-Cloud-Base-Generic-44-1.7.x86_64.qcow2`;
    fs.writeFileSync(
      path.join(dir, 'lab.lock'),
      fedora44Lock({ url, checksum: `sha256:${wrong}`, from: 'releases.json', mirror: `${m.base}/pub` }),
    );
    const env = { VAGRANT_HOME: path.join(dir, 'vh'), PACKER_CACHE_DIR: path.join(dir, 'pc'), CI: 'true' };
    const r = await cli(['--lab', lab, '--out', path.join(dir, 'out'), 'bake'], { env });
    expect(r.stderr).toContain(`it pins sha256 ${wrong}, the downloaded image has sha256 ${sha(m.image44)}`);
    expect(r.exitCode).toBe(1);
    const boxes = path.join(dir, 'vh', 'boxes');
    expect(fs.existsSync(boxes) ? fs.readdirSync(boxes) : []).toEqual([]);
    // The lock is left as it was: a mismatch is never "fixed" by rewriting it.
    expect(JSON.parse(fs.readFileSync(path.join(dir, 'lab.lock'), 'utf8')).image.checksum).toBe(`sha256:${wrong}`);
  }, 120000);

  test('a local base image that changed since it was locked: exit 1 naming both sums before Packer runs', async () => {
    requireTool('qemu-img');
    const dir = tempDir();
    await execa('qemu-img', ['create', '-q', '-f', 'qcow2', path.join(dir, 'base.qcow2'), '1M']);
    const now = crypto
      .createHash('sha256')
      .update(fs.readFileSync(path.join(dir, 'base.qcow2')))
      .digest('hex');
    const lab = writeLab(`${NODES}image: { local: base.qcow2, disk: 2G }\n`, dir);
    const then = 'c'.repeat(64);
    fs.writeFileSync(
      path.join(dir, 'lab.lock'),
      JSON.stringify({
        lockfile: 1,
        image: { method: 'cloud', url: 'base.qcow2', checksum: `sha256:${then}`, from: 'local file' },
      }),
    );
    // A stand-in packer that knows its version (the host checks ask) and records any other call.
    const packerEnv = packerBin(
      dir,
      `[ "$1" = version ] && echo "Packer v1.6.6" && exit 0\ntouch '${dir}/packer-ran'\nexit 1`,
    );
    const r = await cli(['--lab', lab, '--out', path.join(dir, 'out'), 'bake'], {
      env: packerEnv,
    });
    expect(r.exitCode).toBe(1);
    expect(r.stderr).toContain(`is sha256:${now}, but ${path.join(dir, 'lab.lock')} pins sha256:${then}`);
    expect(fs.existsSync(path.join(dir, 'packer-ran'))).toBe(false);
  });

  test('bake without a lock writes one (offline: from the catalogue) before it builds', async () => {
    const dir = tempDir();
    const lab = writeLab(NODES, dir);
    const packerEnv = packerBin(dir, '[ "$1" = version ] && echo "Packer v1.6.6" && exit 0\nexit 3');
    const r = await cli(['--lab', lab, '--out', path.join(dir, 'out'), 'bake'], {
      env: packerEnv,
    });
    expect(r.exitCode).toBe(1);
    const l = JSON.parse(fs.readFileSync(path.join(dir, 'lab.lock'), 'utf8'));
    expect(l.image.url).toBe(
      'https://download.fedoraproject.org/pub/fedora/linux/releases/44/Cloud/x86_64/images/Fedora-Cloud-Base-Generic-44-1.7.x86_64.qcow2',
    );
    expect(l.image.checksum).toBe('sha256:28680fe5b371a5a82ebf43a31926e086a168e59949d03969c5093e7071f90b7f');
    expect(r.stdout).toContain('lab.lock: written');
  });
});
