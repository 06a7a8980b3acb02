// Commands on a lab that is not up answer at once, from one libvirt query, against a real libvirtd in the test's own
// network namespace: a lab with no domain defined is "not up" (exit 1), a node whose domain is shut off says so
// (exit 1), and status/verify/run/copy/ssh/console on a libvirt that cannot be reached end with virsh's message
// (exit 3) instead of "domain absent" or an ssh time-out; halt and destroy too.
import path from 'node:path';
import { useNetns } from '../../netns.js';
import { cli, tempDir, writeLab } from '../../support.js';

const ns = useNetns('lf-ready');
const LAB = 'name: rdy\nvips: []\nnodes:\n  - { name: a, ip: 10.240.0.11 }\n  - { name: b, ip: 10.240.0.12 }\n';
// A libvirt URI whose socket does not exist: virsh fails to connect, as with a libvirtd that is not running.
// A libvirt that cannot be reached: ssh to a closed port on the loopback (refused at once; no traffic leaves the host).
const UNREACHABLE = 'qemu+ssh://root@127.0.0.1:1/system';

const COMMANDS: [string, string[]][] = [
  ['verify', ['verify']],
  ['run', ['run', 'all', '--', 'true']],
  ['copy', ['copy', '/etc/hostname', 'all:/tmp/x']],
  ['ssh', ['ssh', 'a', '--', 'true']],
];

function lab(text = LAB) {
  const dir = tempDir();
  const file = writeLab(text, dir);
  return (args: string[]) => cli(['--lab', file, '--out', path.join(dir, 'out'), ...args]);
}

afterAll(async () => {
  await ns().virshQuiet('undefine', 'rdy-a');
});

test.each(COMMANDS)(
  '%s on a lab none of whose domains is defined: at once, "lab rdy is not up", exit 1',
  async (_c, args) => {
    const labforge = lab();
    const started = Date.now();
    const r = await labforge(args);
    expect({ exit: r.exitCode, stderr: r.stderr }).toEqual({
      exit: 1,
      stderr: 'labforge: lab rdy is not up (run labforge up)',
    });
    // One virsh call, no ssh time-out (ssh's connect time-out alone is 10 s).
    expect(Date.now() - started).toBeLessThan(8000);
  },
);

test('a node whose domain is shut off: "node a is shut off", exit 1; a node never created says so', async () => {
  await ns().defineDomain('rdy-a');
  const labforge = lab();
  for (const [, args] of COMMANDS) {
    const r = await labforge(args);
    expect({ args, exit: r.exitCode }).toEqual({ args, exit: 1 });
    expect(r.stderr).toMatch(/^labforge: node a is shut off/);
    if (args[0] !== 'ssh') expect(r.stderr).toContain('node b is not created');
  }
  const status = await labforge(['status', '--json']);
  expect(status.exitCode).toBe(0);
  expect(JSON.parse(status.stdout).map((n: { domain: string }) => n.domain)).toEqual(['shut off', 'absent']);
});

const ELSE: [string, string[]][] = [
  ['status', ['status']],
  ['halt', ['halt']],
  ['destroy', ['destroy', '--yes']],
];

test.each([...COMMANDS, ...ELSE])(
  "%s with a libvirt that cannot be reached: says so with virsh's reason and what to do, exit 3",
  async (_c, args) => {
    const labforge = lab(`${LAB}host: { uri: "${UNREACHABLE}" }\n`);
    const r = await labforge(args);
    expect(r.exitCode).toBe(3);
    expect(r.stderr).toMatch(
      new RegExp(
        `^labforge: libvirt does not answer at ${UNREACHABLE.replace(/[.+]/g, '\\$&')} \\(error: .*Connection refused.*\\): ` +
          'is its daemon \\(libvirtd or virtqemud\\) running\\? `labforge setup` starts it on this host',
        'm',
      ),
    );
    expect(r.stdout).not.toContain('absent');
  },
);
