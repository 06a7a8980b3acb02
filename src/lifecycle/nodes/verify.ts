// labforge verify: the classic guide's `for host in ...; do ssh root@$host "hostname; getenforce"; done` loop and
// more, as checks: every node answers as root with the lab key, has its name and static address, SELinux is
// disabled, firewalld is gone, and every other node and VIP resolves (by /etc/hosts and by DNS) and answers ping.
import fs from 'node:fs';
import type { Lab, LabNode } from '../../lab/model.js';
import * as ssh from '../../tools/ssh.js';
import { shell } from '../../render/escape.js';
import { renderJunit, renderSummary, type CheckResult, type NodeVerdict } from '../../render/verify-report.js';
import { target } from './connections.js';
import { ToolError } from '../../errors.js';
import type { RunResult } from '../../tools/run.js';

/** The shell script run on every node as root: one `key=value` line per fact, read by parseProbe. No pipeline in
 *  it ends in a reader that stops early (grep -q, head), so it answers the same under `set -o pipefail`. */
export function probeScript(lab: Lab): string {
  const names = [...lab.nodes, ...lab.vips];
  // FQDNs and names are validated labels ([a-z0-9.-]): they sit inside the awk program's string literals as they are.
  for (const n of names)
    if (!/^[a-z0-9.-]+$/.test(n.fqdn) || !/^[a-z0-9-]+$/.test(n.name))
      throw new Error(`not a validated name: ${JSON.stringify(n.fqdn)}`);
  const wanted = names.map((n) => `w["${n.fqdn}"] = "${n.name}"`).join('; ');
  // One getent for every name of a database (it prints a line per name it finds: address, then the names); awk
  // gives each name its first address, and an empty value to a name that did not resolve. fflush: one write per
  // line, which a pipe never interleaves with the other background writers'.
  const lookup = (db: string, key: string) =>
    `getent -s ${db} hosts ${names.map((n) => shell(n.fqdn)).join(' ')} | awk 'BEGIN { ${wanted} } { for (i = 2; i <= NF; i++) if (($i in w) && !(w[$i] in seen)) { seen[w[$i]] = 1; print "${key}_" w[$i] "=" $1; fflush() } } END { for (f in w) if (!(w[f] in seen)) { print "${key}_" w[f] "="; fflush() } }' &`;
  return [
    'echo "fqdn=$(hostname -f 2>/dev/null || hostname)"',
    'echo "selinux=$(getenforce 2>/dev/null || echo absent)"',
    'echo "cmdline_selinux0=$(grep -qw selinux=0 /proc/cmdline && echo yes || echo no)"',
    // rpm (Fedora) or dpkg (the Debian test box) says whether the package is installed.
    'if rpm -q firewalld >/dev/null 2>&1; then echo firewalld=installed; else',
    '  case "$(dpkg-query -W -f=\'${Status}\' firewalld 2>/dev/null)" in *"ok installed") echo firewalld=installed ;; *) echo firewalld=absent ;; esac',
    'fi',
    "echo \"addresses=$(ip -4 -o addr show | awk '{print $4}' | tr '\\n' ' ')\"",
    // Active swap devices and files (zram, a partition, a file): /proc/swaps after its header line.
    "echo \"swaps=$(awk 'NR > 1 { print $1 }' /proc/swaps | tr '\\n' ' ')\"",
    // The lookups and pings at once, each in the background: the probe takes as long as the slowest, not the sum.
    // Each writes its whole line with one write, which a pipe never interleaves with another's. Two lookups for all
    // names rather than two per name: on a TCG guest every process started costs milliseconds.
    lookup('files', 'hosts'),
    lookup('dns', 'dns'),
    ...lab.nodes.map(
      (n) => `echo "ping_${n.name}=$(ping -c 1 -W 3 ${shell(n.ip)} >/dev/null 2>&1 && echo yes || echo no)" &`,
    ),
    'wait',
    'echo "probe=done"',
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

/** Every check of a node, in a fixed order, judged from its probe's facts; without facts (no ssh) the ssh check
 *  fails and the others could not be made. */
export function nodeChecks(
  lab: Lab,
  node: LabNode,
  facts: Record<string, string> | undefined,
  sshProblem?: string,
): CheckResult[] {
  const checks: CheckResult[] = [];
  const add = (name: string, ok: boolean, problem: string) => checks.push(ok ? { name, ok } : { name, ok, problem });
  const said = (key: string) => facts?.[key] || 'nothing';
  const skipped = (name: string) => checks.push({ name, ok: undefined });
  const names = [...lab.nodes, ...lab.vips];
  const address = `${node.ip}/${lab.network.subnet.prefix}`;
  const list: [string, (f: Record<string, string>) => [boolean, string]][] = [
    ['hostname is the FQDN', (f) => [f.fqdn === node.fqdn, `hostname is ${said('fqdn')}, expected ${node.fqdn}`]],
    [
      'static address',
      (f) => [
        (f.addresses ?? '').split(/\s+/).includes(address),
        `does not have ${address} (has ${f.addresses?.trim() || 'no IPv4 address'})`,
      ],
    ],
    ['SELinux disabled', (f) => [f.selinux === 'Disabled' || f.selinux === 'absent', `SELinux is ${said('selinux')}`]],
    [
      'selinux=0 on the kernel command line',
      (f) => [f.cmdline_selinux0 === 'yes', 'the kernel was booted without selinux=0'],
    ],
    [
      'firewalld not installed',
      (f) => [
        f.firewalld === 'absent',
        f.firewalld === 'installed' ? 'firewalld is installed' : `firewalld: the probe said ${said('firewalld')}`,
      ],
    ],
    // image.swap false: the lab asks for no swap (kubelet refuses to start with swap on).
    ...(lab.image.swap
      ? []
      : [
          [
            'no swap',
            (f: Record<string, string>): [boolean, string] => [
              f.swaps !== undefined && f.swaps.trim() === '',
              f.swaps === undefined
                ? 'swap: the probe said nothing about /proc/swaps'
                : `swap is on: ${f.swaps.trim()} (image.swap is false: kubelet refuses to start with swap)`,
            ],
          ] as [string, (f: Record<string, string>) => [boolean, string]],
        ]),
    ...names.flatMap((n): [string, (f: Record<string, string>) => [boolean, string]][] => [
      [
        `/etc/hosts resolves ${n.fqdn}`,
        (f) => [
          f[`hosts_${n.name}`] === n.ip,
          `/etc/hosts resolves ${n.fqdn} to ${said(`hosts_${n.name}`)}, expected ${n.ip}`,
        ],
      ],
      [
        `DNS resolves ${n.fqdn}`,
        (f) => [f[`dns_${n.name}`] === n.ip, `DNS resolves ${n.fqdn} to ${said(`dns_${n.name}`)}, expected ${n.ip}`],
      ],
    ]),
    ...lab.nodes.map((n): [string, (f: Record<string, string>) => [boolean, string]] => [
      `ping ${n.name}`,
      (f) => [f[`ping_${n.name}`] === 'yes', `cannot ping ${n.name} (${n.ip})`],
    ]),
  ];
  if (!facts) {
    add('root ssh with the lab key', false, sshProblem ?? `no root ssh with the lab key on ${node.ip}`);
    for (const [name] of list) skipped(name);
    return checks;
  }
  add('root ssh with the lab key', true, '');
  for (const [name, test] of list) {
    const [ok, problem] = test(facts);
    add(name, ok, problem);
  }
  return checks;
}

/** What is wrong with a node, judged from its probe's facts (none: the node is a good lab member). */
export function judge(lab: Lab, node: LabNode, facts: Record<string, string>): string[] {
  return nodeChecks(lab, node, facts).flatMap((c) => (c.problem ? [c.problem] : []));
}

/** How long a node's probe may take: its slowest check (a ping's 3 s, a DNS lookup's retries) plus the ssh round
 *  trips, which grow with the number of guests on the host (under TCG one round trip takes seconds). */
export function probeTimeLimits(lab: Lab): { connectS: number; probeS: number } {
  const n = lab.nodes.length;
  return { connectS: 10 + 2 * n, probeS: 30 + 5 * n };
}

export async function verify(
  lab: Lab,
  opts: { limits?: { connectS: number; probeS: number } } = {},
): Promise<NodeVerdict[]> {
  const script = probeScript(lab);
  const limits = opts.limits ?? probeTimeLimits(lab);
  // Every node at once; within a node, the checks at once (probeScript).
  return Promise.all(
    lab.nodes.map(async (node): Promise<NodeVerdict> => {
      const verdict = (facts: Record<string, string>, extra: string[] = []): NodeVerdict => {
        const checks = nodeChecks(lab, node, facts);
        const problems = [...extra, ...checks.flatMap((c) => (c.problem ? [c.problem] : []))];
        return { node: node.name, ok: problems.length === 0, facts, problems, checks };
      };
      let r: RunResult;
      try {
        // A login of its own on every node, never a shared connection: one made earlier outlives a stopped sshd or a
        // removed key, and verify must see those.
        r = await ssh.execAll({ ...target(lab, node), controlPath: undefined }, script, {
          connectTimeoutS: limits.connectS,
          timeoutMs: limits.probeS * 1000,
        });
      } catch (e) {
        // A time-out is not a login failure: say so, and judge what the node answered before it.
        if (e instanceof ToolError && /timed out/.test(e.message) && parseProbe(e.stdout).fqdn !== undefined)
          return verdict(parseProbe(e.stdout), [
            `the probe timed out after ${limits.probeS} s; the checks it had not answered are failed`,
          ]);
        const problem = `no answer from ${node.ip} within ${limits.probeS} s: ${(e as Error).message.split('\n')[0]}`;
        return {
          node: node.name,
          ok: false,
          facts: {},
          problems: [problem],
          checks: nodeChecks(lab, node, undefined, problem),
        };
      }
      const facts = parseProbe(r.stdout);
      if (r.exitCode === 255 || facts.fqdn === undefined) {
        const problem = `no root ssh with the lab key on ${node.ip}: ${r.stderr.trim().split('\n').pop() || `ssh exited ${r.exitCode}`}`;
        return {
          node: node.name,
          ok: false,
          facts: {},
          problems: [problem],
          checks: nodeChecks(lab, node, undefined, problem),
        };
      }
      return verdict(facts, facts.probe === 'done' ? [] : ['the probe stopped before it finished']);
    }),
  );
}

/** verify, and its reports for CI: the checks as JUnit XML written to `files.report`, and the Markdown summary
 *  appended to `files.summary`. */
export async function verifyWithReports(
  lab: Lab,
  files: { report?: string; summary?: string },
): Promise<NodeVerdict[]> {
  const started = new Date();
  const verdicts = await verify(lab);
  const timing = {
    timestamp: started.toISOString().replace(/\.\d+Z$/, 'Z'),
    seconds: (Date.now() - started.getTime()) / 1000,
  };
  if (files.report) fs.writeFileSync(files.report, renderJunit(lab, verdicts, timing));
  if (files.summary) fs.appendFileSync(files.summary, renderSummary(lab, verdicts, timing));
  return verdicts;
}

export function formatVerdicts(v: NodeVerdict[]): string {
  return v
    .map((n) =>
      n.ok
        ? `ok    ${n.node}: ${n.facts.fqdn}, SELinux ${n.facts.selinux}, firewalld ${n.facts.firewalld}, names and pings ok`
        : `FAIL  ${n.node}:\n${n.problems.map((p) => `      - ${p}`).join('\n')}`,
    )
    .join('\n');
}
