// The lab's names for /etc/hosts (the workstation's and every node's) and an ssh_config for the workstation.
import type { Lab } from '../lab/model.js';
import { LAYOUT } from '../layout.js';
import { nodeSshOptions, type NodeLogin } from '../tools/ssh-options.js';
import { header } from './context.js';
import { commentText, shell, sshConfig } from './escape.js';

/** The lines around the lab's block in a file of the workstation's (its /etc/hosts, its ~/.ssh/config), so a tool
 *  (or a person) can replace the block without touching the rest. */
export function blockMarkers(lab: Lab): { begin: string; end: string } {
  return { begin: `# BEGIN labforge lab ${lab.name}`, end: `# END labforge lab ${lab.name}` };
}

/** The lab's names, between the block's marker lines. */
export function renderHosts(lab: Lab, source: string): string {
  const named = [...lab.nodes, ...lab.vips].sort((a, b) => a.ip.localeCompare(b.ip, 'en', { numeric: true }));
  const width = Math.max(...named.map((n) => n.ip.length));
  return [
    blockMarkers(lab).begin,
    header('#', source),
    '# The nodes and floating addresses (VIPs) of the lab.',
    ...named.map((n) => `${n.ip.padEnd(width)}  ${n.fqdn} ${n.name}`),
    blockMarkers(lab).end,
    '',
  ].join('\n');
}

/** How labforge logs in to the lab's nodes: as root with the lab key; the nodes' host keys are kept in the output
 *  folder. */
export function labLogin(lab: Lab): NodeLogin {
  return {
    user: 'root',
    key: lab.access.sshKey,
    knownHosts: `${lab.outDir}/${LAYOUT.knownHosts}`,
    jump: lab.host.remote?.jump,
  };
}

/** ssh_config: `ssh -F <out>/ssh_config etcd1` logs in as root with the lab key. */
export function renderSshConfig(lab: Lab, source: string): string {
  // Paths in double quotes, escaped (sshConfig); names and words as they are.
  const value = (option: string, v: string) => (option.endsWith('File') ? sshConfig(v) : v);
  const options = nodeSshOptions(labLogin(lab)).map(([option, v]) => `  ${option} ${value(option, v)}`);
  const blocks = lab.nodes.map((n) => [`Host ${n.name} ${n.fqdn}`, `  HostName ${n.ip}`, ...options].join('\n'));
  const use = `# ${commentText(`Use: ssh -F ${shell(`${lab.outDir}/${LAYOUT.sshConfig}`)} ${lab.nodes[0].name}`)}`;
  // ssh -F reads this file only, also for the ProxyJump to a remote host: the user's own settings for that host
  // (its key, known_hosts, an alias) come from their ~/.ssh/config, as they do for libvirt and vagrant-libvirt.
  const remote = lab.host.remote
    ? [
        '',
        `# The nodes are reached through the libvirt host ${lab.host.remote.host} (host.uri): your ssh settings apply to it.`,
        'Host *',
        '  Include ~/.ssh/config',
      ]
    : [];
  return [header('#', source), use, '', blocks.join('\n\n'), ...remote, ''].join('\n');
}
