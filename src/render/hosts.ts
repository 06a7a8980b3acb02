// The lab's names for /etc/hosts (the workstation's and every node's) and an ssh_config for the workstation.
import type { Lab } from '../lab/model.js';
import { header } from './context.js';
import { commentText, shell, sshConfig } from './escape.js';

export function hostsBegin(lab: Lab): string {
  return `# BEGIN labforge lab ${lab.name}`;
}
export function hostsEnd(lab: Lab): string {
  return `# END labforge lab ${lab.name}`;
}

/** Lines between marker lines, so a tool (or a person) can replace the block without touching the rest. */
export function renderHosts(lab: Lab, source: string): string {
  const named = [...lab.nodes, ...lab.vips].sort((a, b) => a.ip.localeCompare(b.ip, 'en', { numeric: true }));
  const width = Math.max(...named.map((n) => n.ip.length));
  return [
    hostsBegin(lab),
    header('#', source),
    '# The nodes and floating addresses (VIPs) of the lab.',
    ...named.map((n) => `${n.ip.padEnd(width)}  ${n.fqdn} ${n.name}`),
    hostsEnd(lab),
    '',
  ].join('\n');
}

/** ssh_config: `ssh -F <out>/ssh_config etcd1` logs in as root with the lab key. */
export function renderSshConfig(lab: Lab, source: string): string {
  const knownHosts = `${lab.outDir}/known_hosts`;
  const blocks = lab.nodes.map((n) =>
    [
      `Host ${n.name} ${n.fqdn}`,
      `  HostName ${n.ip}`,
      '  User root',
      `  IdentityFile ${sshConfig(lab.access.sshKey)}`,
      '  IdentitiesOnly yes',
      // Nodes are re-created with new host keys; keep their keys out of ~/.ssh/known_hosts.
      `  UserKnownHostsFile ${sshConfig(knownHosts)}`,
      '  StrictHostKeyChecking accept-new',
      '  LogLevel ERROR',
    ].join('\n'),
  );
  const use = `# ${commentText(`Use: ssh -F ${shell(`${lab.outDir}/ssh_config`)} ${lab.nodes[0].name}`)}`;
  return [header('#', source), use, '', blocks.join('\n\n'), ''].join('\n');
}
