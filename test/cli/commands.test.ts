// How the command line answers a person: a mistyped command in one line with a suggestion only when one is close,
// every command's help with the global options, an old option name still accepted with a warning, and shell
// completion scripts that real bash (and zsh, fish where installed) read.
import fs from 'node:fs';
import path from 'node:path';
import { execa } from 'execa';
import { buildProgram } from '../../src/cli/program.js';
import { closeCommands, editDistance } from '../../src/cli/suggest.js';
import { cli, ROOT, tempDir, toolPath, writeLab } from '../support.js';

describe('a mistyped command', () => {
  test.each([
    ['verfy', 'labforge: unknown command "verfy"; did you mean labforge verify?'],
    ['destory', 'labforge: unknown command "destory"; did you mean labforge destroy?'],
    ['staus', 'labforge: unknown command "staus"; did you mean labforge status?'],
    ['version', 'labforge: unknown command "version"; did you mean labforge --version?'],
    ['deploy', 'labforge: unknown command "deploy" (labforge --help lists the commands)'],
    ['verison', 'labforge: unknown command "verison" (labforge --help lists the commands)'],
  ])('%s: exit 2, one line', async (word, line) => {
    const r = await cli([word]);
    expect({ exit: r.exitCode, stderr: r.stderr, stdout: r.stdout }).toEqual({ exit: 2, stderr: line, stdout: '' });
  });

  test('a mistyped subcommand: one line naming its parent', async () => {
    const r = await cli(['snapshot', 'sav']);
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toBe('labforge snapshot: unknown command "sav"; did you mean labforge snapshot save?');
  });

  test('an unknown option: two lines, not the whole help', async () => {
    const r = await cli(['status', '--bogus']);
    expect(r.exitCode).toBe(2);
    expect(r.stderr.split('\n')).toEqual(["error: unknown option '--bogus'", '(add --help for usage)']);
  });

  test('close means a typo: one edit in a short word, two in a long one; version is not close to verify', () => {
    expect(editDistance('destory', 'destroy')).toBe(1);
    expect(editDistance('version', 'verify')).toBe(3);
    const names = ['verify', 'status', 'snapshot', 'ssh-config', 'ssh', 'setup'];
    expect(closeCommands('version', names)).toEqual([]);
    expect(closeCommands('snapshto', names)).toEqual(['snapshot']);
    expect(closeCommands('sshconfg', names)).toEqual(['ssh-config']);
    expect(closeCommands('sh', names)).toEqual(['ssh']);
  });
});

test("every command's help shows the global options", async () => {
  for (const args of [['status'], ['destroy'], ['snapshot', 'save'], ['completion']]) {
    const r = await cli([...args, '--help']);
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toMatch(/Global Options:[\s\S]*-l, --lab <file>[\s\S]*-o, --out <dir>[\s\S]*--ci/);
  }
});

test("every command has its line in the README's command table and in docs/usage.md's", () => {
  const names = buildProgram()
    .commands.map((c) => c.name())
    .filter((n) => n !== 'help');
  expect(names).toContain('init');
  for (const doc of ['README.md', 'docs/usage.md']) {
    const rows = fs
      .readFileSync(path.join(ROOT, doc), 'utf8')
      .split('\n')
      .filter((l) => l.startsWith('| `'));
    const missing = names.filter(
      (n) => !rows.some((r) => ['`', ' ', '['].some((after) => r.includes(`\`${n}${after}`))),
    );
    expect({ doc, missing }).toEqual({ doc, missing: [] });
  }
});

test('README: at most 300 lines; its first screen says how to install labforge and how to start a lab', () => {
  const lines = fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8').split('\n');
  expect(lines.length).toBeLessThanOrEqual(300);
  const screen = lines.slice(0, 50).join('\n');
  for (const wanted of ['npm install -g', 'labforge --version', 'labforge init', 'labforge up'])
    expect({ wanted, onFirstScreen: screen.includes(wanted) }).toEqual({ wanted, onFirstScreen: true });
});

