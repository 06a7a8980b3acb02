// labforge verify's judgement of each node, from the answer of its probe: every way a node can be wrong is named
// (and only those), and the probe script itself runs in bash and answers in the form the parser reads.
import fs from 'node:fs';
import path from 'node:path';
import { execa } from 'execa';
import { loadLabText } from '../../../src/lab/load.js';
import { judge, parseProbe, probeArguments, probeCommand, verify } from '../../../src/lifecycle/nodes/verify.js';
import { probeTimeLimits } from '../../../src/time-limits.js';
import { GUIDE_LAB_TEXT, requireTool, ROOT, tempDir } from '../../support.js';

const { lab } = loadLabText(
  'name: t\ndomain: example.com\nnetwork: { cidr: 10.240.0.0/24 }\nvips: [{ name: api, ip: 10.240.0.20 }]\n' +
    'nodes:\n  - { name: n1, ip: 10.240.0.11 }\n  - { name: n2, ip: 10.240.0.12 }\n',
  '/tmp/verify/lab.yaml',
);
const [n1] = lab.nodes;

/** What a good node n1 answers (Fedora with SELinux disabled by selinux=0, as the bake leaves it). */
const GOOD: Record<string, string> = {
  fqdn: 'n1.example.com',
  selinux: 'Disabled',
  cmdline_selinux0: 'yes',
  firewalld: 'absent',
  addresses: '127.0.0.1/8 192.168.121.34/24 10.240.0.11/24 ',
  swaps: '',
  hosts_n1: '10.240.0.11',
  hosts_n2: '10.240.0.12',
  hosts_api: '10.240.0.20',
  dns_n1: '10.240.0.11',
  dns_n2: '10.240.0.12',
  dns_api: '10.240.0.20',
  ping_n1: 'yes',
  ping_n2: 'yes',
};
const answer = (facts: Record<string, string>) =>
  Object.entries(facts)
    .map(([k, v]) => `${k}=${v}`)
    .join('\n');
/** The problems verify reports for n1 when its probe answers GOOD with `change` applied (undefined: line missing). */
function problems(change: Record<string, string | undefined> = {}): string[] {
  const facts = { ...GOOD, ...change };
  for (const [k, v] of Object.entries(facts)) if (v === undefined) delete facts[k];
  return judge(lab, n1, parseProbe(answer(facts as Record<string, string>)));
}

