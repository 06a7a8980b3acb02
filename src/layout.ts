// Every name labforge gives a file or folder in a lab's output folder (lima keeps its instance folder's names in one
// place the same way: pkg/store/filenames). Paths are relative to the output folder, `/`-separated.
//
//   .labforge-owner.json        the claim: written when labforge takes an empty or new folder; nothing else is
//                               written into a folder without it
//   .renders/<id>/              one complete render (every generated file and its manifest)
//   .current -> .renders/<id>   the render in use: the one entry a render replaces (rename(2) of a new link)
//   Vagrantfile, packer, provision, hosts, ssh_config, inventory, network.xml, management-network.xml,
//   .labforge-render.json       links into .current/, made once: their paths never change
//   logs/ .vagrant/ secrets/ known_hosts .labforge-known-hosts.json .labforge-state.json .labforge-addresses.json
//   .lock .mux/ .cache/
//                               state of the running lab, never touched by a render

export const LAYOUT = {
  // --- what a render writes (links at the top into the current render) ---
  vagrantfile: 'Vagrantfile',
  /** The Packer recipe (render/packer.ts, PACKER_BAKE). */
  packer: 'packer',
  /** The guest scripts the Vagrantfile uploads to every node. */
  provision: 'provision',
  /** The lab's names, for the workstation's /etc/hosts (and provision/hosts for the nodes'). */
  hosts: 'hosts',
  /** `ssh -F <out>/ssh_config NODE`. */
  sshConfig: 'ssh_config',
  /** The lab as an Ansible dynamic inventory, an executable: `ansible -i <out>/inventory all -m ping`. */
  inventory: 'inventory',
  labNetwork: 'network.xml',
  managementNetwork: 'management-network.xml',
  /** What the current render wrote: lab, source, bake hash, box, files. */
  manifest: '.labforge-render.json',

  // --- labforge's own records and machinery ---
  /** The claim on the folder. */
  owner: '.labforge-owner.json',
  /** The addresses a render chose (nodes without ip, the management subnet): kept so they never move. */
  addresses: '.labforge-addresses.json',
  /** The ownership record: what labforge and Vagrant created in libvirt for the lab. */
  state: '.labforge-state.json',
  /** The mutex: one command at a time (and `.lock.break` while a stale one is broken, `.lock.children` the
   *  programs its holder runs: tools/children.ts). */
  mutex: '.lock',
  /** Every render, each complete in a folder of its own. */
  renders: '.renders',
  /** The link to the render in use. */
  current: '.current',
  /** The sockets of the shared ssh connections to the nodes: `.mux/<node>`. */
  mux: '.mux',
  /** What labforge keeps between commands (the local base image's sha256). */
  cache: '.cache',

  // --- the running lab's state, which no render touches ---
  /** A log file per command that runs tools, and every node's serial console. */
  logs: 'logs',
  /** The lab's secrets (the lab key, the root password): 0700, its files 0600. */
  secrets: 'secrets',
  /** The lab's own key pair (when the lab file names none): `secrets/id_ed25519` and `.pub`. */
  labKey: 'secrets/id_ed25519',
  /** access.root_password, kept out of the Vagrantfile. */
  rootPassword: 'secrets/root-password',
  /** The nodes' host keys (kept out of ~/.ssh/known_hosts: nodes are re-created with new ones). */
  knownHosts: 'known_hosts',
  /** Which domain each node's keys in known_hosts were learned from (lifecycle/state/known-hosts.ts). */
  knownHostsDomains: '.labforge-known-hosts.json',
  /** Vagrant's machine folders: `.vagrant/machines/<node>/libvirt/`. */
  vagrantMachines: '.vagrant/machines',
} as const;

/** A node's serial console (ttyS0), written by QEMU. */
export function consoleLog(node: string): string {
  return `${LAYOUT.logs}/${node}-console.log`;
}

/** What a node's console wrote before the restores of snapshots (QEMU starts the log anew at each). */
export function consoleHistory(node: string): string {
  return `${LAYOUT.logs}/${node}-console.history.log`;
}

/** A file vagrant-libvirt keeps for a machine: `id` (its domain's UUID), `created_networks`. */
export function vagrantMachineFile(node: string, file: 'id' | 'created_networks'): string {
  return `${LAYOUT.vagrantMachines}/${node}/libvirt/${file}`;
}

/** The log of one command that runs tools, named by when it started. */
export function commandLog(command: string, at: Date): string {
  return `${LAYOUT.logs}/${command}-${at.toISOString().replace(/[:.]/g, '-')}.log`;
}
