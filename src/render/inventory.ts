// The lab as an Ansible inventory: a group per role plus `all`, every node with its lab address, logged in to as
// root with the lab key and the ssh options every labforge login uses (tools/ssh-options.ts, the same the lab's
// ssh_config holds). Four spellings of one model: INI, YAML, JSON (ansible-inventory's --list shape), and the small
// executable of Ansible's dynamic-inventory protocol (`--list`, `--host NAME`) that a render writes to
// <out>/inventory, so `ansible -i <out>/inventory all -m ping` works without labforge on the PATH.
import YAML from 'yaml';
import type { Lab } from '../lab/model.js';
import { nodeSshOptions } from '../tools/ssh-options.js';
import { header } from './context.js';
import { labLogin } from './hosts.js';
import { commentText, shell, sshConfig } from './escape.js';

export type InventoryFormat = 'ini' | 'yaml' | 'json';

/** A node's own variables. */
export interface InventoryHostVars {
  ansible_host: string;
  labforge_fqdn: string;
  labforge_role?: string;
}

/** The variables of every node (group `all`). */
export interface InventoryLabVars {
  ansible_user: string;
  /** The lab key, for tools that read it (Ansible passes it to ssh as `IdentityFile="<path>"` without escaping, so
   *  it is left out for a path holding '%', '"' or '\\': the common arguments below name the key for ssh anyway). */
  ansible_ssh_private_key_file?: string;
  /** ssh's `-o` options, each a shell word (Ansible splits the text with Python's shlex). */
  ansible_ssh_common_args: string;
}

export interface Inventory {
  vars: InventoryLabVars;
  /** Group name -> its nodes, in the lab file's order; groups sorted by name. */
  groups: [string, string[]][];
  /** Nodes without a role (Ansible's `ungrouped`). */
  ungrouped: string[];
  hosts: [string, InventoryHostVars][];
}

/** Ansible's group names are Python identifiers and `all` / `ungrouped` are its own: a role's group is its name with
 *  '-' as '_', prefixed `role_` when that still is not one (a leading digit) or is a name Ansible reserves. Role
 *  names are RFC 1123 labels (no '_'), so two roles never share a group. */
export function roleGroup(role: string): string {
  const name = role.replace(/-/g, '_');
  return /^[A-Za-z_][A-Za-z0-9_]*$/.test(name) && name !== 'all' && name !== 'ungrouped' ? name : `role_${name}`;
}

/** Jinja's delimiters: Ansible templates inventory values, so a path holding one would run as a template. The lab
 *  file's paths are refused with their field at load time (lab/paths.ts); this guards the renderer itself. */
