// qemu-img: facts about disk images, and the internal snapshots of a qcow2 image that no QEMU has open.
import { run, type RunOptions } from './run.js';
import { internalSnapshots, type InternalSnapshot } from './virsh-output.js';

export async function virtualSizeBytes(file: string): Promise<number> {
  const { stdout } = await run('qemu-img', ['info', '--output=json', file]);
  return JSON.parse(stdout)['virtual-size'] as number;
}

/** An image's format and its internal snapshots (its top layer's), in `qemu-img info --output=json`. */
export function parseImageSnapshots(json: string): { format: string; snapshots: InternalSnapshot[] } {
  const info = JSON.parse(json) as { format?: unknown; snapshots?: unknown };
  return { format: typeof info.format === 'string' ? info.format : '?', snapshots: internalSnapshots(info) };
}

/** The internal snapshots of an image. Without --force-share: qemu-img refuses an image a running QEMU holds open,
 *  so this never reads one that is being written. */
export async function imageSnapshots(
  file: string,
  o: RunOptions = {},
): Promise<{ format: string; snapshots: InternalSnapshot[] }> {
  const { stdout } = await run('qemu-img', ['info', '--output=json', file], o);
  return parseImageSnapshots(stdout);
}

/** Deletes one internal snapshot named `name` (the first, when the image has the name twice) from a qcow2 image no
 *  QEMU has open: qemu-img takes the image's write lock, so it fails on one a domain runs from. qemu-img matches the
 *  name only (never an id). */
export async function deleteImageSnapshot(file: string, name: string, o: RunOptions = {}): Promise<void> {
  await run('qemu-img', ['snapshot', '-d', name, file], o);
}
