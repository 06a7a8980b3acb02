// labforge provision against real ssh, scp and ansible-playbook, without a VM: an sshd of the test's own in a network
// namespace of its own answers on both nodes' addresses (10.240.0.11 and .12 on its loopback) as root with the lab
// key, so this host plays both nodes (their steps write below the test's folder; uploads wait in root's
// /root/.labforge/incoming, removed afterwards when the test made it). A stand-in virsh says the nodes run.
import fs from 'node:fs';
import path from 'node:path';
import { execa } from 'execa';
import { CLI, cli, onCleanup, ownershipRecord, requireTool, tempDir } from '../support.js';

const NS = `lfprov${process.pid}`;
let work: string;
let out: string;
let dest: string;
let env: Record<string, string>;

const labforge = (args: string[]) =>
  execa('ip', ['netns', 'exec', NS, 'node', CLI, '--lab', path.join(work, 'lab.yaml'), '--out', out, ...args], {
    env,
    reject: false,
    all: true,
    timeout: 120000,
  });

beforeAll(async () => {
  ['ip', 'sshd', 'ssh', 'scp', 'ansible-playbook'].forEach(requireTool);
  if (process.getuid?.() !== 0) throw new Error('this test needs root (a network namespace, sshd as root)');
  work = tempDir('labforge-prov-');
  out = path.join(work, 'out');
  dest = path.join(work, 'dest');
  fs.mkdirSync(dest);
  fs.mkdirSync(path.join(work, 'prov', 'conf', 'sub'), { recursive: true });
  fs.mkdirSync(path.join(work, 'prov', 'ansible'));
  fs.writeFileSync(path.join(work, 'prov', 'motd'), 'welcome\n');
  fs.writeFileSync(path.join(work, 'prov', 'conf', 'sub', 'b.conf'), 'b=2\n');
  fs.writeFileSync(
    path.join(work, 'prov', 'ansible', 'site.yml'),
    `- hosts: all\n  gather_facts: false\n  tasks:\n    - raw: echo "playbook {{ inventory_hostname }}" > ${dest}/pb-{{ inventory_hostname }}\n`,
  );
  fs.writeFileSync(
    path.join(work, 'prov', 'setup.sh'),
    `#!/bin/sh\necho "v1 $LABFORGE_NODE" > ${dest}/script-$LABFORGE_NODE\n`,
    {
      mode: 0o755,
    },
  );
  const hostile = `${dest}/it's "q" $(touch ${dest}/pwned)`;
  fs.writeFileSync(
    path.join(work, 'lab.yaml'),
    [
      'name: prov',
      'domain: example.com',
      'nodes:',
      '  - { name: node1, ip: 10.240.0.11 }',
      `  - { name: node2, ip: 10.240.0.12, provision: [{ shell: 'echo "$LABFORGE_STEP" > ${dest}/own-$LABFORGE_NODE' }] }`,
      'provision:',
      `  - copy: { src: prov/motd, dest: ${JSON.stringify(`${hostile}/motd`)}, mode: '0640', owner: 'root:adm' }`,
      `  - copy: { src: prov/conf, dest: ${dest}/conf, mode: '0600' }`,
      `  - shell: ${JSON.stringify(`printf '%s\\n' "inline $LABFORGE_NODE $(hostname -s >/dev/null; echo ok)" > ${dest}/inline-$LABFORGE_NODE`)}`,
      '  - playbook: prov/ansible/site.yml',
      '  - script: prov/setup.sh',
      '',
    ].join('\n'),
  );
  expect((await cli(['--lab', path.join(work, 'lab.yaml'), '--out', out, 'render'])).exitCode).toBe(0);
  // As after up: the domains Vagrant recorded and the ownership record.
  for (const n of ['node1', 'node2']) {
    fs.mkdirSync(path.join(out, '.vagrant', 'machines', n, 'libvirt'), { recursive: true });
    fs.writeFileSync(path.join(out, '.vagrant', 'machines', n, 'libvirt', 'id'), `uuid-${n}\n`);
  }
  fs.writeFileSync(path.join(out, '.labforge-state.json'), ownershipRecord('prov'));
  const bin = path.join(work, 'bin');
  fs.mkdirSync(bin);
  fs.writeFileSync(
    path.join(bin, 'virsh'),
    "#!/bin/sh\nprintf '%s\\n' ' Id   Name   State' '----' ' 1    prov-node1    running' ' 2    prov-node2    running'\n",
    { mode: 0o755 },
  );
  env = { PATH: `${bin}:${process.env.PATH}`, NO_COLOR: '1', LABFORGE_OFFLINE: '1', HOME: path.join(work, 'home') };
  // The sshd: root with the lab key only, sftp for scp, on both nodes' addresses.
  fs.copyFileSync(path.join(out, 'secrets', 'id_ed25519.pub'), path.join(work, 'authorized_keys'));
  await execa('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', path.join(work, 'hostkey')]);
  const sftp = ['/usr/lib/openssh/sftp-server', '/usr/libexec/openssh/sftp-server'].find((p) => fs.existsSync(p));
  fs.writeFileSync(
    path.join(work, 'sshd_config'),
    [
      'ListenAddress 10.240.0.11',
      'ListenAddress 10.240.0.12',
      `HostKey ${work}/hostkey`,
      'PermitRootLogin prohibit-password',
      `AuthorizedKeysFile ${work}/authorized_keys`,
      `PidFile ${work}/sshd.pid`,
      'StrictModes no',
      'UsePAM no',
      `Subsystem sftp ${sftp}`,
      '',
    ].join('\n'),
  );
  const madeIncoming = !fs.existsSync('/root/.labforge');
  onCleanup(async () => {
    await execa('ssh', ['-O', 'exit', '-o', `ControlPath=${out}/.mux/node1`, 'x'], { reject: false });
    await execa('ssh', ['-O', 'exit', '-o', `ControlPath=${out}/.mux/node2`, 'x'], { reject: false });
    const pid = fs.existsSync(`${work}/sshd.pid`) ? Number(fs.readFileSync(`${work}/sshd.pid`, 'utf8')) : 0;
    if (pid) process.kill(pid);
    await execa('ip', ['netns', 'del', NS], { reject: false });
    if (madeIncoming) fs.rmSync('/root/.labforge', { recursive: true, force: true });
  });
  await execa('ip', ['netns', 'add', NS]);
  await execa('ip', ['netns', 'exec', NS, 'ip', 'link', 'set', 'lo', 'up']);
  for (const ip of ['10.240.0.11/32', '10.240.0.12/32'])
    await execa('ip', ['netns', 'exec', NS, 'ip', 'addr', 'add', ip, 'dev', 'lo']);
  fs.mkdirSync('/run/sshd', { recursive: true });
  await execa('ip', ['netns', 'exec', NS, '/usr/sbin/sshd', '-f', path.join(work, 'sshd_config')]);
}, 120000);

