// The sha256 of a local base image (image.local): Packer's checksum of it and part of lab.lock.
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import type { Lab } from '../../lab/model.js';
import { LAYOUT } from '../../layout.js';
import { atomicWrite, owned } from '../state/outdir.js';

/** sha256 of a local base image, streamed (the event loop stays free, so SIGINT stops it at once), cached by path,
 *  size and mtime so repeated commands stay fast. */
export async function localImageSha256(lab: Lab, image: string): Promise<string> {
  const st = fs.statSync(image); // validation has checked it is a readable regular file
  const cacheFile = path.join(lab.outDir, LAYOUT.cache, 'local-image.json');
  const key = `${image}:${st.size}:${st.mtimeMs}`;
  try {
    const cached = JSON.parse(fs.readFileSync(cacheFile, 'utf8'));
    if (cached.key === key) return cached.sha256;
  } catch {
    /* compute */
  }
  const h = crypto.createHash('sha256');
  await pipeline(fs.createReadStream(image, { highWaterMark: 1 << 20 }), h);
  const sha256 = h.digest('hex');
  if (fs.existsSync(lab.outDir) && owned(lab.outDir)) {
    fs.mkdirSync(path.dirname(cacheFile), { recursive: true });
    atomicWrite(cacheFile, JSON.stringify({ key, sha256 }), 0o644);
  }
  return sha256;
}
