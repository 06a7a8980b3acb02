// The internal snapshots a running domain's QEMU has in its disks, asked of QEMU itself through libvirt's monitor
// passthrough (Virsh.qemuMonitor): also those libvirt has no metadata for, which virsh snapshot-list does not show.
import { hmpFailure, parseQueryBlockSnapshots, type QemuDiskSnapshots } from './virsh-output.js';
import type { Virsh } from './virsh.js';

/** The internal snapshots in each disk of a running (or paused) domain (QMP query-block). */
export async function qemuSnapshots(virsh: Virsh, domain: string): Promise<QemuDiskSnapshots[]> {
  return parseQueryBlockSnapshots(await virsh.qemuMonitor(domain, '{"execute":"query-block"}'));
}

/** Deletes the internal snapshot named `name` from every disk of a running (or paused) domain that has one (HMP
 *  `delvm`: one copy per disk; QEMU matches the name only, never an id), whether libvirt knows it or not. A name
 *  that is not one HMP word is refused. */
export async function qemuSnapshotDelete(virsh: Virsh, domain: string, name: string): Promise<void> {
  if (!/^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(name))
    throw new Error(`${JSON.stringify(name)} is not a snapshot name QEMU's delvm takes as one word: not deleted`);
  const said = hmpFailure(await virsh.qemuMonitor(domain, `delvm ${name}`, true));
  if (said) throw new Error(`QEMU's delvm ${name} on domain ${domain} failed: ${said}`);
}
