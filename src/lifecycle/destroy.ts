// labforge halt / destroy. destroy removes exactly what the lab owns (ownership.ts) and nothing else.
import fs from 'node:fs';
import path from 'node:path';
import type { Lab, LabNode } from '../lab/model.js';
import * as ssh from '../tools/ssh.js';
import { disconnect, target } from './nodes.js';
import * as vagrant from '../tools/vagrant.js';
import { Virsh } from '../tools/virsh.js';
import { labNetworks } from './networks.js';
import { emptyRecord, planDestroy } from './ownership.js';
import { addToRecord, discoverOwned, forgetVagrantNetworks, libvirtNow, readRecord, removeRecord } from './state.js';
import { deleteAllSnapshots } from './snapshot.js';
import { logFile, runSteps } from './tasks.js';
import { readManifest } from './write.js';

/** How long the nodes get to shut down by themselves before they are forced off: a guest under TCG on a busy
 *  host takes a minute or more. */
export function haltTimeLimitS(lab: Lab): number {
  return 120 + 10 * lab.nodes.length;
}

/** When halt asks again, over ssh, a node that the ACPI power button did not bring down. */
const ASK_AGAIN_S = 30;

/** labforge halt: every running node is asked to power off at once, by the ACPI power button (systemd-logind then
 *  powers off as `systemctl poweroff` does, the graceful shutdown `vagrant halt` asks for over ssh, one node after
 *  another); labforge waits for libvirt to see all of them shut off. A node still up after ASK_AGAIN_S is asked again
 *  as root over ssh; one still running at the time limit is forced off, and that is reported. No login: a new ssh
 *  login costs a TCG guest about a second of CPU, and nine guests on two cores wait for each other's. */
export async function halt(
  lab: Lab,
  opts: { timeLimitS?: number; nodes?: LabNode[] } = {},
): Promise<{ forced: string[] }> {
  const chosen = opts.nodes ?? lab.nodes;
  const log = logFile(lab.outDir, 'halt');
  const virsh = new Virsh(lab.host.uri, { log });
  const limit = opts.timeLimitS ?? haltTimeLimitS(lab);
  const forced: string[] = [];
  // The connection drops as the node goes down: ssh's exit code says nothing here, and the wait tells.
  const askOverSsh = (t: ssh.SshTarget) =>
    ssh
      .execAll(t, 'systemctl poweroff || poweroff', { connectTimeoutS: 10, timeoutMs: 30000, log })
      .catch(() => undefined);
  await runSteps<{ running: LabNode[] }>(
    [
      {
        title: `Ask the running nodes to power off, all at once`,
        task: async (c) => {
          const states = await virsh.domainStates();
          c.running = chosen.filter((n) => states.get(n.domain) === 'running');
          if (c.running.length === 0) return 'none is running';
          // Their shared ssh connections end first (their sshd would close them as they go down).
          await disconnect(lab, c.running);
          await Promise.all(c.running.map((n) => virsh.shutdown(n.domain)));
          return `${c.running.map((n) => n.name).join(', ')} (ACPI power button)`;
        },
      },
      {
        title: `Wait until libvirt sees them shut off (at most ${limit} s, then force them off)`,
        skip: (c) => (c.running.length === 0 ? 'none is running' : false),
        task: async (c, progress) => {
          const started = Date.now();
          const askAfterS = Math.min(ASK_AGAIN_S, limit / 2);
          const askedOverSsh: string[] = [];
          for (;;) {
            const states = await virsh.domainStates();
            const up = c.running.filter((n) => states.get(n.domain) !== 'shut off' && states.has(n.domain));
            const again = askedOverSsh.length
              ? ` (${askedOverSsh.join(', ')} asked again over ssh after ${askAfterS} s)`
              : '';
            if (up.length === 0) return `all shut off in ${Math.round((Date.now() - started) / 1000)} s${again}`;
            if (Date.now() - started > limit * 1000) {
              for (const n of up) await virsh.forceOff(n.domain);
              forced.push(...up.map((n) => n.name));
              return `forced off after ${limit} s: ${forced.join(', ')}${again}`;
            }
            if (askedOverSsh.length === 0 && Date.now() - started > askAfterS * 1000) {
              progress(`asking ${up.map((n) => n.name).join(', ')} again, as root over ssh`);
              await Promise.all(up.map((n) => askOverSsh(target(lab, n))));
              askedOverSsh.push(...up.map((n) => n.name));
            }
            progress(`still running: ${up.map((n) => n.name).join(', ')}`);
            await new Promise((r) => setTimeout(r, 500));
          }
        },
      },
    ],
    { running: [] },
  );
  return { forced };
}

/**
 * Removes exactly what the lab owns (see ownership.ts): `vagrant destroy -f`, then whatever of the recorded domains,
 * their disk volumes, the networks labforge defined and the box's base volume (once no other volume is backed by it)
 * is still there, then the record. Returns what it removed and what it kept, with the reason.
 */
export async function destroy(lab: Lab, opts: { box?: boolean }): Promise<{ removed: string[]; kept: string[] }> {
  const log = logFile(lab.outDir, 'destroy');
  const virsh = new Virsh(lab.host.uri, { log });
  const removed: string[] = [];
  const kept: string[] = [];
  const box = readManifest(lab.outDir)?.box;
  const recordMissing = readRecord(lab.outDir) === undefined;
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
          return `${merged.domains.length} domains, ${merged.volumes.length} disk volumes, ${merged.networks.length} networks${recordMissing ? ' (no record file: from the ids Vagrant recorded)' : ''}`;
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
          fs.existsSync(path.join(lab.outDir, 'Vagrantfile')) ? false : 'no Vagrantfile: nothing was rendered here',
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
          fs.rmSync(path.join(lab.outDir, 'known_hosts'), { force: true });
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
