// labforge init (issue #19, point 3): a commented lab file that the real CLI renders and the package's schema
// accepts (the guide's lab, or --nodes N without addresses), a `$schema` line naming the schema of the labforge that
// wrote it, and every kind of bad input refused with exit 2 before anything is made: a --nodes that is no count, a
// DIR that is a file, a link or below a file, a file (or link) already at the name.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Ajv } from 'ajv';
import fc from 'fast-check';
import YAML from 'yaml';
import { labNameFor, MAX_INIT_NODES, renderNeutralLab, schemaReference } from '../../src/render/lab-file.js';
import { cli, GUIDE_LAB_TEXT, listFiles, ROOT, tempDir } from '../support.js';

const SCHEMA = path.join(ROOT, 'schema', 'lab.schema.json');
const validate = new Ajv({ allErrors: true, strict: false }).compile(JSON.parse(fs.readFileSync(SCHEMA, 'utf8')));

/** The lab file as an editor with the YAML language server checks it: against the schema its first line names. */
function schemaErrors(text: string): unknown {
  const ref = /^# yaml-language-server: \$schema=(\S+)\n/.exec(text)?.[1];
  expect(ref).toBe(SCHEMA);
  validate(YAML.parse(text));
  return validate.errors ?? [];
}

describe('labforge init', () => {
  test("no --nodes: the guide's lab, with the $schema line naming this labforge's schema; render takes it", async () => {
    const work = tempDir();
    const r = await cli(['init', 'k8s/lab'], { cwd: work });
    expect({ exit: r.exitCode, stderr: r.stderr }).toEqual({ exit: 0, stderr: '' });
    expect(r.stdout.split('\n')).toEqual([
      "labforge: wrote k8s/lab/lab.yaml: the guide's lab kubernetes, 9 nodes",
      'next: cd k8s/lab; edit lab.yaml, then labforge render checks it and labforge up brings the lab up',
    ]);
    const text = fs.readFileSync(path.join(work, 'k8s', 'lab', 'lab.yaml'), 'utf8');
    // The repository's lab.yaml, every comment kept; only the first line differs.
    expect(text.split('\n').slice(1)).toEqual(GUIDE_LAB_TEXT.split('\n').slice(1));
    expect(schemaErrors(text)).toEqual([]);
    const render = await cli(['render'], { cwd: path.join(work, 'k8s', 'lab') });
    expect({ exit: render.exitCode, stderr: render.stderr }).toEqual({ exit: 0, stderr: '' });
    expect(render.stdout).toMatch(/^labforge: rendered lab kubernetes \(\d+ files\)/);
  });

  test('--nodes 3: a neutral lab named after its folder, nodes without addresses; render assigns them in order', async () => {
    const work = tempDir();
    const r = await cli(['init', 'Web Shop', '--nodes', '3', '--json'], { cwd: work });
    expect(r.exitCode).toBe(0);
    const file = path.join(work, 'Web Shop', 'lab.yaml');
    expect(JSON.parse(r.stdout)).toEqual({ file, lab: 'web-shop', kind: 'neutral', nodes: 3, schema: SCHEMA });
    const text = fs.readFileSync(file, 'utf8');
    expect(schemaErrors(text)).toEqual([]);
    const lab = YAML.parse(text) as { name: string; nodes: Record<string, unknown>[]; vips?: unknown };
    expect(lab.name).toBe('web-shop');
    expect(lab.nodes).toEqual([{ name: 'node1' }, { name: 'node2' }, { name: 'node3' }]);
    expect(lab.vips).toBeUndefined();
    // Commented: every field written has its comment above it.
    expect(text).toMatch(/# Lab name: [^\n]*\n(#[^\n]*\n)*name: web-shop\n/);
    const render = await cli(['--lab', file, 'render']);
    expect({ exit: render.exitCode, stderr: render.stderr }).toEqual({ exit: 0, stderr: '' });
    const record = JSON.parse(
      fs.readFileSync(path.join(work, 'Web Shop', '.labforge', 'web-shop', '.labforge-addresses.json'), 'utf8'),
    ) as { nodes: Record<string, string> };
    expect(record.nodes).toEqual({ node1: '10.240.0.2', node2: '10.240.0.3', node3: '10.240.0.4' });
  });

  test('--lab names the file to write; the hint names it too', async () => {
    const work = tempDir();
    const r = await cli(['--lab', 'labs/one.yaml', 'init', '--nodes', '1'], { cwd: work });
    expect(r.exitCode).toBe(0);
    expect(r.stdout.split('\n')).toEqual([
      'labforge: wrote labs/one.yaml: lab labs, 1 node without addresses (chosen at the first render)',
      'next: cd labs; edit one.yaml, then labforge --lab one.yaml render checks it and labforge --lab one.yaml up brings the lab up',
    ]);
    const both = await cli(['--lab', 'x.yaml', 'init', 'dir'], { cwd: work });
    expect({ exit: both.exitCode, stderr: both.stderr }).toEqual({
      exit: 2,
      stderr: 'init: give DIR or --lab, not both (--lab names the file to write); nothing was written',
    });
    expect(listFiles(work)).toEqual(['labs/one.yaml']);
  });

  test('never overwrites: a file or a link (even dangling) at the name is exit 2 naming it, untouched', async () => {
    const work = tempDir();
    fs.writeFileSync(path.join(work, 'lab.yaml'), 'mine\n');
    const r = await cli(['init'], { cwd: work });
    expect({ exit: r.exitCode, stdout: r.stdout, stderr: r.stderr }).toEqual({
      exit: 2,
      stdout: '',
      stderr:
        `init: ${path.join(work, 'lab.yaml')} already exists (a file); labforge init never overwrites: edit it, ` +
        'or give another folder (labforge init DIR); nothing was written',
    });
    expect(fs.readFileSync(path.join(work, 'lab.yaml'), 'utf8')).toBe('mine\n');

    const other = tempDir();
    fs.symlinkSync(path.join(other, 'target.yaml'), path.join(other, 'lab.yaml'));
    const link = await cli(['init', '--nodes', '2'], { cwd: other });
    expect(link.exitCode).toBe(2);
    expect(link.stderr).toContain(`init: ${path.join(other, 'lab.yaml')} already exists (a symbolic link)`);
    expect(fs.existsSync(path.join(other, 'target.yaml'))).toBe(false);
  });

  test.each([['0'], ['abc'], ['1000'], [String(MAX_INIT_NODES + 1)], ['-1'], ['2.5'], ['03'], ['']])(
    '--nodes %j: exit 2 naming the option and the value, nothing made',
    async (n) => {
      const work = tempDir();
      const r = await cli(['init', 'new', '--nodes', n], { cwd: work });
      expect({ exit: r.exitCode, stdout: r.stdout, stderr: r.stderr }).toEqual({
        exit: 2,
        stdout: '',
        stderr:
          `init --nodes: must be a whole number from 1 to ${MAX_INIT_NODES} (the free addresses of the lab's ` +
          `subnet), got ${JSON.stringify(n)}; nothing was written`,
      });
      expect(fs.readdirSync(work)).toEqual([]);
    },
  );

  test('a DIR that is a file, a link, a FIFO or below a file: exit 2 naming it, nothing made', async () => {
    const work = tempDir();
    fs.writeFileSync(path.join(work, 'afile'), 'x');
    fs.mkdirSync(path.join(work, 'real'));
    fs.symlinkSync('real', path.join(work, 'alink'));
    const before = listFiles(work);
    const cases: [string, string][] = [
      ['afile', 'init: DIR "afile" is a file, not a folder; nothing was written'],
      ['alink', 'init: DIR "alink" is a symbolic link (to "real"); give the folder itself; nothing was written'],
      [
        'afile/sub/dir',
        `init: DIR "afile/sub/dir": ${path.join(work, 'afile')} is a file, not a folder; nothing was written`,
      ],
      ['bad\nname', 'init: DIR "bad\\nname" is not a folder name; nothing was written'],
    ];
    for (const [dir, message] of cases) {
      const r = await cli(['init', dir], { cwd: work });
      expect({ dir, exit: r.exitCode, stderr: r.stderr }).toEqual({ dir, exit: 2, stderr: message });
    }
    expect(listFiles(work)).toEqual(before);
    expect(fs.readdirSync(path.join(work, 'real'))).toEqual([]);
  });

  test('a FIFO as DIR is refused without opening it', async () => {
    const work = tempDir();
    const { execa } = await import('execa');
    await execa('mkfifo', [path.join(work, 'pipe')]);
    const r = await cli(['init', 'pipe'], { cwd: work });
    expect({ exit: r.exitCode, stderr: r.stderr }).toEqual({
      exit: 2,
      stderr: 'init: DIR "pipe" is a FIFO (named pipe), not a folder; nothing was written',
    });
  });
});

describe('what init writes', () => {
  test("a lab name from any folder name: a label, or 'lab'", () => {
    expect(labNameFor('/x/Web Shop')).toBe('web-shop');
    expect(labNameFor('/x/--a__b--')).toBe('a-b');
    expect(labNameFor('/x/___')).toBe('lab');
    expect(labNameFor('/x/ÄÖ')).toBe('lab');
    expect(labNameFor(`/x/${'a'.repeat(62)}-b`)).toBe('a'.repeat(62));
    fc.assert(
      fc.property(fc.string({ maxLength: 80, unit: 'binary' }), (s) => {
        expect(labNameFor(`/x/${s.replace(/\//g, '')}`)).toMatch(/^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/);
      }),
    );
  });

  test('the $schema line of any install path is one comment line naming that path', () => {
    expect(schemaReference('/usr/lib/node_modules/labforge/schema/lab.schema.json')).toBe(
      '/usr/lib/node_modules/labforge/schema/lab.schema.json',
    );
    expect(schemaReference('/home/a b/#x%/lab.schema.json')).toBe('file:///home/a%20b/%23x%25/lab.schema.json');
    // Control characters too (a URL parser would drop some of them and name another file).
    expect(schemaReference('/opt/a\u0001\n/é.json')).toBe('file:///opt/a%01%0A/%C3%A9.json');
    fc.assert(
      fc.property(
        fc.array(fc.string({ minLength: 1, maxLength: 12, unit: 'binary' }), { minLength: 1, maxLength: 4 }),
        (parts) => {
          // Compared resolved: a file: URL resolves `.` and `..` parts ('/./ ' is '/ ').
          const file = '/' + parts.map((p) => p.replace(/[/\0]/g, '_')).join('/');
          const ref = schemaReference(file);
          const text = renderNeutralLab({ name: 'p', count: 1, schema: ref });
          const first = text.split('\n')[0];
          expect(first).toBe(`# yaml-language-server: $schema=${ref}`);
          expect(ref).toMatch(/^\S+$/);
          expect(path.resolve(ref.startsWith('file:') ? fileURLToPath(ref) : ref)).toBe(path.resolve(file));
          expect(YAML.parse(text)).toEqual({
            name: 'p',
            network: { cidr: '10.240.0.0/24' },
            defaults: { cpus: 1, memory: '512M' },
            nodes: [{ name: 'node1' }],
          });
        },
      ),
    );
  });
});
