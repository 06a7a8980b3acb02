// The package as users get it: `npm pack` (which runs the build) gives a tarball that installs globally into a clean
// prefix and runs: `labforge --version` and `-V`, a render of the default lab, `labforge ci github` from the
// installed files. The tarball carries the build (dist/) and every file the commands read at run time, and none of
// the sources, tests or node_modules. It is packed from a copy of the checkout (see checkoutCopy).
import fs from 'node:fs';
import path from 'node:path';
import { Ajv } from 'ajv';
import { execa } from 'execa';
import YAML from 'yaml';
import { subnetOf } from '../../src/lab/addresses.js';
import { overlaps, type Subnet } from '../../src/lab/ipv4.js';
import { parseNetworkIpv4 } from '../../src/tools/virsh-output.js';
import { requireTool, ROOT, tempDir } from '../support.js';

/** The checkout as it is (its sources, tests and files, no build, no caches), in a folder of its own with this
 *  checkout's node_modules linked in: `npm pack` runs the build (prepare), which empties dist/ while it runs, and
 *  other test files (jest runs two at a time) run the CLI from this checkout's dist/ meanwhile. */
function checkoutCopy(): string {
  const copy = path.join(tempDir('labforge-pack-'), 'labforge');
  const left = new Set(['node_modules', 'dist', '.cache', '.git']);
  fs.cpSync(ROOT, copy, {
    recursive: true,
    verbatimSymlinks: true,
    filter: (src) => path.dirname(src) !== ROOT || !left.has(path.basename(src)),
  });
  fs.symlinkSync(path.join(ROOT, 'node_modules'), path.join(copy, 'node_modules'));
  return copy;
}

const version = (JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { version: string }).version;

