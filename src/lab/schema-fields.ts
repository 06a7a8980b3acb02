// The building blocks of the lab file's schema (schema.ts): the formats of names, addresses and sizes, and the
// sizing every node, role and the defaults share. Their messages are the ones a user reads.
import * as z from 'zod';
import { BOUNDS } from '../bounds.js';

/** RFC 1123 label: what a hostname, a libvirt network name and a lab name may be. */
export const LABEL = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/;
/** A DNS domain of two or more RFC 1123 labels. */
export const DOMAIN = /^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]([a-z0-9-]{0,61}[a-z0-9])?$/;
export const IPV4 = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;
export const CIDR = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}\/(3[0-2]|[12]?\d)$/;
/** A size: a number of MiB, or a number with a unit (M, G; MB, GB, MiB, GiB accepted, any case). No flags: the
 *  JSON Schema copies the pattern and has none. At most 7 digits before the point, so absurd sizes fail both. */
export const SIZE = /^\d{1,7}(\.\d{1,3})?\s*([MmGg]([Ii]?[Bb])?)?$/;
/** Characters no free-text value or path may hold: C0 and C1 controls, DEL, and the Unicode line and paragraph
 *  separators (YAML 1.1 and many editors break lines at them). */
// eslint-disable-next-line no-control-regex -- the control characters are what this class is for
export const CONTROL = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/;

export const label = (what: string) =>
  z.string().regex(LABEL, {
    message: `must be a ${what}: lower-case letters, digits and '-', 1-63 characters, not starting or ending with '-'`,
  });
export const ipv4 = z.string().regex(IPV4, { message: 'must be an IPv4 address like 10.240.0.11' });
export const cidr = z.string().regex(CIDR, { message: 'must be an IPv4 network in CIDR form like 10.240.0.0/24' });
/** A size: a number of MiB (at most `maxMiB`) or a size string; the exact bounds of strings are checked in
 *  validate.ts, like the other rules a JSON Schema cannot express. */
export const size = (maxMiB: number) =>
  z.union([
    z
      .number()
      .positive()
      .max(maxMiB, { message: `must be at most ${maxMiB} (MiB)` }),
    z.string().regex(SIZE, { message: 'must be a size like 512M, 1G or 1.5G' }),
  ]);
export const memorySize = size(BOUNDS.memoryMiB.max);
export const diskSize = size(BOUNDS.diskGiB.max * 1024);
export const cpus = z
  .number()
  .int()
  .min(BOUNDS.cpus.min, { message: `must be at least ${BOUNDS.cpus.min}` })
  .max(BOUNDS.cpus.max, { message: `must be at most ${BOUNDS.cpus.max}` });
/** Free text that ends up in generated files: one line, printable, escaped per language where it lands. */
export const line = z
  .string()
  .min(1)
  .max(BOUNDS.text.max, { message: `must be at most ${BOUNDS.text.max} characters` })
  .regex(new RegExp(`^[^${CONTROL.source.slice(1, -1)}]*$`), {
    message: 'must be a single line without control characters',
  });

export const sizing = z
  .object({
    cpus: cpus.optional().describe('Virtual CPUs.'),
    memory: memorySize.optional().describe('Memory: a number of MiB or a size like 512M, 1G, 1.5G (at least 256M).'),
    disk: diskSize
      .optional()
      .describe('Disk size (whole GiB, at least the box disk); larger disks are grown by vagrant-libvirt.'),
  })
  .strict();
