// Every time limit labforge sets: how long it waits for a node, a tool or a server before it says so. The help
// texts and the schema's descriptions read them from here.

/** ssh's ConnectTimeout for a node that should answer (a TCG guest on a busy host answers within seconds). */
export const SSH_CONNECT_S = 10;
/** A short command on a node: `hostname -f`, the clock, `poweroff`. */
export const SSH_COMMAND_S = 30;
/** `ssh -O check` / `-O exit` on a shared connection's socket (local, no network). */
export const SSH_SOCKET_S = 5;
/** How long a shared ssh connection stays after its last session. */
export const SSH_PERSIST_S = 300;
/** How long the shared ssh connection to a libvirt host (the lab network's commands there) stays after its last
 *  command: long enough for one step's commands, short enough to be gone soon after the command ends. */
export const HOST_MUX_PERSIST_S = 20;

/** How long a node's probe may take (verify), and how long a restore keeps trying to set the nodes' clocks: the
 *  slowest check (a ping's 3 s, a DNS lookup's retries) plus the ssh round trips, which grow with the number of
 *  guests on the host (under TCG one round trip takes seconds). */
export function probeTimeLimits(nodes: number): { connectS: number; probeS: number } {
  return { connectS: SSH_CONNECT_S + 2 * nodes, probeS: SSH_COMMAND_S + 5 * nodes };
}

/** How long Vagrant waits for each node to boot unless host.boot_timeout says: this, times the nodes each host CPU
 *  has to boot at once (they boot together, --parallel). */
export const BOOT_S = { kvm: 300, tcg: 600 } as const;

export function defaultBootTimeoutS(nodes: number, driver: 'kvm' | 'qemu', hostCpus = 1): number {
  const perCpu = Math.ceil(nodes / Math.max(1, hostCpus));
  return (driver === 'kvm' ? BOOT_S.kvm : BOOT_S.tcg) * Math.max(1, perCpu);
}

/** How long Packer waits for ssh on the build VM: an install from the netinst ISO downloads and installs every
 *  package before ssh comes up, and under TCG (no KVM) everything runs 10-50 times slower. */
export function bakeSshTimeout(method: 'cloud' | 'iso', driver: 'kvm' | 'qemu'): string {
  const kvm = driver === 'kvm';
  if (method === 'iso') return kvm ? '60m' : '4h';
  return kvm ? '15m' : '30m';
}

/** halt: when a node the ACPI power button did not bring down is asked again over ssh. */
export const HALT_ASK_AGAIN_S = 30;

/** halt: how long the nodes get to shut down by themselves before they are forced off (a guest under TCG on a busy
 *  host takes a minute or more). */
export const HALT_S = { base: 120, perNode: 10 } as const;

export function haltTimeLimitS(nodes: number): number {
  return HALT_S.base + HALT_S.perNode * nodes;
}

/** run and copy: the time limit on each node unless --timeout says. */
export const FAN_OUT_S = 600;

/** A GET of one of Fedora's index files (releases.json, a CHECKSUM file, a folder listing). */
export const HTTP_S = 30;

/** Graphviz drawing the lab's topology. */
export const GRAPHVIZ_S = 60;

/** A `.lock.break` older than this was left by a killed command (breaking a stale mutex takes milliseconds). */
export const MUTEX_BREAK_STALE_S = 10;

/** hosts/ssh-config --install and --remove: how long they wait for another labforge changing the same file (a change
 *  takes milliseconds; a holder still there after this is stuck, and is named). */
export const SHARED_FILE_LOCK_WAIT_S = 30;

/** A quick local question to a program (ssh-keygen -y, the package owning a file, libvirt's networks while a
 *  management subnet is chosen): an answer takes milliseconds, a hang is cut here. */
export const LOCAL_QUERY_S = 10;

/** A question to a remote libvirt host while a lab is opened (its CPUs, KVM): ssh's connect limit and a command's. */
export const REMOTE_QUERY_S = SSH_CONNECT_S + SSH_COMMAND_S;

/** How long a program a killed labforge left running gets between SIGTERM and SIGKILL (tools/children.ts). */
export const CHILD_STOP_GRACE_S = 10;

/** `labforge ls`: how long one libvirt connection may take to list its domains before its labs show "unknown". */
export const LS_LIBVIRT_S = 20;
