// What labforge setup knows of a host, what it may be asked, and the plan it makes: the types setup's modules share.
import type { Family, OsRelease } from './setup-releases.js';

export interface HostFacts {
  os: OsRelease;
  root: boolean;
  /** systemd is the init (/run/systemd/system exists); without it daemons are started by hand. */
  systemd: boolean;
  /** dpkg's architecture (amd64), for apt sources; empty elsewhere. */
  arch: string;
  /** Which of the packages setup would install are installed already. */
  installed: string[];
  /** HashiCorp's Packer on PATH (its file), and other programs named packer (file: what they are). */
  packer: { hashicorp?: string; others: string[] };
  /** The vagrant on PATH, and whether it is HashiCorp's build (its own Ruby under /opt/vagrant). */
  vagrant?: { file: string; hashicorp: boolean };
  /** Vagrant's plugins for the user setup runs as (asked only when a Vagrant is installed). */
  vagrantPlugins?: string[];
  /** A file of the user's own that already configures HashiCorp's repository (then setup adds none). */
  hashicorpRepo?: string;
  /** The current text of each file setup may write (undefined: absent; key files: '' when present). */
  files: Record<string, string | undefined>;
  /** Running daemons by name (libvirtd, virtlogd, virtqemud). */
  running: string[];
  /** The user to add to the libvirt group (undefined for root alone). */
  user?: string;
  /** The groups that user is a member of (from /etc/group). */
  userGroups: string[];
  /** A GitHub-hosted Actions runner (GITHUB_ACTIONS=true, RUNNER_ENVIRONMENT=github-hosted). */
  githubRunner: boolean;
}

export interface SetupOptions {
  /** Print the commands, run none. */
  dryRun?: boolean;
  /** Also the packages the project's own tests use (the Debian test box, shellcheck, ruby, ...). */
  withTestTools?: boolean;
  /** Start libvirtd/virtlogd (default true). */
  start?: boolean;
  /** Install the udev rule that opens /dev/kvm to every user: true/false, or undefined for "on GitHub runners". */
  kvmUdev?: boolean;
  /** The user to add to the libvirt group (default: the user who ran sudo, or the current user). */
  user?: string;
}

export interface SetupAction {
  /** Why, in a user's words. */
  why: string;
  command: string[];
  /** Standard input for the command (the content of a file it writes). */
  input?: string;
  env?: Record<string, string>;
  /** Runs as the user who ran setup, never through sudo (Vagrant's plugins belong to the user who runs the lab). */
  asUser?: boolean;
}

export interface SetupPlan {
  family: Family;
  /** The release setup matched, e.g. "ubuntu 24.04". */
  release: string;
  actions: SetupAction[];
  /** What setup cannot do on this host and the user must (each a sentence). */
  manual: string[];
  /** What is already in place (for the report). */
  present: string[];
  /** What a user should know about the plan (a guessed release, other programs named packer). */
  notes: string[];
}
