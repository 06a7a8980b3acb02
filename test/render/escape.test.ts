// Each escaping function, checked by the real parser of its language: whatever goes in comes back out unchanged.
import { execa } from 'execa';
import { parse } from '@cdktf/hcl2json';
import { hcl, kickstart, ruby, shell, xml } from '../../src/render/escape.js';

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

test.each(HOSTILE)('hcl() round-trips through an HCL2 parser: %j', async (value) => {
  const parsed = (await parse('t.hcl', `x = ${hcl(value)}\n`)) as { x: string };
  expect(parsed.x).toBe(value);
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
  const r = await execa('python3', ['-c', 'import sys, xml.dom.minidom as m; d = m.parseString(sys.argv[1]).documentElement; sys.stdout.write(d.getAttribute("b") + "\\0" + (d.firstChild.data if d.firstChild else ""))', doc]);
  // XML normalises newlines and tabs inside attribute values to spaces; element text keeps them.
  const [attr, text] = r.stdout.split('\0');
  expect(text).toBe(value);
  expect(attr).toBe(value.replace(/[\n\t]/g, ' '));
});

test.each(HOSTILE.filter((v) => !v.includes('\n')))('kickstart() round-trips through shlex (POSIX), as pykickstart splits: %j', async (value) => {
  const r = await execa('python3', ['-c', 'import shlex, sys; sys.stdout.write(shlex.split(sys.argv[1])[1])', `rootpw ${kickstart(value)}`]);
  expect(r.stdout).toBe(value);
});

test('kickstart() refuses a newline, which would end the command', () => {
  expect(() => kickstart('a\nb')).toThrow(/span lines/);
});
