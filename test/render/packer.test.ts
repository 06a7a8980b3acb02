// The Packer recipe, checked with the real tools: packer validate / fmt (1.6.6), hcl2json, shellcheck,
// Python's shlex (how pykickstart splits kickstart lines), cloud-init's schema check.
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { parse } from '@cdktf/hcl2json';
import { execa, type Options } from 'execa';
import YAML from 'yaml';
import { loadLabText } from '../../src/lab/load.js';
import type { Lab } from '../../src/lab/model.js';
import { header, type RenderContext } from '../../src/render/context.js';
import { GUEST_LIB, GUEST_SCRIPTS, guestScriptOrder, PACKER_BAKE, renderPacker } from '../../src/render/packer.js';
import { repoPath } from '../../src/render/repo-files.js';
import { requireTool, tempDir, vagrantKeyPair } from '../support.js';

// ---------------------------------------------------------------- fixtures

const KEYS = await vagrantKeyPair();
const PUBKEY = KEYS.publicKeyText;
const TMP = tempDir('labforge-packer-test-');

let counter = 0;
/** A fresh directory under the test's temp dir. */
function freshDir(name: string): string {
  const dir = path.join(TMP, `${++counter}-${name}`);
  fs.mkdirSync(dir, { recursive: true });
  return dir;
}

const SHA_ZERO = `sha256:${'0'.repeat(64)}`;
const NODES = 'nodes:\n  - name: n1\n    ip: 10.240.0.11\n';

function loadLab(yamlText: string, dir: string): Lab {
  return loadLabText(yamlText, path.join(dir, 'lab.yaml'), { outDir: path.join(dir, 'out') }).lab;
}

function ctxFor(driver: 'kvm' | 'qemu', extra: Partial<RenderContext> = {}): RenderContext {
  return { driver, vagrantPublicKeys: [PUBKEY], ...extra };
}

function writeFiles(files: Record<string, string>, dir: string): string {
  for (const [rel, text] of Object.entries(files)) {
    const target = path.join(dir, rel);
    fs.mkdirSync(path.dirname(target), { recursive: true });
    fs.writeFileSync(target, text);
  }
  return path.join(dir, PACKER_BAKE.dir);
}

interface Case {
  name: string;
  method: 'cloud' | 'iso';
  /** The lab's image section, as YAML lines indented by two spaces. */
  image: (dir: string) => string;
  /** What the render context needs beyond driver and key. */
  extra?: (dir: string) => Partial<RenderContext>;
}

const BASE_IMAGE = 'base image bytes\n';
const CASES: Case[] = [
  {
    name: 'cloud with url',
    method: 'cloud',
    image: () => `  url: https://example.com/Fedora-Cloud-Base-Generic-44-1.6.x86_64.qcow2\n  checksum: ${SHA_ZERO}\n`,
  },
  {
    name: 'cloud with image.local',
    method: 'cloud',
    image: (dir) => {
      fs.writeFileSync(path.join(dir, 'base image.qcow2'), BASE_IMAGE);
      return `  local: "./base image.qcow2"\n  disk: 2G\n  update: false\n`;
    },
    extra: () => ({ localImageSha256: crypto.createHash('sha256').update(BASE_IMAGE).digest('hex') }),
  },
  {
    name: 'iso',
    method: 'iso',
    image: () =>
      `  method: iso\n  url: https://example.com/Fedora-Everything-netinst-x86_64-44-1.6.iso\n  checksum: ${SHA_ZERO}\n`,
  },
];

interface Rendered {
  lab: Lab;
  ctx: RenderContext;
  files: Record<string, string>;
  packerDir: string;
}

function renderCase(c: Case, driver: 'kvm' | 'qemu'): Rendered {
  const dir = freshDir(`${c.name.replace(/\W+/g, '-')}-${driver}`);
  const lab = loadLab(`name: t\nimage:\n${c.image(dir)}${NODES}`, dir);
  const ctx = ctxFor(driver, c.extra?.(dir));
  const files = renderPacker(lab, ctx, lab.source);
  return { lab, ctx, files, packerDir: writeFiles(files, path.join(dir, 'out')) };
}

// ---------------------------------------------------------------- tools

/** Runs a command; a non-zero exit fails with the command line, exit code and output. */
async function run(cmd: string, args: string[], opts: Options = {}) {
  const r = await execa(cmd, args, { reject: false, all: true, ...opts });
  if (r.exitCode !== 0)
    throw new Error(`${cmd} ${args.join(' ')} (in ${opts.cwd ?? process.cwd()}) exited ${r.exitCode}:\n${r.all}`);
  return r;
}