function notTemplate(value: string): string {
  if (/\{\{|\{%|\{#/.test(value))
    throw new Error(`an Ansible inventory cannot hold ${JSON.stringify(value)}: Ansible would read it as a template`);
  return value;
}

export function inventoryOf(lab: Lab): Inventory {
  const login = labLogin(lab);
  const common = nodeSshOptions(login)
    .filter(([option]) => option !== 'User')
    .flatMap(([option, value]) => ['-o', shell(`${option}=${option.endsWith('File') ? sshConfig(value) : value}`)]);
  const groups = new Map<string, string[]>();
  for (const n of lab.nodes)
    if (n.role) groups.set(roleGroup(n.role), [...(groups.get(roleGroup(n.role)) ?? []), n.name]);
  return {
    vars: {
      ansible_user: notTemplate(login.user),
      ...(/[%"\\]/.test(login.key) ? {} : { ansible_ssh_private_key_file: notTemplate(login.key) }),
      ansible_ssh_common_args: notTemplate(common.join(' ')),
    },
    groups: [...groups.entries()].sort(([a], [b]) => a.localeCompare(b, 'en')),
    ungrouped: lab.nodes.filter((n) => !n.role).map((n) => n.name),
    hosts: lab.nodes.map((n) => [
      n.name,
      { ansible_host: n.ip, labforge_fqdn: n.fqdn, ...(n.role ? { labforge_role: n.role } : {}) },
    ]),
  };
}

/** Ansible's dynamic-inventory answer to `--list`: every group with its hosts, `all` with the lab's variables and
 *  its child groups, and every host's variables under `_meta.hostvars` (so Ansible never asks `--host`). */
export function inventoryList(inv: Inventory): Record<string, unknown> {
  const children = [...inv.groups.map(([g]) => g), ...(inv.ungrouped.length ? ['ungrouped'] : [])];
  return {
    _meta: { hostvars: Object.fromEntries(inv.hosts) },
    all: { children, vars: inv.vars },
    ...Object.fromEntries(inv.groups.map(([g, hosts]) => [g, { hosts }])),
    ...(inv.ungrouped.length ? { ungrouped: { hosts: inv.ungrouped } } : {}),
  };
}

/** The answer to `--host NAME`: the node's variables, `{}` for a name the lab does not have (as the protocol asks). */
export function inventoryHost(inv: Inventory, name: string): InventoryHostVars | Record<string, never> {
  return inv.hosts.find(([h]) => h === name)?.[1] ?? {};
}

/** A value in an INI inventory: Ansible reads it with Python's ast.literal_eval, and a JSON string is a Python
 *  string literal (its escapes are Python's), so the text arrives as written whatever it holds. */
function iniValue(value: string): string {
  return JSON.stringify(value);
}

/** The inventory as the INI file `ansible -i` reads. */
function renderIni(inv: Inventory, lab: Lab, source: string): string {
  const hostLine = (name: string) => {
    const vars = inventoryHost(inv, name);
    return [name, ...Object.entries(vars).map(([k, v]) => `${k}=${iniValue(String(v))}`)].join(' ');
  };
  const lines = [
    header('#', source),
    `# The lab ${commentText(lab.name)} as an Ansible inventory (labforge inventory).`,
    '',
  ];
  // Hosts before the first section are Ansible's `ungrouped`.
  if (inv.ungrouped.length) lines.push(...inv.ungrouped.map(hostLine), '');
  lines.push('[all:vars]', ...Object.entries(inv.vars).map(([k, v]) => `${k}=${iniValue(v)}`), '');
  for (const [group, hosts] of inv.groups) lines.push(`[${group}]`, ...hosts.map(hostLine), '');
  return lines.join('\n');
}

/** The inventory as Ansible's yaml plugin reads it (YAML or JSON): `all` with the lab's variables, a child per
 *  group, each host with its own variables. */
function staticInventory(inv: Inventory): Record<string, unknown> {
  const hostvars = (names: string[]) => Object.fromEntries(names.map((n) => [n, inventoryHost(inv, n)]));
  const children = Object.fromEntries([
    ...inv.groups.map(([g, hosts]) => [g, { hosts: hostvars(hosts) }]),
    ...(inv.ungrouped.length ? [['ungrouped', { hosts: hostvars(inv.ungrouped) }]] : []),
  ]);
  return { all: { vars: inv.vars, children } };
}

function renderYaml(inv: Inventory, lab: Lab, source: string): string {
  const doc = staticInventory(inv);
  return [
    header('#', source),
    `# The lab ${commentText(lab.name)} as an Ansible inventory (labforge inventory).`,
    YAML.stringify(doc, { lineWidth: 0 }),
  ].join('\n');
}

export function renderInventory(lab: Lab, format: InventoryFormat, source: string): string {
  const inv = inventoryOf(lab);
  if (format === 'ini') return renderIni(inv, lab, source);
  if (format === 'yaml') return renderYaml(inv, lab, source);
  return `${JSON.stringify(staticInventory(inv), null, 2)}\n`;
}

/** The executable Ansible runs as a dynamic inventory (`ansible -i <out>/inventory`): it answers `--list` and
 *  `--host NAME` from the lab as rendered, so it needs neither labforge nor the lab file. The JSON sits in quoted
 *  here-documents (nothing in them is expanded; no JSON line can equal the delimiter, which starts with a letter and
 *  JSON.stringify's lines with a space or a bracket); the names in the `case` are shell words. */
export function renderInventoryScript(lab: Lab, source: string): string {
  const inv = inventoryOf(lab);
  const EOF = 'LABFORGE_INVENTORY_EOF';
  const doc = (value: unknown) => [`    cat <<'${EOF}'`, JSON.stringify(value, null, 2), EOF];
  return [
    '#!/bin/sh',
    header('#', source),
    `# The lab ${commentText(lab.name)} as an Ansible dynamic inventory: ansible -i ${commentText(shell(`${lab.outDir}/inventory`))} all -m ping`,
    "# Answers --list (every group, with every host's variables under _meta) and --host NAME.",
    'case "${1-}" in',
    '  --list)',
    ...doc(inventoryList(inv)),
    '    ;;',
    '  --host)',
    '    case "${2-}" in',
    ...inv.hosts.flatMap(([name, vars]) => [`    ${shell(name)})`, ...doc(vars), '      ;;']),
    "    *) echo '{}' ;;",
    '    esac',
    '    ;;',
    '  *)',
    '    echo "usage: $0 --list | --host NAME" >&2',
    '    exit 2',
    '    ;;',
    'esac',
    '',
  ].join('\n');
}
