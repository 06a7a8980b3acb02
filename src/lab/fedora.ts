// Fedora's published base images: where they live, how their files are named per release, and how to read the two
// indexes Fedora publishes (releases.json and a release's CHECKSUM file). Pure: the lifecycle fetches, this reads.
export type Method = 'cloud' | 'iso';

export const FEDORA = {
  /** The releases tree (mirrors copy it below this). */
  mirror: 'https://download.fedoraproject.org/pub/fedora/linux',
  /** Where releases go after their end of life. */
  archive: 'https://archives.fedoraproject.org/pub/archive/fedora/linux',
  /** Fedora's index of current releases: version, arch, variant, link, sha256. */
  index: 'https://fedoraproject.org/releases.json',
} as const;

/** The oldest release whose file names labforge knows. */
export const OLDEST_RELEASE = 34;

/** The file names of a release's images (x86_64), as Fedora publishes them: the newest entry whose `from` the
 *  release reaches names its files. `{release}` and `{compose}` are filled in. */
const IMAGE_NAMES: { method: Method; from: number; name: string }[] = [
  { method: 'cloud', from: 41, name: 'Fedora-Cloud-Base-Generic-{release}-{compose}.x86_64.qcow2' },
  { method: 'cloud', from: 40, name: 'Fedora-Cloud-Base-Generic.x86_64-{release}-{compose}.qcow2' },
  { method: 'cloud', from: OLDEST_RELEASE, name: 'Fedora-Cloud-Base-{release}-{compose}.x86_64.qcow2' },
  { method: 'iso', from: OLDEST_RELEASE, name: 'Fedora-Everything-netinst-x86_64-{release}-{compose}.iso' },
];

/** The CHECKSUM file of a compose, beside its images. */
const CHECKSUM_NAMES: Record<Method, string> = {
  cloud: 'Fedora-Cloud-{release}-{compose}-x86_64-CHECKSUM',
  iso: 'Fedora-Everything-{release}-{compose}-x86_64-CHECKSUM',
};

function imageTemplate(release: number, method: Method): string {
  return IMAGE_NAMES.find((e) => e.method === method && release >= e.from)!.name;
}

/** A file name of the table, written out. */
function fill(template: string, release: number, compose: string): string {
  return template.replace('{release}', String(release)).replace('{compose}', compose);
}

const escapeRe = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** A file name of the table as a regular expression source: group 1 is the compose (any, or `compose`). */
function namePattern(template: string, release: number, compose?: string): string {
  const [before, after] = fill(template, release, '\0').split('\0');
  return `${escapeRe(before)}(${compose ? escapeRe(compose) : '\\d+\\.\\d+'})${escapeRe(after)}`;
}

/** A regular expression for the release's image (cloud) or netinst ISO (iso) file name; group 1 is the compose. */
export function imageNamePattern(release: number, method: Method, compose?: string): RegExp {
  return new RegExp(`^${namePattern(imageTemplate(release, method), release, compose)}$`);
}

/** A release's image file name for a compose. */
export function imageName(release: number, method: Method, compose: string): string {
  return fill(imageTemplate(release, method), release, compose);
}

/** The CHECKSUM file names of a release in a folder listing; group 1 is the compose. */
export function checksumNamePattern(release: number, method: Method): RegExp {
  return new RegExp(namePattern(CHECKSUM_NAMES[method], release), 'g');
}

/** The CHECKSUM file of a release's compose. */
export function checksumName(release: number, method: Method, compose: string): string {
  return fill(CHECKSUM_NAMES[method], release, compose);
}

/** The folder of a release's images (cloud) or ISOs (iso) under a releases tree. */
export function releaseDir(base: string, release: number, method: Method): string {
  return `${base.replace(/\/+$/, '')}/releases/${release}/${method === 'cloud' ? 'Cloud/x86_64/images' : 'Everything/x86_64/iso'}`;
}

/** Compose labels in version order: 1.10 after 1.9. */
export function compareCompose(a: string, b: string): number {
  const [a1, a2] = a.split('.').map(Number);
  const [b1, b2] = b.split('.').map(Number);
  return a1 - b1 || a2 - b2;
}

/** The entries `SHA256 (name) = hex` of a (possibly PGP-clearsigned) BSD-style CHECKSUM file. */
export function parseChecksumFile(text: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const m of text.matchAll(/^SHA256 \(([^)\r\n]+)\) = ([0-9a-fA-F]{64})\s*$/gm)) out.set(m[1], m[2].toLowerCase());
  return out;
}

