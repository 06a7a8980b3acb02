// How each kind of provisioning step runs on its nodes: an inline command with bash -c, a script uploaded into
// root's incoming folder and run, a file or folder uploaded there and put in place (owner, mode), a playbook once on
// this host. Every value that reaches the node's shell is a shell word (render/escape.ts).
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { Lab, LabNode, ProvisionStep } from '../../lab/model.js';
import { LAYOUT } from '../../layout.js';
import { shell } from '../../shell-word.js';
import { run, type RunResult } from '../../tools/run.js';
import * as ssh from '../../tools/ssh.js';
import { connected } from '../nodes/connections.js';
import { fan, type FanOptions, type NodeOutcome } from '../nodes/fanout.js';

/** Where uploads wait on a node before they are moved or run: root's own, mode 0700. */
export const INCOMING = '/root/.labforge/incoming';

/** LABFORGE_* variables every script and inline step sees. */
function stepEnv(lab: Lab, node: LabNode, step: ProvisionStep): string {
  const vars: [string, string][] = [
    ['LABFORGE_LAB', lab.name],
    ['LABFORGE_NODE', node.name],
    ['LABFORGE_FQDN', node.fqdn],
    ['LABFORGE_ROLE', node.role ?? ''],
    ['LABFORGE_STEP', step.field],
  ];
  return `env ${vars.map(([k, v]) => `${k}=${shell(v)}`).join(' ')}`;
}

/** The node's shell commands that put an uploaded file or folder `tmp` in place for a copy step. */
export function copyCommand(step: Extract<ProvisionStep, { kind: 'copy' }>, tmp: string, folder: boolean): string {
  const own = [
    ...(step.owner ? [`chown ${folder ? '-R ' : ''}-- ${shell(step.owner)} ${shell(tmp)}`] : []),
    ...(step.mode
      ? [
          folder
            ? `find ${shell(tmp)} -type f -exec chmod -- ${shell(step.mode)} {} +`
            : `chmod -- ${shell(step.mode)} ${shell(tmp)}`,
        ]
      : []),
  ];
  if (folder)
    return [
      'set -e',
      ...own,
      `mkdir -p -- ${shell(step.dest)}`,
      `cp -a -- ${shell(`${tmp}/.`)} ${shell(`${step.dest.replace(/\/+$/, '')}/`)}`,
      `rm -rf -- ${shell(tmp)}`,
    ].join('; ');
  const target = step.dest.endsWith('/') ? `${step.dest}${path.basename(step.file)}` : step.dest;
  return [
    'set -e',
    ...own,
    `mkdir -p -- ${shell(path.posix.dirname(target))}`,
    `mv -fT -- ${shell(tmp)} ${shell(target)}`,
  ].join('; ');
}

/** A name for an upload on the node that no earlier upload had. */
function incomingName(): string {
  return `${INCOMING}/${crypto.randomBytes(8).toString('hex')}`;
}

/** Ansible's PLAY RECAP: per host whether it ended with no failed and no unreachable task. */
export function parseRecap(text: string): Map<string, boolean> {
  const out = new Map<string, boolean>();
  const re = /^(\S+)\s+:\s+ok=\d+\s+changed=\d+\s+unreachable=(\d+)\s+failed=(\d+)/gm;
  for (const m of text.matchAll(re)) out.set(m[1], m[2] === '0' && m[3] === '0');
  return out;
}

/** Runs one step on the nodes `names` (the playbook once for all of them). */
export async function runStep(
  lab: Lab,
  step: ProvisionStep,
  names: string[],
  opts: { fan: FanOptions; log: string },
  prepared: Set<string>,
): Promise<NodeOutcome[]> {
  const nodes = lab.nodes.filter((n) => names.includes(n.name));
  const o = (node: LabNode) => ({
    timeoutMs: opts.fan.timeoutS * 1000,
    stdinOpen: true,
    log: opts.log,
    onLine: (line: string, stream: 'stdout' | 'stderr') => opts.fan.onLine?.(node.name, line, stream),
  });
  if (step.kind === 'playbook') {
    const started = Date.now();
    const r = await run(
      'ansible-playbook',
      ['-i', path.join(lab.outDir, LAYOUT.inventory), '--limit', names.join(','), step.file],
      {
        cwd: lab.labDir,
        env: { ANSIBLE_NOCOLOR: '1', ANSIBLE_FORCE_COLOR: '0', ANSIBLE_RETRY_FILES_ENABLED: '0' },
        anyExitCode: true,
        timeoutMs: opts.fan.timeoutS * 1000,
        log: opts.log,
        onLine: (line, stream) => opts.fan.onLine?.('ansible', line, stream),
      },
    );
    const recap = parseRecap(r.stdout);
    const seconds = (Date.now() - started) / 1000;
    return nodes.map((n) => {
      const ok = recap.get(n.name) ?? r.exitCode === 0;
      return {
        node: n.name,
        exitCode: r.exitCode,
        ok,
        stdout: r.stdout,
        stderr: r.stderr,
        seconds,
        ...(ok
          ? {}
          : {
              error: recap.has(n.name)
                ? 'the playbook failed on it (see PLAY RECAP)'
                : `ansible-playbook exited ${r.exitCode}: ${r.stderr.trim().split('\n').pop() ?? ''}`,
            }),
      };
    });
  }
  if (step.kind === 'shell')
    return fan(nodes, opts.fan, async (node) =>
      ssh.execAll(
        await connected(lab, node),
        ssh.stoppable(`${stepEnv(lab, node, step)} bash -c ${shell(step.command)}`),
        o(node),
      ),
    );
  // A script or a copy: uploaded into root's incoming folder, then run or put in place.
  return fan(nodes, opts.fan, async (node): Promise<RunResult> => {
    const t = await connected(lab, node);
    if (!prepared.has(node.name)) {
      const made = await ssh.execAll(t, `umask 077 && mkdir -p -- ${INCOMING}`, o(node));
      if (made.exitCode !== 0) return made;
      prepared.add(node.name);
    }
    const tmp = incomingName();
    const sent = await ssh.copy(t, step.file, tmp, true, o(node));
    if (sent.exitCode !== 0) return sent;
    if (step.kind === 'script')
      return ssh.execAll(
        t,
        `chmod 700 ${tmp} || exit 1; cd /root; ${ssh.stoppable(`${stepEnv(lab, node, step)} ${tmp}`)}; rc=$?; rm -f -- ${tmp}; exit $rc`,
        o(node),
      );
    const folder = fs.statSync(step.file).isDirectory();
    return ssh.execAll(t, copyCommand(step, tmp, folder), o(node));
  });
}
