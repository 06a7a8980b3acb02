// labforge up: doctor's fatal checks, bake if needed, the lab networks, vagrant up in parallel, then every node
// must answer on its static address. Re-running on a running lab changes nothing; an interrupted up is finished.
import type { Lab } from '../lab/model.js';
import * as vagrant from '../tools/vagrant.js';
import { Virsh } from '../tools/virsh.js';
import { bake } from './bake.js';
import { doctor, formatChecks } from './doctor.js';
import { ensureNetwork, labNetworks } from './networks.js';
import { answers } from './nodes.js';
import { addToRecord, discoverOwned, STATE_FILE } from './state.js';
import type { OpenLab } from './open.js';
import { status } from './status.js';
import { logFile, runSteps } from './tasks.js';

/** Doctor found a failing check: the host cannot run the lab (exit code 3, apart from a broken lab's 1). */
export class HostNotReadyError extends Error {
  readonly exitStatus = 3;
}

export async function up(open: OpenLab): Promise<void> {
  const { lab } = open;
  const checks = await doctor(lab);
  const failed = checks.filter((c) => c.status === 'fail');
  if (failed.length) throw new HostNotReadyError(`the host cannot run the lab:\n${formatChecks(failed)}`);
  // bake renders the lab and returns at once when its box is installed; otherwise it bakes the box first.
  await bake(open, {});
  const log = logFile(lab.outDir, 'up');
  console.log(`labforge: bringing up lab ${lab.name}; full log: ${log}`);
  const virsh = new Virsh(lab.host.uri, { log });
  await runSteps<{ pending: string[] }>(
    [
      ...labNetworks(lab).map(({ net, file, field }) => ({
        title: `Network ${net.name} (${net.subnet.cidr})`,
        task: async () => {
          const done = await ensureNetwork(virsh, net, file, field);
          // Only a network labforge defined is the lab's: destroy never removes one it found and reused.
          if (done === 'defined and started') addToRecord(lab, { networks: [{ name: net.name, uuid: await virsh.networkUuid(net.name) }] });
          return done;
        },
      })),
      {
        title: `Start ${lab.nodes.length} nodes (vagrant up --parallel)`,
        task: async (_c, progress) => {
          // labforge's status (one libvirt query) says the same as `vagrant status` without starting Vagrant.
          const states = await status(lab);
          const notRunning = states.filter((s) => s.state !== 'running').map((s) => s.name);
          if (notRunning.length === 0) return 'all running';
          await vagrant.up(lab.outDir, [], { log, onLine: progress });
          return `started ${notRunning.join(', ')}`;
        },
      },
      {
        title: 'Record what the lab owns (domains, their disks)',
        task: async () => {
          const record = addToRecord(lab, await discoverOwned(virsh, lab.outDir));
          return `${record.domains.length} domains, ${record.volumes.length} disk volumes, ${record.networks.length} networks in ${STATE_FILE}`;
        },
      },
      {
        title: 'Check every node answers on its static address',
        task: async (c, progress) => {
          c.pending = [];
          for (const node of lab.nodes) {
            const fqdn = await answers(lab, node);
            progress(`${node.name} (${node.ip}): ${fqdn instanceof Error ? 'no answer' : fqdn}`);
            if (fqdn instanceof Error || fqdn !== node.fqdn) c.pending.push(node.name);
          }
          if (c.pending.length === 0) return 'all answer';
          // A node that does not answer was not (fully) provisioned, e.g. an up interrupted half way: finish it.
          progress(`provisioning ${c.pending.join(', ')}`);
          await vagrant.provision(lab.outDir, c.pending, { log, onLine: progress });
          const still: string[] = [];
          for (const node of lab.nodes.filter((n) => c.pending.includes(n.name))) {
            const fqdn = await answers(lab, node);
            if (fqdn instanceof Error || fqdn !== node.fqdn) still.push(`${node.name} (${node.ip}): ${fqdn instanceof Error ? fqdn.message.split('\n').slice(-1)[0] : `says it is ${fqdn}`}`);
          }
          if (still.length) throw new Error(`nodes do not answer on their static address as root with the lab key:\n  ${still.join('\n  ')}\nsee ${log}`);
          return `provisioned ${c.pending.join(', ')}`;
        },
      },
    ],
    { pending: [] },
  );
  printAccess(lab);
}

function printAccess(lab: Lab): void {
  console.log(`labforge: lab ${lab.name} is up. Log in with: labforge ssh ${lab.nodes[0].name}   (or ssh -F ${lab.outDir}/ssh_config ${lab.nodes[0].name})`);
}
