// labforge up: doctor's fatal checks, bake if needed, the lab networks, vagrant up in parallel, then every node
// must answer on its static address. Re-running on a running lab changes nothing; an interrupted up is finished.
import fs from 'node:fs';
import path from 'node:path';
import { spansHosts, type Lab, type LabNode } from '../lab/model.js';
import { checkPlacement } from './nodes/placement.js';
import { LAYOUT } from '../layout.js';
import { HostNotReadyError, ToolError, UsageError } from '../errors.js';
import * as vagrant from '../tools/vagrant.js';
import { libvirtLost, LIBVIRT_LOST, Virsh } from '../tools/virsh.js';
import { bake } from './image/bake.js';
import { doctor, formatChecks } from './host/doctor.js';
import { ensureNetwork, labNetworks } from './nodes/networks.js';
import { checkNetworksFree } from './nodes/network-plan.js';
import { reportedFqdn } from './nodes/connections.js';
import { baselineStep } from './snapshots/baseline.js';
import { BASELINE, baselineMissing } from './snapshots/plan.js';
import { addToRecord, discoverOwnedOnHosts, readRecord, vagrantDomainIds } from './state/record.js';
import { labVirsh, nodeHostUris, uriOfNode } from './nodes/lab-hosts.js';
import { spanNetworkSteps } from './nodes/fabric.js';
import type { OpenLab } from './open.js';
import { status } from './nodes/status.js';
import { poolStep } from './state/pool.js';
import { logFile, runSteps } from './steps.js';
import { awaitManagementLeases, bootTimedOut, provisionBooted } from './nodes/boot.js';
import { diskFullOr, localSpace, mib, NEW_NODE_DISK_MIB, poolSpace, requireSpace, type Space } from './host/space.js';

/** What up writes into the output folder while the lab comes up, at least: logs, the nodes' console logs, state. */
const OUT_DIR_NEED_MIB = 16;

/**
 * Free space for what up creates, before anything is created: in the lab's pool, the box's base volume (when the
 * pool does not hold it yet) and NEW_NODE_DISK_MIB for each node disk Vagrant makes; in the output folder,
 * OUT_DIR_NEED_MIB. A file system too small is exit 1 naming it and the space needed (DiskFullError).
 */
export async function checkUpSpace(
  lab: Lab,
  virsh: Virsh,
  box: string,
  nodes: LabNode[] = lab.nodes,
): Promise<Space | undefined> {
  requireSpace(
    'labforge up',
    localSpace(lab.outDir, `the output folder ${lab.outDir}`),
    OUT_DIR_NEED_MIB * 2 ** 20,
    "the lab's logs, the nodes' console logs and its state files",
  );
  const space = await poolSpace(lab, virsh);
  if (!space) return undefined;
  const fresh = (await status(lab)).filter(
    (s) => s.state === 'not_created' && nodes.some((n) => n.name === s.name),
  ).length;
  if (fresh === 0) return space;
  const pool = lab.host.pool;
  const prefix = `${box.replace(/\//g, '-VAGRANTSLASH-')}_vagrant_box_image_`;
  const hasBase =
    (await virsh.activePools()).includes(pool) &&
    [...(await virsh.volumes(pool)).keys()].some((v) => v.startsWith(prefix));
  const base = hasBase ? 0 : (vagrant.boxImageBytes(box) ?? 0);
  const why = [
    base ? `the box's base volume, ${mib(base)}` : undefined,
    `${NEW_NODE_DISK_MIB} MiB for each of the ${fresh} node disks it creates`,
  ]
    .filter(Boolean)
    .join(', and ');
  requireSpace('labforge up', space, base + fresh * NEW_NODE_DISK_MIB * 2 ** 20, why);
  return space;
}

/** Every node's answer on its static address (`hostname -f` as root with the lab key), all nodes at once. */
async function allAnswer(
  lab: Lab,
  nodes: LabNode[] = lab.nodes,
  share = true,
): Promise<{ node: LabNode; said: string | Error }[]> {
  return Promise.all(nodes.map(async (node) => ({ node, said: await reportedFqdn(lab, node, share) })));
}

const answered = (a: { node: LabNode; said: string | Error }) => !(a.said instanceof Error) && a.said === a.node.fqdn;

