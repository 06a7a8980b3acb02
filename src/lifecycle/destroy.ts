// labforge destroy: removes exactly what the lab owns (state/ownership.ts) and nothing else.
import fs from 'node:fs';
import { outLayer } from './state/outdir.js';
import path from 'node:path';
import type { Lab } from '../lab/model.js';
import { LAYOUT } from '../layout.js';
import { disconnect } from './nodes/connections.js';
import * as vagrant from '../tools/vagrant.js';
import { Virsh } from '../tools/virsh.js';
import { labNetworks } from './nodes/networks.js';
import { emptyRecord, mergeRecords, planDestroy, recordOn, recordUris } from './state/ownership.js';
import { labVirsh, nodeHostUris } from './nodes/lab-hosts.js';
import {
  addToRecord,
  discoverOwnedOnHosts,
  forgetVagrantNetworks,
  libvirtNow,
  readRecord,
  recordOnThisHost,
  removeRecord,
} from './state/record.js';
import { deleteAllSnapshots } from './snapshots/delete.js';
import { logFile, runSteps } from './steps.js';
import { readManifest } from './state/outdir.js';
import { removeOwnedPools } from './state/pool.js';
import { fabricDown } from './nodes/fabric.js';

/** The folders Vagrant and labforge leave empty after a destroy (.vagrant/machines/<node>/libvirt, .mux). */
function removeEmptyFolders(outDir: string): void {
  const out = outLayer(outDir);
  const prune = (rel: string): void => {
    if (!out.stat(rel)?.isDirectory()) return;
    for (const name of out.list(rel)) prune(`${rel}/${name}`);
    try {
      out.remove(rel, ['folder']); // only when empty
    } catch {
      /* not empty */
    }
  };
  for (const top of ['.vagrant', LAYOUT.mux]) prune(top);
}

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
  const box = opts.box ? readManifest(lab.outDir)?.box : undefined;
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
          const found = await discoverOwnedOnHosts(lab, { log }, record.domains);
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
        task: async () => (await deleteAllSnapshots(lab, labVirsh(lab, { log }))).join(', '),
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
        // A lab across hosts: the other hosts' lab networks and the tunnel devices and bridges labforge made, on
        // every host, each only if it is still the one recorded. A host not reached keeps its part in the record.
        title: "Remove the lab network's tunnel and bridges on every host",
        skip: () => (readRecord(lab.outDir)?.fabric ? false : 'the lab spans no hosts'),
        task: async () => {
          const fabric = await fabricDown(lab, { log });
          removed.push(...fabric.removed);
          kept.push(...fabric.kept);
          if (fabric.kept.some((k) => k.endsWith('its part stays in the record')))
            throw new Error(`some hosts were not reached; run labforge destroy again:\n  ${fabric.kept.join('\n  ')}`);
          return fabric.removed.length ? fabric.removed.join(', ') : 'nothing left';
        },
      },
      {
        title: 'Remove what the lab owns and is left in libvirt',
        task: async (_c, progress) => {
          const before = removed.length;
          const record = readRecord(lab.outDir) ?? emptyRecord(lab.name, lab.host.uri);
          // Host by host (a lab across hosts has domains, disks, networks and a pool on each): each host's part of
          // the record weighed against that host's libvirt, by the same plan as a lab on one host.
          const uris = [...new Set([...nodeHostUris(lab), ...recordUris(record)])];
          for (const uri of uris) {
            const here = uri === virsh.uri ? virsh : new Virsh(uri, { log });
            const on = uris.length > 1 ? ` on ${lab.hosts.find((h) => h.uri === uri)?.name ?? uri}` : '';
            const part = recordOn(record, uri);
            const plan = planDestroy(part, await libvirtNow(here, part.volumes.length > 0), {
              labNetworks: uri === lab.host.uri ? labNetworks(lab).map((n) => n.net.name) : [],
              recordMissing,
            });
            for (const d of plan.domains) {
              progress(`domain ${d.name}${on}`);
              await here.removeDomain(d.uuid);
              removed.push(`domain ${d.name}${on}`);
            }
            for (const v of plan.volumes) {
              progress(`volume ${v.name}${on}`);
              await here.deleteVolume(v.pool, v.name);
              removed.push(`volume ${v.name}${on}`);
            }
            for (const n of plan.networks) {
              progress(`network ${n}${on}`);
              await here.removeNetwork(n);
              removed.push(`network ${n}${on}`);
            }
            kept.push(...plan.kept.map((k) => `${k}${on}`));
            const pools = await removeOwnedPools(part, here);
            removed.push(...pools.removed.map((r) => `${r}${on}`));
            kept.push(...pools.kept.map((k) => `${k}${on}`));
          }
          removeRecord(lab.outDir);
          removeEmptyFolders(lab.outDir);
          outLayer(lab.outDir).remove(LAYOUT.knownHosts);
          outLayer(lab.outDir).remove(LAYOUT.knownHostsDomains);
          return removed.length > before ? removed.slice(before).join(', ') : 'nothing left';
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

/** What destroy would remove, computed as destroy computes it (the record, the domain ids Vagrant recorded, what is
 *  in libvirt now), without changing anything: for `destroy --dry-run` and the question destroy asks first. */
export interface DestroyPlan {
  lab: string;
  uri: string;
  domains: string[];
  volumes: string[];
  networks: string[];
  snapshots: string[];
  /** The box, when --box removes it. */
  box?: string;
  kept: string[];
}

export async function planLabDestroy(lab: Lab, opts: { box?: boolean }): Promise<DestroyPlan> {
  const recorded = readRecord(lab.outDir);
  const base = recorded ?? emptyRecord(lab.name, lab.host.uri);
  const record = mergeRecords(base, await discoverOwnedOnHosts(lab, {}, base.domains));
  const uris = [...new Set([...nodeHostUris(lab), ...recordUris(record)])];
  const plans = await Promise.all(
    uris.map(async (uri) => {
      const part = recordOn(record, uri);
      const plan = planDestroy(part, await libvirtNow(new Virsh(uri), part.volumes.length > 0), {
        labNetworks: uri === lab.host.uri ? labNetworks(lab).map((n) => n.net.name) : [],
        recordMissing: recorded === undefined,
      });
      const on = uris.length > 1 ? ` on ${lab.hosts.find((h) => h.uri === uri)?.name ?? uri}` : '';
      return { plan, on };
    }),
  );
  const each = (f: (p: ReturnType<typeof planDestroy>) => string[]) =>
    plans.flatMap(({ plan, on }) => f(plan).map((x) => `${x}${on}`));
  const box = opts.box ? readManifest(lab.outDir)?.box : undefined;
  return {
    lab: lab.name,
    uri: uris.join(', '),
    domains: each((p) => p.domains.map((d) => d.name)),
    volumes: each((p) => p.volumes.map((v) => `${v.pool}/${v.name}`)),
    networks: [...each((p) => p.networks), ...(record.fabric?.networks ?? []).map((n) => `${n.name} on ${n.host}`)],
    snapshots: (record.snapshots ?? []).map((s) => s.name),
    box: opts.box && box && vagrant.boxInstalled(box) ? box : undefined,
    kept: each((p) => p.kept),
  };
}

/** Whether the plan removes anything at all. */
export function removesAnything(p: DestroyPlan): boolean {
  return p.domains.length + p.volumes.length + p.networks.length + p.snapshots.length > 0 || p.box !== undefined;
}

/** The plan for people: one line per kind of thing. */
export function formatDestroyPlan(p: DestroyPlan): string {
  if (!removesAnything(p)) return `lab ${p.lab} has nothing in libvirt (${p.uri}) to remove`;
  const lines = [`destroy of lab ${p.lab} (${p.uri}) removes:`];
  const add = (what: string, items: string[]) => items.length && lines.push(`  ${what}: ${items.join(', ')}`);
  add('domains', p.domains);
  add('disk volumes', p.volumes);
  add('networks', p.networks);
  add('snapshots', p.snapshots);
  if (p.box) lines.push(`  box: ${p.box}`);
  for (const k of p.kept) lines.push(`  kept: ${k}`);
  return lines.join('\n');
}
