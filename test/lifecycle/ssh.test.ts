// `labforge ssh NODE [COMMAND...]`: ssh runs on the user's terminal as root with the lab key, its exit code becomes
// labforge's; and how each kind of error ends a command: the exit code its class carries (exitStatus).
import fs from 'node:fs';
import path from 'node:path';
import { execa } from 'execa';
import { CLI, standInVirsh, standInVagrant, tempDir, writeLab } from '../support.js';

/** A one-node lab and a bin directory for stand-in programs; runs labforge with only that directory on PATH. */
function setup() {
  const dir = tempDir();
  const bin = path.join(dir, 'bin');
  fs.mkdirSync(bin);
  standInVirsh(bin, ['t-a']);
  const lab = writeLab('name: t\ndomain: example.com\nvips: []\nnodes:\n  - { name: a, ip: 10.240.0.11 }\n', dir);
  const out = path.join(dir, 'out');
  const labforge = (args: string[]) =>
    execa(process.execPath, [CLI, '--lab', lab, '--out', out, ...args], {
      env: { PATH: bin, NO_COLOR: '1', XDG_CACHE_HOME: path.join(dir, 'cache') },
      extendEnv: false,
      reject: false,
    });
  return { dir, bin, out, labforge };
}

test("ssh logs in as root at the node's address with the lab key, runs the command, and exits with ssh's code", async () => {
  const { dir, bin, out, labforge } = setup();
  // A stand-in ssh (nothing is contacted): records its arguments and exits as a failing remote command would.
  fs.writeFileSync(path.join(bin, 'ssh'), `#!/bin/sh\nprintf '%s\\n' "$@" > '${dir}/ssh-args'\nexit 7\n`, {
    mode: 0o755,
  });
  const r = await labforge(['ssh', 'a', '--', 'uname', '-a']);
  expect(r.exitCode).toBe(7);
  const args = fs.readFileSync(path.join(dir, 'ssh-args'), 'utf8').trim().split('\n');
  expect(args.slice(-3)).toEqual(['root@10.240.0.11', 'uname', '-a']);
  expect(args).toEqual(
    expect.arrayContaining([
      '-i',
      path.join(out, 'secrets', 'id_ed25519'),
      `UserKnownHostsFile=${path.join(out, 'known_hosts')}`,
    ]),
  );
  // Interactive: ssh may ask the user (no BatchMode).
  expect(args).not.toContain('BatchMode=yes');
});

test('ssh to a name that is no node of the lab is a usage error: exit 2, one line naming the nodes', async () => {
  const { labforge } = setup();
  const r = await labforge(['ssh', 'nope']);
  expect(r.exitCode).toBe(2);
  expect(r.stderr).toBe('ssh: "nope" is not a node of lab t (nodes: a)');
});

test('ssh not installed is a tool error: exit 1, says so, no stack trace', async () => {
  const { labforge } = setup();
  const r = await labforge(['ssh', 'a']);
  expect(r.exitCode).toBe(1);
  expect(r.stderr).toMatch(
    /^labforge: ssh is not installed or not on PATH \(needed for `ssh .* root@10\.240\.0\.11`\)$/,
  );
});

test('a mistake in the lab file is exit 2 and a failing tool exit 1, from the error classes themselves', async () => {
  const { dir, bin, labforge } = setup();
  fs.writeFileSync(path.join(dir, 'lab.yaml'), 'nodez: []\n');
  const bad = await labforge(['render']);
  expect(bad.exitCode).toBe(2);
  expect(bad.stderr).toContain('nodez: unknown field');
  // render makes the lab key with ssh-keygen: a stand-in that fails makes a ToolError. (Vagrant's keys come first.)
  await standInVagrant(bin);
  fs.writeFileSync(path.join(dir, 'lab.yaml'), 'name: t\nvips: []\nnodes:\n  - { name: a, ip: 10.240.0.11 }\n');
  fs.writeFileSync(path.join(bin, 'ssh-keygen'), '#!/bin/sh\necho "stand-in ssh-keygen refuses" >&2\nexit 3\n', {
    mode: 0o755,
  });
  const failed = await labforge(['render']);
  expect(failed.exitCode).toBe(1);
  expect(failed.stderr).toContain('labforge: ssh-keygen failed: `ssh-keygen');
  expect(failed.stderr).toContain('exited with code 3');
  expect(failed.stderr).not.toMatch(/at .*\.js:\d+/);
});

test('ssh takes the node as run does (name, FQDN or address); after -- ssh options go before the command', async () => {
  const { dir, bin, labforge } = setup();
  fs.writeFileSync(path.join(bin, 'ssh'), `#!/bin/sh\nprintf '%s\\n' "$@" > '${dir}/ssh-args'\n`, { mode: 0o755 });
  for (const node of ['a', 'a.example.com', '10.240.0.11']) {
    const r = await labforge(['ssh', node, '--', '-L', '8080:localhost:80', 'uptime']);
    expect({ node, exit: r.exitCode }).toEqual({ node, exit: 0 });
    const args = fs.readFileSync(path.join(dir, 'ssh-args'), 'utf8').trim().split('\n');
    expect(args.slice(-4)).toEqual(['root@10.240.0.11', '-L', '8080:localhost:80', 'uptime']);
  }
});