describe('judging a node from its probe answer', () => {
  test('a good node has no problems', () => {
    expect(problems()).toEqual([]);
  });

  test('a wrong or empty hostname is named with the expected one', () => {
    expect(problems({ fqdn: 'localhost.localdomain' })).toEqual([
      'hostname is localhost.localdomain, expected n1.example.com',
    ]);
    expect(problems({ fqdn: 'n1' })).toEqual(['hostname is n1, expected n1.example.com']);
    expect(problems({ fqdn: '' })).toEqual(['hostname is nothing, expected n1.example.com']);
  });

  test('a missing static address is named with what the node has; another prefix or a longer address is not it', () => {
    expect(problems({ addresses: '127.0.0.1/8 192.168.121.34/24 ' })).toEqual([
      'does not have 10.240.0.11/24 (has 127.0.0.1/8 192.168.121.34/24)',
    ]);
    expect(problems({ addresses: '10.240.0.11/16' })).toEqual(['does not have 10.240.0.11/24 (has 10.240.0.11/16)']);
    expect(problems({ addresses: '10.240.0.111/24' })).toEqual(['does not have 10.240.0.11/24 (has 10.240.0.111/24)']);
    expect(problems({ addresses: '' })).toEqual(['does not have 10.240.0.11/24 (has no IPv4 address)']);
    expect(problems({ addresses: '10.240.0.11/24' })).toEqual([]);
  });

  test('SELinux: Enforcing and Permissive are problems, Disabled and no SELinux at all are not', () => {
    expect(problems({ selinux: 'Enforcing' })).toEqual(['SELinux is Enforcing']);
    expect(problems({ selinux: 'Permissive' })).toEqual(['SELinux is Permissive']);
    expect(problems({ selinux: 'Disabled' })).toEqual([]);
    expect(problems({ selinux: 'absent' })).toEqual([]);
    expect(problems({ selinux: undefined })).toEqual(['SELinux is nothing']);
  });

  test('a kernel booted without selinux=0 is a problem even when getenforce says Disabled', () => {
    expect(problems({ cmdline_selinux0: 'no' })).toEqual(['the kernel was booted without selinux=0']);
    expect(problems({ cmdline_selinux0: undefined })).toEqual(['the kernel was booted without selinux=0']);
  });

  test('swap (image.swap false, the default): any active swap is named; a lab with image.swap true keeps it unchecked', () => {
    expect(problems({ swaps: '/dev/zram0' })).toEqual([
      'swap is on: /dev/zram0 (image.swap is false: kubelet refuses to start with swap)',
    ]);
    expect(problems({ swaps: '/dev/vda3 /swapfile ' })).toEqual([
      'swap is on: /dev/vda3 /swapfile (image.swap is false: kubelet refuses to start with swap)',
    ]);
    expect(problems({ swaps: undefined })).toEqual(['swap: the probe said nothing about /proc/swaps']);
    const withSwap = loadLabText(
      'name: t\ndomain: example.com\nimage: { swap: true }\nvips: [{ name: api, ip: 10.240.0.20 }]\n' +
        'nodes:\n  - { name: n1, ip: 10.240.0.11 }\n  - { name: n2, ip: 10.240.0.12 }\n',
      '/tmp/verify/lab.yaml',
    ).lab;
    expect(judge(withSwap, withSwap.nodes[0], parseProbe(answer({ ...GOOD, swaps: '/dev/zram0' })))).toEqual([]);
  });

  test('firewalld installed is a problem; an answer the probe cannot give is named as it came', () => {
    expect(problems({ firewalld: 'installed' })).toEqual(['firewalld is installed']);
    expect(problems({ firewalld: 'maybe' })).toEqual(['firewalld: the probe said maybe']);
  });

  test('/etc/hosts or DNS resolving a node or VIP wrongly, or not at all, is named per name and per source', () => {
    expect(problems({ hosts_n2: '127.0.1.1' })).toEqual([
      '/etc/hosts resolves n2.example.com to 127.0.1.1, expected 10.240.0.12',
    ]);
    expect(problems({ hosts_api: '' })).toEqual([
      '/etc/hosts resolves api.example.com to nothing, expected 10.240.0.20',
    ]);
    expect(problems({ dns_n1: '192.168.121.34' })).toEqual([
      'DNS resolves n1.example.com to 192.168.121.34, expected 10.240.0.11',
    ]);
    expect(problems({ dns_api: '', dns_n2: undefined })).toEqual([
      'DNS resolves n2.example.com to nothing, expected 10.240.0.12',
      'DNS resolves api.example.com to nothing, expected 10.240.0.20',
    ]);
  });

  test('a node that does not answer ping is named; VIPs are not pinged', () => {
    expect(problems({ ping_n2: 'no' })).toEqual(['cannot ping n2 (10.240.0.12)']);
    expect(problems({ ping_n1: undefined })).toEqual(['cannot ping n1 (10.240.0.11)']);
    expect(probeCommand(lab)).not.toContain('ping_api');
    const nodes = probeArguments(lab).slice(probeArguments(lab).indexOf('--') + 1);
    expect(nodes).toEqual(['n1=10.240.0.11', 'n2=10.240.0.12']);
  });

  test('an empty answer names every check', () => {
    expect(judge(lab, n1, parseProbe(''))).toHaveLength(6 + 2 * 3 + 2);
  });
});

describe('reading the probe answer', () => {
  test('garbage lines (banners, MOTD, warnings) are ignored; values keep their own = and lose a CR', () => {
    const out = [
      'Warning: Permanently added 10.240.0.11 (ED25519) to the list of known hosts.',
      '=no key',
      '',
      ...answer(GOOD)
        .split('\n')
        .map((l) => `${l}\r`),
      'Last login: Tue Nov 24 10:00:00 2026 from 10.240.0.1',
      'x y=z',
    ].join('\n');
    expect(parseProbe(out)).toEqual(Object.fromEntries(Object.entries(GOOD).map(([k, v]) => [k, v.trim()])));
    expect(parseProbe('fqdn=a=b')).toEqual({ fqdn: 'a=b' });
    expect(judge(lab, n1, parseProbe(out))).toEqual([]);
  });

  test('a repeated key takes its last value', () => {
    expect(parseProbe('selinux=Enforcing\nselinux=Disabled')).toEqual({ selinux: 'Disabled' });
  });
});

