// labforge verify: the classic guide's `for host in ...; do ssh root@$host "hostname; getenforce"; done` loop and
// more, as checks: every node answers as root with the lab key, has its name and static address, SELinux is
// disabled, firewalld is gone, and every other node and VIP resolves (by /etc/hosts and by DNS) and answers ping.
import type { Lab, LabNode } from '../../lab/model.js';
import { probeTimeLimits } from '../../time-limits.js';
import * as ssh from '../../tools/ssh.js';
import { shell } from '../../shell-word.js';
import { terminalLine } from '../../inert.js';
import { repoFile } from '../../render/repo-files.js';
import { renderJunit, renderSummary, type CheckResult, type NodeVerdict } from '../../render/verify-report.js';
import { target } from './connections.js';
import { PAUSED_WHY } from './status.js';
import { labDomainStates } from './ready.js';
import { ToolError } from '../../errors.js';
import type { RunResult } from '../../tools/run.js';
import { appendUserFile, writeUserFile } from '../../fsguard/user-files.js';

/** The probe's arguments for the lab: every node and VIP as NAME=FQDN (looked up), `--`, every node as NODE=IP
 *  (pinged). Names and addresses are validated labels and IPv4 addresses; the command quotes them all the same. */
export function probeArguments(lab: Lab): string[] {
  const names = [...lab.nodes, ...lab.vips];
  for (const n of names)
    if (!/^[a-z0-9.-]+$/.test(n.fqdn) || !/^[a-z0-9-]+$/.test(n.name))
      throw new Error(`not a validated name: ${JSON.stringify(n.fqdn)}`);
  return [...names.map((n) => `${n.name}=${n.fqdn}`), '--', ...lab.nodes.map((n) => `${n.name}=${n.ip}`)];
}

/** The command run on every node as root: the probe (vagrant/scripts/verify-probe.sh) with the lab's names, as a
 *  `bash -c` line for the node's login shell. */
export function probeCommand(lab: Lab): string {
  const script = repoFile('vagrant', 'scripts', 'verify-probe.sh');
  return ['bash', '-c', script, 'verify-probe', ...probeArguments(lab)].map(shell).join(' ');
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
    // The node's data disks, found by their serial with the size the lab file gives.
    ...node.disks.map((d): [string, (f: Record<string, string>) => [boolean, string]] => [
      `data disk ${d.name}`,
      (f) => [
        f[`disk_${d.name}`] === String(d.sizeGiB * 2 ** 30),
        f[`disk_${d.name}`] === undefined
          ? `no /dev/disk/by-id/virtio-${d.name} (a disk added to an existing node comes when it is created: ` +
            'labforge destroy, then up)'
          : `/dev/disk/by-id/virtio-${d.name} has ${said(`disk_${d.name}`)} bytes, expected ${d.sizeGiB} GiB`,
      ],
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

export async function verify(
  lab: Lab,
  opts: { limits?: { connectS: number; probeS: number } } = {},
): Promise<NodeVerdict[]> {
  const command = probeCommand(lab);
  const limits = opts.limits ?? probeTimeLimits(lab.nodes.length);
  // A paused node cannot answer: say so at once instead of an ssh time-out.
  const states = await labDomainStates(lab).catch(() => new Map<string, string>());
  // Every node at once; within a node, the checks at once (verify-probe.sh).
  return Promise.all(
    lab.nodes.map(async (node): Promise<NodeVerdict> => {
      const verdict = (facts: Record<string, string>, extra: string[] = []): NodeVerdict => {
        const checks = nodeChecks(lab, node, facts);
        const problems = [...extra, ...checks.flatMap((c) => (c.problem ? [c.problem] : []))];
        return { node: node.name, ok: problems.length === 0, facts, problems, checks };
      };
      // No answer to judge: the ssh check fails with `problem`, the others could not be made.
      const unanswered = (problem: string): NodeVerdict => ({
        node: node.name,
        ok: false,
        facts: {},
        problems: [problem],
        checks: nodeChecks(lab, node, undefined, problem),
      });
      if (states.get(node.domain) === 'paused') return unanswered(`${node.name} is ${PAUSED_WHY}`);
      let r: RunResult;
      try {
        // A login of its own on every node, never a shared connection: one made earlier outlives a stopped sshd or a
        // removed key, and verify must see those.
        r = await ssh.execAll({ ...target(lab, node), controlPath: undefined }, command, {
          connectTimeoutS: limits.connectS,
          timeoutMs: limits.probeS * 1000,
        });
      } catch (e) {
        // A time-out is not a login failure: say so, and judge what the node answered before it.
        if (e instanceof ToolError && /timed out/.test(e.message) && parseProbe(e.stdout).fqdn !== undefined)
          return verdict(parseProbe(e.stdout), [
            `the probe timed out after ${limits.probeS} s; the checks it had not answered are failed`,
          ]);
        return unanswered(
          `no answer from ${node.ip} within ${limits.probeS} s: ${(e as Error).message.split('\n')[0]}`,
        );
      }
      const facts = parseProbe(r.stdout);
      if (r.exitCode === 255 || facts.fqdn === undefined) {
        const said = r.stderr.trim().split('\n').pop() || `ssh exited ${r.exitCode}`;
        return unanswered(`no root ssh with the lab key on ${node.ip}: ${said}`);
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
  if (files.report) writeUserFile(files.report, renderJunit(lab, verdicts, timing));
  if (files.summary) appendUserFile(files.summary, renderSummary(lab, verdicts, timing));
  return verdicts;
}

/** verify's table for the terminal: the facts and problems quote the guest's answers, so each is made inert. */
export function formatVerdicts(v: NodeVerdict[]): string {
  const t = (text: string | undefined) => terminalLine(String(text));
  return v
    .map((n) =>
      n.ok
        ? `ok    ${n.node}: ${t(n.facts.fqdn)}, SELinux ${t(n.facts.selinux)}, firewalld ${t(n.facts.firewalld)}, names and pings ok`
        : `FAIL  ${n.node}:\n${n.problems.map((p) => `      - ${t(p)}`).join('\n')}`,
    )
    .join('\n');
}