/**
 * A lab that runs as it was brought up needs nothing: every node's domain running (one libvirt query), every
 * domain Vagrant created in the ownership record, the lab networks active (one more), and every node answering
 * on its static address (all at once). Then up starts no Vagrant and runs no doctor (the host runs the lab).
 * Returns why not, or undefined when there is nothing to do.
 */
export async function needsWork(lab: Lab): Promise<string | undefined> {
  const states = await status(lab);
  const stopped = states.filter((s) => s.state !== 'running');
  if (stopped.length) return `${stopped.map((s) => `${s.name} is ${s.state}`).join(', ')}`;
  const record = readRecord(lab.outDir);
  const recorded = new Set((record?.domains ?? []).map((d) => d.uuid));
  const ids = vagrantDomainIds(lab.outDir);
  const unrecorded = ids.filter((d) => !recorded.has(d.uuid));
  if (unrecorded.length) return `${unrecorded.map((d) => d.node).join(', ')} not in ${LAYOUT.state}`;
  const unsnapshotted = baselineMissing(record, ids);
  if (unsnapshotted.length) return `${unsnapshotted.join(', ')} without the ${BASELINE} snapshot`;
  const active = await new Virsh(lab.host.uri).activeNetworks();
  const down = labNetworks(lab).filter(({ net }) => !active.includes(net.name));
  if (down.length) return `network ${down.map(({ net }) => net.name).join(', ')} not active`;
  const silent = (await allAnswer(lab)).filter((a) => !answered(a));
  if (silent.length) return `${silent.map((a) => a.node.name).join(', ')} not answering`;
  return undefined;
}

