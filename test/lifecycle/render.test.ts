// `labforge render` from the CLI: the lab key is made once (ed25519, 0600, never printed), the output is
// byte-identical on a second run, and the manifest names the box.
import fs from 'node:fs';
import path from 'node:path';
import { execa } from 'execa';
import { cli, listFiles, tempDir, writeLab } from '../support.js';

test('the lab key is generated once, ed25519, mode 0600, and never printed', async () => {
  const dir = tempDir();
  const lab = writeLab('name: t\nvips: []\nnodes:\n  - { name: a, ip: 10.240.0.11 }\n', dir);
  const out = path.join(dir, 'out');
  const first = await cli(['--lab', lab, '--out', out, 'render']);
  expect(first.exitCode).toBe(0);
  const key = path.join(out, 'secrets', 'id_ed25519');
  expect(fs.statSync(key).mode & 0o777).toBe(0o600);
  expect(fs.statSync(path.dirname(key)).mode & 0o777).toBe(0o700);
  const fp = await execa('ssh-keygen', ['-l', '-f', key]);
  expect(fp.stdout).toMatch(/ labforge-t \(ED25519\)$/);
  const privateKey = fs.readFileSync(key, 'utf8');
  const before = Object.fromEntries(
    listFiles(out)
      .filter((f) => !f.startsWith('logs'))
      .map((f) => [f, fs.readFileSync(path.join(out, f), 'utf8')]),
  );
  const second = await cli(['--lab', lab, '--out', out, 'render']);
  expect(second.exitCode).toBe(0);
  const after = Object.fromEntries(
    listFiles(out)
      .filter((f) => !f.startsWith('logs'))
      .map((f) => [f, fs.readFileSync(path.join(out, f), 'utf8')]),
  );
  expect(after).toEqual(before);
  const body = privateKey.split('\n').filter((l) => l && !l.startsWith('-----'));
  for (const r of [first, second]) for (const line of body) expect(r.all).not.toContain(line);
  const manifest = JSON.parse(fs.readFileSync(path.join(out, '.labforge-render.json'), 'utf8'));
  expect(manifest.box).toMatch(/^labforge\/fedora44-[0-9a-f]{16}$/);
  expect(fs.readFileSync(path.join(out, 'Vagrantfile'), 'utf8')).toContain(`BOX = '${manifest.box}'`);
});