type StepJson = { field: string; ran: { node: string; ok: boolean; exitCode?: number }[]; skipped: string[] };
const rows = (stdout: string) =>
  (JSON.parse(stdout) as { steps: StepJson[] }).steps.map((s) => [s.field, s.ran.map((o) => o.node), s.skipped]);
const read = (f: string) => fs.readFileSync(path.join(dest, f), 'utf8');

test('every kind of step runs on its nodes over real ssh; hostile text stays text; nothing is left in incoming', async () => {
  const r = await labforge(['provision', '--no-snapshot']);
  expect(r.exitCode).toBe(0);
  expect(r.stdout).toMatch(/labforge: provision ok: 11 step runs, 0 skipped in [0-9.]+ s/);
  const motd = path.join(dest, `it's "q" $(touch ${dest}/pwned)`, 'motd');
  expect(fs.readFileSync(motd, 'utf8')).toBe('welcome\n');
  expect(fs.statSync(motd).mode & 0o777).toBe(0o640);
  expect(fs.existsSync(path.join(dest, 'pwned'))).toBe(false);
  expect(fs.statSync(path.join(dest, 'conf', 'sub', 'b.conf')).mode & 0o777).toBe(0o600);
  expect(read('inline-node1')).toBe('inline node1 ok\n');
  expect(read('pb-node2')).toBe('playbook node2\n');
  expect(read('script-node1')).toBe('v1 node1\n');
  expect(read('own-node2')).toBe('nodes[1].provision[0]\n');
  expect(fs.existsSync(path.join(dest, 'own-node1'))).toBe(false);
  expect(fs.readdirSync('/root/.labforge/incoming')).toEqual([]);
  // Every line of the steps' output went to the log too.
  const logs = fs.readdirSync(path.join(out, 'logs')).filter((f) => f.startsWith('provision-'));
  expect(logs.length).toBe(1);
  expect(fs.readFileSync(path.join(out, 'logs', logs[0]), 'utf8')).toContain('PLAY RECAP');
});