export async function up(open: OpenLab): Promise<void> {
  const { lab } = open;
  if (fs.existsSync(path.join(lab.outDir, LAYOUT.state)) && (await needsWork(lab)) === undefined) {
    // The render is still brought up to date: a pure render, and the box looked up in Vagrant's files.
    await bake(open, {});
    console.log(
      `labforge: lab ${lab.name} is up and nothing changed: all ${lab.nodes.length} nodes running and answering on their static addresses`,
    );
    printAccess(lab);
    return;
  }
  // Placement first: a host that cannot hold its nodes is exit 3 before anything is created on any host.
  const spans = spansHosts(lab);
  if (spans) await checkPlacement(lab);
  // The lab's subnets against libvirt's networks, before anything is checked further, baked or created: a clash is
  // exit 2 naming both networks (doctor would only see a route on some bridge). A libvirt that cannot be asked is
  // doctor's to explain.
  try {
    await checkNetworksFree(new Virsh(lab.host.uri), lab);
  } catch (e) {
    if (e instanceof UsageError) throw e;
  }
  const checks = await doctor(lab);
  const failed = checks.filter((c) => c.status === 'fail');
  if (failed.length)
    throw new HostNotReadyError(`this host cannot run lab ${lab.name} (labforge doctor):\n${formatChecks(failed)}`);
  // bake renders the lab and returns at once when its box is installed; otherwise it bakes the box first.
  const baked = await bake(open, {});
  const log = logFile(lab.outDir, 'up');
  const virsh = new Virsh(lab.host.uri, { log });
  // Each host's pool must hold the box's base volume and the disks of the nodes placed there.
  const space = await checkUpSpace(
    lab,
    virsh,
    baked.box,
    spans ? lab.nodes.filter((n) => uriOfNode(lab, n) === virsh.uri) : lab.nodes,
  );
  if (spans)
    for (const uri of nodeHostUris(lab).filter((u) => u !== virsh.uri))
      await checkUpSpace(
        lab,
        new Virsh(uri, { log }),
        baked.box,
        lab.nodes.filter((n) => uriOfNode(lab, n) === uri),
      );
  console.log(`labforge: bringing up lab ${lab.name}; full log: ${log}`);
  const full = (e: unknown) =>
    diskFullOr(
      e,
      'labforge up',
      space,
      "Vagrant could not write the nodes' disks",
      'Free space there, then run labforge up again: it finishes what was started.',
    );
  // Every libvirt host that holds nodes (host.uri alone for a lab on one host): each gets the management network
  // (a lab across hosts) and the storage pool; vagrant-libvirt uploads the box into each host's pool itself.
  const hostVirshes = nodeHostUris(lab).map((uri) => (uri === virsh.uri ? virsh : new Virsh(uri, { log })));
  const onHost = (uri: string) => (spans ? ` on host ${lab.hosts.find((h) => h.uri === uri)?.name ?? uri}` : '');
  const networkSteps = spans
    ? spanNetworkSteps(lab, hostVirshes, log)
    : labNetworks(lab).map(({ net, file, field }) => ({
        title: `Network ${net.name} (${net.subnet.cidr})`,
        task: async () => {
          const done = await ensureNetwork(virsh, net, file, field);
          // Only a network labforge defined is the lab's: destroy never removes one it found and reused.
          if (done === 'defined and started')
            addToRecord(lab, { networks: [{ name: net.name, uuid: await virsh.networkUuid(net.name) }] });
          return done;
        },
      }));
  await runSteps<{ pending: string[] }>(
    [
      ...networkSteps,
      ...hostVirshes.map((v) => poolStep(lab, v, onHost(v.uri))),
      {
        title: `Start ${lab.nodes.length} nodes (vagrant up --parallel)`,
        task: async (_c, progress) => {
          // labforge's status (one libvirt query) says the same as `vagrant status` without starting Vagrant.
          const states = await status(lab);
          const notRunning = states.filter((s) => s.state !== 'running').map((s) => s.name);
          if (notRunning.length === 0) return 'all running';
          try {
            await vagrant.up(lab.outDir, [], { log, onLine: progress });
          } catch (e) {
            if (!(e instanceof ToolError) || !LIBVIRT_LOST.test(e.tail))
              throw bootTimedOut(lab, open.ctx, e) ?? full(e);
            // libvirtd went away under vagrant-libvirt (restarted): once it answers again, vagrant up (which only
            // does what is not done yet) runs once more.
            progress('libvirt went away during vagrant up (libvirtd restarted?): waiting for it, then once more');
            await labVirsh(lab, { log }).waitForLibvirt();
            try {
              await vagrant.up(lab.outDir, [], { log, onLine: progress });
            } catch (again) {
              if (again instanceof ToolError && LIBVIRT_LOST.test(again.tail))
                throw libvirtLost(lab.host.uri, '`vagrant up` (twice)', again.tail);
              throw bootTimedOut(lab, open.ctx, again) ?? full(again);
            }
          }
          return `started ${notRunning.join(', ')}`;
        },
      },
      {
        title: 'Record what the lab owns (domains, their disks)',
        task: async () => {
          const record = addToRecord(lab, await discoverOwnedOnHosts(lab, { log }));
          return `${record.domains.length} domains, ${record.volumes.length} disk volumes, ${record.networks.length} networks in ${LAYOUT.state}`;
        },
      },
      {
        title: 'Check every node answers on its static address',
        task: async (c, progress) => {
          c.pending = (await allAnswer(lab, lab.nodes, false)).filter((a) => !answered(a)).map((a) => a.node.name);
          if (c.pending.length === 0) return 'all answer';
          // A node that does not answer was not (fully) provisioned, e.g. an up interrupted half way: finish it.
          progress(`provisioning ${c.pending.join(', ')}`);
          // Vagrant provisions a running node only once libvirt holds its management address (a killed up leaves
          // nodes still booting without one): wait for it as vagrant up would have (nodes/leases.ts).
          await awaitManagementLeases(lab, open.ctx, c.pending, await virsh.domainStates(), { log, progress });
          await provisionBooted(lab, open.ctx, c.pending, { log, onLine: progress });
          const still = (
            await allAnswer(
              lab,
              lab.nodes.filter((n) => c.pending.includes(n.name)),
              false,
            )
          )
            .filter((a) => !answered(a))
            .map(
              ({ node, said }) =>
                `${node.name} (${node.ip}): ${said instanceof Error ? said.message.split('\n').slice(-1)[0] : `says it is ${said}`}`,
            );
          if (still.length)
            throw new Error(
              `nodes do not answer on their static address as root with the lab key:\n  ${still.join('\n  ')}\nsee ${log}`,
            );
          return `provisioned ${c.pending.join(', ')}`;
        },
      },
      baselineStep(lab, log),
    ],
    { pending: [] },
  );
  printAccess(lab);
}

function printAccess(lab: Lab): void {
  console.log(
    `labforge: lab ${lab.name} is up. Log in with: labforge ssh ${lab.nodes[0].name}   (or ssh -F ${lab.outDir}/${LAYOUT.sshConfig} ${lab.nodes[0].name})`,
  );
}
