// A Fedora-shaped mirror for the tests: a folder laid out like download.fedoraproject.org (releases.json, the
// release's images folder with its clearsigned CHECKSUM file and the image under Fedora's file name), and an HTTP
// server for it started INSIDE a test's network namespace (python3 -m http.server on the namespace's 127.0.0.1, with
// Fedora-like folder listings), so labforge and Packer, run in the namespace, resolve and download from it.
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { imageName, releaseDir } from '../src/lab/fedora.js';
import type { Netns } from './netns.js';

/** A Fedora CHECKSUM file as Fedora publishes it: PGP-clearsigned, BSD-style `SHA256 (name) = hex` lines. */
export function clearsignedChecksumFile(entries: Record<string, string>): string {
  return [
    '-----BEGIN PGP SIGNED MESSAGE-----',
    'Hash: SHA256',
    '',
    ...Object.entries(entries).flatMap(([name, hex]) => [`# ${name}: 1234 bytes`, `SHA256 (${name}) = ${hex}`]),
    '-----BEGIN PGP SIGNATURE-----',
    '',
    'iQIzBAEBCAAdFiEEfakefakefake=',
    '-----END PGP SIGNATURE-----',
    '',
  ].join('\n');
}

export async function sha256File(file: string): Promise<string> {
  const hash = crypto.createHash('sha256');
  for await (const chunk of fs.createReadStream(file)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

export interface FedoraMirror {
  /** http://127.0.0.1:<port> in the namespace. */
  base: string;
  /** The lab file's image.mirror, image.archive and image.index for this mirror. */
  mirror: string;
  archive: string;
  index: string;
  /** The image's URL and sha256, as releases.json and the CHECKSUM file publish them. */
  imageUrl: string;
  sha256: string;
  /** Serves `file` under the image's name (a mirror out of step with its index); `undefined` serves the image again. */
  serveInstead(file: string | undefined): void;
  stop(): Promise<void>;
}

/** Lays out a mirror of Fedora `release` (compose `compose`) in `dir` whose Cloud Base Generic image is `image`, and
 *  serves it on 127.0.0.1:`port` inside `ns`. */
export async function serveFedoraMirror(
  ns: Netns,
  dir: string,
  image: string,
  opts: { release: number; compose: string; port: number },
): Promise<FedoraMirror> {
  const { release, compose, port } = opts;
  const base = `http://127.0.0.1:${port}`;
  const mirror = `${base}/pub/fedora/linux`;
  const name = imageName(release, 'cloud', compose);
  const imagesDir = path.join(
    dir,
    ...releaseDir(mirror, release, 'cloud')
      .slice(base.length + 1)
      .split('/'),
  );
  fs.mkdirSync(imagesDir, { recursive: true });
  fs.mkdirSync(path.join(dir, 'archive'), { recursive: true });
  const served = path.join(imagesDir, name);
  const serve = (file: string) => {
    fs.rmSync(served, { force: true });
    fs.symlinkSync(path.resolve(file), served);
  };
  serve(image);
  const sha256 = await sha256File(image);
  fs.writeFileSync(
    path.join(imagesDir, `Fedora-Cloud-${release}-${compose}-x86_64-CHECKSUM`),
    clearsignedChecksumFile({ [name]: sha256 }),
  );
  // releases.json links to Fedora's own download server, as the real one does; labforge moves the link onto image.mirror.
  const link = `https://download.fedoraproject.org/pub/fedora/linux/releases/${release}/Cloud/x86_64/images/${name}`;
  fs.writeFileSync(
    path.join(dir, 'releases.json'),
    JSON.stringify([
      {
        version: String(release),
        arch: 'x86_64',
        variant: 'Cloud',
        subvariant: 'Cloud_Base',
        link,
        sha256,
        size: String(fs.statSync(image).size),
      },
      {
        version: String(release),
        arch: 'aarch64',
        variant: 'Cloud',
        subvariant: 'Cloud_Base',
        link: link.replace(/x86_64/g, 'aarch64'),
        sha256: 'a'.repeat(64),
      },
    ]),
  );

  const server = ns.exec('python3', ['-m', 'http.server', '--bind', '127.0.0.1', String(port), '--directory', dir], {
    reject: false,
  });
  const stop = async () => {
    server.kill('SIGTERM');
    await server;
  };
  // Up when it answers, from inside the namespace.
  const started = Date.now();
  for (;;) {
    const probe = await ns.exec(
      'python3',
      [
        '-c',
        'import sys, urllib.request; urllib.request.urlopen(sys.argv[1], timeout=2).read()',
        `${base}/releases.json`,
      ],
      { reject: false },
    );
    if (probe.exitCode === 0) break;
    if (Date.now() - started > 15000) {
      await stop();
      throw new Error(`the mirror's HTTP server in ${ns.name} did not answer on ${base} within 15 s: ${probe.all}`);
    }
    await new Promise((r) => setTimeout(r, 300));
  }
  return {
    base,
    mirror,
    archive: `${base}/archive`,
    index: `${base}/releases.json`,
    imageUrl: `${releaseDir(mirror, release, 'cloud')}/${name}`,
    sha256,
    serveInstead: (file) => serve(file ?? image),
    stop,
  };
}
