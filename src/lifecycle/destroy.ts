// labforge halt / destroy. destroy removes every domain, volume and network the lab created and nothing else.
import fs from 'node:fs';
import path from 'node:path';
import type { Lab } from '../lab/model.js';
import * as vagrant from '../tools/vagrant.js';
import { Virsh } from '../tools/virsh.js';
import { labNetworks } from './networks.js';
import { domainName } from './status.js';
import { logFile, runSteps } from './tasks.js';
import { readManifest } from './write.js';

export async function halt(lab: Lab): Promise<void> {
  const log = logFile(lab.outDir, 'halt');
  await runSteps(
    [
      {
        title: `Halt ${lab.nodes.length} nodes (vagrant halt)`,
        task: async (_c, progress) => vagrant.halt(lab.outDir, [], { log, onLine: progress }),
      },
    ],
    {},
  );
}

export async function destroy(lab: Lab, opts: { box?: boolean }): Promise<string[]> {
  const log = logFile(lab.outDir, 'destroy');
  const virsh = new Virsh(lab.host.uri, { log });
  const removed: string[] = [];
  const box = readManifest(lab.outDir)?.box;
  const ours = new Set(lab.nodes.map((n) => domainName(lab, n.name)));
  await runSteps(
    [
      {
        title: 'Destroy the nodes (vagrant destroy)',
        skip: () => (fs.existsSync(path.join(lab.outDir, 'Vagrantfile')) ? false : 'no Vagrantfile: nothing was rendered here'),
        task: async (_c, progress) => vagrant.destroy(lab.outDir, { log, onLine: progress }),
      },
      {
        title: 'Remove what is left in libvirt',
        task: async () => {
          for (const dom of await virsh.domains()) {
            if (!ours.has(dom)) continue;
            await virsh.removeDomain(dom);
            removed.push(`domain ${dom}`);
          }
          const pools = await virsh.pools();
          if (pools.includes(lab.host.pool)) {
            const vols = await virsh.volumes(lab.host.pool);
            for (const [name] of vols) {
              if (ours.has(name.replace(/\.img$/, '')) || [...ours].some((d) => name.startsWith(`${d}-`))) {
                await virsh.deleteVolume(lab.host.pool, name);
                removed.push(`volume ${name}`);
              }
            }
            // The box's base volume (vagrant-libvirt uploads it once per box), unless another lab's disk still
            // has it as its backing file.
            if (box) {
              const prefix = `${box.replace(/\//g, '-VAGRANTSLASH-')}_vagrant_box_image_`;
              const left = await virsh.volumes(lab.host.pool);
              const backing = new Set<string | undefined>();
              for (const other of left.keys()) if (!other.startsWith(prefix)) backing.add(await virsh.volumeBacking(lab.host.pool, other));
              for (const [name, volPath] of left) {
                if (!name.startsWith(prefix) || backing.has(volPath)) continue;
                await virsh.deleteVolume(lab.host.pool, name);
                removed.push(`volume ${name}`);
              }
            }
          }
          const nets = await virsh.networks();
          for (const { net } of labNetworks(lab)) {
            if (!nets.includes(net.name)) continue;
            await virsh.removeNetwork(net.name);
            removed.push(`network ${net.name}`);
          }
          fs.rmSync(path.join(lab.outDir, 'known_hosts'), { force: true });
          return removed.length ? removed.join(', ') : 'nothing left';
        },
      },
      {
        title: `Remove the box ${box ?? ''}`.trim(),
        skip: () => (!opts.box ? 'kept (use --box to remove it)' : !box || !vagrant.boxInstalled(box) ? 'not installed' : false),
        task: async (_c, progress) => {
          await vagrant.boxRemove(box!, { log, onLine: progress });
          removed.push(`box ${box}`);
        },
      },
    ],
    {},
  );
  return removed;
}
