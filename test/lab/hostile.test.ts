// Lab files a careless or hostile user would write: bounds, holes in the checks, files that are not what they seem,
// secrets in messages, and work that must stay interruptible. Each is exit 2 with the field named, nothing written.
import fs from 'node:fs';
import path from 'node:path';
import { Ajv } from 'ajv';
import { execa } from 'execa';
import { parse } from 'yaml';
import { validateLab } from '../../src/lab/validate.js';
import { CLI, cli, listFiles, ROOT, tempDir, writeLab } from '../support.js';

const node = (name: string, ip: string, extra = '') => `  - { name: ${name}, ip: ${ip}${extra} }\n`;
const lab = (body: string) => `name: t\nvips: []\n${body}`;
const one = (extra = '') => `nodes:\n${node('a', '10.240.0.11', extra)}`;

/** [what, lab file text, expected fragments of stderr] */
const refused: [string, string, string[]][] = [
  ['memory 1e300', lab(one(', memory: 1e300')), ['nodes[0].memory: must be at most 1048576 (MiB), got 1e+300']],
  [
    'memory above 1 TiB as text',
    lab(one(', memory: 2000G')),
    ['nodes[0].memory: "2000G" is above the maximum of 1024G'],
  ],
  ['a disk of 20 digits', lab(one(', disk: 99999999999999999999G')), ['nodes[0].disk: must be a size like 512M']],
  ['a disk above 16 TiB', lab(one(', disk: 20000G')), ['nodes[0].disk: "20000G" is above the maximum of 16384G']],
  ['1000 cpus', lab(one(', cpus: 1000')), ['nodes[0].cpus: must be at most 128, got 1000']],
  ['1000 build cpus', lab(`image: { cpus: 1000 }\n${one()}`), ['image.cpus: must be at most 128, got 1000']],
  ['a boot timeout of a year', lab(`host: { boot_timeout: 31536000 }\n${one()}`), ['host.boot_timeout:', '31536000']],
  [
    'a TCG cache of 8M (below what TCG needs)',
    lab(`host: { tcg_cache: 8M }\n${one()}`),
    ['host.tcg_cache: "8M" is not a whole number of MiB from 16M to 4G'],
  ],
  [
    'a TCG cache of 64G',
    lab(`host: { tcg_cache: 64G }\n${one()}`),
    ['host.tcg_cache: "64G" is not a whole number of MiB from 16M to 4G'],
  ],
  [
    'a TCG cache of 100.5 MiB',
    lab(`host: { tcg_cache: 100.5 }\n${one()}`),
    ['host.tcg_cache: 100.5 is not a whole number of MiB'],
  ],
  [
    'a TCG cache that is not a size',
    lab(`host: { tcg_cache: lots }\n${one()}`),
    ['host.tcg_cache: must be a size like 512M'],
  ],
  [
    '1001 nodes',
    lab(
      `nodes:\n${Array.from({ length: 1001 }, (_, i) => node(`n${i}`, `10.${Math.floor(i / 250)}.${i % 250}.2`)).join('')}`,
    ),
    ['nodes: must list at most 1000 nodes'],
  ],
  [
    'role: constructor (a built-in of every object)',
    lab(one(', role: constructor')),
    ['nodes[0].role: "constructor" is not a role in `roles`'],
  ],
  [
    'role: tostring of an empty roles',
    lab(`roles: {}\n${one(', role: valueof')}`),
    ['nodes[0].role: "valueof" is not a role'],
  ],
  [
    'a tab in free text',
    lab(`image: { url: "https://x/a\\tb.qcow2" }\n${one()}`),
    ['image.url: must be a single line without control characters'],
  ],
  [
    'U+2028 in free text',
    lab(`host: { uri: "qemu:///system\\u2028x" }\n${one()}`),
    ['host.uri: must be a single line without control characters'],
  ],
  [
    'NEL (U+0085) in free text',
    lab(`image: { checksum: "sha256:ab\\x85" }\n${one()}`),
    ['image.checksum: must be a single line without control characters'],
  ],
  [
    'an alias bomb',
    'a: &a ["x","x","x","x","x","x","x","x","x","x"]\nb: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a,*a]\n' +
      'c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b,*b]\nd: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c,*c]\n' +
      'e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d,*d]\nf: [*e,*e,*e,*e,*e,*e,*e,*e,*e,*e]\n',
    ['malformed YAML', 'alias'],
  ],
  [
    'an image.local that does not exist, with other problems',
    lab(`image: { local: nowhere.qcow2 }\n${one(', cpus: 0')}`),
    ['image.local: "nowhere.qcow2" does not exist', 'nodes[0].cpus: must be at least 1'],
  ],
  ['an image.local that is a folder', lab(`image: { local: "." }\n${one()}`), ['image.local: "." is a folder']],
  [
    'an image.local that is a device',
    lab(`image: { local: /dev/zero }\n${one()}`),
    ['image.local: "/dev/zero" is not a regular file'],
  ],
  [
    'an ssh_key that is not a key',
    lab(`access: { ssh_key: notakey }\n${one()}`),
    ['access.ssh_key: ', 'notakey" is not a private key that `ssh-keygen -y` can read'],
  ],
  [
    'an ssh_key without its .pub',
    lab(`access: { ssh_key: lonely }\n${one()}`),
    ['access.ssh_key: "lonely" has no public key beside it'],
  ],
  [
    'an ssh_key others can read',
    lab(`access: { ssh_key: open }\n${one()}`),
    ['access.ssh_key: "open" is readable by others (mode 644)'],
  ],
  [
    'a pool path with a quote',
    lab(`host: { pool_path: "/srv/it's" }\n${one()}`),
    ['host.pool_path:', 'unescaped into libvirt XML'],
  ],
];

