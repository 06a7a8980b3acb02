// Every state file labforge keeps, damaged every way a crash, a disk or a user can (empty, cut short, the wrong
// shape, binary junk, a folder or a link where a file should be): each command that reads it either ends with exit 2
// naming the file, what it is and how to recover, leaving the file as it was, or rebuilds what the file held and
// says so on stderr. Never a raw JSON error or a stack trace. The real CLI, with stand-ins for virsh and Vagrant.
import fs from 'node:fs';
import path from 'node:path';
import fc from 'fast-check';
import { StateFileError } from '../../../src/errors.js';
import { readAddressRecord } from '../../../src/lifecycle/state/addresses.js';
import { readManifest } from '../../../src/lifecycle/state/outdir.js';
import { readRecord } from '../../../src/lifecycle/state/record.js';
import { cli, fedora44Lock, ownershipRecord, standInVagrant, standInVirsh, tempDir } from '../../support.js';

type Damage = 'empty' | 'cut short' | 'wrong shape' | 'binary junk' | 'a folder' | 'a dangling link';
/** What a command does with the damaged file: refuse (exit 2, file unchanged) or go on (exit 0), with a note on
 *  stderr naming the file when `note`. */
type Outcome = { exit: 2 } | { exit: 0; note: boolean };

const REFUSE: Outcome = { exit: 2 };
const REBUILT: Outcome = { exit: 0, note: true };
const IGNORED: Outcome = { exit: 0, note: false };

const JUNK = Buffer.from([0x00, 0xff, 0x7b, 0x22, 0xfe, 0x0a, 0x89, 0x50, 0x4e, 0x47, 0x01, 0x5d]);
const RAW_ERROR = /SyntaxError|Unexpected token|Unexpected end|in JSON at position|TypeError|^\s+at /m;

interface Case {
  /** The file, relative to the output folder (`../lab.lock`: beside the lab file). */
  file: string;
  /** Where the damage goes, if not at `file` (the render manifest is a link into .current/). */
  target?: string;
  /** Each damage tried, and what the commands do with it. */
  damages: Partial<Record<Damage, Outcome>>;
  commands: string[][];
  /** The lab names a local image (for the image cache). */
  local?: boolean;
}

const ALL_REFUSED = (damages: Damage[]): Partial<Record<Damage, Outcome>> =>
  Object.fromEntries(damages.map((d) => [d, REFUSE]));
const CONTENT: Damage[] = ['empty', 'cut short', 'wrong shape', 'binary junk'];

const CASES: Case[] = [
  {
    file: '.labforge-state.json',
    damages: ALL_REFUSED([...CONTENT, 'a folder']),
    commands: [['destroy', '--dry-run'], ['snapshot', 'list'], ['destroy']],
  },
  {
    file: '.labforge-addresses.json',
    damages: ALL_REFUSED([...CONTENT, 'a folder']),
    commands: [['status'], ['render']],
  },
  {
    // Refused where the box name is needed; a render writes it anew.
    file: '.labforge-render.json',
    target: '.current/.labforge-render.json',
    damages: ALL_REFUSED([...CONTENT, 'a folder']),
    commands: [['destroy', '--dry-run', '--box']],
  },
  {
    file: '.labforge-render.json',
    target: '.current/.labforge-render.json',
    damages: Object.fromEntries([...CONTENT, 'a folder'].map((d) => [d, REBUILT])),
    commands: [['render']],
  },
  {
    // Only the claim's presence is read.
    file: '.labforge-owner.json',
    damages: {
      empty: IGNORED,
      'cut short': IGNORED,
      'binary junk': IGNORED,
      'a folder': REFUSE,
      'a dangling link': REFUSE,
    },
    commands: [['status'], ['render']],
  },
  {
    // A lock that names no command is a stale one: taken over (and removed at the end).
    file: '.lock',
    damages: {
      empty: REBUILT,
      'cut short': REBUILT,
      'wrong shape': REBUILT,
      'binary junk': REBUILT,
      'a folder': REFUSE,
    },
    commands: [['render']],
  },
  {
    // A ledger that lists nothing stops nothing.
    file: '.lock.children',
    damages: { empty: IGNORED, 'cut short': IGNORED, 'binary junk': IGNORED, 'a folder': REFUSE },
    commands: [['render']],
  },
  {
    file: '.current',
    damages: { empty: REFUSE, 'binary junk': REFUSE, 'a folder': REFUSE, 'a dangling link': IGNORED },
    commands: [['render']],
  },
  {
    file: '.cache/local-image.json',
    local: true,
    damages: Object.fromEntries([...CONTENT, 'a folder'].map((d) => [d, REBUILT])),
    commands: [['status']],
  },
  {
    file: '../lab.lock',
    damages: ALL_REFUSED([...CONTENT, 'a folder']),
    commands: [['status'], ['render']],
  },
  {
    // Vagrant's file: an id that is no word is no id (libvirt is asked only for the ids it lists).
    file: '.vagrant/machines/a/libvirt/id',
    damages: { empty: IGNORED, 'binary junk': IGNORED, 'a folder': IGNORED },
    commands: [['destroy', '--dry-run'], ['status']],
  },
];

