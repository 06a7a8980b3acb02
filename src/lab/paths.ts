// Paths on this host that the lab file or the command line names. They reach generated files (the Vagrantfile,
// ssh_config, libvirt XML that vagrant-libvirt writes from its own templates without escaping), so a path holding a
// character one of those languages cannot carry is refused here, with the field, before anything is written.
import os from 'node:os';
import path from 'node:path';
import { CONTROL } from './schema.js';

/** What is wrong with a host path as text, or undefined. */
export function hostPathProblem(value: string): string | undefined {
  if (value === '') return 'is empty';
  const control = CONTROL.exec(value);
  if (control) {
    const code = control[0].charCodeAt(0).toString(16).toUpperCase().padStart(4, '0');
    return `holds the control character U+${code} (a line break or similar), which no generated file can carry`;
  }
  // vagrant-libvirt puts pool and console-log paths into libvirt XML through ERB without escaping.
  const xmlSpecial = /[<>&'"]/.exec(value);
  if (xmlSpecial)
    return `holds ${JSON.stringify(xmlSpecial[0])}, which vagrant-libvirt would write unescaped into libvirt XML`;
  // ssh_config expands ${VAR} in IdentityFile and UserKnownHostsFile and has no way to write it literally.
  if (value.includes('${')) return 'holds "${", which ssh would expand as an environment variable';
  // The lab's Ansible inventory carries the key and the output folder; Ansible templates every value it reads.
  const jinja = /\{\{|\{%|\{#/.exec(value);
  if (jinja) return `holds ${JSON.stringify(jinja[0])}, which Ansible would read as a template in the lab's inventory`;
  return undefined;
}

/** `~` and `~/...` name the home folder, as in a shell; anything else is taken as written. */
export function expandHome(value: string, home = os.homedir()): string {
  if (value === '~') return home;
  if (value.startsWith('~/')) return path.join(home, value.slice(2));
  return value;
}

/** A lab-file path: `~` expanded, then relative to the lab file's folder. */
export function labPath(labDir: string, value: string): string {
  return path.resolve(labDir, expandHome(value));
}