describe('refused lab files', () => {
  test.each(refused)('%s: exit 2, the field named, nothing written', async (_what, text, expected) => {
    const dir = tempDir();
    fs.writeFileSync(path.join(dir, 'notakey'), 'root:x:0:0:root:/root:/bin/bash\n', { mode: 0o600 });
    fs.writeFileSync(path.join(dir, 'notakey.pub'), 'not a key\n');
    fs.writeFileSync(path.join(dir, 'lonely'), 'x', { mode: 0o600 });
    fs.writeFileSync(path.join(dir, 'open'), 'x', { mode: 0o644 });
    fs.chmodSync(path.join(dir, 'open'), 0o644);
    fs.writeFileSync(path.join(dir, 'open.pub'), 'x');
    const file = writeLab(text, dir);
    const out = path.join(dir, 'out');
    const r = await cli(['--lab', file, '--out', out, 'render']);
    for (const fragment of expected) expect(r.stderr).toContain(fragment);
    expect(r.exitCode).toBe(2);
    expect(r.stderr).not.toMatch(/at .*\.js:\d+/);
    expect(fs.existsSync(out)).toBe(false);
    // labforge changed the mode of none of the user's files.
    expect(fs.statSync(path.join(dir, 'open')).mode & 0o777).toBe(0o644);
  });
});

describe('the lab file itself', () => {
  test.each([
    ['a folder', (dir: string) => dir, 'is a folder, not a lab file'],
    ['a device that never ends', () => '/dev/zero', 'is a device node, not a lab file'],
    [
      'larger than 1 MiB',
      (dir: string) => writeLab(`# ${'x'.repeat(1024 * 1024)}\n`, dir),
      'is larger than 1048576 bytes',
    ],
  ])('--lab naming %s: exit 2 at once', async (_what, make, message) => {
    const dir = tempDir();
    const r = await cli(['--lab', make(dir), '--out', path.join(dir, 'out'), 'render']);
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toContain('--lab: ');
    expect(r.stderr).toContain(message);
  });
});

describe('secrets', () => {
  test('a bad root password is reported without its value', async () => {
    for (const value of ['12345', '"has\\nline break 12345"']) {
      const dir = tempDir();
      const r = await cli([
        '--lab',
        writeLab(lab(`access: { root_password: ${value} }\n${one()}`), dir),
        '--out',
        path.join(dir, 'out'),
        'render',
      ]);
      expect(r.exitCode).toBe(2);
      expect(r.stderr).toContain('access.root_password:');
      expect(r.stderr).toContain('(a secret, not shown)');
      expect(r.stderr).not.toContain('12345');
    }
  });
});