const LAB = 'name: t\nvips: []\nnodes:\n  - { name: a, ip: 10.240.0.11 }\n';
let base: { plain: string; local: string };
let env: Record<string, string>;

beforeAll(async () => {
  const root = tempDir();
  const bin = path.join(root, 'bin');
  fs.mkdirSync(bin);
  standInVirsh(bin, []);
  await standInVagrant(bin);
  env = {
    PATH: `${bin}:${process.env.PATH}`,
    XDG_CACHE_HOME: path.join(root, 'cache'),
    XDG_STATE_HOME: path.join(root, 'state'),
    XDG_CONFIG_HOME: path.join(root, 'config'),
  };
  const make = async (name: string, text: string) => {
    const dir = path.join(root, name);
    fs.mkdirSync(dir);
    fs.writeFileSync(path.join(dir, 'lab.yaml'), text);
    fs.writeFileSync(path.join(dir, 'base.qcow2'), 'not really an image');
    for (let i = 0; i < 2; i++) {
      const r = await cli(['--lab', path.join(dir, 'lab.yaml'), '--out', path.join(dir, 'out'), 'render'], { env });
      expect(r.all).toContain('rendered lab t');
    }
    const out = path.join(dir, 'out');
    fs.mkdirSync(path.join(out, '.vagrant/machines/a/libvirt'), { recursive: true });
    fs.writeFileSync(path.join(out, '.vagrant/machines/a/libvirt/id'), '0b2a4c1e-1111-2222-3333-444455556666\n');
    fs.writeFileSync(path.join(out, '.labforge-state.json'), ownershipRecord('t'));
    fs.writeFileSync(path.join(out, '.lock.children'), '[]\n');
    fs.writeFileSync(path.join(dir, 'lab.lock'), fedora44Lock());
    return dir;
  };
  base = {
    plain: await make('plain', LAB),
    local: await make('local', LAB.replace('vips', 'image: { local: base.qcow2 }\nvips')),
  };
}, 120_000);

/** What is at a path, to compare before and after: its kind and content (a link's target). */
function look(p: string): string {
  const st = fs.lstatSync(p, { throwIfNoEntry: false });
  if (!st) return 'nothing';
  if (st.isSymbolicLink()) return `link ${fs.readlinkSync(p)}`;
  if (st.isDirectory()) return `folder ${fs.readdirSync(p).join(',')}`;
  return `file ${fs.readFileSync(p).toString('base64')}`;
}

function damage(p: string, how: Damage): void {
  const good = fs.statSync(p, { throwIfNoEntry: false })?.isFile() ? fs.readFileSync(p, 'utf8') : '{"a": [1, 2, 3]}';
  fs.rmSync(p, { recursive: true, force: true });
  if (how === 'empty') fs.writeFileSync(p, '');
  else if (how === 'cut short') fs.writeFileSync(p, good.slice(0, Math.max(1, Math.floor(good.length / 2))));
  else if (how === 'wrong shape') fs.writeFileSync(p, '[1, 2]\n');
  else if (how === 'binary junk') fs.writeFileSync(p, JUNK);
  else if (how === 'a folder') fs.mkdirSync(p);
  else fs.symlinkSync('.renders/nothing-here', p);
}

