// QEMU's copies of a snapshot that libvirt lost: a libvirtd restarted while it took an internal snapshot can leave
// the snapshot written into the nodes' qcow2 disks with no libvirt metadata (libvirt 11 takes it with QEMU's
// snapshot-save job, which ends without the daemon that would record it). libvirt does not list such a copy, and
// its next snapshot of that name fails ("Snapshot 'X' already exists in one or more devices"; libvirt 9 overwrites
// it on a running node, and on a shut-off one qemu-img adds a second snapshot of the same name). Before labforge
// takes again (or deletes) a snapshot it recorded as interrupted, it removes those copies from the disks of the
// domains it recorded parts of: through the domain's QEMU when it runs, with qemu-img when it is shut off (on this
// host only). Which names and domains is plan.ts's lostCopyDomains: never a name labforge did not record.
import { SnapshotError } from '../../errors.js';
import type { Lab } from '../../lab/model.js';
import { hostLabel, parseHostUri } from '../../lab/host-uri.js';
import { deleteImageSnapshot, imageSnapshots } from '../../tools/qemu-img.js';
import { qemuSnapshotDelete, qemuSnapshots } from '../../tools/qemu-snapshots.js';
import type { Virsh } from '../../tools/virsh.js';
import { uriOfNode } from '../nodes/lab-hosts.js';
import type { OwnershipRecord } from '../state/ownership.js';
import { lostCopyDomains } from './plan.js';

/** A domain of the lab: its node and UUID. */
export interface NodeDomain {
  node: string;
  uuid: string;
}

/** For a save or delete of snapshot `name` that labforge recorded as interrupted: removes the copies libvirt lost
 *  from those of `domains` the record names parts of (plan.ts, lostCopyDomains), and says what it did. */
export async function clearLostCopies(
  lab: Lab,
  virsh: Virsh,
  record: OwnershipRecord,
  name: string,
  domains: NodeDomain[],
  say: (line: string) => void,
  log?: string,
): Promise<void> {
  const lost = lostCopyDomains(
    record,
    name,
    domains.map((d) => d.uuid),
  );
  if (lost.length === 0) return;
  const lines = await removeLostCopies(
    lab,
    virsh,
    domains.filter((d) => lost.includes(d.uuid)),
    name,
    log,
  );
  for (const line of lines) say(line);
}

/** At most this many copies of one name in one disk are removed (each pass removes one per disk). */
const MAX_PASSES = 8;

/** Removes QEMU's copies of snapshot `name` that libvirt does not list from each domain's disks. Call it after the
 *  parts libvirt lists were deleted through libvirt. Returns what to tell the user (nothing when no domain had a
 *  copy). */
export async function removeLostCopies(
  lab: Lab,
  virsh: Virsh,
  domains: NodeDomain[],
  name: string,
  log?: string,
): Promise<string[]> {
  const removed: string[] = [];
  const said: string[] = [];
  for (const d of domains) {
    if ((await virsh.snapshots(d.uuid)).includes(name)) continue; // libvirt's own: deleted through libvirt
    const state = await virsh.domainState(d.uuid);
    const n =
      state === 'shut off' ? await fromShutOff(lab, virsh, d, name, said, log) : await fromRunning(virsh, d, name);
    if (n > 0) removed.push(d.node);
  }
  if (removed.length)
    said.unshift(
      `removed QEMU's copies of snapshot ${name} that libvirt had lost (a save interrupted by a libvirtd restart) ` +
        `from the disks of ${removed.join(', ')}`,
    );
  return said;
}

/** A running (or paused) domain: its QEMU reports and deletes the copies (`delvm`, one per disk and pass). */
async function fromRunning(virsh: Virsh, d: NodeDomain, name: string): Promise<number> {
  const copies = async () =>
    (await qemuSnapshots(virsh, d.uuid)).reduce(
      (n, disk) => n + disk.snapshots.filter((s) => s.name === name).length,
      0,
    );
  const found = await copies();
  if (found === 0) return 0;
  for (let pass = 0; pass < MAX_PASSES; pass++) {
    await qemuSnapshotDelete(virsh, d.uuid, name);
    if ((await copies()) === 0) return found;
  }
  throw new SnapshotError(`node ${d.node}: QEMU still has snapshot ${name} in its disks after ${MAX_PASSES} deletions`);
}

/** A shut-off domain: qemu-img on its qcow2 files, once per copy, when the disks are on this host. qemu-img
 *  takes each image's write lock, so it fails rather than change a disk a domain started meanwhile runs from. */
async function fromShutOff(
  lab: Lab,
  virsh: Virsh,
  d: NodeDomain,
  name: string,
  said: string[],
  log?: string,
): Promise<number> {
  const node = lab.nodes.find((n) => n.name === d.node);
  const uri = node ? uriOfNode(lab, node) : lab.host.uri;
  if (parseHostUri(uri)) {
    said.push(
      `node ${d.node} is shut off on ${hostLabel(uri)}: labforge cannot look into its disks there for a copy of ` +
        `snapshot ${name} that libvirt lost (one would stay beside the new one); \`labforge up\` first lets it check`,
    );
    return 0;
  }
  let removed = 0;
  for (const disk of await virsh.domainDisks(d.uuid)) {
    if (disk.device !== 'disk' || !disk.source) continue;
    if (disk.type !== 'file') {
      said.push(`node ${d.node}: disk ${disk.target} is not a file (${disk.type}): not checked for snapshot ${name}`);
      continue;
    }
    const file = disk.source;
    try {
      const image = await imageSnapshots(file, { log });
      if (image.format !== 'qcow2') continue;
      const copies = image.snapshots.filter((s) => s.name === name).length;
      for (let i = 0; i < copies; i++) {
        if ((await virsh.domainState(d.uuid)) !== 'shut off')
          throw new SnapshotError(`node ${d.node} was started meanwhile: its disk ${file} was left as it is`);
        await deleteImageSnapshot(file, name, { log });
        removed++;
      }
    } catch (e) {
      if (e instanceof SnapshotError) throw e;
      throw new SnapshotError(
        `node ${d.node}: could not remove the copy of snapshot ${name} that libvirt lost from ${file}: ` +
          `${(e as Error).message.split('\n').slice(0, 3).join(' ')} (as a user who may write the file, with the node ` +
          `shut off: qemu-img snapshot -l ${file}, then qemu-img snapshot -d ${name} ${file})`,
      );
    }
  }
  return removed;
}