describe('the user key (access.ssh_key)', () => {
  test('~ is the home folder; the key is used as it is, its mode untouched, nothing made beside it', async () => {
    const home = tempDir();
    fs.mkdirSync(path.join(home, '.ssh'));
    const key = path.join(home, '.ssh', 'lab_key');
    await execa('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', key]);
    fs.chmodSync(key, 0o400);
    const dir = tempDir();
    const r = await cli(
      [
        '--lab',
        writeLab(lab(`access: { ssh_key: ~/.ssh/lab_key }\n${one()}`), dir),
        '--out',
        path.join(dir, 'out'),
        'render',
      ],
      { env: { HOME: home } },
    );
    expect(r.exitCode).toBe(0);
    expect(fs.statSync(key).mode & 0o777).toBe(0o400);
    expect(fs.existsSync(path.join(dir, '~'))).toBe(false);
    expect(fs.readFileSync(path.join(dir, 'out', 'ssh_config'), 'utf8')).toContain(`IdentityFile "${key}"`);
    expect(fs.existsSync(path.join(dir, 'out', 'secrets', 'id_ed25519'))).toBe(false);
  });

  test('a .pub that is not the half of the private key is refused', async () => {
    const dir = tempDir();
    await execa('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', path.join(dir, 'k1')]);
    await execa('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', path.join(dir, 'k2')]);
    fs.copyFileSync(path.join(dir, 'k2.pub'), path.join(dir, 'k1.pub'));
    const r = await cli([
      '--lab',
      writeLab(lab(`access: { ssh_key: k1 }\n${one()}`), dir),
      '--out',
      path.join(dir, 'out'),
      'render',
    ]);
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toContain('access.ssh_key: ');
    expect(r.stderr).toContain('k1.pub is not the public half of the private key');
  });
});

describe('validation at scale', () => {
  test('8000 problems are all reported, in one pass (the check of duplicates is linear)', () => {
    const nodes = Array.from({ length: 1000 }, (_, i) => ({
      name: `N_${i}`,
      ip: '300.0.0.1',
      cpus: 0,
      memory: 'lots',
      disk: 'x',
      role: 'NO',
      extra: 1,
      more: 2,
    }));
    const r = validateLab({ vips: [], nodes });
    expect(r.lab).toBeUndefined();
    expect(r.issues.length).toBeGreaterThanOrEqual(8000);
    expect(new Set(r.issues.map((i) => `${i.path.join('.')}:${i.message}`)).size).toBe(r.issues.length);
  });
});

describe('the JSON Schema and labforge agree on the same cases', () => {
  const shipped = JSON.parse(fs.readFileSync(path.join(ROOT, 'schema', 'lab.schema.json'), 'utf8'));
  const ajv = new Ajv({ strict: false, allErrors: true }).compile(shipped);
  const cases: [string, string][] = [
    ['512m', lab(one(', memory: 512m'))],
    ['1.5gib', lab(one(', memory: 1.5gib'))],
    ['memory 1e300', lab(one(', memory: 1e300'))],
    ['disk 99999999999999999999G', lab(one(', disk: 99999999999999999999G'))],
    ['cpus 1000', lab(one(', cpus: 1000'))],
    ['a tab in the URL', lab(`image: { url: "https://x/a\\tb" }\n${one()}`)],
    ['U+2028 in the URI', lab(`host: { uri: "qemu:///system\\u2028" }\n${one()}`)],
    [
      '1001 nodes',
      lab(`nodes:\n${Array.from({ length: 1001 }, (_, i) => node(`n${i}`, `10.240.0.${(i % 250) + 2}`)).join('')}`),
    ],
  ];
  test.each(cases)('%s', (_what, text) => {
    const raw = parse(text);
    const ours = validateLab(raw).issues.filter(
      (i) => i.severity === 'error' && !/already used|already the name/.test(i.message),
    );
    expect(ajv(raw)).toBe(ours.length === 0);
  });
});

describe('interruptible work', () => {
  test('SIGINT stops the hashing of a huge image.local within a second (exit 130)', async () => {
    const dir = tempDir();
    const image = path.join(dir, 'huge.qcow2');
    fs.closeSync(fs.openSync(image, 'w'));
    fs.truncateSync(image, 200 * 2 ** 30); // sparse: 200 GiB of zeros that take minutes to read
    const file = writeLab(lab(`image: { local: huge.qcow2, disk: 200G }\n${one()}`), dir);
    const child = execa('node', [CLI, '--lab', file, '--out', path.join(dir, 'out'), 'render'], {
      reject: false,
      all: true,
    });
    await new Promise((r) => setTimeout(r, 2500));
    const sent = Date.now();
    child.kill('SIGINT');
    const r = await child;
    expect(Date.now() - sent).toBeLessThan(1000);
    expect(r.exitCode).toBe(130);
    expect(listFiles(path.join(dir, 'out')).filter((f) => !f.startsWith('.'))).toEqual([]);
  }, 30000);
});