export interface ResolvedImage {
  url: string;
  /** Packer's checksum of url: `sha256:<hex>` (or, for an ISO only the catalogue knows, `file:<CHECKSUM url>`). */
  checksum: string;
  compose: string;
  /** Where the facts came from: releases.json, or the URL of the CHECKSUM file read. */
  from: string;
}

/** The release's image in releases.json (current releases only), or undefined. Links point at `FEDORA.mirror`;
 *  with another mirror they are moved onto it. */
export function fromReleasesJson(
  json: unknown,
  release: number,
  method: Method,
  mirror: string,
  compose?: string,
): ResolvedImage | undefined {
  if (!Array.isArray(json)) throw new Error('releases.json is not a list');
  const pattern = imageNamePattern(release, method, compose);
  const found: ResolvedImage[] = [];
  for (const e of json as Record<string, unknown>[]) {
    if (
      String(e?.version) !== String(release) ||
      e?.arch !== 'x86_64' ||
      typeof e.link !== 'string' ||
      typeof e.sha256 !== 'string'
    )
      continue;
    const name = e.link.slice(e.link.lastIndexOf('/') + 1);
    const m = pattern.exec(name);
    if (!m || !/^[0-9a-f]{64}$/i.test(e.sha256)) continue;
    const url = e.link.startsWith(`${FEDORA.mirror}/`)
      ? `${mirror.replace(/\/+$/, '')}/${e.link.slice(FEDORA.mirror.length + 1)}`
      : e.link;
    found.push({ url, checksum: `sha256:${e.sha256.toLowerCase()}`, compose: m[1], from: 'releases.json' });
  }
  return found.sort((a, b) => compareCompose(b.compose, a.compose))[0];
}

/** The release's image in a CHECKSUM file read from `checksumUrl` (the image is in the same folder). */
export function fromChecksumFile(
  text: string,
  checksumUrl: string,
  release: number,
  method: Method,
  compose?: string,
): ResolvedImage | undefined {
  const pattern = imageNamePattern(release, method, compose);
  const dir = checksumUrl.slice(0, checksumUrl.lastIndexOf('/'));
  const found: ResolvedImage[] = [];
  for (const [name, sha256] of parseChecksumFile(text)) {
    const m = pattern.exec(name);
    if (m) found.push({ url: `${dir}/${name}`, checksum: `sha256:${sha256}`, compose: m[1], from: checksumUrl });
  }
  return found.sort((a, b) => compareCompose(b.compose, a.compose))[0];
}

/** The newest compose (or `compose`) named by CHECKSUM files in a folder listing (an HTML index page). */
export function checksumFilesIn(listing: string, release: number, method: Method, compose?: string): string[] {
  const composes = new Set<string>();
  for (const m of listing.matchAll(checksumNamePattern(release, method))) composes.add(m[1]);
  return [...composes]
    .filter((c) => compose === undefined || c === compose)
    .sort((a, b) => compareCompose(b, a))
    .map((c) => checksumName(release, method, c));
}

/** What this labforge release shipped knowing, checked against Fedora's published files (lima's and bento's pinned
 *  images agree): used to render without a lab.lock and without the network. `labforge lock` asks Fedora itself. */
export const CATALOGUE: Record<number, { compose: string; cloudSha256: string }> = {
  44: { compose: '1.7', cloudSha256: '28680fe5b371a5a82ebf43a31926e086a168e59949d03969c5093e7071f90b7f' },
  43: { compose: '1.6', cloudSha256: '846574c8a97cd2d8dc1f231062d73107cc85cbbbda56335e264a46e3a6c8ab2f' },
};

/** The release a lab file that names none gets: the newest in the catalogue. */
export const DEFAULT_RELEASE = Math.max(...Object.keys(CATALOGUE).map(Number));

/** The image of a catalogued release on a mirror: the cloud image by its sha256, the ISO by its CHECKSUM file. */
export function catalogueImage(
  release: number,
  method: Method,
  mirror: string,
  compose?: string,
): ResolvedImage | undefined {
  const known = CATALOGUE[release];
  if (!known || (compose !== undefined && compose !== known.compose)) return undefined;
  const dir = releaseDir(mirror, release, method);
  const url = `${dir}/${imageName(release, method, known.compose)}`;
  const checksum =
    method === 'cloud' ? `sha256:${known.cloudSha256}` : `file:${dir}/${checksumName(release, method, known.compose)}`;
  return { url, checksum, compose: known.compose, from: 'catalogue' };
}
