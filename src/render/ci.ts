// CI files for a user's own repository: a GitHub Actions workflow that runs the lab on a GitHub-hosted runner with
// KVM, and a GitLab CI job for a self-hosted runner with libvirt. Same steps as labforge's own Fedora job: host
// setup, bake (the box cached under `labforge bake --hash`), up, verify with reports, destroy always. Pure.
import { commentText } from './escape.js';

export interface CiOptions {
  /** The lab file, relative to the repository root (where the job runs). */
  labFile: string;
  labName: string;
  /** The lab's output folder relative to the repository root (logs/ is inside it). */
  outDir: string;
  /** How the job runs labforge, e.g. `npx --yes labforge@0.1.0` or `node bin/labforge.js`. */
  labforge: string;
  /** labforge's version, for the header. */
  version: string;
}

/** A YAML double-quoted scalar (JSON's string syntax is YAML's). */
function yq(value: string): string {
  return JSON.stringify(value);
}

/** The shell lines of a step that times one labforge command into the job summary's table and keeps its exit code
 *  (1: the lab is broken, 3: the host cannot run a lab). */
function timed(label: string, command: string): string[] {
  return [
    't0=$SECONDS; rc=0',
    `${command} || rc=$?`,
    `echo "| ${label} | $((SECONDS - t0)) s | $rc |" >> "$RUNNER_TEMP/labforge-times.md"`,
    'exit "$rc"',
  ];
}

function runBlock(lines: string[], indent: string): string {
  return ['|', ...lines.map((l) => `${indent}    ${l}`)].join('\n');
}

/** The steps of the lab job on a GitHub-hosted Ubuntu runner, after checkout, Node.js and labforge are there. The
 *  lab runs as root (sudo keeps PATH and the environment), so the runner user needs no new login for the libvirt
 *  group; VAGRANT_HOME is in the workspace so actions/cache can save and restore the box. */
export function githubLabSteps(o: CiOptions, indent = '      '): string {
  const lf = `sudo -E env "PATH=$PATH" ${o.labforge} --lab "$LAB_FILE"`;
  const sudoLf = `sudo -E env "PATH=$PATH" ${o.labforge}`;
  const i = indent;
  const step = (lines: string[]) => lines.map((l, n) => (n === 0 ? `${i}- ${l}` : `${i}  ${l}`)).join('\n');
  return [
    step(['name: Packer (>= 1.7; labforge bake runs packer init)', 'uses: hashicorp/setup-packer@v3']),
    step([
      'name: Free disk space (14 GB SSD; the box, its libvirt copy and nine node disks need room)',
      `run: ${runBlock(['sudo rm -rf /usr/share/dotnet /usr/local/lib/android /opt/ghc /opt/hostedtoolcache/CodeQL', 'df -h / "$GITHUB_WORKSPACE"'], i)}`,
    ]),
    step([
      'name: Host setup (libvirt, QEMU, Vagrant + vagrant-libvirt, xorriso; /dev/kvm opened with the udev rule)',
      `run: ${runBlock(timed('setup', `${sudoLf} setup --user "$USER"`), i)}`,
    ]),
    // On its own line, so a failing `bake --hash` fails the step (bash -e) instead of giving an empty key.
    step([
      'name: Bake hash (the box cache key)',
      'id: bake',
      `run: ${runBlock([`hash=$(${lf} bake --hash)`, 'echo "hash=$hash" >> "$GITHUB_OUTPUT"'], i)}`,
    ]),
    step([
      'name: Restore the box',
      'id: box',
      'uses: actions/cache/restore@v4',
      'with:',
      '  path: .vagrant.d/boxes',
      `  key: labforge-box-\${{ steps.bake.outputs.hash }}`,
    ]),
    step(['name: Bake (nothing to do when the box was restored)', `run: ${runBlock(timed('bake', `${lf} bake`), i)}`]),
    step([
      'name: Save the box',
      "if: steps.box.outputs.cache-hit != 'true'",
      'uses: actions/cache/save@v4',
      'with:',
      '  path: .vagrant.d/boxes',
      `  key: labforge-box-\${{ steps.bake.outputs.hash }}`,
    ]),
    step(['name: Up', `run: ${runBlock(timed('up', `${lf} up`), i)}`]),
    step([
      'name: Verify',
      `run: ${runBlock(timed('verify', `${lf} verify --report verify-report.xml --summary "$GITHUB_STEP_SUMMARY"`), i)}`,
    ]),
    step(['name: Destroy', 'if: always()', `run: ${runBlock(timed('destroy', `${lf} destroy`), i)}`]),
    step([
      'name: Make the logs readable for the upload',
      'if: always()',
      `run: sudo chmod -R a+rX ${shellPath(o.outDir)} verify-report.xml || true`,
    ]),
    step([
      'name: Wall time of every step to the job summary',
      'if: always()',
      `run: ${runBlock(
        [
          '{',
          "  printf '\\n### Wall time per step\\n\\n| step | wall time | exit code |\\n| --- | --- | --- |\\n'",
          '  cat "$RUNNER_TEMP/labforge-times.md"',
          '} >> "$GITHUB_STEP_SUMMARY"',
        ],
        i,
      )}`,
    ]),
    step([
      'name: Upload logs and the verify report',
      'if: always()',
      'uses: actions/upload-artifact@v4',
      'with:',
      `  name: labforge-${o.labName}`,
      '  if-no-files-found: warn',
      '  path: |',
      `    ${yamlBlockText(`${o.outDir}/logs/`)}`,
      '    verify-report.xml',
    ]),
  ].join('\n');
}

