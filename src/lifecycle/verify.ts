// labforge verify: the classic guide's `for host in ...; do ssh root@$host "hostname; getenforce"; done` loop and
// more, as checks: every node answers as root with the lab key, has its name and static address, SELinux is
// disabled, firewalld is gone, and every other node and VIP resolves (by /etc/hosts and by DNS) and answers ping.
import type { Lab } from '../lab/model.js';
import * as ssh from '../tools/ssh.js';
import { shell } from '../render/escape.js';
import { target } from './nodes.js';

export interface NodeVerdict {
  node: string;
  ok: boolean;
  facts: Record<string, string>;
  problems: string[];
}

function probeScript(lab: Lab): string {
  const names = [...lab.nodes, ...lab.vips];
  return [
    'echo "fqdn=$(hostname -f 2>/dev/null || hostname)"',
    'echo "selinux=$(getenforce 2>/dev/null || echo absent)"',
    'echo "cmdline_selinux0=$(grep -qw selinux=0 /proc/cmdline && echo yes || echo no)"',
    'if rpm -q firewalld >/dev/null 2>&1 || dpkg-query -W -f=\'${Status}\' firewalld 2>/dev/null | grep -q "ok installed"; then echo firewalld=installed; else echo firewalld=absent; fi',
    'echo "addresses=$(ip -4 -o addr show | awk \'{print $4}\' | tr \'\\n\' \' \')"',
    ...names.map((n) => `echo "hosts_${n.name}=$(getent -s files hosts ${shell(n.fqdn)} | awk '{print $1}' | head -n1)"`),
    ...names.map((n) => `echo "dns_${n.name}=$(getent -s dns hosts ${shell(n.fqdn)} | awk '{print $1}' | head -n1)"`),
    ...lab.nodes.map((n) => `echo "ping_${n.name}=$(ping -c 1 -W 3 ${shell(n.ip)} >/dev/null 2>&1 && echo yes || echo no)"`),
  ].join('\n');
}

export async function verify(lab: Lab): Promise<NodeVerdict[]> {
  const script = probeScript(lab);
  return Promise.all(
    lab.nodes.map(async (node): Promise<NodeVerdict> => {
      const problems: string[] = [];
      let out: string;
      try {
        out = await ssh.exec(target(lab, node), script, { timeoutMs: 60000 });
      } catch (e) {
        return { node: node.name, ok: false, facts: {}, problems: [`no root ssh with the lab key on ${node.ip}: ${(e as Error).message.split('\n').slice(-1)[0].trim()}`] };
      }
      const facts = Object.fromEntries(
        out
          .split('\n')
          .filter((l) => l.includes('='))
          .map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1).trim()]),
      );
      if (facts.fqdn !== node.fqdn) problems.push(`hostname is ${facts.fqdn}, expected ${node.fqdn}`);
      if (!` ${facts.addresses} `.includes(` ${node.ip}/${lab.network.subnet.prefix} `)) problems.push(`does not have ${node.ip}/${lab.network.subnet.prefix} (has ${facts.addresses})`);
      if (facts.selinux !== 'Disabled' && facts.selinux !== 'absent') problems.push(`SELinux is ${facts.selinux}`);
      if (facts.cmdline_selinux0 !== 'yes') problems.push('the kernel was booted without selinux=0');
      if (facts.firewalld !== 'absent') problems.push('firewalld is installed');
      for (const n of [...lab.nodes, ...lab.vips]) {
        if (facts[`hosts_${n.name}`] !== n.ip) problems.push(`/etc/hosts resolves ${n.fqdn} to ${facts[`hosts_${n.name}`] || 'nothing'}, expected ${n.ip}`);
        if (facts[`dns_${n.name}`] !== n.ip) problems.push(`DNS resolves ${n.fqdn} to ${facts[`dns_${n.name}`] || 'nothing'}, expected ${n.ip}`);
      }
      for (const n of lab.nodes) if (facts[`ping_${n.name}`] !== 'yes') problems.push(`cannot ping ${n.name} (${n.ip})`);
      return { node: node.name, ok: problems.length === 0, facts, problems };
    }),
  );
}

export function formatVerdicts(v: NodeVerdict[]): string {
  return v
    .map((n) => (n.ok ? `ok    ${n.node}: ${n.facts.fqdn}, SELinux ${n.facts.selinux}, firewalld ${n.facts.firewalld}, names and pings ok` : `FAIL  ${n.node}:\n${n.problems.map((p) => `      - ${p}`).join('\n')}`))
    .join('\n');
}
