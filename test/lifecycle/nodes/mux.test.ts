// Shared ssh connections to the nodes: one master per node, started once (ssh -M -N -f) and reused by every later
// command of labforge's, ended before a node goes away; none where the socket path cannot hold. A stand-in ssh
// records what it is asked: nothing is contacted.
import fs from 'node:fs';
import path from 'node:path';
import { loadLabText } from '../../../src/lab/load.js';
import { disconnect, reportedFqdn, target } from '../../../src/lifecycle/nodes/connections.js';
import { run } from '../../../src/tools/run.js';
import { claimOutDir } from '../../../src/lifecycle/state/outdir.js';
import { tempDir } from '../../support.js';

const LAB =
  'name: t\ndomain: example.com\nvips: []\nnodes:\n  - { name: a, ip: 10.240.0.11 }\n  - { name: b, ip: 10.240.0.12 }\n';

/** A stand-in ssh: `-O check` reportedFqdn whether a master "runs" (a marker file), `-M` starts one, `-O exit` ends it,
 *  anything else is a command that prints the node's FQDN. Every call is logged, one line each. */
function standIn(dir: string) {
  const bin = path.join(dir, 'bin');
  fs.mkdirSync(bin);
  const log = path.join(dir, 'calls');
  fs.writeFileSync(
    path.join(bin, 'ssh'),
    `#!/bin/bash
echo "$*" >> '${log}'
for a in "$@"; do case $a in ControlPath=*) sock=\${a#ControlPath=} ;; root@*) host=\${a#root@} ;; esac; done
case " $* " in
  *" -O check "*) [ -e "$sock.up" ] ;;
  *" -O exit "*) rm -f "$sock.up" ;;
  *" -M "*) touch "$sock.up" ;;
  *) case $host in 10.240.0.11) echo a.example.com ;; *) echo b.example.com ;; esac ;;
esac
`,
    { mode: 0o755 },
  );
  const saved = process.env.PATH;
  process.env.PATH = `${bin}:${saved}`;
  return {
    log,
    restore: () => (process.env.PATH = saved),
    calls: () => fs.readFileSync(log, 'utf8').trim().split('\n'),
  };
}

test('the first command to a node starts its master, later ones only use it; disconnect ends it', async () => {
  const dir = tempDir();
  const { lab } = loadLabText(LAB, path.join(dir, 'lab.yaml'), { outDir: path.join(dir, 'out') });
  claimOutDir(lab.outDir, lab.name);
  const ssh = standIn(dir);
  try {
    expect(await reportedFqdn(lab, lab.nodes[0])).toBe('a.example.com');
    const first = ssh.calls();
    expect(
      first.map((c) =>
        c.includes('-O check') ? 'check' : c.includes(' -M ') || c.startsWith('-M') ? 'master' : 'command',
      ),
    ).toEqual(['check', 'master', 'check', 'command']);
    const socket = path.join(lab.outDir, '.mux', 'a');
    expect(first[1]).toContain(`ControlPath=${socket}`);
    expect(first[1]).toContain('ControlPersist=300');
    expect(first[3]).toContain(`ControlMaster=no -o ControlPath=${socket}`);
    expect(fs.statSync(path.dirname(socket)).mode & 0o777).toBe(0o700);
    fs.writeFileSync(ssh.log, '');
    expect(await reportedFqdn(lab, lab.nodes[0])).toBe('a.example.com');
    expect(ssh.calls().map((c) => (c.includes('-O check') ? 'check' : 'command'))).toEqual(['check', 'command']);
    await disconnect(lab);
    expect(fs.existsSync(`${socket}.up`)).toBe(false);
  } finally {
    ssh.restore();
  }
});

test('in an output folder labforge does not own, no socket is made: the command connects by itself and writes nothing there', async () => {
  const dir = tempDir();
  const { lab } = loadLabText(LAB, path.join(dir, 'lab.yaml'), { outDir: path.join(dir, 'out') });
  const ssh = standIn(dir);
  try {
    expect(await reportedFqdn(lab, lab.nodes[1])).toBe('b.example.com');
    expect(ssh.calls()).toHaveLength(1);
    expect(ssh.calls()[0]).not.toContain('ControlPath');
    expect(fs.existsSync(lab.outDir)).toBe(false);
  } finally {
    ssh.restore();
  }
});

test('an output folder too deep for a socket path, or with a character ssh reads as a token, shares no connection', () => {
  const deep = loadLabText(LAB, '/tmp/lab.yaml', { outDir: `/tmp/${'d'.repeat(90)}/out` }).lab;
  expect(target(deep, deep.nodes[0]).controlPath).toBeUndefined();
  const percent = loadLabText(LAB, '/tmp/lab.yaml', { outDir: '/tmp/100%/out' }).lab;
  expect(target(percent, percent.nodes[0]).controlPath).toBeUndefined();
  const plain = loadLabText(LAB, '/tmp/lab.yaml', { outDir: '/tmp/labs/out' }).lab;
  expect(target(plain, plain.nodes[0]).controlPath).toBe('/tmp/labs/out/.mux/a');
});

test('discardOutput: a program that leaves a daemon holding its output still ends when the program does', async () => {
  const started = Date.now();
  // The background sleep keeps the inherited stdout/stderr open for 20 s; ssh -f's master does the same.
  const r = await run('bash', ['-c', 'sleep 20 & echo started'], { discardOutput: true, timeoutMs: 15000 });
  expect(r.exitCode).toBe(0);
  expect(Date.now() - started).toBeLessThan(5000);
});