test('again: every step skipped in under a second; a changed script runs alone (not the step after it); --force on one node', async () => {
  const again = await labforge(['provision', '--json', '--no-snapshot']);
  expect(again.exitCode).toBe(0);
  expect(rows(again.stdout).every(([, ran]) => (ran as string[]).length === 0)).toBe(true);
  expect(JSON.parse(again.stdout).seconds).toBeLessThan(1);
  fs.writeFileSync(
    path.join(work, 'prov', 'setup.sh'),
    `#!/bin/sh\necho "v2 $LABFORGE_NODE" > ${dest}/script-$LABFORGE_NODE\n`,
  );
  const changed = await labforge(['provision', '--json', '--no-snapshot']);
  expect(rows(changed.stdout)).toEqual([
    ['provision[0]', [], ['node1', 'node2']],
    ['provision[1]', [], ['node1', 'node2']],
    ['provision[2]', [], ['node1', 'node2']],
    ['provision[3]', [], ['node1', 'node2']],
    ['provision[4]', ['node1', 'node2'], []],
    ['nodes[1].provision[0]', [], ['node2']],
  ]);
  expect(read('script-node2')).toBe('v2 node2\n');
  const forced = await labforge(['provision', 'node1', '--force', '--serial', '--json', '--no-snapshot']);
  expect(rows(forced.stdout).map(([f, ran]) => [f, ran])).toEqual([
    ['provision[0]', ['node1']],
    ['provision[1]', ['node1']],
    ['provision[2]', ['node1']],
    ['provision[3]', ['node1']],
    ['provision[4]', ['node1']],
    ['nodes[1].provision[0]', []],
  ]);
});

test('a failing script stops the run: exit 1 naming the step and each node with its exit code; it runs again next time', async () => {
  fs.writeFileSync(path.join(work, 'prov', 'setup.sh'), '#!/bin/sh\necho "no disk space" >&2\nexit 3\n');
  const r = await labforge(['provision', '--no-snapshot']);
  expect(r.exitCode).toBe(1);
  expect(r.stdout).toContain(
    'labforge: provision FAILED at provision[4] (script prov/setup.sh) on node1 (exit code 3), node2 (exit code 3); the steps after it did not run',
  );
  expect(r.stderr).toMatch(/^node1 +\| no disk space$/m);
  const next = await labforge(['provision', '--json', '--no-snapshot']);
  expect(next.exitCode).toBe(1);
  expect(rows(next.stdout).slice(4)).toEqual([['provision[4]', ['node1', 'node2'], []]]);
});

