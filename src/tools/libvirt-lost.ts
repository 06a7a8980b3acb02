// libvirt going away under labforge (libvirtd stopped, crashed or restarted): how virsh says it, and labforge's message.
import { EXIT } from '../errors.js';

/** virsh's words when the connection to libvirt broke in the middle of a call (the daemon stopped, crashed or was
 *  restarted), and when there is no daemon to connect to (not back yet, or not running at all). */
export const LIBVIRT_BROKE =
  /client socket is closed|End of file while reading data|Cannot recv data|Cannot write data|Connection reset by peer|Broken pipe/i;
export const LIBVIRT_ABSENT = /Failed to connect socket|failed to connect to the hypervisor/i;
export const LIBVIRT_LOST = new RegExp(`${LIBVIRT_BROKE.source}|${LIBVIRT_ABSENT.source}`, 'i');

/** The libvirt URIs that answered in this process: one that does not answer now went away (a restart), rather than
 *  never being there (a host without libvirt, where waiting would only delay the message). */
export const answered = new Set<string>();

/** How long a read waits for libvirt to be back (a restarted libvirtd answers within seconds). */
export const LIBVIRT_BACK_S = 30;

/** libvirt went away in the middle of a call that changes something (whether it happened is not known). */
export class LibvirtLostError extends Error {
  readonly exitStatus = EXIT.failure;
}

export function libvirtLost(uri: string, what: string, detail: string): LibvirtLostError {
  return new LibvirtLostError(
    `lost the connection to libvirt (${uri}) during ${what}: the libvirt daemon (libvirtd or virtqemud) stopped or ` +
      `was restarted. Check that it answers (\`virsh -c ${uri} list\`), then run the same labforge command again: ` +
      `it finishes what was started.\n    ${detail.trim().split('\n').slice(-1)[0]}`,
  );
}

/** The virsh calls that only read: asked again when libvirt went away meanwhile (a libvirtd restart). */
export const VIRSH_READS: ReadonlySet<string> = new Set([
  'version',
  'list',
  'domstate',
  'dumpxml',
  'domname',
  'domiflist',
  'domifaddr',
  'domblklist',
  'net-list',
  'net-dumpxml',
  'net-uuid',
  'pool-list',
  'pool-uuid',
  'vol-list',
  'vol-dumpxml',
  'snapshot-list',
  'nodeinfo',
  'nodememstats',
  'pool-info',
  'pool-dumpxml',
  'pool-refresh',
]);