describe('the probe script', () => {
  /** Stand-ins for the programs the probe asks, on PATH before the real ones (so nothing is pinged or resolved). */
  function standIns(dpkgStatus = 'deinstall ok config-files'): string {
    const bin = path.join(tempDir(), 'bin');
    fs.mkdirSync(bin);
    const write = (name: string, body: string) =>
      fs.writeFileSync(path.join(bin, name), `#!/bin/bash\n${body}\n`, { mode: 0o755 });
    const ips: Record<string, string> = {
      'n1.example.com': '10.240.0.11',
      'n2.example.com': '10.240.0.12',
      'api.example.com': '10.240.0.20',
    };
    write('hostname', 'echo n1.example.com');
    write('getenforce', 'echo Disabled');
    write('rpm', 'exit 1');
    write('dpkg-query', `echo "${dpkgStatus}"`);
    write(
      'ip',
      "printf '1: lo    inet 127.0.0.1/8 scope host lo\\n2: eth1    inet 10.240.0.11/24 brd 10.240.0.255 scope global eth1\\n'",
    );
    // `getent -s DB hosts NAME...`: a line per name it knows, none for the others.
    const table = Object.entries(ips)
      .map(([name, ip]) => `${name}) echo "${ip}  ${name}" ;;`)
      .join(' ');
    write('getent', `shift 3; for k in "$@"; do case $k in ${table} esac; done`);
    write('ping', 'exit 0');
    return bin;
  }

  const run = (bin: string) =>
    execa('bash', ['-c', probeCommand(lab)], { env: { PATH: `${bin}:${process.env.PATH}` } });

  test('runs in bash and its answer is what the parser reads: a good node is judged good', async () => {
    const selinux0 = fs.readFileSync('/proc/cmdline', 'utf8').split(/\s+/).includes('selinux=0');
    const r = await run(standIns());
    const facts = parseProbe(r.stdout);
    expect(facts).toMatchObject({
      fqdn: 'n1.example.com',
      selinux: 'Disabled',
      firewalld: 'absent',
      hosts_api: '10.240.0.20',
      dns_n2: '10.240.0.12',
      ping_n2: 'yes',
    });
    expect(facts.addresses.split(' ')).toContain('10.240.0.11/24');
    // This host's own kernel command line is read: only the selinux=0 check depends on it.
    expect(judge(lab, n1, facts)).toEqual(selinux0 ? [] : ['the kernel was booted without selinux=0']);
  });

  test('one lookup per database for all names: a name it does not resolve is empty and judged so; a name listed as an alias counts', async () => {
    const bin = standIns();
    // This getent knows n1 (with its short name as an alias) and api only.
    fs.writeFileSync(
      path.join(bin, 'getent'),
      '#!/bin/bash\nshift 3\nfor k in "$@"; do case $k in\n' +
        '  n1.example.com) echo "10.240.0.11  n1.example.com n1" ;;\n' +
        '  api.example.com) echo "10.240.0.20  apiserver api.example.com" ;;\n' +
        'esac; done\n',
      { mode: 0o755 },
    );
    const facts = parseProbe((await run(bin)).stdout);
    expect([facts.hosts_n1, facts.hosts_n2, facts.hosts_api, facts.dns_n2]).toEqual([
      '10.240.0.11',
      '',
      '10.240.0.20',
      '',
    ]);
    expect(judge(lab, n1, facts)).toEqual(
      expect.arrayContaining([
        '/etc/hosts resolves n2.example.com to nothing, expected 10.240.0.12',
        'DNS resolves n2.example.com to nothing, expected 10.240.0.12',
      ]),
    );
  });

  test('firewalld counts as installed when dpkg says "install ok installed", not when only its configuration is left', async () => {
    expect(parseProbe((await run(standIns('install ok installed'))).stdout).firewalld).toBe('installed');
    expect(parseProbe((await run(standIns('deinstall ok config-files'))).stdout).firewalld).toBe('absent');
  });
});

describe('the probe script', () => {
  test('is a file of its own (vagrant/scripts/verify-probe.sh) that passes shellcheck, sent whole with the names', async () => {
    requireTool('shellcheck');
    const file = path.join(ROOT, 'vagrant', 'scripts', 'verify-probe.sh');
    await execa('shellcheck', ['-s', 'bash', file]);
    expect(probeCommand(lab)).toContain(fs.readFileSync(file, 'utf8').split('\n').slice(-2)[0]);
    expect(probeCommand(lab).endsWith(` verify-probe ${probeArguments(lab).join(' ')}`)).toBe(true);
  });
});