function packerValidate(packerDir: string, args: string[] = [`-var`, `ssh_private_key_file=${KEYS.privateKey}`]) {
  return run('packer', ['validate', ...args, '.'], { cwd: packerDir });
}

/** A block's body as hcl2json writes it: its attributes (expressions as `${...}` strings). */
type HclBody = Record<string, unknown>;

/** A provisioner block's body: the attributes the tests read. */
interface ProvisionerBody extends HclBody {
  script?: string;
  scripts?: string[];
  source: string;
  destination: string;
}

/** A provisioner with its type, in the order the build runs them (provisionersInOrder). */
type Provisioner = ProvisionerBody & { type: string };

/** The qemu source block's body: the attributes the tests read as lists. */
interface QemuSource extends HclBody {
  cd_files: string[];
  boot_command: string[];
}

/** The parts of a Packer recipe file the tests read, as hcl2json writes them: each block type (and label) maps to a
 *  list of bodies, in the order of the file. */
interface PackerFile {
  variable: Record<string, HclBody[]>;
  source: Record<string, Record<string, QemuSource[]>>;
  build: {
    provisioner: Record<string, ProvisionerBody[]>;
    'post-processor': Record<string, HclBody[]>;
    sources: string[];
  }[];
  locals: HclBody[];
  packer: { required_version: string; required_plugins: Record<string, { source: string; version: string }>[] }[];
}

async function hcl2json(file: string): Promise<PackerFile> {
  return (await parse(path.basename(file), fs.readFileSync(file, 'utf8'))) as unknown as PackerFile;
}

/** hcl2json writes string literals in HCL template form: `$${` and `%%{` stand for literal `${` and `%{`, a single
 *  `${` for an expression. The literal text, or an error if the string holds an expression. */
