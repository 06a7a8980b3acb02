// Each escaping function, checked by the real parser of its language: whatever goes in comes back out unchanged.
import fs from 'node:fs';
import path from 'node:path';
import { execa } from 'execa';
import { parse } from '@cdktf/hcl2json';
import { hcl, kickstart, ruby, shell, xml } from '../../src/render/escape.js';
import { tempDir } from '../support.js';

const HOSTILE = [
  `it's "quoted"`,
  '$(reboot) `id` ${HOME} $HOME',
  '#{exit 1} %{if true}x%{endif} ${var.x}',
  'back\\slash \\n not a newline',
  '<tag attr="v"> & &amp; ]]>',
  'tab\there',
  'multi\nline',
  '',
];

test('hcl() round-trips through Packer itself: every hostile value reaches a build unchanged', async () => {
  const dir = tempDir('labforge-hcl-');
  const vars = HOSTILE.map((v, i) => `variable "v${i}" {\n  type    = string\n  default = ${hcl(v)}\n}\n`).join('');
  const provisioners = HOSTILE.map(
    (_, i) =>
      `  provisioner "shell-local" {\n    environment_vars = ["V=\${var.v${i}}"]\n    inline = ["printf '%s' \\"$V\\" > out${i}"]\n  }\n`,
  ).join('');
  fs.writeFileSync(
    path.join(dir, 't.pkr.hcl'),
    `${vars}source "null" "n" {\n  communicator = "none"\n}\nbuild {\n  sources = ["source.null.n"]\n${provisioners}}\n`,
  );
  await execa('packer', ['build', '-color=false', 't.pkr.hcl'], { cwd: dir, env: { CHECKPOINT_DISABLE: '1' } });
  HOSTILE.forEach((v, i) => expect(fs.readFileSync(path.join(dir, `out${i}`), 'utf8')).toBe(v));
});

// hcl2json answers in HCL's JSON syntax, whose strings are templates too: a literal `${` or `%{` stays escaped there.
test.each(HOSTILE)('hcl() parses with an HCL2 parser to the same literal (JSON-HCL form): %j', async (value) => {
  const parsed = (await parse('t.hcl', `x = ${hcl(value)}\n`)) as { x: string };
  expect(parsed.x).toBe(value.replace(/\$\{/g, () => '$${').replace(/%\{/g, '%%{'));
});

test.each(HOSTILE)('ruby() round-trips through Ruby: %j', async (value) => {
  const r = await execa('ruby', ['-e', `print(${ruby(value)})`]);
  expect(r.stdout).toBe(value);
});

test.each(HOSTILE)('shell() round-trips through bash: %j', async (value) => {
  const r = await execa('bash', ['-c', `printf '%s' ${shell(value)}`], { stripFinalNewline: false });
  expect(r.stdout).toBe(value);
});

test.each(HOSTILE)('xml() round-trips through an XML parser: %j', async (value) => {
  const doc = `<a b="${xml(value)}">${xml(value)}</a>`;
  const r = await execa('python3', [
    '-c',
    'import sys, xml.dom.minidom as m; d = m.parseString(sys.argv[1]).documentElement; ' +
      'sys.stdout.write(d.getAttribute("b") + "\\0" + (d.firstChild.data if d.firstChild else ""))',
    doc,
  ]);
  // XML normalises newlines and tabs inside attribute values to spaces; element text keeps them.
  const [attr, text] = r.stdout.split('\0');
  expect(text).toBe(value);
  expect(attr).toBe(value.replace(/[\n\t]/g, ' '));
});

test.each(HOSTILE.filter((v) => !v.includes('\n')))(
  'kickstart() round-trips through shlex (POSIX), as pykickstart splits: %j',
  async (value) => {
    const r = await execa('python3', [
      '-c',
      'import shlex, sys; sys.stdout.write(shlex.split(sys.argv[1])[1])',
      `rootpw ${kickstart(value)}`,
    ]);
    expect(r.stdout).toBe(value);
  },
);

test('kickstart() refuses a newline, which would end the command', () => {
  expect(() => kickstart('a\nb')).toThrow(/span lines/);
});
