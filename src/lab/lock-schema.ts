// lab.lock's format, checked on every read (and before every write): a lock comes with a repository and is as
// hostile as anything in it. Known fields only; the image's URL over https (or a local file, for image.local); its
// checksum `sha256:` and 64 hex digits (a Fedora ISO pinned by its signed CHECKSUM file: `file:` and an https URL).
// A lock that does not fit is refused with exit 2, naming the lock's field.
import { z } from 'zod';
import { CONTROL } from './schema.js';

const NO_CONTROL = new RegExp(`^[^${CONTROL.source.slice(1, -1)}]*$`);
const text = z.string().min(1).max(4096).regex(NO_CONTROL, { message: 'must be one line without control characters' });
const https = text.refine(
  (v) => {
    try {
      const u = new URL(v);
      // http only to this machine (a local mirror, as the tests' mirror in its namespace): nothing on the way.
      const loopback = u.protocol === 'http:' && ['127.0.0.1', 'localhost', '[::1]'].includes(u.hostname);
      return (u.protocol === 'https:' || loopback) && u.username === '' && u.password === '' && !/\s/.test(v);
    } catch {
      return false;
    }
  },
  { message: 'must be an https:// URL (http only to 127.0.0.1 or localhost; no credentials, no spaces)' },
);
/** A local file (image.local), relative to the lab file or absolute: no URL scheme. */
const localFile = text.refine((v) => !/^[a-z][a-z0-9+.-]*:/i.test(v), { message: 'must be a local file path' });

export const SHA256 = /^sha256:[0-9a-f]{64}$/;

const image = z
  .object({
    method: z.enum(['cloud', 'iso']),
    release: z.number().int().min(1).max(999).optional(),
    compose: text.regex(/^[0-9A-Za-z._-]+$/, { message: 'must be a compose label like 1.7' }).optional(),
    url: text,
    checksum: text,
    from: text,
    mirror: https.optional(),
  })
  .strict()
  .superRefine((img, ctx) => {
    const local = img.from === 'local file';
    const url = (local ? localFile : https).safeParse(img.url);
    if (!url.success) ctx.addIssue({ code: 'custom', path: ['url'], message: url.error.issues[0].message });
    const fileChecksum =
      img.method === 'iso' && img.checksum.startsWith('file:') && https.safeParse(img.checksum.slice(5)).success;
    if (!SHA256.test(img.checksum) && !fileChecksum)
      ctx.addIssue({
        code: 'custom',
        path: ['checksum'],
        message: 'must be "sha256:" and 64 lowercase hex digits',
      });
  });

export const lockSchema = z
  .object({
    lockfile: z.literal(1),
    image,
    bake: z
      .object({
        hash: text,
        box: text,
        packer: text,
        plugins: z.record(text, text),
      })
      .strict()
      .optional(),
  })
  .strict();

/** The first problem of a lock, as `field: message` with the value, or undefined when it fits. */
export function lockProblem(value: unknown): string | undefined {
  const r = lockSchema.safeParse(value);
  if (r.success) return undefined;
  const issue = r.error.issues[0];
  const field = issue.path.join('.') || '(the whole file)';
  let got: unknown = value;
  for (const p of issue.path) got = (got as Record<PropertyKey, unknown> | undefined)?.[p as PropertyKey];
  const shown = got === undefined || typeof got === 'object' ? '' : ` (got ${JSON.stringify(got)})`;
  const message =
    issue.code === 'unrecognized_keys'
      ? `holds unknown fields ${issue.keys.map((k) => JSON.stringify(k)).join(', ')}`
      : issue.message;
  return `${field}: ${message}${shown}`;
}
