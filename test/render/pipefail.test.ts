// Under `set -o pipefail` a pipeline fails when any of its commands fails. A reader that stops early (grep -q,
// grep -m, head, awk that exits) can exit before the writer is done; the writer then dies of SIGPIPE and the
// pipeline fails although the reader found what it looked for: `cmd | grep -q x` is then false at random. Every
// shell script labforge ships (and the verify probe it sends) captures the output first, or reads all of it.
import fs from 'node:fs';
import path from 'node:path';
import { execa } from 'execa';
import { listFiles, ROOT, tempDir } from '../support.js';

interface EarlyReader {
  line: number;
  pipeline: string;
}

/** The pipelines of a bash script whose reader may stop before its writer is done. A small bash scanner: quotes,
 *  comments, heredoc bodies and `$(...)` (also inside double quotes, where it is code again) are followed, so a `|`
 *  inside a string or an awk program does not count, and one in a command substitution does. */
function earlyReaders(script: string): EarlyReader[] {
  const found: EarlyReader[] = [];
  // Contexts: code (with its parenthesis depth), a double-quoted string, a single-quoted string.
  const stack: ('code' | 'dq')[] = ['code'];
  const depth: number[] = [0];
  let line = 1;
  let heredoc: string | undefined;
  const isWordStart = (i: number) => i === 0 || /[\s;&|(]/.test(script[i - 1]);
  for (let i = 0; i < script.length; i++) {
    const c = script[i];
    const top = stack[stack.length - 1];
    if (c === '\n') {
      line++;
      if (heredoc !== undefined && top === 'code') {
        // Skip the body up to the delimiter line.
        const rest = script.slice(i + 1).split('\n');
        const end = rest.findIndex((l) => l.trim() === heredoc);
        const skipped = rest.slice(0, end + 1).join('\n').length + 1;
        line += end;
        i += skipped - 1;
        heredoc = undefined;
      }
      continue;
    }
    if (c === '\\') {
      if (script[i + 1] === '\n') line++;
      i++;
      continue;
    }
    if (top === 'dq') {
      if (c === '"') stack.pop();
      else if (c === '$' && script[i + 1] === '(') {
        stack.push('code');
        depth.push(0);
        i++;
      }
      continue;
    }
    // code
    if (c === "'") {
      const close = script.indexOf("'", i + 1);
      if (close < 0) break;
      line += script.slice(i, close).split('\n').length - 1;
      i = close;
    } else if (c === '"') stack.push('dq');
    else if (c === '#' && isWordStart(i)) {
      const eol = script.indexOf('\n', i);
      if (eol < 0) break;
      i = eol - 1;
    } else if (c === '<' && script.startsWith('<<<', i)) i += 2;
    else if (c === '$' && script[i + 1] === '(') {
      stack.push('code');
      depth.push(0);
      i++;
    } else if (c === '(') depth[depth.length - 1]++;
    else if (c === ')') {
      if (depth[depth.length - 1] === 0 && stack.length > 1) {
        stack.pop();
        depth.pop();
      } else depth[depth.length - 1]--;
    } else if (c === '<' && script.startsWith('<<', i)) {
      const m = /^<<-?\s*['"]?(\w+)['"]?/.exec(script.slice(i));
      if (m) heredoc = m[1];
    } else if (c === '|') {
      if (script[i + 1] === '|') {
        i++;
        continue;
      }
      // The reader: the command after the pipe, up to the end of its simple command.
      const after = script
        .slice(i + 1)
        .replace(/^&/, '')
        .replace(/^\s*\\\n/, ' ');
      const reader = /^\s*((?:[^;&|)\n'"]|'[^']*'|"[^"]*")*)/.exec(after)![1].trim();
      if (stopsEarly(reader)) found.push({ line, pipeline: script.split('\n')[line - 1].trim() });
    }
  }
  return found;
}

/** Whether a reader command may exit before it has read all its input. */
function stopsEarly(reader: string): boolean {
  const [cmd, ...args] = reader.split(/\s+/);
  if (/^(e|f)?grep$/.test(cmd))
    return args.some((a) => /^-[a-zA-Z]*[qlm]/.test(a) || /^--(quiet|silent|max-count|files-with-matches)/.test(a));
  if (cmd === 'head') return true;
  if (cmd === 'awk' || cmd === 'sed') return /\bexit\b|(^|[;{}\s'])q(\s|;|'|$)/.test(args.join(' '));
  return false;
}

/** Every shell script in the npm package (package.json "files"), and the repo's own test fixtures. */
function shellScripts(): string[] {
  const shipped = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')).files as string[];
  const dirs = [...shipped, 'scripts'].filter(
    (d) => fs.existsSync(path.join(ROOT, d)) && fs.statSync(path.join(ROOT, d)).isDirectory(),
  );
  return dirs.flatMap((d) =>
    listFiles(path.join(ROOT, d))
      .filter((f) => f.endsWith('.sh'))
      .map((f) => path.join(d, f)),
  );
}

describe('no pipeline into a reader that stops early', () => {
  test('in any shipped guest script, lib.sh, or the repo scripts; every script runs under pipefail', () => {
    const scripts = shellScripts();
    expect(scripts).toEqual(
      expect.arrayContaining([
        'vagrant/scripts/node.sh',
        'packer/scripts/lib.sh',
        'packer/scripts/30-selinux.sh',
        'scripts/e2e-env.sh',
      ]),
    );
    const found = scripts.flatMap((f) =>
      earlyReaders(fs.readFileSync(path.join(ROOT, f), 'utf8')).map((r) => `${f}:${r.line}: ${r.pipeline}`),
    );
    expect(found).toEqual([]);
    for (const f of scripts.filter((s) => !s.endsWith('lib.sh'))) {
      expect({ f, pipefail: /^set -euo pipefail$/m.test(fs.readFileSync(path.join(ROOT, f), 'utf8')) }).toEqual({
        f,
        pipefail: true,
      });
    }
  });

  test("in verify's probe", () => {
    expect(shellScripts()).toContain('vagrant/scripts/verify-probe.sh');
    expect(earlyReaders(fs.readFileSync(path.join(ROOT, 'vagrant', 'scripts', 'verify-probe.sh'), 'utf8'))).toEqual([]);
  });

  test('the check finds the forms that fail (the old node.sh and probe lines) and passes the ones that do not', () => {
    const bad = [
      'if command -v nmcli >/dev/null && nmcli -t -f RUNNING general 2>/dev/null | grep -q running; then :; fi',
      'ip -4 -o addr show dev "$iface" | grep -q " ${address} " || die "no address"',
      'getent hosts "$LABFORGE_FQDN" | grep -q "^${LABFORGE_IP//./\\\\.}\\s" || die "no name"',
      'if rpm -q firewalld >/dev/null 2>&1 || dpkg-query -W -f=\'${Status}\' firewalld 2>/dev/null | grep -q "ok installed"; then :; fi',
      "echo \"hosts_a=$(getent -s files hosts 'a.example.com' | awk '{print $1}' | head -n1)\"",
      'x=$(virsh net-dumpxml n |\n  sed -n "s/a/b/p" | head -n 1)',
      'cmd | grep -m1 x',
      "cmd | awk '/x/ { print; exit }'",
    ];
    for (const b of bad) expect({ b, found: earlyReaders(b).length }).toEqual({ b, found: 1 });
    const good = [
      'out=$(cmd); grep -q x <<<"$out"',
      'cmd | grep -x ssh-rsa >/dev/null',
      "cmd | awk 'NR == 1'",
      'cmd || grep -q x file',
      "echo 'a | grep -q b'",
      '# cmd | grep -q x',
      'case $s in enabled | static) : ;; esac',
      'cat <<EOF\nx | head\nEOF',
      '[[ $v =~ ^(a|b)$ ]]',
    ];
    for (const g of good) expect({ g, found: earlyReaders(g) }).toEqual({ g, found: [] });
  });
});

describe('the race, in bash', () => {
  // A writer with far more output than a pipe holds (64 KiB); the line looked for comes first.
  const big = 'seq 1 1000000';

  test('under pipefail, `cmd | grep -q` is false although the line is there: the writer got SIGPIPE (141)', async () => {
    const r = await execa('bash', [
      '-c',
      `set -o pipefail\nif ${big} | grep -qx 1; then echo found; else echo "missed $?"; fi`,
    ]);
    expect(r.stdout).toBe('missed 141');
  });

  test('the forms the scripts use instead find it under pipefail', async () => {
    const forms = [
      `out=$(${big}); grep -qx 1 <<<"$out"`,
      `out=$(${big}); [[ $out == 1$'\\n'* ]]`,
      `[[ $(${big} | awk 'NR == 1') == 1 ]]`,
    ];
    for (const form of forms) {
      const r = await execa('bash', [
        '-c',
        `set -euo pipefail\nif ${form}; then echo found; else echo "missed $?"; fi`,
      ]);
      expect({ form, out: r.stdout }).toEqual({ form, out: 'found' });
    }
  });

  test("lib.sh's unit_known finds a unit in a long systemctl listing under pipefail", async () => {
    const bin = path.join(tempDir(), 'bin');
    fs.mkdirSync(bin);
    // A stand-in systemctl: the unit asked for first, then thousands of others.
    fs.writeFileSync(
      path.join(bin, 'systemctl'),
      '#!/bin/bash\necho "firewalld.service enabled enabled"\nseq 1 200000 | sed "s/.*/unit-&.service static -/"\n',
      { mode: 0o755 },
    );
    const r = await execa(
      'bash',
      ['-c', 'set -euo pipefail\nsource "$LIB"\nunit_known firewalld.service && echo known'],
      {
        env: { PATH: `${bin}:${process.env.PATH}`, LIB: path.join(ROOT, 'packer', 'scripts', 'lib.sh') },
      },
    );
    expect(r.stdout).toBe('known');
  });
});
