// The package as users get it: `npm pack` (which runs the build) gives a tarball that installs globally into a clean
// prefix and runs: `labforge --version` and `-V`, a render of the default lab, `labforge ci github` from the
// installed files. The tarball carries the build (dist/) and every file the commands read at run time, and none of
// the sources, tests or node_modules.
import fs from 'node:fs';
import path from 'node:path';
import { execa } from 'execa';
import YAML from 'yaml';
import { requireTool, ROOT, tempDir } from '../support.js';

const version = (JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { version: string }).version;

test('npm pack gives a tarball that installs globally into a clean prefix and runs: --version, -V, a render of the default lab', async () => {
  requireTool('npm');
  const dir = tempDir();
  const packed = await execa('npm', ['pack', '--json', '--pack-destination', dir], { cwd: ROOT });
  const [info] = JSON.parse(packed.stdout.slice(packed.stdout.indexOf('['))) as {
    filename: string;
    files: { path: string }[];
  }[];
  const files = info.files.map((f) => f.path);
  for (const wanted of [
    'bin/labforge.js',
    'dist/bundle/labforge.cjs',
    'lab.yaml',
    'ci/github-workflow.yml',
    'ci/gitlab-ci.yml',
    'ci/install.yml',
    'setup/write-file.sh',
    'setup/install-key.sh',
    'vagrant/Vagrantfile.ejs',
    'packer/templates/build.pkr.hcl.ejs',
  ])
    expect(files).toContain(wanted);
  expect(files.filter((f) => /^(src|test|node_modules|\.cache)\//.test(f))).toEqual([]);

  // A clean prefix: nothing of this checkout on the way (npm's cache serves the dependencies it already has).
  const prefix = path.join(dir, 'prefix');
  await execa(
    'npm',
    [
      'install',
      '--global',
      '--prefix',
      prefix,
      '--prefer-offline',
      '--no-audit',
      '--no-fund',
      path.join(dir, info.filename),
    ],
    { cwd: dir },
  );
  const labforge = path.join(prefix, 'bin', 'labforge');
  const env = { PATH: `${path.join(prefix, 'bin')}:${process.env.PATH}`, NO_COLOR: '1', LABFORGE_OFFLINE: '1' };
  for (const flag of ['--version', '-V']) {
    const r = await execa(labforge, [flag], { env });
    expect(r.stdout).toBe(version);
  }

  const work = path.join(dir, 'work');
  fs.mkdirSync(work);
  fs.copyFileSync(path.join(prefix, 'lib', 'node_modules', 'labforge', 'lab.yaml'), path.join(work, 'lab.yaml'));
  const render = await execa(labforge, ['render'], { cwd: work, env, reject: false });
  expect(render.stderr).toBe('');
  expect(render.stdout).toMatch(/^labforge: rendered lab kubernetes \(\d+ files\) into /);
  for (const f of ['Vagrantfile', 'network.xml', 'hosts', 'ssh_config'])
    expect(fs.existsSync(path.join(work, '.labforge', 'kubernetes', f))).toBe(true);

  // `labforge ci` from the installed package reads its templates there, and installs labforge the way asked.
  const ci = await execa(labforge, ['ci', 'github', '--install', 'github:me/labforge#v0.1.0'], { cwd: work, env });
  expect((YAML.parse(ci.stdout) as { jobs: { lab: { env: Record<string, string> } } }).jobs.lab.env.LABFORGE_SPEC).toBe(
    'github:me/labforge#v0.1.0',
  );
}, 300_000);
