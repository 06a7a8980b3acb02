// labforge verify: the classic guide's `for host in ...; do ssh root@$host "hostname; getenforce"; done` loop and
// more, as checks: every node answers as root with the lab key, has its name and static address, SELinux is
// disabled, firewalld is gone, and every other node and VIP resolves (by /etc/hosts and by DNS) and answers ping.
import type { Lab, LabNode } from '../lab/model.js';
import * as ssh from '../tools/ssh.js';
import { shell } from '../render/escape.js';
import { target } from './nodes.js';

export interface NodeVerdict {
  node: string;
  ok: boolean;
  facts: Record<string, string>;
  problems: string[];
}

/** The shell script run on every node as root: one `key=value` line per fact, read by parseProbe. No pipeline in
 *  it ends in a reader that stops early (grep -q, head), so it answers the same under `set -o pipefail`. */
export function probeScript(lab: Lab): string {
  const names = [...lab.nodes, ...lab.vips];
  const firstAddress = (db: string, fqdn: string) => `$(getent -s ${db} hosts ${shell(fqdn)} | awk 'NR == 1 { print $1 }')`;
  return [
    'echo "fqdn=$(hostname -f 2>/dev/null || hostname)"',
    'echo "selinux=$(getenforce 2>/dev/null || echo absent)"',
    'echo "cmdline_selinux0=$(grep -qw selinux=0 /proc/cmdline && echo yes || echo no)"',
    // rpm (Fedora) or dpkg (the Debian test box) says whether the package is installed.
    'if rpm -q firewalld >/dev/null 2>&1; then echo firewalld=installed; else',
    '  case "$(dpkg-query -W -f=\'${Status}\' firewalld 2>/dev/null)" in *"ok installed") echo firewalld=installed ;; *) echo firewalld=absent ;; esac',
    'fi',
    'echo "addresses=$(ip -4 -o addr show | awk \'{print $4}\' | tr \'\\n\' \' \')"',
    ...names.map((n) => `echo "hosts_${n.name}=${firstAddress('files', n.fqdn)}"`),
    ...names.map((n) => `echo "dns_${n.name}=${firstAddress('dns', n.fqdn)}"`),
    ...lab.nodes.map((n) => `echo "ping_${n.name}=$(ping -c 1 -W 3 ${shell(n.ip)} >/dev/null 2>&1 && echo yes || echo no)"`),
  ].join('\n');
}

/** The facts in the probe's answer: `key=value` lines (the value may hold `=`); other lines are ignored. */
export function parseProbe(out: string): Record<string, string> {
  const facts: Record<string, string> = {};
  for (const line of out.split('\n')) {
    const m = /^([a-z][\w-]*)=(.*)$/.exec(line.replace(/\r$/, ''));
    if (m) facts[m[1]] = m[2].trim();
  }
  return facts;
}

/** What is wrong with a node, judged from its probe's facts (none: the node is a good lab member). */
export function judge(lab: Lab, node: LabNode, facts: Record<string, string>): string[] {
  const problems: string[] = [];
  const said = (key: string) => facts[key] || 'nothing';
  if (facts.fqdn !== node.fqdn) problems.push(`hostname is ${said('fqdn')}, expected ${node.fqdn}`);
  const address = `${node.ip}/${lab.network.subnet.prefix}`;
  if (!(facts.addresses ?? '').split(/\s+/).includes(address)) problems.push(`does not have ${address} (has ${facts.addresses?.trim() || 'no IPv4 address'})`);
  if (facts.selinux !== 'Disabled' && facts.selinux !== 'absent') problems.push(`SELinux is ${said('selinux')}`);
  if (facts.cmdline_selinux0 !== 'yes') problems.push('the kernel was booted without selinux=0');
  if (facts.firewalld !== 'absent') problems.push(facts.firewalld === 'installed' ? 'firewalld is installed' : `firewalld: the probe said ${said('firewalld')}`);
  for (const n of [...lab.nodes, ...lab.vips]) {
    if (facts[`hosts_${n.name}`] !== n.ip) problems.push(`/etc/hosts resolves ${n.fqdn} to ${said(`hosts_${n.name}`)}, expected ${n.ip}`);
    if (facts[`dns_${n.name}`] !== n.ip) problems.push(`DNS resolves ${n.fqdn} to ${said(`dns_${n.name}`)}, expected ${n.ip}`);
  }
  for (const n of lab.nodes) if (facts[`ping_${n.name}`] !== 'yes') problems.push(`cannot ping ${n.name} (${n.ip})`);
  return problems;
}

export async function verify(lab: Lab): Promise<NodeVerdict[]> {
  const script = probeScript(lab);
  return Promise.all(
    lab.nodes.map(async (node): Promise<NodeVerdict> => {
      let out: string;
      try {
        out = await ssh.exec(target(lab, node), script, { timeoutMs: 60000 });
      } catch (e) {
        return { node: node.name, ok: false, facts: {}, problems: [`no root ssh with the lab key on ${node.ip}: ${(e as Error).message.split('\n').slice(-1)[0].trim()}`] };
      }
      const facts = parseProbe(out);
      const problems = judge(lab, node, facts);
      return { node: node.name, ok: problems.length === 0, facts, problems };
    }),
  );
}

export function formatVerdicts(v: NodeVerdict[]): string {
  return v
    .map((n) => (n.ok ? `ok    ${n.node}: ${n.facts.fqdn}, SELinux ${n.facts.selinux}, firewalld ${n.facts.firewalld}, names and pings ok` : `FAIL  ${n.node}:\n${n.problems.map((p) => `      - ${p}`).join('\n')}`))
    .join('\n');
}