test('halt: --timeout, and the old --time-limit still read, with a warning, hidden from help', async () => {
  const lab = writeLab('name: t\nvips: []\nnodes:\n  - { name: a, ip: 10.240.0.11 }\n');
  const help = await cli(['halt', '--help']);
  expect(help.stdout).toContain('--timeout <seconds>');
  expect(help.stdout).not.toContain('--time-limit');
  const old = await cli(['--lab', lab, 'halt', '--time-limit', '0']);
  expect(old.exitCode).toBe(2);
  expect(old.stderr).toContain('labforge: warning: --time-limit is deprecated; use --timeout');
  expect(old.stderr).toContain('--timeout: must be a whole number from 1 to 3600, got "0"');
  const both = await cli(['--lab', lab, 'halt', '--time-limit', '5', '--timeout', '5']);
  expect(both.exitCode).toBe(2);
  expect(both.stderr).toBe('--time-limit is the old name of --timeout: give only --timeout');
});

describe('labforge completion', () => {
  test('bash: the script, sourced in bash, completes the commands, subcommands and options', async () => {
    const script = (await cli(['completion', 'bash'])).stdout;
    const file = path.join(tempDir(), 'labforge.bash');
    fs.writeFileSync(file, script);
    const complete = async (...words: string[]) => {
      const r = await execa('bash', [
        '-c',
        `source "$1"; shift; COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1)); _labforge; printf '%s\\n' "\${COMPREPLY[@]}"`,
        'bash',
        file,
        ...words,
      ]);
      return r.stdout.split('\n').filter(Boolean);
    };
    const top = await complete('labforge', '');
    expect(top).toEqual(expect.arrayContaining(['init', 'up', 'verify', 'destroy', 'snapshot', 'completion', '--lab']));
    expect(await complete('labforge', 'init', '--')).toEqual(['--nodes', '--json', '--help']);
    expect(await complete('labforge', 'de')).toEqual(['destroy']);
    expect(await complete('labforge', 'snapshot', '')).toEqual(['save', 'restore', 'list', 'delete', '--help']);
    expect(await complete('labforge', '--lab', 'x.yaml', 'destroy', '--d')).toEqual(['--dry-run']);
    // After an option that takes a value, bash completes file names (nothing from labforge).
    expect(await complete('labforge', 'graph', '--output', '')).toEqual([]);
    // A hidden deprecated option is not offered.
    expect(await complete('labforge', 'halt', '--t')).toEqual(['--timeout']);
    const registered = await execa('bash', ['-c', 'source "$1"; complete -p labforge', 'bash', file]);
    expect(registered.stdout).toBe('complete -o default -F _labforge labforge');
  });

  test.each(['zsh', 'fish'])(
    '%s: the script parses (-n); skipped with a note when the shell is not installed',
    async (shell) => {
      const script = await cli(['completion', shell]);
      expect(script.exitCode).toBe(0);
      if (!toolPath(shell)) {
        console.warn(`${shell} is not installed: its completion script was not parsed`);
        return;
      }
      const file = path.join(tempDir(), `labforge.${shell}`);
      fs.writeFileSync(file, script.stdout);
      const r = await execa(shell, ['-n', file], { reject: false });
      expect({ exit: r.exitCode, stderr: r.stderr }).toEqual({ exit: 0, stderr: '' });
      if (shell === 'fish') {
        const c = await execa('fish', ['-c', `source ${file}; complete -C 'labforge snapshot '`]);
        expect(c.stdout.split('\n').map((l) => l.split('\t')[0])).toEqual(['delete', 'list', 'restore', 'save']);
      }
    },
  );

  test('an unknown shell: exit 2 naming the three', async () => {
    const r = await cli(['completion', 'tcsh']);
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toBe('completion: the shell must be one of bash, zsh, fish, got "tcsh"');
  });
});