test('a copied folder that now holds a link: exit 2 naming the field and the link, no step runs', async () => {
  fs.symlinkSync('/etc/shadow', path.join(work, 'prov', 'conf', 'leak'));
  const before = fs.readdirSync(path.join(out, 'logs')).length;
  const r = await labforge(['provision', '--no-snapshot']);
  expect(r.exitCode).toBe(2);
  expect(r.stderr).toContain(`provision[1]: "${path.join(work, 'prov', 'conf', 'leak')}" is a symbolic link`);
  expect(fs.existsSync(path.join(dest, 'conf', 'leak'))).toBe(false);
  expect(fs.readdirSync(path.join(out, 'logs')).length).toBe(before);
});

test('Ctrl-C during a step: labforge stops within a second, no node starts it after, no success is recorded for it, the next provision runs it', async () => {
  fs.unlinkSync(path.join(work, 'prov', 'conf', 'leak'));
  fs.writeFileSync(
    path.join(work, 'prov', 'setup.sh'),
    `#!/bin/sh\necho "v3 $LABFORGE_NODE" > ${dest}/script-$LABFORGE_NODE\n`,
  );
  // A slow last step: it sleeps while the flag exists (its text, and so its key, stay the same without it).
  const flag = path.join(dest, 'slow-flag');
  fs.writeFileSync(flag, '');
  const slow = `touch ${dest}/slow-started-$LABFORGE_NODE; if [ -e ${flag} ]; then sleep 4; fi; touch ${dest}/slow-done-$LABFORGE_NODE`;
  fs.appendFileSync(path.join(work, 'lab.yaml'), `  - shell: ${JSON.stringify(slow)}\n`);
  // As a terminal's Ctrl-C: SIGINT to labforge's whole process group (labforge, its ssh children, ssh's masters).
  const child = execa(
    'ip',
    [
      'netns',
      'exec',
      NS,
      'node',
      CLI,
      '--lab',
      path.join(work, 'lab.yaml'),
      '--out',
      out,
      'provision',
      '--serial',
      '--no-snapshot',
    ],
    { env, reject: false, all: true, timeout: 120000, detached: true },
  );
  const started = path.join(dest, 'slow-started-node1');
  const deadline = Date.now() + 60000;
  while (!fs.existsSync(started)) {
    if (Date.now() > deadline) throw new Error(`the slow step never started:\n${(await child).all}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  await new Promise((r) => setTimeout(r, 300));
  const signalled = Date.now();
  process.kill(-child.pid!, 'SIGINT');
  const r = await child;
  const took = Date.now() - signalled;
  expect(r.exitCode).toBe(130);
  expect(took).toBeLessThan(1000);
  // Nothing goes on after labforge ended: node2 never starts the step, node1's run of it was stopped.
  await new Promise((res) => setTimeout(res, 5000));
  expect(fs.existsSync(path.join(dest, 'slow-started-node2'))).toBe(false);
  expect(fs.existsSync(path.join(dest, 'slow-done-node1'))).toBe(false);
  const record = JSON.parse(fs.readFileSync(path.join(out, '.labforge-state.json'), 'utf8')) as {
    provisioned: Record<string, { done: Record<string, { field: string }> }>;
  };
  const fields = (node: string) =>
    Object.values(record.provisioned[node].done)
      .map((s) => s.field)
      .sort();
  expect(fields('node1')).toEqual(['provision[0]', 'provision[1]', 'provision[2]', 'provision[3]', 'provision[4]']);
  fs.rmSync(flag);
  const next = await labforge(['provision', '--json', '--no-snapshot']);
  expect(next.exitCode).toBe(0);
  expect(rows(next.stdout).filter(([, ran]) => (ran as string[]).length > 0)).toEqual([
    ['provision[5]', ['node1', 'node2'], []],
  ]);
  expect(fs.existsSync(path.join(dest, 'slow-done-node1'))).toBe(true);
}, 120000);

test('Ctrl-C during `labforge run`: labforge ends within a second, and the command on every node ends with it', async () => {
  const marker = `run-${Date.now()}`;
  const command = `touch ${dest}/${marker}-started-$$; sleep 6; touch ${dest}/${marker}-done-$$`;
  // As a terminal's Ctrl-C: SIGINT to labforge's whole process group.
  const child = execa(
    'ip',
    ['netns', 'exec', NS, 'node', CLI, '--lab', path.join(work, 'lab.yaml'), '--out', out, 'run', 'all', '--', command],
    { env, reject: false, all: true, timeout: 120000, detached: true },
  );
  const files = (what: string) => fs.readdirSync(dest).filter((f) => f.startsWith(`${marker}-${what}-`));
  const deadline = Date.now() + 60000;
  while (files('started').length < 2) {
    if (Date.now() > deadline) throw new Error(`the command never started on both nodes:\n${(await child).all}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  const signalled = Date.now();
  process.kill(-child.pid!, 'SIGINT');
  const r = await child;
  expect(Date.now() - signalled).toBeLessThan(1000);
  expect(r.exitCode).toBe(130);
  // Past the command's own end: it was stopped on both nodes, not left running.
  await new Promise((res) => setTimeout(res, 7000));
  expect(files('done')).toEqual([]);
}, 120000);

test(
  'a node made anew answers with new host keys: refused, named, while its domain is the same; ' +
    "after Vagrant's domain id changes its old key is forgotten and it is logged in to",
  async () => {
    const kh = path.join(out, 'known_hosts');
    const knows = async (ip: string) =>
      (await execa('ssh-keygen', ['-F', ip, '-f', kh], { reject: false })).exitCode === 0;
    expect(await knows('10.240.0.11')).toBe(true);
    // The "nodes" get new host keys, as a re-created VM does at its first boot: every process of the namespace (sshd,
    // its sessions, the shared connections) ends, and sshd starts with another key.
    const pids = (await execa('ip', ['netns', 'pids', NS])).stdout.split('\n').filter(Boolean);
    for (const pid of pids) process.kill(Number(pid), 'SIGKILL');
    fs.rmSync(path.join(work, 'hostkey'));
    fs.rmSync(path.join(work, 'hostkey.pub'));
    await execa('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', path.join(work, 'hostkey')]);
    await execa('ip', ['netns', 'exec', NS, '/usr/sbin/sshd', '-f', path.join(work, 'sshd_config')]);
    const run = () => labforge(['run', 'all', '--json', '--', 'true']);
    const outcome = (stdout: string) =>
      (JSON.parse(stdout) as { node: string; ok: boolean; error?: string }[]).map((o) => [o.node, o.ok, o.error ?? '']);
    // Same domain ids: ssh refuses the new key, and labforge says why.
    const refused = await run();
    expect(refused.exitCode).toBe(1);
    const changed = expect.stringMatching(
      /^no connection to 10\.240\.0\.1\d: it answers with another host key than node\d had/,
    );
    expect(outcome(refused.stdout)).toEqual([
      ['node1', false, changed],
      ['node2', false, changed],
    ]);
    // node1's domain made anew (Vagrant recorded another id): its old key is forgotten, ssh learns the new one.
    fs.writeFileSync(path.join(out, '.vagrant', 'machines', 'node1', 'libvirt', 'id'), 'uuid-node1-b\n');
    const one = await run();
    expect(outcome(one.stdout)).toEqual([
      ['node1', true, ''],
      ['node2', false, changed],
    ]);
    fs.writeFileSync(path.join(out, '.vagrant', 'machines', 'node2', 'libvirt', 'id'), 'uuid-node2-b\n');
    const both = await run();
    expect(both.exitCode).toBe(0);
    const key = fs.readFileSync(path.join(work, 'hostkey.pub'), 'utf8').split(' ')[1];
    expect(
      fs
        .readFileSync(kh, 'utf8')
        .split('\n')
        .filter(Boolean)
        .map((l) => l.split(' ').slice(-1)[0]),
    ).toEqual([key, key]);
  },
  120000,
);