function literal(json: string): string {
  if (/(^|[^$])\$\{|(^|[^%])%\{/.test(json.replace(/\$\$\{|%%\{/g, ''))) throw new Error(`not a literal: ${json}`);
  return json.replace(/\$\$\{/g, '${').replace(/%%\{/g, '%{');
}

/** The build's provisioners in the order Packer runs them, each as { type, ...attributes }. hcl2json groups
 *  blocks by type (provisioner.shell[], provisioner.file[]), which keeps the order within a type but loses it
 *  across types; the order of the types comes from the block headers (`packer fmt` puts them at two spaces). */
function provisionersInOrder(text: string, build: PackerFile): Provisioner[] {
  const byType = build.build[0].provisioner;
  const types = [...text.matchAll(/^ {2}provisioner "(\w+)" \{$/gm)].map((m) => m[1]);
  expect(types.length).toBe(Object.values(byType).reduce((n, list) => n + list.length, 0));
  const next: Record<string, number> = {};
  return types.map((type) => ({ type, ...byType[type][(next[type] = (next[type] ?? -1) + 1)] }));
}

/** The value of one variable block's attribute from hcl2json output. */
function varAttr(vars: PackerFile, name: string, attr: string): unknown {
  return vars.variable[name]?.[0]?.[attr];
}

// ---------------------------------------------------------------- tests

beforeAll(async () => {
  requireTool('packer');
});

describe.each(CASES)('$name', (c) => {
  describe.each(['qemu', 'kvm'] as const)('driver %s', (driver) => {
    let r: Rendered;
    beforeAll(() => {
      r = renderCase(c, driver);
    });

    test('packer validate accepts the recipe with the Vagrant key passed in, and packer fmt has nothing to change', async () => {
      await packerValidate(r.packerDir);
      await run('packer', ['fmt', '-check', '-diff', '.'], { cwd: r.packerDir });
      await run('packer', ['fmt', '-check', '-diff', '.'], { cwd: path.join(r.packerDir, 'plugins') });
    });

    test('the source is a qemu VM with the accelerator and CPU of the driver', async () => {
      const src = (await hcl2json(path.join(r.packerDir, 'sources.pkr.hcl'))).source.qemu.fedora[0];
      const vars = await hcl2json(path.join(r.packerDir, 'variables.pkr.hcl'));
      expect(src.accelerator).toBe('${var.accelerator}');
      expect(varAttr(vars, 'accelerator', 'default')).toBe(driver === 'kvm' ? 'kvm' : 'tcg');
      expect(src.qemuargs).toContainEqual(['-cpu', '${var.cpu_model}']);
      expect(varAttr(vars, 'cpu_model', 'default')).toBe(driver === 'kvm' ? 'host' : 'qemu64');
      expect(src).toMatchObject({
        format: 'qcow2',
        disk_size: '${var.disk_size}',
        disk_interface: 'virtio',
        // Freed and zeroed blocks become holes: the box carries only what is in use.
        disk_discard: 'unmap',
        disk_detect_zeroes: 'unmap',
        net_device: 'virtio-net',
        output_directory: PACKER_BAKE.outputDirectory,
        headless: '${var.headless}',
        ssh_username: 'vagrant',
        ssh_private_key_file: '${var.ssh_private_key_file}',
        shutdown_command: 'sudo -S shutdown -P now',
      });
      expect(varAttr(vars, 'disk_size', 'default')).toBe(`${r.lab.image.diskGiB * 1024}M`);
      expect(varAttr(vars, 'update', 'default')).toBe(r.lab.image.update);
      expect(varAttr(vars, 'cpus', 'default')).toBe(r.lab.image.cpus);
      expect(varAttr(vars, 'memory', 'default')).toBe(r.lab.image.memoryMiB);
      // The key is passed by the bake: a default would hide a bake that forgot it.
      expect(vars.variable.ssh_private_key_file[0]).not.toHaveProperty('default');
      for (const [name, blocks] of Object.entries(vars.variable)) {
        expect({ name, description: typeof blocks[0].description }).toEqual({ name, description: 'string' });
      }

      if (c.method === 'cloud') {
        expect(src).toMatchObject({
          disk_image: true,
          cd_label: 'cidata',
          iso_url: '${var.image_url}',
          iso_checksum: '${var.image_checksum}',
        });
        for (const f of src.cd_files) expect(fs.existsSync(path.join(r.packerDir, f))).toBe(true);
        expect(src.cd_files.map((f: string) => path.basename(f)).sort()).toEqual(['meta-data', 'user-data']);
        expect(r.files).not.toHaveProperty('packer/http/ks.cfg');
      } else {
        expect(src.disk_image).toBeUndefined();
        expect(src.cd_files).toBeUndefined();
        expect(src.http_directory).toBe('http');
        expect(fs.existsSync(path.join(r.packerDir, 'http', 'ks.cfg'))).toBe(true);
        expect(src.boot_command.join('')).toContain(' inst.text inst.ks=http://{{ .HTTPIP }}:{{ .HTTPPort }}/ks.cfg');
        expect(r.files).not.toHaveProperty('packer/cidata/user-data');
      }

      if (r.lab.image.local) {
        expect(varAttr(vars, 'image_url', 'default')).toBe(
          `file://${r.lab.image.local.split('/').map(encodeURIComponent).join('/')}`,
        );
        expect(varAttr(vars, 'image_checksum', 'default')).toBe(`sha256:${r.ctx.localImageSha256}`);
      } else {
        expect(varAttr(vars, 'image_url', 'default')).toBe(r.lab.image.url);
        expect(varAttr(vars, 'image_checksum', 'default')).toBe(r.lab.image.checksum);
      }
    });
  });
});

describe('the build', () => {
  let r: Rendered;
  let build: PackerFile;
  beforeAll(async () => {
    r = renderCase(CASES[0], 'qemu');
    build = await hcl2json(path.join(r.packerDir, 'build.pkr.hcl'));
  });

  test('runs every guest script once, in the order of their numbers: changes, reboot, verify after the reboot, clean up last', () => {
    // The scripts; the inline shell provisioner that makes the library's directory is checked below.
    const shells = build.build[0].provisioner.shell.filter((p) => !p.inline);
    const ran = shells.flatMap((p) => (p.scripts ?? [p.script]) as string[]).map((f) => path.basename(f));
    // A reader of packer/scripts/ sees the run order in the file names.
    expect(ran).toEqual([...ran].sort());
    expect(new Set(ran).size).toBe(ran.length);
    // The update runs before 30-selinux.sh: a kernel it installs must get selinux=0 too.
    expect(ran.indexOf('10-update.sh')).toBeLessThan(ran.indexOf('30-selinux.sh'));
    // Every script that changes the guest runs before the reboot that applies the kernel arguments; the check
    // runs after it; the clean-up (which removes the library) is last.
    expect(ran.slice(ran.indexOf(GUEST_SCRIPTS.reboot) + 1)).toEqual([GUEST_SCRIPTS.verify, GUEST_SCRIPTS.cleanup]);
    const reboot = shells.findIndex((p) => p.script === 'scripts/60-reboot.sh');
    expect(shells[reboot].expect_disconnect).toBe(true);
    expect(shells[reboot + 1].script).toBe('scripts/80-verify.sh');
    expect(shells[reboot + 1].pause_before).toMatch(/^\d+[sm]$/);
    // Every script runs through sudo with the lab's values as environment variables.
    const locals = build.locals[0];
    expect(locals.execute_command).toBe('sudo -n env {{ .Vars }} bash {{ .Path }}');
    expect(locals.script_env).toEqual([
      'LABFORGE_UPDATE=${var.update}',
      'LABFORGE_SWAP=${var.swap}',
      'LABFORGE_VAGRANT_PUBKEYS=${join("\\n", var.vagrant_public_keys)}',
    ]);
    for (const p of shells)
      expect(p).toMatchObject({ execute_command: '${local.execute_command}', environment_vars: '${local.script_env}' });
  });

  test('uploads lib.sh, alone, to a directory it makes first, before the first script runs', () => {
    const text = fs.readFileSync(path.join(r.packerDir, 'build.pkr.hcl'), 'utf8');
    const order = provisionersInOrder(text, build);
    const firstScript = order.findIndex((p) => p.type === 'shell' && (p.script ?? p.scripts));
    const upload = order.findIndex((p) => p.type === 'file');
    const uploads = order.filter((p) => p.type === 'file');
    expect(uploads).toEqual([{ type: 'file', source: `scripts/${GUEST_LIB.file}`, destination: GUEST_LIB.path }]);
    const destination: string = uploads[0].destination;
    expect(upload).toBeGreaterThanOrEqual(0);
    expect(order.slice(upload, upload + uploads.length)).toEqual(uploads);
    expect(upload + uploads.length).toBeLessThanOrEqual(firstScript);
    for (const u of uploads) expect(fs.existsSync(path.join(r.packerDir, u.source))).toBe(true);
    expect(order[firstScript].scripts?.[0] ?? order[firstScript].script).toBe(`scripts/${guestScriptOrder()[0]}`);
    // Packer's file provisioner creates no parent directories: an inline shell provisioner, run as the ssh user
    // (Packer's own execute_command, no sudo) that the upload runs as, makes it just before.
    expect(order[upload - 1]).toEqual({ type: 'shell', inline: [`mkdir -p ${path.posix.dirname(destination)}`] });
    // Under /var/tmp (not a tmpfs /tmp) it survives the reboot step, so 80-verify.sh can source it after it.
    expect(destination.startsWith('/var/tmp/')).toBe(true);
    // Where the scripts source it from.
    for (const name of guestScriptOrder())
      expect({
        name,
        sources: r.files[`packer/scripts/${name}`].includes(`source "\${LABFORGE_LIB:-${destination}}"`),
      }).toEqual({ name, sources: true });
    // The upload's source is a rendered file (packer validate also checks it exists).
    expect(r.files[`packer/scripts/${GUEST_LIB.file}`]).toBeDefined();
  });

  test('every script in packer/scripts is part of the build, copied verbatim', () => {
    const sources = fs.readdirSync(repoPath('packer', 'scripts')).sort();
    expect(sources).toEqual([...guestScriptOrder(), GUEST_LIB.file].sort());
    for (const s of sources) {
      expect(r.files[`packer/scripts/${s}`]).toBe(fs.readFileSync(repoPath('packer', 'scripts', s), 'utf8'));
    }
  });

  test('ends in a vagrant post-processor writing the box where bake picks it up, and needs Packer >= 1.6.6', () => {
    expect(build.build[0]['post-processor'].vagrant).toEqual([{ output: PACKER_BAKE.box, keep_input_artifact: false }]);
    expect(build.build[0].sources).toEqual(['source.qemu.fedora']);
    expect(build.packer).toEqual([{ required_version: '>= 1.6.6' }]);
  });

  test('plugins/plugins.pkr.hcl requires exactly the plugins the build uses (its source and post-processor), for Packer 1.7+', async () => {
    const plugins = await hcl2json(path.join(r.packerDir, PACKER_BAKE.initFile));
    const sources = await hcl2json(path.join(r.packerDir, 'sources.pkr.hcl'));
    const used = [...Object.keys(sources.source), ...Object.keys(build.build[0]['post-processor'])].sort();
    // Packer 1.6.6 rejects required_plugins: the block lives in its own folder that only `packer init` reads.
    expect(plugins.packer[0].required_version).toBe('>= 1.7.0');
    const required = plugins.packer[0].required_plugins[0];
    expect(Object.keys(required).sort()).toEqual(used);
    for (const name of used) expect(required[name].source).toBe(`github.com/hashicorp/${name}`);
  });

  test('packer validate fails without the key, and on a broken recipe (the check can fail)', async () => {
    await expect(packerValidate(r.packerDir, [])).rejects.toThrow(/ssh_private_key_file/);
    const broken = freshDir('broken');
    fs.cpSync(r.packerDir, broken, { recursive: true });
    const sources = path.join(broken, 'sources.pkr.hcl');
    fs.writeFileSync(sources, fs.readFileSync(sources, 'utf8').replace('format ', 'formatt '));
    await expect(packerValidate(broken)).rejects.toThrow(/formatt/);
  });

  test('every .pkr.hcl, ks.cfg and meta-data starts with the generated-by header naming the lab file', () => {
    for (const rendered of [r, renderCase(CASES[2], 'qemu')]) {
      const headed = Object.keys(rendered.files).filter((p) => /\.pkr\.hcl$|\/ks\.cfg$|\/meta-data$/.test(p));
      expect(headed.length).toBe(5);
      for (const p of headed) {
        expect({ p, first: rendered.files[p].split('\n')[0] }).toEqual({ p, first: header('#', rendered.lab.source) });
      }
    }
  });
});

describe('hostile image values', () => {
  // The lab schema forbids whitespace in image.url and only allows a file: checksum to carry free text. Packer
  // parses the URL (a '%{' is only valid in the query) and, at validate time, reads a file: checksum and looks
  // the image's file name up in it: a match proves Packer saw the exact name.
  async function hostile(nameInUrl: string, fileName: string) {
    const dir = freshDir('hostile');
    fs.writeFileSync(path.join(dir, 'SUMS'), `${'1'.repeat(64)}  ${fileName}\n`);
    const url = `https://example.invalid/${nameInUrl}?q="%{if}&r=\${x}$(reboot)\`id\`#{z}`;
    const checksum = `file:file://${dir}/SUMS?q="%{if}&r=\${x}$(reboot)\`id\`#{z}`;
    const lab = loadLab(
      `name: t\nimage:\n  url: ${JSON.stringify(url)}\n  checksum: ${JSON.stringify(checksum)}\n${NODES}`,
      dir,
    );
    expect([lab.image.url, lab.image.checksum]).toEqual([url, checksum]);
    const packerDir = writeFiles(renderPacker(lab, ctxFor('qemu'), lab.source), path.join(dir, 'out'));
    return { url, checksum, packerDir };
  }

  test('quotes, ${}, %{}, $(), backticks and #{} reach Packer unchanged', async () => {
    // '#' ends the URL's path, so the name in the URL percent-encodes it; the '%{' stays in the query.
    const h = await hostile('img"${HOME}$(reboot)`id`%23{x}.qcow2', 'img"${HOME}$(reboot)`id`#{x}.qcow2');
    const vars = await hcl2json(path.join(h.packerDir, 'variables.pkr.hcl'));
    expect(literal(varAttr(vars, 'image_url', 'default') as string)).toBe(h.url);
    expect(literal(varAttr(vars, 'image_checksum', 'default') as string)).toBe(h.checksum);
    await packerValidate(h.packerDir);
  });

  test('a {{ reaches Packer as {{, not as a Go template action', async () => {
    const h = await hostile('a{{.Foo}}b.qcow2', 'a{{.Foo}}b.qcow2');
    await packerValidate(h.packerDir);
    // Control: the same name without the escape is a template action, which Packer expands (and fails on).
    const vars = path.join(h.packerDir, 'variables.pkr.hcl');
    fs.writeFileSync(vars, fs.readFileSync(vars, 'utf8').split('{{\\"{{\\"}}').join('{{'));
    await expect(packerValidate(h.packerDir)).rejects.toThrow(/no checksum found|template|Foo/);
  });

  test('a lab file path with a line break cannot end the header comment', async () => {
    const dir = freshDir('source');
    const lab = loadLab(`name: t\nimage:\n  url: https://example.com/x.qcow2\n  checksum: ${SHA_ZERO}\n${NODES}`, dir);
    const files = renderPacker(lab, ctxFor('qemu'), `/tmp/lab\nvariable "evil" {\n}\n#.yaml`);
    const packerDir = writeFiles(files, path.join(dir, 'out'));
    expect(Object.keys((await hcl2json(path.join(packerDir, 'variables.pkr.hcl'))).variable)).not.toContain('evil');
    await packerValidate(packerDir);
  });

  test('a Vagrant key with {{ (which Packer 1.6.6 would expand in environment_vars) is refused', () => {
    const dir = freshDir('key');
    const lab = loadLab(`name: t\n${NODES}`, dir);
    expect(() => renderPacker(lab, { driver: 'qemu', vagrantPublicKeys: [`${PUBKEY} {{.Foo}}`] }, lab.source)).toThrow(
      /\{\{/,
    );
  });

  test('image.local without its sha256 in the render context is an error naming it', () => {
    const dir = freshDir('nosha');
    fs.writeFileSync(path.join(dir, 'b.qcow2'), 'x');
    const lab = loadLab(`name: t\nimage:\n  local: b.qcow2\n${NODES}`, dir);
    expect(() => renderPacker(lab, ctxFor('qemu'), lab.source)).toThrow(/sha256.*b\.qcow2/);
  });
});

describe('guest scripts', () => {
  beforeAll(async () => {
    requireTool('shellcheck');
  });

  let r: Rendered;
  let scriptsDir: string;
  beforeAll(() => {
    r = renderCase(CASES[0], 'qemu');
    scriptsDir = path.join(r.packerDir, 'scripts');
  });
  const LIB = repoPath('packer', 'scripts', GUEST_LIB.file);

  test('pass shellcheck -x -s bash (lib.sh too), and start with bash strict mode', async () => {
    const scripts = Object.keys(r.files)
      .filter((p) => p.startsWith('packer/scripts/'))
      .map((p) => path.join(r.packerDir, '..', p));
    expect(scripts.map((s) => path.basename(s)).sort()).toEqual([...guestScriptOrder(), GUEST_LIB.file].sort());
    // Run from elsewhere: the source-path=SCRIPTDIR directive lets shellcheck find lib.sh beside each script.
    await run('shellcheck', ['-x', '-s', 'bash', ...scripts], { cwd: TMP });
    for (const s of scripts.filter((f) => path.basename(f) !== GUEST_LIB.file)) {
      const text = fs.readFileSync(s, 'utf8');
      expect({ s, shebang: text.split('\n')[0], strict: /^set -euo pipefail$/m.test(text) }).toEqual({
        s,
        shebang: '#!/usr/bin/env bash',
        strict: true,
      });
    }
    // The library is sourced, not run: no shebang, and it leaves the shell options to the script.
    const lib = fs.readFileSync(path.join(scriptsDir, GUEST_LIB.file), 'utf8');
    expect(lib.split('\n')[0]).toBe('# shellcheck shell=bash');
    expect(lib).not.toMatch(/^set /m);
  });

  test('each script sources lib.sh from where the build uploads it, under a tag of its own; cleanup removes it', () => {
    const tags = guestScriptOrder().map((name) => {
      const lines = r.files[`packer/scripts/${name}`].split('\n');
      const at = lines.indexOf(`source "\${LABFORGE_LIB:-${GUEST_LIB.path}}"`);
      expect({ name, at: at > 0 }).toEqual({ name, at: true });
      // Right after strict mode (and comments), so nothing runs before the root check.
      const before = lines.slice(0, at).filter((l) => l !== '' && !l.startsWith('#'));
      expect({ name, before }).toEqual({ name, before: ['set -euo pipefail'] });
      expect({ name, directive: lines[at - 1] }).toEqual({
        name,
        directive: '# shellcheck source-path=SCRIPTDIR source=lib.sh',
      });
      const init = /^script_init ([a-z-]+)$/.exec(lines[at + 1]);
      expect({ name, init: Boolean(init) }).toEqual({ name, init: true });
      return init![1];
    });
    expect(new Set(tags).size).toBe(tags.length);
    const cleanup = r.files[`packer/scripts/${GUEST_SCRIPTS.cleanup}`];
    const removal = cleanup.split('\n').findIndex((l) => l === `rm -rf ${GUEST_LIB.dir}`);
    expect(removal).toBeGreaterThan(0);
    // At its end: only checks and log lines follow.
    expect(
      cleanup
        .split('\n')
        .slice(removal + 1)
        .filter((l) => l && !/^(\[\[|log |sync$|#)/.test(l)),
    ).toEqual([]);
  });

  test('lib.sh: log and die under the script tag, the root check, package and word queries', async () => {
    const sh = (body: string) =>
      execa('bash', ['-c', `set -euo pipefail\nsource "$LABFORGE_LIB"\n${body}`], {
        reject: false,
        env: { LABFORGE_LIB: LIB },
      });
    const ok = await sh(
      'script_init tag-x\nlog hello\nhas_word "a b c" b\n! has_word "a bc" b\ninstalled bash\n! installed no-such-package-labforge\ndie boom\necho unreachable',
    );
    if (process.getuid?.() === 0) {
      expect(ok.stdout).toBe('[labforge tag-x] hello');
      expect(ok.stderr).toBe('[labforge tag-x] ERROR: boom');
    } else {
      expect(ok.stderr).toBe('[labforge tag-x] ERROR: must run as root (packer runs it through sudo)');
    }
    expect(ok.exitCode).toBe(1);
    // A script run without the library stops at the source line.
    const missing = await execa('bash', [path.join(scriptsDir, guestScriptOrder()[0])], {
      reject: false,
      env: { LABFORGE_LIB: path.join(TMP, 'no-such-lib.sh') },
    });
    expect(missing.exitCode).not.toBe(0);
    expect(missing.stderr).toContain('no-such-lib.sh');
  });

  test('shellcheck -x follows lib.sh: without it beside the script, the check fails', async () => {
    const dir = freshDir('no-lib');
    const script = path.join(dir, guestScriptOrder()[0]);
    fs.copyFileSync(path.join(scriptsDir, guestScriptOrder()[0]), script);
    await expect(run('shellcheck', ['-x', '-s', 'bash', script])).rejects.toThrow(/SC1091/);
  });

  test('shellcheck finds a real mistake (the check can fail)', async () => {
    const bad = path.join(freshDir('bad-script'), 'bad.sh');
    fs.writeFileSync(bad, '#!/usr/bin/env bash\nset -euo pipefail\nrm -rf $1/cache\n');
    await expect(run('shellcheck', ['-x', '-s', 'bash', bad])).rejects.toThrow(/SC2086/);
  });

  test('carry no lab values: two different labs give the same scripts', () => {
    const a = renderCase(CASES[0], 'qemu').files;
    const b = renderCase(CASES[1], 'kvm').files;
    const scripts = (f: Record<string, string>) => Object.entries(f).filter(([p]) => p.startsWith('packer/scripts/'));
    expect(scripts(a)).toEqual(scripts(b));
  });
});

describe('kickstart (iso method)', () => {
  let ks: string;
  let commands: { line: number; tokens: string[] }[];
  const HOSTILE_KEY = `${PUBKEY.split(' ').slice(0, 2).join(' ')} it's $(reboot) "q" \`id\` #{x} \\n ;`;

  /** Command lines (outside %sections, plus the section headers) split the way pykickstart splits them. */
  async function shlexCommands(text: string) {
    requireTool('python3');
    const py = [
      'import json, shlex, sys',
      'out, section = [], None',
      'for n, line in enumerate(sys.stdin.read().splitlines(), 1):',
      '    s = line.strip()',
      '    if section:',
      "        if s == '%end': section = None",
      '        continue',
      "    if not s or s.startswith('#'): continue",
      "    if s.startswith('%'): section = s.split()[0]",
      "    out.append({'line': n, 'tokens': shlex.split(line, comments=True, posix=True)})",
      'print(json.dumps(out))',
    ].join('\n');
    const r = await run('python3', ['-c', py], { input: text });
    return JSON.parse(String(r.stdout)) as { line: number; tokens: string[] }[];
  }

  function section(name: string): string[] {
    const lines = ks.split('\n');
    const start = lines.findIndex((l) => l.split(/\s+/)[0] === name);
    expect(start).toBeGreaterThanOrEqual(0);
    return lines.slice(start + 1, lines.indexOf('%end', start));
  }

  beforeAll(async () => {
    const dir = freshDir('ks');
    const lab = loadLab(`name: t\nimage:\n  method: iso\n${NODES}`, dir);
    ks = renderPacker(lab, ctxFor('qemu', { vagrantPublicKeys: [HOSTILE_KEY] }), lab.source)['packer/http/ks.cfg'];
    commands = await shlexCommands(ks);
  });

  const command = (name: string) => commands.find((c) => c.tokens[0] === name)?.tokens;

  test('every command line splits like pykickstart splits it, and the sshkey comes back exactly', () => {
    expect(commands.length).toBeGreaterThan(15);
    expect(command('sshkey')).toEqual(['sshkey', '--username=vagrant', HOSTILE_KEY]);
  });

  test('a broken quote fails the split (the check can fail)', async () => {
    await expect(shlexCommands("sshkey --username=vagrant 'ssh-rsa AAAA\n")).rejects.toThrow(/python3/);
  });

  test('text install, no firewall, no SELinux (selinux=0 on the kernel line), root locked, vagrant in wheel', () => {
    expect(command('text')).toEqual(['text']);
    expect(command('firewall')).toEqual(['firewall', '--disabled']);
    expect(command('selinux')).toEqual(['selinux', '--disabled']);
    expect(command('rootpw')).toEqual(['rootpw', '--lock']);
    expect(command('timezone')).toContain('UTC');
    expect(command('network')).toEqual(expect.arrayContaining(['--bootproto=dhcp']));
    const append = command('bootloader')?.find((t) => t.startsWith('--append='));
    expect(append?.slice('--append='.length).split(' ')).toContain('selinux=0');
    expect(command('user')).toEqual(expect.arrayContaining(['--name=vagrant', '--groups=wheel']));
    expect(command('url')?.[1]).toBe(
      '--metalink=https://mirrors.fedoraproject.org/metalink?repo=fedora-44&arch=x86_64',
    );
    expect(commands.at(-1)?.tokens[0]).toBe('%post');
    expect(command('reboot')).toEqual(['reboot']);
  });

  test('%packages installs the guest agent and growpart (disk growth on the nodes) and leaves firewalld out', () => {
    const packages = section('%packages');
    expect(packages).toContain('-firewalld');
    expect(packages).toContain('qemu-guest-agent');
    expect(packages).toContain('cloud-utils-growpart');
  });

  test('%post is valid sh that sets up NOPASSWD sudo and leaves sshd as Fedora has it', async () => {
    requireTool('shellcheck');
    const body = section('%post').join('\n');
    expect(body).toContain('vagrant ALL=(ALL) NOPASSWD: ALL');
    expect(body).toContain('visudo -cf');
    expect(body).not.toMatch(/sshd_config|PubkeyAcceptedAlgorithms|ssh-rsa/);
    const file = path.join(freshDir('post'), 'post.sh');
    fs.writeFileSync(file, `#!/bin/sh\n${body}\n`);
    await run('sh', ['-n', file]);
    await run('shellcheck', ['-s', 'sh', file]);
  });
});

describe('cloud-init seed (cloud method)', () => {
  let r: Rendered;
  let userData: string;
  beforeAll(() => {
    r = renderCase(CASES[0], 'qemu');
    userData = r.files['packer/cidata/user-data'];
  });

  test('user-data is #cloud-config, then the header, and passes cloud-init schema', async () => {
    const lines = userData.split('\n');
    expect(lines[0]).toBe('#cloud-config');
    expect(lines[1]).toBe(header('#', r.lab.source));
    requireTool('cloud-init');
    await run('cloud-init', ['schema', '--config-file', path.join(r.packerDir, 'cidata', 'user-data')]);
  });

  test('cloud-init schema rejects a wrong user-data (the check can fail)', async () => {
    requireTool('cloud-init');
    const bad = path.join(freshDir('bad-ud'), 'user-data');
    fs.writeFileSync(bad, userData.replace('sudo: ALL=(ALL) NOPASSWD:ALL', 'sudo: [1, 2]'));
    expect(fs.readFileSync(bad, 'utf8')).not.toBe(userData);
    await expect(run('cloud-init', ['schema', '--config-file', bad])).rejects.toThrow(/sudo/);
  });

  test('creates only the vagrant user (insecure key, NOPASSWD sudo) and changes nothing in sshd', () => {
    const doc = YAML.parse(userData);
    expect(doc.users).toHaveLength(1);
    expect(doc.users[0]).toMatchObject({
      name: 'vagrant',
      ssh_authorized_keys: [PUBKEY],
      sudo: 'ALL=(ALL) NOPASSWD:ALL',
      lock_passwd: true,
    });
    expect(Object.keys(doc).sort()).toEqual(['disable_root', 'ssh_pwauth', 'users']);
    expect(userData).not.toMatch(/PubkeyAcceptedAlgorithms|sshd_config/);
  });

  test("the templates' own description (above their ---) stays out of the seed; their other comments stay in", () => {
    for (const [template, file] of [
      ['user-data.yaml', 'user-data'],
      ['meta-data.yaml', 'meta-data'],
    ]) {
      const text = fs.readFileSync(repoPath('packer', 'templates', template), 'utf8').split('\n');
      const about = text.slice(0, text.indexOf('---')).filter((l) => l.startsWith('# '));
      expect(about.length).toBeGreaterThan(0);
      const seed = r.files[`packer/cidata/${file}`];
      for (const line of about)
        expect({ file, line, leaked: seed.includes(line) }).toEqual({ file, line, leaked: false });
      expect(seed).not.toContain('---');
      const kept = text.slice(text.indexOf('---') + 1).filter((l) => l.startsWith('#'));
      for (const line of kept) expect(seed.split('\n')).toContain(line);
    }
  });

  test("meta-data names the instance and the build hostname, whatever the lab's name (labs that bake the same image share the box)", () => {
    const meta = YAML.parse(r.files['packer/cidata/meta-data']);
    expect(Object.keys(meta).sort()).toEqual(['instance-id', 'local-hostname']);
    const dir = freshDir('other-name');
    const other = renderPacker(loadLab(`name: quite-another-lab\n${NODES}`, dir), ctxFor('qemu'), r.lab.source);
    expect(other['packer/cidata/meta-data']).toBe(r.files['packer/cidata/meta-data']);
  });
});

describe('determinism', () => {
  test('the same lab file in another directory gives the same files; only the lab file path in the headers differs', () => {
    for (const c of CASES.filter((k) => !k.extra)) {
      // image.local: the image's path differs by directory
      const a = renderCase(c, 'qemu');
      const b = renderCase(c, 'qemu');
      expect(a.lab.source).not.toBe(b.lab.source);
      const strip = (r: Rendered) =>
        Object.fromEntries(Object.entries(r.files).map(([p, t]) => [p, t.split(r.lab.source).join('<lab>')]));
      expect(strip(b)).toEqual(strip(a));
    }
  });
});
