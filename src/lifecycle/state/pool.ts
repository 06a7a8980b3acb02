// The lab's storage pool (host.pool): when it does not exist, up defines it itself (a directory pool at
// host.pool_path, or libvirt's /var/lib/libvirt/images) and records it, so that destroy can remove it again once it is
// empty; left to vagrant-libvirt, the pool it made was nobody's and stayed after every destroy. A pool that existed is
// never recorded, so never removed.
import fs from 'node:fs';
import type { Lab } from '../../lab/model.js';
import type { Virsh } from '../../tools/virsh.js';
import { hostUriOf, type OwnedPool, type OwnershipRecord } from './ownership.js';
import { addToRecord, readRecord } from './record.js';
import { FileLayer } from '../../fsguard/layer.js';

/** libvirt's folder for images, where vagrant-libvirt puts a pool it makes without storage_pool_path. */
export const LIBVIRT_IMAGES = '/var/lib/libvirt/images';

/** The step that makes sure the lab's pool exists and runs on the libvirt host of `virsh` (`where`: that host's
 *  name in the step's title, for a lab across hosts). */
export function poolStep(lab: Lab, virsh: Virsh, where = '') {
  return {
    title: `Storage pool ${lab.host.pool}${where}`,
    task: async (): Promise<string> => {
      const name = lab.host.pool;
      const record = readRecord(lab.outDir);
      const mine = record?.pools?.find((p) => p.name === name && hostUriOf(record, p) === virsh.uri);
      if ((await virsh.pools()).includes(name)) {
        // Defined by an up that was killed before it wrote the UUID: it is the lab's.
        if (mine && mine.uuid === '') addToRecord(lab, { pools: [{ ...mine, uuid: await virsh.poolUuid(name) }] });
        if (!(await virsh.activePools()).includes(name)) await virsh.startPool(name);
        return mine ? 'defined by labforge for this lab' : "exists (not the lab's own: destroy keeps it)";
      }
      const dir = lab.host.poolPath ?? LIBVIRT_IMAGES;
      // Recorded before it is defined (without its UUID yet): a kill in between leaves it known as the lab's.
      // On a remote host the folder is that host's: it is never this machine's to remove.
      const made = lab.host.remote ? false : !fs.existsSync(dir);
      const pool: OwnedPool = mine ?? {
        name,
        uuid: '',
        path: dir,
        madeFolder: made,
        ...(virsh.uri === lab.host.uri ? {} : { uri: virsh.uri }),
      };
      addToRecord(lab, { pools: [{ ...pool, uuid: '' }] });
      await virsh.createDirPool(name, dir);
      addToRecord(lab, { pools: [{ ...pool, uuid: await virsh.poolUuid(name) }] });
      return `defined (a directory pool at ${dir}); destroy removes it once it is empty`;
    },
  };
}

/** destroy's part: each pool labforge defined for the lab, removed when it is still the one (UUID) and empty, with
 *  its folder when labforge made it and it is empty. Returns what it removed and what it kept, with the reason. */
export async function removeOwnedPools(
  record: OwnershipRecord,
  virsh: Virsh,
): Promise<{ removed: string[]; kept: string[] }> {
  const removed: string[] = [];
  const kept: string[] = [];
  for (const p of record.pools ?? []) {
    if (!(await virsh.pools()).includes(p.name)) continue;
    const uuid = await virsh.poolUuid(p.name);
    if (p.uuid === '' || uuid !== p.uuid) {
      kept.push(
        `pool ${p.name}: not the pool labforge defined (UUID ${uuid}, labforge's was ${p.uuid || 'not known'})`,
      );
      continue;
    }
    const volumes = (await virsh.activePools()).includes(p.name) ? [...(await virsh.volumes(p.name)).keys()] : [];
    if (volumes.length) {
      kept.push(`pool ${p.name}: still holds ${volumes.length} volumes (${volumes.slice(0, 3).join(', ')})`);
      continue;
    }
    await virsh.removePool(p.name);
    removed.push(`pool ${p.name}`);
    if (p.madeFolder) {
      try {
        const { layer, name } = FileLayer.beside(p.path);
        layer.remove(name, ['folder']); // only when empty
        removed.push(`folder ${p.path}`);
      } catch {
        kept.push(`folder ${p.path}: not empty`);
      }
    }
  }
  return { removed, kept };
}
