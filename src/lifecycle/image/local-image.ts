// The sha256 of a local base image (image.local): Packer's checksum of it and part of lab.lock.
import path from 'node:path';
import { BOUNDS } from '../../bounds.js';
import { hashFile } from '../../fsguard/read.js';
import { UnsafePathError } from '../../fsguard/layer.js';
import type { Lab } from '../../lab/model.js';
import { LAYOUT } from '../../layout.js';
import { outLayer, owned } from '../state/outdir.js';
import { isObject, readRebuildableJson, type StateFileKind } from '../state/state-file.js';

const CACHE: StateFileKind = {
  what: "the cache of image.local's sha256",
  role: 'which labforge rebuilds by hashing the image',
  recover: 'remove it',
  maxBytes: BOUNDS.recordBytes.max,
  noFollow: true,
};

/** sha256 of a local base image, streamed through the bounded reader (a regular file only, checked on the open
 *  descriptor; never more bytes than its size says, so /proc/self/pagemap or a device is refused, not hashed
 *  forever; the event loop stays free, so SIGINT's handler exits at once, and `signal` stops it), cached by path, size and mtime. */
export async function localImageSha256(lab: Lab, image: string, signal?: AbortSignal): Promise<string> {
  const cacheRel = `${LAYOUT.cache}/local-image.json`;
  // The key needs the size and mtime of what would be hashed (hashFile's fstat of the open descriptor). The file is
  // opened and checked either way; its bytes are read only when the key changed.
  const cached = readRebuildableJson<{ key?: string; sha256?: string }>(
    path.join(lab.outDir, cacheRel),
    CACHE,
    (v) =>
      isObject(v) && typeof v.key === 'string' && typeof v.sha256 === 'string' ? undefined : 'not a key and a sha256',
    'the image is hashed again and the cache written anew',
  );
  const keyOf = (size: number, mtimeMs: number) => `${image}:${size}:${mtimeMs}`;
  const hashed = await hashFile(image, {
    what: 'image.local',
    maxBytes: BOUNDS.imageBytes.max,
    signal,
    cachedFor: (size, mtimeMs) => (cached?.key === keyOf(size, mtimeMs) ? cached.sha256 : undefined),
  });
  const key = keyOf(hashed.size, hashed.mtimeMs);
  if (owned(lab.outDir)) {
    try {
      const out = outLayer(lab.outDir);
      out.mkdir(LAYOUT.cache);
      out.write(cacheRel, JSON.stringify({ key, sha256: hashed.sha256 }), 0o644);
    } catch (e) {
      // Only a cache: something that is not a file at its name (a folder) stays as it is, and the image is hashed
      // again next time (the note above said it is damaged).
      if (!(e instanceof UnsafePathError)) throw e;
    }
  }
  return hashed.sha256;
}
