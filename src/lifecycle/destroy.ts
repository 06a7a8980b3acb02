// labforge destroy: removes exactly what the lab owns (state/ownership.ts) and nothing else.
import fs from 'node:fs';
import path from 'node:path';
import type { Lab } from '../lab/model.js';
import { LAYOUT } from '../layout.js';
import { disconnect } from './nodes/connections.js';
import * as vagrant from '../tools/vagrant.js';
import { Virsh } from '../tools/virsh.js';
import { labNetworks } from './nodes/networks.js';
import { emptyRecord, planDestroy } from './state/ownership.js';
import {
  addToRecord,
  discoverOwned,
  forgetVagrantNetworks,
  libvirtNow,
  readRecord,
  recordOnThisHost,
  removeRecord,
} from './state/record.js';
import { deleteAllSnapshots } from './snapshots/delete.js';
import { logFile, runSteps } from './steps.js';
import { readManifest } from './state/outdir.js';

/**
 * Removes exactly what the lab owns (state/ownership.ts): `vagrant destroy -f`, then whatever of the recorded
 * domains, their disk volumes, the networks labforge defined and the box's base volume (once no other volume is
 * backed by it) is still there, then the record. Returns what it removed and what it kept, with the reason.
 */
export async function destroy(lab: Lab, opts: { box?: boolean }): Promise<{ removed: string[]; kept: string[] }> {
  const log = logFile(lab.outDir, 'destroy');
  const virsh = new Virsh(lab.host.uri, { log });
  const removed: string[] = [];
  const kept: string[] = [];
  const box = readManifest(lab.outDir)?.box;
  const recordMissing = recordOnThisHost(lab) === undefined;
  await runSteps(
    [
      {
        // Before vagrant destroy: it deletes the ids in .vagrant/machines, and a domain it fails to remove must
        // still be known as the lab's afterwards (also on the next run, so the record is written now). Networks are
        // labforge's to remove, by its record: vagrant-libvirt's own list of them is dropped.
        title: 'Find what the lab owns (ownership record, the domain ids Vagrant recorded, their disks)',
        task: async () => {
          const record = readRecord(lab.outDir) ?? emptyRecord(lab.name, lab.host.uri);
          const found = await discoverOwned(virsh, lab.outDir, record.domains);
          const merged = addToRecord(lab, found);
          forgetVagrantNetworks(lab.outDir);
          const how = recordMissing ? ' (no record file: from the ids Vagrant recorded)' : '';
          return `${merged.domains.length} domains, ${merged.volumes.length} disk volumes, ${merged.networks.length} networks${how}`;
        },
      },
      {
        // vagrant-libvirt deletes a domain's snapshots too, but labforge removes its own first, by its record: a
        // failing vagrant destroy then leaves no snapshot of the lab behind, and the record says none is left.
        title: "Delete the lab's snapshots",
        skip: () => (readRecord(lab.outDir)?.snapshots?.length ? false : 'none recorded'),
        task: async () => (await deleteAllSnapshots(lab, virsh)).join(', '),
      },
      {
        title: 'Destroy the nodes (vagrant destroy)',
        skip: () =>
          fs.existsSync(path.join(lab.outDir, LAYOUT.vagrantfile))
            ? false
            : 'no Vagrantfile: nothing was rendered here',
        task: async (_c, progress) => {
          await disconnect(lab);
          await vagrant.destroy(lab.outDir, { log, onLine: progress });
        },
      },
      {
        title: 'Remove what the lab owns and is left in libvirt',
        task: async (_c, progress) => {
          const record = readRecord(lab.outDir) ?? emptyRecord(lab.name, lab.host.uri);
          const wantBacking = record.volumes.length > 0;
          const plan = planDestroy(record, await libvirtNow(virsh, wantBacking), {
            labNetworks: labNetworks(lab).map((n) => n.net.name),
            recordMissing,
          });
          for (const d of plan.domains) {
            progress(`domain ${d.name}`);
            await virsh.removeDomain(d.uuid);
            removed.push(`domain ${d.name}`);
          }
          for (const v of plan.volumes) {
            progress(`volume ${v.name}`);
            await virsh.deleteVolume(v.pool, v.name);
            removed.push(`volume ${v.name}`);
          }
          for (const n of plan.networks) {
            progress(`network ${n}`);
            await virsh.removeNetwork(n);
            removed.push(`network ${n}`);
          }
          kept.push(...plan.kept);
          removeRecord(lab.outDir);
          fs.rmSync(path.join(lab.outDir, LAYOUT.knownHosts), { force: true });
          return removed.length ? removed.join(', ') : 'nothing left';
        },
      },
      {
        title: `Remove the box ${box ?? ''}`.trim(),
        skip: () =>
          !opts.box ? 'kept (use --box to remove it)' : !box || !vagrant.boxInstalled(box) ? 'not installed' : false,
        task: async (_c, progress) => {
          await vagrant.boxRemove(box!, { log, onLine: progress });
          removed.push(`box ${box}`);
        },
      },
    ],
    {},
  );
  return { removed, kept };
}