test("npm pack's tarball installs globally into a clean prefix and runs: --version, -V, init, render, the newcomer's hour, ci", async () => {
  requireTool('npm');
  const dir = tempDir();
  const packed = await execa('npm', ['pack', '--json', '--pack-destination', dir], { cwd: checkoutCopy() });
  const [info] = JSON.parse(packed.stdout.slice(packed.stdout.indexOf('['))) as {
    filename: string;
    files: { path: string }[];
  }[];
  const files = info.files.map((f) => f.path);
  for (const wanted of [
    'bin/labforge.js',
    'dist/bundle/labforge.mjs',
    'lab.yaml',
    'init/neutral-lab.yaml.ejs',
    'schema/lab.schema.json',
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

  // `labforge init` from the installed package: the guide's lab, its $schema line naming the installed schema.
  const installed = path.join(prefix, 'lib', 'node_modules', 'labforge');
  const work = path.join(dir, 'work');
  fs.mkdirSync(work);
  const init = await execa(labforge, ['init'], { cwd: work, env });
  expect(init.stdout.split('\n')[0]).toBe("labforge: wrote lab.yaml: the guide's lab kubernetes, 9 nodes");
  const initText = fs.readFileSync(path.join(work, 'lab.yaml'), 'utf8');
  const schema = path.join(installed, 'schema', 'lab.schema.json');
  expect(initText.split('\n')[0]).toBe(`# yaml-language-server: $schema=${schema}`);
  expect(fs.statSync(schema).isFile()).toBe(true);
  expect(initText.split('\n').slice(1)).toEqual(
    fs.readFileSync(path.join(installed, 'lab.yaml'), 'utf8').split('\n').slice(1),
  );
  const render = await execa(labforge, ['render'], { cwd: work, env, reject: false });
  expect(render.stderr).toBe('');
  expect(render.stdout).toMatch(/^labforge: rendered lab kubernetes \(\d+ files\) into /);
  for (const f of ['Vagrantfile', 'network.xml', 'hosts', 'ssh_config'])
    expect(fs.existsSync(path.join(work, '.labforge', 'kubernetes', f))).toBe(true);

  await newcomersHour(labforge, env, path.join(dir, 'hour'));

  // `labforge ci` from the installed package reads its templates there, and installs labforge the way asked.
  const ci = await execa(labforge, ['ci', 'github', '--install', 'github:me/labforge#v0.1.0'], { cwd: work, env });
  expect((YAML.parse(ci.stdout) as { jobs: { lab: { env: Record<string, string> } } }).jobs.lab.env.LABFORGE_SPEC).toBe(
    'github:me/labforge#v0.1.0',
  );
}, 300_000);

/** Issue #19's newcomer, with the installed labforge only: `init` of the guide's lab edited to three nodes on
 *  another subnet without addresses, a second lab from `init --nodes 3` on a third subnet, both rendered side by
 *  side: addresses assigned in order, no libvirt network name shared, no two of the four subnets overlapping, both
 *  in `labforge ls`. A second `init` never overwrites, and a mistyped command is one line. */
async function newcomersHour(labforge: string, env: Record<string, string>, home: string): Promise<void> {
  fs.mkdirSync(home);
  const run = (args: string[], cwd = home) => execa(labforge, args, { cwd, env, reject: false });

  expect((await run(['init', 'alpha'])).exitCode).toBe(0);
  const again = await run(['init', 'alpha']);
  expect({ exit: again.exitCode, stderr: again.stderr }).toEqual({
    exit: 2,
    stderr:
      `init: ${path.join(home, 'alpha', 'lab.yaml')} already exists (a file); labforge init never overwrites: ` +
      'edit it, or give another folder (labforge init DIR); nothing was written',
  });
  // The edit a user makes in an editor, comments kept: a name, another subnet, three nodes of no role and no ip;
  // the guide's VIPs, roles, network name and domain taken out (the defaults are neutral).
  const alphaFile = path.join(home, 'alpha', 'lab.yaml');
  const doc = YAML.parseDocument(fs.readFileSync(alphaFile, 'utf8'));
  doc.set('name', 'alpha');
  for (const key of ['domain', 'vips', 'roles']) doc.delete(key);
  doc.deleteIn(['network', 'name']);
  doc.setIn(['network', 'cidr'], '10.77.1.0/24');
  doc.set('nodes', doc.createNode([{ name: 'web' }, { name: 'db' }, { name: 'cache' }]));
  fs.writeFileSync(alphaFile, doc.toString());

  const beta = await run(['init', 'beta', '--nodes', '3']);
  expect(beta.stdout.split('\n')[0]).toBe(
    'labforge: wrote beta/lab.yaml: lab beta, 3 nodes without addresses (chosen at the first render)',
  );
  const betaFile = path.join(home, 'beta', 'lab.yaml');
  fs.writeFileSync(betaFile, fs.readFileSync(betaFile, 'utf8').replace('cidr: 10.240.0.0/24', 'cidr: 10.77.2.0/24'));

  // What an editor checks the files against: the installed schema their first line names.
  const schemaFile = /^# yaml-language-server: \$schema=(\S+)\n/.exec(fs.readFileSync(betaFile, 'utf8'))![1];
  expect(schemaFile).toBe(
    path.join(path.dirname(path.dirname(labforge)), 'lib', 'node_modules', 'labforge', 'schema', 'lab.schema.json'),
  );
  const validate = new Ajv({ strict: false, allErrors: true }).compile(JSON.parse(fs.readFileSync(schemaFile, 'utf8')));
  for (const file of [alphaFile, betaFile]) {
    validate(YAML.parse(fs.readFileSync(file, 'utf8')));
    expect({ file, errors: validate.errors ?? [] }).toEqual({ file, errors: [] });
  }
  for (const lab of ['alpha', 'beta']) {
    const r = await run(['render'], path.join(home, lab));
    expect({ lab, exit: r.exitCode, stderr: r.stderr }).toEqual({ lab, exit: 0, stderr: '' });
  }
  const out = (lab: string, file: string) => fs.readFileSync(path.join(home, lab, '.labforge', lab, file), 'utf8');
  const addresses = (lab: string) => (JSON.parse(out(lab, '.labforge-addresses.json')) as { nodes: object }).nodes;
  expect(addresses('alpha')).toEqual({ web: '10.77.1.2', db: '10.77.1.3', cache: '10.77.1.4' });
  expect(addresses('beta')).toEqual({ node1: '10.77.2.2', node2: '10.77.2.3', node3: '10.77.2.4' });

  // The four libvirt networks the two labs would define: names all different, subnets pairwise disjoint.
  const networks: { name: string; subnet: Subnet }[] = [];
  for (const lab of ['alpha', 'beta'])
    for (const file of ['network.xml', 'management-network.xml']) {
      const xml = out(lab, file);
      const [ip] = parseNetworkIpv4(xml);
      networks.push({ name: /<name>([^<]+)<\/name>/.exec(xml)![1], subnet: subnetOf(ip.address, ip.mask)! });
    }
  expect(networks.map((n) => n.name)).toEqual(['alpha', 'alpha-mgmt', 'beta', 'beta-mgmt']);
  for (const [i, a] of networks.entries())
    for (const b of networks.slice(i + 1))
      expect({ a: a.name, b: b.name, overlap: overlaps(a.subnet, b.subnet) }).toEqual({
        a: a.name,
        b: b.name,
        overlap: false,
      });
  // Each lab's DNS is its own: alpha's names are in alpha.test, nothing of the guide's lab is left.
  expect(out('alpha', 'network.xml')).toMatch(/<domain name=["']alpha\.test["']/);
  expect(out('alpha', 'network.xml')).not.toMatch(/kubernetes|example\.com/);

  const ls = await run(['ls', '--json']);
  const labs = JSON.parse(ls.stdout) as { lab: string; state: string; management: string }[];
  expect(labs.filter((l) => l.lab !== 'kubernetes').map((l) => [l.lab, l.state])).toEqual(
    expect.arrayContaining([
      ['alpha', 'not up'],
      ['beta', 'not up'],
    ]),
  );
  const mistyped = await run(['verison']);
  expect({ exit: mistyped.exitCode, stderr: mistyped.stderr }).toEqual({
    exit: 2,
    stderr: 'labforge: unknown command "verison" (labforge --help lists the commands)',
  });
}
