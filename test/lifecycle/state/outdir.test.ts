// The output folder: labforge writes only into a folder it owns (new, empty, or claimed by it before), replaces
// only what its own render wrote, and a render killed by SIGKILL at any point leaves the old output or the new one.
import fs from 'node:fs';
import path from 'node:path';
import { execa } from 'execa';
import { cli, listFiles, ROOT, tempDir, vagrantKeyPair, writeLab } from '../../support.js';

const LAB_A = 'name: a\nvips: []\nnodes:\n  - { name: x, ip: 10.240.0.11 }\n';
const LAB_B =
  'name: b\nvips: []\nimage: { method: iso }\nnodes:\n  - { name: y, ip: 10.240.0.12 }\n  - { name: z, ip: 10.240.0.13 }\n';

/** What a user sees in the folder: every file reached through its links, with its text (state folders left out;
 *  the folder's own path, which the lab key's path and the ssh hint carry, and `alsoOut`, as <out>). */
function visible(out: string, ...alsoOut: string[]): Record<string, string> {
  const files: Record<string, string> = {};
  for (const f of listFiles(out)) {
    if (/^(logs|secrets|\.labforge-owner\.json|\.lock)/.test(f)) continue;
    const p = path.join(out, f);
    if (fs.existsSync(p))
      files[f] = [out, ...alsoOut].reduce((text, o) => text.split(o).join('<out>'), fs.readFileSync(p, 'utf8'));
  }
  return files;
}

/** test/fixtures/render-and-die.mjs bundled into one file, as npm run build bundles the CLI (scripts/bundle.js): Node
 *  20 loads the few hundred modules of dist/ slowly, and the SIGKILL test starts the fixture some 55 times. The
 *  bundle sits two folders below a folder with links to the repository's packer/ and vagrant/, where the render finds
 *  its templates (src/render/repo-files.ts). */
async function bundledFixture(): Promise<string> {
  const root = tempDir('labforge-fixture-');
  for (const d of ['packer', 'vagrant']) fs.symlinkSync(path.join(ROOT, d), path.join(root, d));
  const outfile = path.join(root, 'dist', 'fixture', 'render-and-die.mjs');
  await execa(path.join(ROOT, 'node_modules', '.bin', 'esbuild'), [
    path.join(ROOT, 'test', 'fixtures', 'render-and-die.mjs'),
    '--bundle',
    '--format=esm',
    '--platform=node',
    '--target=node20',
    '--log-level=warning',
    `--outfile=${outfile}`,
    "--banner:js=import { createRequire } from 'node:module'; const require = createRequire(import.meta.url);",
  ]);
  return outfile;
}

async function render(lab: string, out: string, args: string[] = []) {
  return cli(['--lab', lab, '--out', out, ...args, 'render']);
}

describe('folders labforge refuses to write into', () => {
  const refused: [string, (dir: string) => { out: string; env?: Record<string, string> }, string][] = [
    [
      'a folder with unrelated files',
      (dir) => {
        const out = path.join(dir, 'project');
        fs.mkdirSync(out);
        fs.writeFileSync(path.join(out, 'notes.txt'), 'mine');
        return { out };
      },
      'is not empty and holds no labforge output',
    ],
    ['an empty --out', () => ({ out: '' }), '--out: is empty'],
    ['the root folder', () => ({ out: '/' }), 'is the root folder'],
    [
      'the home folder',
      (dir) => ({ out: path.join(dir, 'home'), env: { HOME: path.join(dir, 'home') } }),
      'is your home folder',
    ],
    [
      'a file',
      (dir) => {
        fs.writeFileSync(path.join(dir, 'f'), 'x');
        return { out: path.join(dir, 'f') };
      },
      'is a file, not a folder',
    ],
    [
      'a dangling link',
      (dir) => {
        fs.symlinkSync(path.join(dir, 'nowhere'), path.join(dir, 'dangling'));
        return { out: path.join(dir, 'dangling') };
      },
      'is a symbolic link to nothing',
    ],
    ['a path with a line break', (dir) => ({ out: path.join(dir, 'a\nb') }), 'holds the control character U+000A'],
    ['a path ssh would expand', (dir) => ({ out: path.join(dir, '${HOME}') }), 'which ssh would expand'],
    [
      'a path vagrant-libvirt would write unescaped into XML',
      (dir) => ({ out: path.join(dir, "it's") }),
      'unescaped into libvirt XML',
    ],
  ];
  test.each(refused)('%s: exit 2, --out named, nothing written', async (_what, make, message) => {
    const dir = tempDir();
    fs.mkdirSync(path.join(dir, 'home'));
    const lab = writeLab(LAB_A, dir);
    const { out, env } = make(dir);
    const before = listFiles(dir);
    const r = await cli(['--lab', lab, '--out', out, 'render'], { env: { ...env } });
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toContain('--out: ');
    expect(r.stderr).toContain(message);
    expect(listFiles(dir)).toEqual(before);
  });

  test('run in a checkout of labforge with --out "", render touches none of its files', async () => {
    const r = await cli(['--lab', path.join(ROOT, 'lab.yaml'), '--out', '', 'render'], { cwd: ROOT });
    expect(r.exitCode).toBe(2);
    expect(fs.existsSync(path.join(ROOT, '.labforge-owner.json'))).toBe(false);
  });
});

