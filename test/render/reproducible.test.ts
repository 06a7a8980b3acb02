// Reproducibility: the same lab file (and the same package-lock, i.e. this checkout) gives byte-identical lab files
// in two different folders and as two different users, and the same bake hash. The files that make the lab (the
// Packer recipe, the Vagrantfile, the provisioning, the network XML, hosts) do not depend on the folder; ssh_config
// and the Ansible inventory name absolute paths on purpose (ssh and Ansible need them), and the render manifest names its lab file.
import fs from 'node:fs';
import path from 'node:path';
import { execa } from 'execa';
import { loadLabText } from '../../src/lab/load.js';
import { publicKeyExpression } from '../../src/render/vagrantfile.js';
import { CLI, listFiles, requireTool, tempDir } from '../support.js';

// The management subnet is given: left out, each render would choose one free on the host, and the second lab
// rendered here would (rightly) not get the first one's.
const LAB =
  'name: repro\nnetwork: { management: { cidr: 192.168.130.0/24 } }\n' +
  'vips:\n  - { name: vip, ip: 10.240.0.30 }\nnodes:\n  - { name: a, ip: 10.240.0.11 }\n  - { name: b, ip: 10.240.0.12 }\n';
/** The files that must not depend on the folder or the user. */
const FOLDER_INDEPENDENT = (f: string) =>
  !/^(ssh_config|inventory|\.labforge-render\.json|\.labforge-owner\.json|\.lock.*|secrets\/.*|logs\/.*|\.cache\/.*)$/.test(
    f,
  );

/** A folder another user can write: the temp dir opened for traversal, the folder owned by that user. */
function folderFor(uid: number, gid: number): string {
  const base = tempDir();
  fs.chmodSync(base, 0o755);
  const dir = path.join(base, 'checkout-elsewhere');
  fs.mkdirSync(dir);
  fs.chownSync(dir, uid, gid);
  return dir;
}

async function renderAs(dir: string, user?: string) {
  fs.writeFileSync(path.join(dir, 'lab.yaml'), LAB);
  if (user) fs.chownSync(path.join(dir, 'lab.yaml'), fs.statSync(dir).uid, fs.statSync(dir).gid);
  const run = (args: string[]) =>
    user
      ? execa(
          'setpriv',
          [
            '--reuid',
            user,
            '--regid',
            user === 'nobody' ? 'nogroup' : user,
            '--clear-groups',
            '--',
            process.execPath,
            CLI,
            ...args,
          ],
          { cwd: dir, env: { HOME: dir, NO_COLOR: '1' }, reject: false, all: true },
        )
      : execa(process.execPath, [CLI, ...args], { cwd: dir, env: { NO_COLOR: '1' }, reject: false, all: true });
  const render = await run(['render']);
  expect(render.all).toMatch(/rendered lab repro/);
  const hash = await run(['bake', '--hash']);
  expect(hash.exitCode).toBe(0);
  const out = path.join(dir, '.labforge', 'repro');
  const files = Object.fromEntries(listFiles(out).map((f) => [f, fs.readFileSync(path.join(out, f), 'utf8')]));
  return { out, files, hash: hash.stdout.trim(), owner: fs.statSync(path.join(out, 'Vagrantfile')).uid };
}

test('two folders and two users (root and nobody) render byte-identical lab files and the same bake hash', async () => {
  requireTool('setpriv');
  const one = await renderAs(tempDir());
  const two = await renderAs(tempDir());
  const nobody = await renderAs(folderFor(65534, 65534), 'nobody');
  expect(nobody.owner).toBe(65534);
  expect(one.out).not.toBe(two.out);
  const labFiles = (r: typeof one) =>
    Object.fromEntries(Object.entries(r.files).filter(([f]) => FOLDER_INDEPENDENT(f)));
  expect(Object.keys(labFiles(one))).toEqual(
    expect.arrayContaining([
      'Vagrantfile',
      'packer/build.pkr.hcl',
      'packer/variables.pkr.hcl',
      'provision/node.sh',
      'network.xml',
      'management-network.xml',
      'hosts',
    ]),
  );
  expect(labFiles(two)).toEqual(labFiles(one));
  expect(labFiles(nobody)).toEqual(labFiles(one));
  expect(new Set([one.hash, two.hash, nobody.hash]).size).toBe(1);
  expect(one.hash).toMatch(/^[0-9a-f]{16}$/);
  // No lab file names the folder it was rendered into; ssh_config does, as ssh needs.
  for (const r of [one, two, nobody]) {
    for (const [f, text] of Object.entries(labFiles(r))) expect([f, text.includes(r.out)]).toEqual([f, false]);
    expect(r.files.ssh_config).toContain(`IdentityFile "${r.out}/secrets/id_ed25519"`);
    expect(r.files.inventory).toContain(`"ansible_ssh_private_key_file": "${r.out}/secrets/id_ed25519"`);
  }
  // Each folder has its own lab key, which the Vagrantfile finds from its own folder.
  expect(one.files.Vagrantfile).toContain("LAB_PUBLIC_KEY = File.expand_path('secrets/id_ed25519.pub', LAB_DIR)");
  expect(one.files['secrets/id_ed25519.pub']).not.toBe(two.files['secrets/id_ed25519.pub']);
});

test('the Vagrantfile resolves the lab key from the folder it is in (Ruby, after the folder moved)', async () => {
  requireTool('ruby');
  const r = await renderAs(tempDir());
  const moved = path.join(tempDir(), 'moved');
  fs.cpSync(r.out, moved, { recursive: true, dereference: true });
  const key = await execa('ruby', [
    '-e',
    'module Vagrant; def self.require_version(*); end; def self.configure(_); end; end; load ARGV[0]; print LAB_PUBLIC_KEY',
    path.join(moved, 'Vagrantfile'),
  ]);
  expect(key.stdout).toBe(path.join(moved, 'secrets', 'id_ed25519.pub'));
  expect(fs.existsSync(key.stdout)).toBe(true);
});

test('a user key beside the lab file is found relative to the output folder; one elsewhere keeps its absolute path', () => {
  const beside = loadLabText(
    'name: k\naccess:\n  ssh_key: keys/id\nnodes:\n  - { name: a, ip: 10.240.0.11 }\n',
    '/srv/repo/lab.yaml',
  ).lab;
  expect(publicKeyExpression(beside)).toBe("File.expand_path('../../keys/id.pub', LAB_DIR)");
  const home = loadLabText(
    "name: k\naccess:\n  ssh_key: /home/u/.ssh/it's\nnodes:\n  - { name: a, ip: 10.240.0.11 }\n",
    '/srv/repo/lab.yaml',
  ).lab;
  expect(publicKeyExpression(home)).toBe("'/home/u/.ssh/it\\'s.pub'");
});