function shellPath(p: string): string {
  return /^[\w@%+=:,./-]+$/.test(p) ? p : `'${p.replace(/'/g, `'\\''`)}'`;
}

/** A line of a YAML block scalar cannot carry a line break; every path here is a relative path of the repo. */
function yamlBlockText(p: string): string {
  return p.replace(/[\r\n]/g, '');
}

/** `.github/workflows/labforge.yml` for a user's repository. */
export function renderGithubWorkflow(o: CiOptions): string {
  return [
    `# ${commentText(`Generated by labforge ${o.version} (\`labforge ci github\`) for the lab file ${o.labFile}.`)}`,
    '# Runs the lab on a GitHub-hosted runner with KVM (4 CPUs, 16 GB RAM, 14 GB SSD): the box is cached under the',
    '# hash of every bake input (`labforge bake --hash`), so an unchanged recipe bakes nothing; then up, verify (JUnit',
    '# report uploaded, a Markdown report with the topology in the job summary) and destroy, whatever happened.',
    `name: ${yq(`labforge lab ${o.labName}`)}`,
    '',
    'on:',
    '  push:',
    '  pull_request:',
    '  workflow_dispatch:',
    '',
    'permissions:',
    '  contents: read',
    '',
    'concurrency:',
    `  group: labforge-${o.labName}-\${{ github.ref }}`,
    '  cancel-in-progress: true',
    '',
    'jobs:',
    '  lab:',
    `    name: ${yq(`lab ${o.labName}: bake, up, verify`)}`,
    '    runs-on: ubuntu-latest',
    '    timeout-minutes: 90',
    '    env:',
    "      CI: 'true'",
    `      LAB_FILE: ${yq(o.labFile)}`,
    '      VAGRANT_HOME: ${{ github.workspace }}/.vagrant.d',
    '    steps:',
    '      - uses: actions/checkout@v4',
    '      - uses: actions/setup-node@v4',
    '        with:',
    "          node-version: '20'",
    githubLabSteps(o),
    '',
  ].join('\n');
}

/** `.gitlab-ci.yml` with one job for a self-hosted runner (shell executor) tagged `libvirt`, where `labforge setup`
 *  was run once as root. The box stays in the runner's VAGRANT_HOME between pipelines, so the bake hash is the cache
 *  key by itself: bake skips when the box with the current hash is installed. */
export function renderGitlabCi(o: CiOptions): string {
  const lf = `${o.labforge} --lab "$LAB_FILE"`;
  return [
    `# ${commentText(`Generated by labforge ${o.version} (\`labforge ci gitlab\`) for the lab file ${o.labFile}.`)}`,
    '# For a self-hosted runner with libvirt and KVM (shell executor, tag `libvirt`) on which `labforge setup` ran once',
    "# as root. The box stays in the runner's VAGRANT_HOME between pipelines: `labforge bake` does nothing while the box",
    '# with the hash of every bake input (`labforge bake --hash`) is installed. Exit code 1: the lab is broken;',
    "# 3: the runner cannot run a lab (doctor's reasons in the log).",
    'stages:',
    '  - lab',
    '',
    `labforge-${o.labName}:`,
    '  stage: lab',
    '  tags:',
    '    - libvirt',
    '  timeout: 90m',
    '  interruptible: true',
    '  resource_group: labforge-lab',
    '  variables:',
    '    CI: "true"',
    `    LAB_FILE: ${yq(o.labFile)}`,
    '  script:',
    `    - ${lf} doctor`,
    `    - ${lf} bake`,
    `    - ${lf} up`,
    `    - ${lf} verify --report verify-report.xml --summary verify-summary.md`,
    '  after_script:',
    `    - ${lf} destroy`,
    '  artifacts:',
    '    when: always',
    '    expire_in: 1 week',
    '    paths:',
    `      - ${yq(`${o.outDir}/logs/`)}`,
    '      - verify-report.xml',
    '      - verify-summary.md',
    '    reports:',
    '      junit: verify-report.xml',
    '',
  ].join('\n');
}