describe('folders labforge owns', () => {
  test('a new or empty folder is claimed; files the user adds later survive every render', async () => {
    const dir = tempDir();
    const lab = writeLab(LAB_A, dir);
    const out = path.join(dir, 'out');
    fs.mkdirSync(out);
    expect((await render(lab, out)).exitCode).toBe(0);
    expect(JSON.parse(fs.readFileSync(path.join(out, '.labforge-owner.json'), 'utf8')).tool).toBe('labforge');
    fs.writeFileSync(path.join(out, 'notes.txt'), 'mine');
    fs.writeFileSync(
      path.join(out, 'packer', 'mine.txt'),
      'inside a generated folder: kept (labforge deletes only what it recorded writing)',
    );
    const first = fs.readlinkSync(path.join(out, '.current'));
    fs.writeFileSync(lab, LAB_B);
    expect((await render(lab, out)).exitCode).toBe(0);
    expect(fs.readFileSync(path.join(out, 'notes.txt'), 'utf8')).toBe('mine');
    expect(fs.existsSync(path.join(out, 'packer', 'http', 'ks.cfg'))).toBe(true);
    expect(fs.existsSync(path.join(out, 'packer', 'cidata'))).toBe(false);
    // The current render, and of the first only the folder holding the file labforge did not write (issue #18).
    expect(fs.readdirSync(path.join(out, '.renders'))).toHaveLength(2);
    expect(fs.readdirSync(path.join(out, first), { recursive: true }).sort()).toEqual(['packer', 'packer/mine.txt']);
    expect(fs.readFileSync(path.join(out, first, 'packer', 'mine.txt'), 'utf8')).toMatch(/^inside/);
  });

  test('a folder written by labforge 0.1 (files at the top, manifest beside them) is taken over file by file', async () => {
    const dir = tempDir();
    const out = path.join(dir, 'out');
    fs.mkdirSync(path.join(out, 'packer'), { recursive: true });
    fs.writeFileSync(path.join(out, 'Vagrantfile'), 'old');
    fs.writeFileSync(path.join(out, 'packer', 'build.pkr.hcl'), 'old');
    fs.writeFileSync(path.join(out, 'id_ed25519.keep'), 'not listed: stays');
    fs.writeFileSync(
      path.join(out, '.labforge-render.json'),
      JSON.stringify({ lab: 'a', source: 'x', hash: 'h', box: 'b', files: ['Vagrantfile', 'packer/build.pkr.hcl'] }),
    );
    const r = await render(writeLab(LAB_A, dir), out);
    expect(r.exitCode).toBe(0);
    expect(fs.lstatSync(path.join(out, 'Vagrantfile')).isSymbolicLink()).toBe(true);
    expect(fs.readFileSync(path.join(out, 'Vagrantfile'), 'utf8')).toContain("BOX = 'labforge/fedora44-");
    expect(fs.readFileSync(path.join(out, 'id_ed25519.keep'), 'utf8')).toBe('not listed: stays');
  });

  test('a render killed by SIGKILL at any step leaves the old output or the new one, and the next render tidies up', async () => {
    const pub = (await vagrantKeyPair()).publicKeyText;
    const fixture = await bundledFixture();
    const dir = tempDir();
    const labA = writeLab(LAB_A, fs.mkdtempSync(path.join(dir, 'a-')));
    const labB = writeLab(LAB_B, fs.mkdtempSync(path.join(dir, 'b-')));
    const run = (lab: string, out: string, at: string) =>
      execa('node', [fixture, lab, out, at, pub], { reject: false });
    // The two complete outputs, for comparison.
    const refA = path.join(dir, 'ref-a');
    const refB = path.join(dir, 'ref-b');
    expect((await run(labA, refA, 'none')).exitCode).toBe(0);
    fs.cpSync(refA, refB, { recursive: true, verbatimSymlinks: true });
    const counted = await run(labB, refB, 'count');
    expect(counted.exitCode).toBe(0);
    const steps = Number(counted.stdout.trim());
    expect(steps).toBeGreaterThan(20);
    const a = visible(refA);
    const b = visible(refB);
    expect(a).not.toEqual(b);
    const outcomes = new Set<string>();
    for (let n = 1; n <= steps; n++) {
      const out = path.join(dir, `kill-${n}`);
      fs.cpSync(refA, out, { recursive: true, verbatimSymlinks: true });
      const killed = await run(labB, out, String(n));
      expect(killed.signal).toBe('SIGKILL');
      const seen = visible(out, refA); // the copy's files name the folder they were rendered in
      const which =
        JSON.stringify(seen) === JSON.stringify(a)
          ? 'old'
          : JSON.stringify(seen) === JSON.stringify(b)
            ? 'new'
            : 'mixed';
      if (which === 'mixed')
        throw new Error(`killed before step ${n}: the folder holds neither render (${Object.keys(seen).join(', ')})`);
      outcomes.add(which);
      // The next render finishes the job and removes what the killed one left (checked at every third step).
      if (n % 3 === 0 || n === steps) {
        expect((await run(labB, out, 'none')).exitCode).toBe(0);
        expect(visible(out, refA)).toEqual(b);
        expect(fs.readdirSync(path.join(out, '.renders'))).toHaveLength(1);
        expect(fs.readdirSync(out).filter((f) => f.includes('.tmp-'))).toEqual([]);
      }
      fs.rmSync(out, { recursive: true, force: true });
    }
    expect([...outcomes].sort()).toEqual(['new', 'old']);
  }, 180000);
});
