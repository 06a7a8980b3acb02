// Asking Fedora's servers for a release's image: releases.json, then the newest CHECKSUM file of the release on the
// mirror, then in the archive (lab/fedora.ts reads what they answer).
import { HttpError, ResolveError } from '../../errors.js';
import { resolvedImage, type LockedImage } from '../../lab/base-image.js';
import { checksumFilesIn, fromChecksumFile, fromReleasesJson, releaseDir } from '../../lab/fedora.js';
import type { Lab } from '../../lab/model.js';
import { getText } from '../../tools/http.js';

/** Asks Fedora: releases.json, then the newest CHECKSUM file of the release on the mirror, then in the archive. */
export async function resolveImage(lab: Lab, note: (line: string) => void = () => {}): Promise<LockedImage> {
  const { release, method, compose, mirror, archive, index } = lab.image;
  const what = `Fedora ${release}'s ${method === 'cloud' ? 'Cloud Base Generic image' : 'netinst ISO'}${compose ? ` (compose ${compose})` : ''}`;
  if (process.env.LABFORGE_OFFLINE)
    throw new ResolveError(`LABFORGE_OFFLINE is set, so labforge does not ask Fedora's servers for ${what}`, 1);
  const tried: string[] = [];
  let unreachable = 0;
  const attempt = async <T>(fn: () => Promise<T | undefined>, miss: string): Promise<T | undefined> => {
    try {
      const r = await fn();
      if (r === undefined) tried.push(miss);
      return r;
    } catch (e) {
      if (e instanceof HttpError && e.status === undefined) unreachable++;
      tried.push((e as Error).message);
      return undefined;
    }
  };
  note(`reading ${index}`);
  const fromIndex = await attempt(
    async () => fromReleasesJson(JSON.parse(await getText(index)), release, method, mirror, compose),
    `${index} lists no ${what}`,
  );
  if (fromIndex) return resolvedImage(lab, fromIndex);
  for (const base of [mirror, archive]) {
    const dir = releaseDir(base, release, method);
    note(`looking for CHECKSUM files in ${dir}/`);
    const r = await attempt(async () => {
      const files = checksumFilesIn(await getText(`${dir}/`), release, method, compose);
      if (files.length === 0) return undefined;
      const url = `${dir}/${files[0]}`;
      return fromChecksumFile(await getText(url), url, release, method, compose);
    }, `${dir}/ has no CHECKSUM file naming ${what}`);
    if (r) return resolvedImage(lab, r);
  }
  const list = tried.map((t) => `  - ${t}`).join('\n');
  if (unreachable === tried.length)
    throw new ResolveError(
      `cannot reach Fedora's servers to resolve ${what}:\n${list}\n(image.mirror, image.archive and image.index name them)`,
      1,
    );
  throw new ResolveError(`image.release: no ${what} was found:\n${list}`, 2);
}
