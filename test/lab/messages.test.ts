// What validation messages show of a hostile value (issue #18): bidirectional overrides, invisible characters and
// homoglyphs escaped (`\u202e`, `\u0430`), never raw; and the lab's domain: a public one is warned about, and
// hosts --install (and ssh-config --install) put its names on the workstation only with --public-domain.
import fs from 'node:fs';
import path from 'node:path';
import fc from 'fast-check';
import { isPrivateDomain, PRIVATE_DOMAINS } from '../../src/lab/domain.js';
import { formatIssue } from '../../src/lab/issues.js';
import { validateLab } from '../../src/lab/validate.js';
import { cli, tempDir, writeLab } from '../support.js';

const NODES = 'nodes:\n  - { name: a, ip: 10.240.0.11 }\n';

describe('validation messages escape what would hide', () => {
  test('a right-to-left override in the name, a Cyrillic a in a field name and in the domain: shown escaped, exit 2, nothing written', async () => {
    const dir = tempDir();
    const lab = writeLab(
      `name: "lab\\u202egnp.exe"\n${NODES.replace('name: a', 'n\u0430me: a')}domain: "ex\u0430mple.com"\n`,
      dir,
    );
    const out = path.join(dir, 'out');
    const r = await cli(['--lab', lab, '--out', out, 'render']);
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toContain('name: must be a lab name');
    expect(r.stderr).toContain('got "lab\\u202egnp.exe"');
    expect(r.stderr).toContain('nodes[0].n\\u0430me: unknown field (did you mean "name"?)');
    expect(r.stderr).toContain('domain: must be a DNS domain like example.com, got "ex\\u0430mple.com"');
    expect(r.stderr).not.toMatch(/[\u0430\u202e]/);
    expect(fs.existsSync(out)).toBe(false);
  });

  test('property: any value of any field shows in its message as printable ASCII only', () => {
    fc.assert(
      fc.property(
        fc.constantFrom('name', 'domain', 'box_name'),
        fc.string({ unit: 'binary', minLength: 1, maxLength: 30 }),
        (field, value) => {
          const { issues } = validateLab({ [field]: value, nodes: [{ name: 'a', ip: '10.240.0.11' }] });
          for (const issue of issues) {
            const line = formatIssue('lab.yaml', issue);
            expect(line).toMatch(/^[\t\u0020-\u007e]*$/);
          }
        },
      ),
      { numRuns: 300 },
    );
  });
});

describe("the lab's domain", () => {
  test('reserved and private domains, and names under them, are private; anything else is public', () => {
    for (const d of PRIVATE_DOMAINS) {
      expect(isPrivateDomain(d)).toBe(true);
      expect(isPrivateDomain(`lab.${d}`)).toBe(true);
    }
    for (const d of ['github.com', 'example.com.evil.org', 'notexample.com', 'test.com', 'lan.io', 'corp.example.de'])
      expect(isPrivateDomain(d)).toBe(false);
    // Under a private name: private, whatever comes before; a private name with a public suffix: public.
    const label = fc.stringMatching(/^[a-z][a-z0-9]{0,10}$/);
    fc.assert(
      fc.property(label, fc.constantFrom(...PRIVATE_DOMAINS), (l, p) => {
        expect(isPrivateDomain(`${l}.${p}`)).toBe(true);
        expect(isPrivateDomain(`${p}.${l}io`)).toBe(false);
      }),
    );
  });

  test('a public domain is a warning naming it; hosts --install refuses it (exit 2) without --public-domain and leaves the file', async () => {
    const dir = tempDir();
    const lab = writeLab(`name: t\ndomain: github.com\nvips: []\n${NODES}`, dir);
    const file = path.join(dir, 'hosts');
    const before = '127.0.0.1 localhost\n';
    fs.writeFileSync(file, before);
    const labforge = (...args: string[]) => cli(['--lab', lab, '--out', path.join(dir, 'out'), ...args]);
    const shown = await labforge('hosts');
    expect(shown.exitCode).toBe(0);
    expect(shown.stderr).toContain('warning: domain: "github.com" is not a reserved or private domain');
    for (const command of ['hosts', 'ssh-config']) {
      const r = await labforge(command, '--install', '--file', file);
      expect(r.exitCode).toBe(2);
      expect(r.stderr).toContain(`${command} --install: domain "github.com" is not a reserved or private domain`);
      expect(r.stderr).toContain('pass --public-domain to install them anyway');
      expect(fs.readFileSync(file, 'utf8')).toBe(before);
      expect(fs.readdirSync(dir).sort()).toEqual(['hosts', 'lab.yaml']);
    }
    const ok = await labforge('hosts', '--install', '--public-domain', '--yes', '--file', file);
    expect(ok.exitCode).toBe(0);
    expect(fs.readFileSync(file, 'utf8')).toContain('10.240.0.11  a.github.com a');
    // Taking the names out needs no flag.
    expect((await labforge('hosts', '--remove', '--yes', '--file', file)).exitCode).toBe(0);
    expect(fs.readFileSync(file, 'utf8')).toBe(before);
  });

  test('the default domain (example.com) and one under .test give no warning', async () => {
    for (const domain of ['example.com', 'lab.test', 'k8s.home.arpa']) {
      const r = await cli(['--lab', writeLab(`name: t\ndomain: ${domain}\nvips: []\n${NODES}`), 'hosts']);
      expect(r.exitCode).toBe(0);
      expect(r.stderr).not.toContain('warning');
    }
  });
});