describe('the probe runs its lookups and pings at once', () => {
  test('the pings of every node overlap in time, and the answer still has one whole line per fact', async () => {
    const bin = path.join(tempDir(), 'bin');
    fs.mkdirSync(bin);
    const log = path.join(bin, 'pings');
    fs.writeFileSync(
      path.join(bin, 'ping'),
      `#!/bin/bash\necho "start $(date +%s.%N)" >> '${log}'\nsleep 1\necho "end $(date +%s.%N)" >> '${log}'\n`,
      { mode: 0o755 },
    );
    const r = await execa('bash', ['-c', probeCommand(lab)], { env: { PATH: `${bin}:${process.env.PATH}` } });
    const facts = parseProbe(r.stdout);
    expect([facts.ping_n1, facts.ping_n2, facts.probe]).toEqual(['yes', 'yes', 'done']);
    const events = fs
      .readFileSync(log, 'utf8')
      .trim()
      .split('\n')
      .map((l) => l.split(' '))
      .sort((a, b) => Number(a[1]) - Number(b[1]));
    let now = 0;
    let most = 0;
    for (const [kind] of events) most = Math.max(most, (now += kind === 'start' ? 1 : -1));
    expect(most).toBe(2);
  });
});

describe('verify against stand-in ssh answers', () => {
  /** Runs verify() with a stand-in ssh (its bash body) first on PATH. */
  async function verifyWith(body: string, limits = { connectS: 5, probeS: 2 }) {
    const bin = path.join(tempDir(), 'bin');
    fs.mkdirSync(bin);
    fs.writeFileSync(path.join(bin, 'ssh'), `#!/bin/bash\n${body}\n`, { mode: 0o755 });
    const saved = process.env.PATH;
    process.env.PATH = `${bin}:${saved}`;
    try {
      return await verify(lab, { limits });
    } finally {
      process.env.PATH = saved;
    }
  }

  test('a probe that times out is a time-out with what it answered judged, not a failed login', async () => {
    const partial = answer({
      fqdn: 'n1.example.com',
      selinux: 'Disabled',
      cmdline_selinux0: 'yes',
      firewalld: 'absent',
    });
    const [v] = await verifyWith(`cat <<'EOF'\n${partial}\nEOF\nexec sleep 30`);
    expect(v.problems[0]).toBe('the probe timed out after 2 s; the checks it had not answered are failed');
    expect(v.problems.join('\n')).not.toContain('no root ssh');
    expect(v.problems).not.toContain('SELinux is nothing');
    expect(v.problems).toContain('cannot ping n2 (10.240.0.12)');
    expect(v.checks.find((c) => c.name === 'root ssh with the lab key')?.ok).toBe(true);
  });

  test('ssh refused (exit 255) is the failed login it is', async () => {
    const [v] = await verifyWith('echo "root@10.240.0.11: Permission denied (publickey)." >&2\nexit 255');
    expect(v.problems).toEqual([
      'no root ssh with the lab key on 10.240.0.11: root@10.240.0.11: Permission denied (publickey).',
    ]);
  });

  test('verify logs in anew on every node, never through a shared connection (which outlives a stopped sshd)', async () => {
    const args = path.join(tempDir(), 'args');
    // Every argument but the last (the probe script), one line a call.
    await verifyWith(`echo "\${*:1:$#-1}" >> '${args}'\ncat <<'EOF'\n${answer(GOOD)}\nprobe=done\nEOF`);
    const calls = fs.readFileSync(args, 'utf8').trim().split('\n');
    expect(calls.length).toBe(lab.nodes.length);
    for (const c of calls) expect(c).not.toMatch(/ControlPath|-O check|-M /);
  });

  test('a probe cut short without a time-out says it stopped early', async () => {
    const [v] = await verifyWith(`cat <<'EOF'\n${answer(GOOD)}\nEOF`);
    expect(v.problems).toEqual(['the probe stopped before it finished']);
    const [good] = await verifyWith(`cat <<'EOF'\n${answer(GOOD)}\nprobe=done\nEOF`);
    expect(good.problems).toEqual([]);
  });

  test('the time limits grow with the lab', () => {
    const nine = loadLabText(GUIDE_LAB_TEXT, '/tmp/verify/lab.yaml').lab;
    expect(probeTimeLimits(nine.nodes.length).probeS).toBeGreaterThan(probeTimeLimits(lab.nodes.length).probeS);
    expect(probeTimeLimits(nine.nodes.length)).toEqual({ connectS: 28, probeS: 75 });
  });
});