const ROWS = CASES.flatMap((c) =>
  (Object.entries(c.damages) as [Damage, Outcome][]).map(
    ([how, outcome]) =>
      [
        c.file,
        how,
        outcome.exit === 2 ? 'exit 2' : 'note' in outcome && outcome.note ? 'rebuilt, noted' : 'ignored',
        c,
        outcome,
      ] as const,
  ),
);

test.each(ROWS)(
  '%s, %s: %s',
  async (_file, how, _says, c, outcome) => {
    const dir = path.join(tempDir(), 'lab');
    fs.cpSync(c.local ? base.local : base.plain, dir, { recursive: true, verbatimSymlinks: true });
    const out = path.join(dir, 'out');
    const file = path.resolve(out, c.file);
    const target = path.resolve(out, c.target ?? c.file);
    fs.mkdirSync(path.dirname(target), { recursive: true });
    damage(target, how);
    const before = look(target);
    for (const args of c.commands) {
      const r = await cli(['--lab', path.join(dir, 'lab.yaml'), '--out', out, ...args], { env });
      const said = `${args.join(' ')}: ${r.all}`;
      expect(said).not.toMatch(RAW_ERROR);
      expect({ args, exit: r.exitCode }).toEqual({ args, exit: outcome.exit });
      if (outcome.exit === 2) {
        // Named, said what it is and how to recover, and left as it was.
        expect(r.stderr).toContain(path.basename(file));
        expect(r.stderr).toContain(file.endsWith('lab.lock') ? file : `${file} is damaged (`);
        expect(r.stderr).toMatch(/To recover: |remove it or run `labforge lock --update`/);
        expect(look(target)).toBe(before);
      } else if (outcome.note) {
        expect(r.stderr).toContain(`${path.basename(file)} is damaged (`);
      }
      if (c.file !== '.lock') expect(fs.existsSync(path.join(out, '.lock'))).toBe(false);
    }
  },
  60_000,
);

// Random damage of the records the CLI reads: any bytes either read as a record or end with the file named, never
// the parser's words, and the file never changed.
test('random bytes in the ownership record, the address record and the render manifest: a record or exit 2 naming it', () => {
  const dir = tempDir();
  const readers: [string, (out: string) => unknown][] = [
    ['.labforge-state.json', (out) => readRecord(out)],
    ['.labforge-addresses.json', (out) => readAddressRecord(out)],
    ['.labforge-render.json', (out) => readManifest(out)],
  ];
  const good = {
    '.labforge-state.json': ownershipRecord('t'),
    '.labforge-addresses.json': JSON.stringify({ version: 1, lab: 't', nodes: { a: '10.240.0.11' } }),
    '.labforge-render.json': JSON.stringify({ lab: 't', source: 's', hash: 'h', box: 'b', files: ['Vagrantfile'] }),
  };
  fc.assert(
    fc.property(
      fc.constantFrom(...readers),
      fc.nat(),
      fc.uint8Array({ maxLength: 8 }),
      fc.boolean(),
      ([name, read], at, bytes, cut) => {
        const text = Buffer.from(good[name as keyof typeof good]);
        const i = at % (text.length + 1);
        const damaged = cut
          ? text.subarray(0, i)
          : Buffer.concat([text.subarray(0, i), Buffer.from(bytes), text.subarray(i + bytes.length)]);
        const file = path.join(dir, name);
        fs.writeFileSync(file, damaged);
        try {
          read(dir);
        } catch (e) {
          expect(e).toBeInstanceOf(StateFileError);
          expect((e as Error).message).toContain(`${file} is damaged (`);
          expect((e as Error).message).toContain('To recover: ');
          expect((e as Error).message).not.toMatch(RAW_ERROR);
        }
        expect(fs.readFileSync(file).equals(damaged)).toBe(true);
      },
    ),
    { numRuns: 300 },
  );
});
