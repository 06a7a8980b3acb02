// Every bound labforge puts on a number or a text it is given: the lab file's sizes and counts (the schema and the
// cross-field checks read them, and their messages name them) and the numbers the command line takes. Far past
// anything real, so that a typo stops before it reaches a tool.

export const BOUNDS = {
  /** Virtual CPUs of a node or the build VM. */
  cpus: { min: 1, max: 128 },
  /** Memory of a node or the build VM, MiB (1 TiB at most). */
  memoryMiB: { min: 256, max: 1024 * 1024 },
  /** A disk, GiB (16 TiB at most). */
  diskGiB: { max: 16 * 1024 },
  /** host.tcg_cache, MiB: QEMU's TCG needs a few MiB of code buffer; a guest never uses more than a few GiB. */
  tcgCacheMiB: { min: 16, max: 4096 },
  /** host.boot_timeout, seconds. */
  bootTimeoutS: { min: 30, max: 86400 },
  nodes: { min: 1, max: 1000 },
  /** `hosts`: the libvirt hosts one lab spans (each a VXLAN peer of every other: head-end replication). */
  hosts: { min: 1, max: 64 },
  vips: { max: 1000 },
  /** Characters of one free-text value or path. */
  text: { max: 4096 },
  /** A lab file's size: a larger file is a mistake (or an attack on the YAML parser's memory). */
  labFileBytes: { max: 1024 * 1024 },
  /** lab.lock: a few hundred bytes; anything near this is not a lock. */
  lockFileBytes: { max: 64 * 1024 },
  /** A record labforge keeps in its own folders (manifest, ownership record, claim, lock, caches, known_hosts). */
  recordBytes: { max: 16 * 1024 * 1024 },
  /** A file `hosts --install --file` / `ssh-config --install --file` changes (the hosts file, ~/.ssh/config). */
  workstationFileBytes: { max: 16 * 1024 * 1024 },
  /** image.local: a qcow2 base image (1 TiB at most). */
  imageBytes: { max: 1024 ** 4 },
  /** A file a repository or a lab file hands labforge to copy or read (package.json, keys, scripts). */
  repoFileBytes: { max: 4 * 1024 * 1024 },
  /** The smallest lab subnet: a /29. */
  subnetPrefix: { max: 29 },
  /** Extra data disks of one node or role. */
  disks: { max: 16 },
  /** Provisioning steps in one list (the lab's, a role's, a node's). */
  provisionSteps: { max: 200 },
  /** An inline shell step. */
  shellText: { max: 64 * 1024 },
  /** What one provisioning step hashes (a script, a copied tree, a playbook's folder): files and bytes. */
  provisionFiles: { max: 20000 },
  provisionBytes: { max: 1024 * 1024 * 1024 },
  /** A Fedora release number. */
  release: { max: 999 },
} as const;

/** The numbers the command line takes. */
export const OPTION_BOUNDS = {
  /** Any whole-number option. */
  wholeNumber: { max: 999_999_999 },
  /** run/copy --parallel and --timeout. */
  parallel: { max: 999_999 },
  timeoutS: { max: 999_999 },
  /** halt --time-limit. */
  haltTimeLimitS: { max: 3600 },
  /** run/copy without --parallel: all nodes at once, up to this many. */
  defaultParallel: 32,
} as const;
