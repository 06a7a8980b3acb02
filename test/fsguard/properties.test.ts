// Issue #18: random hostile names, paths, URIs and locks through the file layer and the validators (fast-check).
import fs from 'node:fs';
import path from 'node:path';
import fc from 'fast-check';
import { FileLayer, UnsafePathError } from '../../src/fsguard/layer.js';
import { readBounded, UnreadableFileError } from '../../src/fsguard/read.js';
import { hostUriProblem } from '../../src/lab/host-uri.js';
import { lockProblem } from '../../src/lab/lock-schema.js';
import { hostPathProblem } from '../../src/lab/paths.js';
import { tempDir } from '../support.js';

/** Every file under `dir` (links not followed) with its mode and text: what must not change. */
function snapshot(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name of fs.readdirSync(dir, { recursive: true }) as string[]) {
    const p = path.join(dir, name);
    const st = fs.lstatSync(p);
    out[name] = `${st.mode.toString(8)}:${st.isFile() ? fs.readFileSync(p, 'utf8') : ''}`;
  }
  out['.'] = fs.lstatSync(dir).mode.toString(8);
  return out;
}

const segment = fc.oneof(
  fc.constantFrom('a', 'b', 'secrets', '.renders', '..', '.', '', 'x\0y', 'link', 'fifo'),
  fc.string({ minLength: 1, maxLength: 6 }),
);
const relPath = fc.array(segment, { minLength: 1, maxLength: 4 }).map((parts) => parts.join('/'));

describe('the file layer never writes through a link or outside its root', () => {
  test('random operations on random paths in a tree holding links to a victim folder and a FIFO', () => {
    fc.assert(
      fc.property(
        fc.constantFrom('write', 'mkdir', 'append', 'chmod', 'remove', 'link', 'rename', 'removeRecorded', 'publish'),
        relPath,
        relPath,
        (op, rel, other) => {
          const dir = tempDir('labforge-prop-');
          const root = path.join(dir, 'out');
          const victim = path.join(dir, 'victim');
          fs.mkdirSync(path.join(root, 'a', 'b'), { recursive: true });
          fs.mkdirSync(victim);
          fs.writeFileSync(path.join(victim, 'precious'), 'keep');
          fs.chmodSync(victim, 0o755);
          fs.symlinkSync(victim, path.join(root, 'link'));
          fs.symlinkSync(victim, path.join(root, 'a', 'secrets'));
          fs.symlinkSync(path.join(victim, 'precious'), path.join(root, 'a', 'b', 'file'));
          const before = snapshot(victim);
          const layer = new FileLayer(root);
          try {
            if (op === 'write') layer.write(rel, 'x', 0o600);
            else if (op === 'mkdir') layer.mkdir(rel, 0o700);
            else if (op === 'append') layer.append(rel, 'x');
            else if (op === 'chmod') layer.chmod(rel, 0o777);
            else if (op === 'remove') layer.remove(rel, ['file', 'link', 'folder']);
            else if (op === 'link') layer.link('/etc/passwd', rel);
            else if (op === 'rename') layer.rename(rel, other);
            else if (op === 'publish') layer.publish(rel, 'x');
            else layer.removeRecorded(rel, [other, 'precious', 'b/file']);
          } catch (e) {
            const code = (e as NodeJS.ErrnoException).code;
            // Refused by the layer, or a plain error of the system call on a path that does not fit (never EPERM
            // from writing through into the victim: that folder is unchanged below either way).
            expect(e instanceof UnsafePathError || typeof code === 'string').toBe(true);
          }
          expect(snapshot(victim)).toEqual(before);
          // Nothing appeared outside the root.
          expect(fs.readdirSync(dir).sort()).toEqual(['out', 'victim']);
        },
      ),
      { numRuns: 300 },
    );
  });
});

describe('bounded reads', () => {
  test('random sizes against random bounds: the whole file or a refusal, never more than the bound', () => {
    const dir = tempDir('labforge-prop-');
    fc.assert(
      fc.property(fc.nat(4096), fc.nat(4096), (size, max) => {
        const file = path.join(dir, 'f');
        fs.writeFileSync(file, Buffer.alloc(size, 7));
        try {
          expect(readBounded(file, { what: 'x', maxBytes: max }).length).toBe(size);
          expect(size).toBeLessThanOrEqual(max);
        } catch (e) {
          expect(e).toBeInstanceOf(UnreadableFileError);
          expect(size).toBeGreaterThan(max);
        }
      }),
    );
  });
});

describe('host.uri allow-list', () => {
  test('whatever is appended to or put into an accepted URI, only the allowed shapes pass', () => {
    const hostile = fc.oneof(
      fc.string(),
      fc.constantFrom('?command=/tmp/x', '?netcat=/tmp/nc', '#x', '?socket=/s', '/../x', ' -oProxyCommand=x'),
    );
    fc.assert(
      fc.property(
        fc.constantFrom(
          'qemu:///system',
          'qemu:///session',
          'qemu+ssh://root@h/system',
          'qemu+ext:///system',
          'test:///default',
        ),
        hostile,
        fc.constantFrom('user', 'host', 'suffix', 'port'),
        (base, bad, where) => {
          const uri =
            where === 'suffix'
              ? base + bad
              : where === 'user'
                ? `qemu+ssh://${bad}@h/system`
                : where === 'host'
                  ? `qemu+ssh://root@${bad}/system`
                  : `qemu+ssh://root@h:${bad}/system`;
          if (hostUriProblem(uri) !== undefined) return;
          // Accepted: one of the local daemons, or ssh to a checked user, host and port, no query, no fragment.
          expect(
            uri === 'qemu:///system' ||
              uri === 'qemu:///session' ||
              /^qemu\+ssh:\/\/([A-Za-z_][A-Za-z0-9_.-]*@)?([A-Za-z0-9][A-Za-z0-9.-]*|\[[0-9A-Fa-f:.]+\])(:\d{1,5})?\/system$/.test(
                uri,
              ),
          ).toBe(true);
          expect(uri).not.toMatch(/[?#\s]/);
        },
      ),
      { numRuns: 2000 },
    );
  });
});

describe('lab.lock schema', () => {
  const base = {
    method: 'cloud',
    url: 'https://mirror.example/f.qcow2',
    checksum: `sha256:${'0'.repeat(64)}`,
    from: 'catalogue',
  };
  test('a random url or checksum is taken only when it is https (or loopback http) and sha256 with 64 hex digits', () => {
    fc.assert(
      fc.property(
        fc.oneof(fc.webUrl({ validSchemes: ['http', 'https', 'ftp', 'file'] }), fc.string()),
        fc.oneof(
          fc.string(),
          fc
            .string({ unit: fc.constantFrom(...'0123456789abcdefABCDEF'), minLength: 60, maxLength: 68 })
            .map((h) => `sha256:${h}`),
        ),
        (url, checksum) => {
          const problem = lockProblem({ lockfile: 1, image: { ...base, url, checksum } });
          if (problem !== undefined) return;
          expect(/^sha256:[0-9a-f]{64}$/.test(checksum)).toBe(true);
          const u = new URL(url);
          expect(u.protocol === 'https:' || ['127.0.0.1', 'localhost', '[::1]'].includes(u.hostname)).toBe(true);
        },
      ),
      { numRuns: 2000 },
    );
  });

  test('any unknown key, at the top or in image, is refused naming it', () => {
    fc.assert(
      fc.property(
        fc.string({ minLength: 1 }).filter((k) => !['lockfile', 'image', 'bake', '__proto__'].includes(k)),
        fc.boolean(),
        (key, inImage) => {
          const lock = inImage
            ? { lockfile: 1, image: { ...base, [key]: 'x' } }
            : { lockfile: 1, image: base, [key]: 'x' };
          if (inImage && Object.keys(base).includes(key)) return;
          expect(lockProblem(lock)).toMatch(/holds unknown fields/);
        },
      ),
    );
  });
});

describe('paths are checked after resolving', () => {
  test('a folder name with a character XML or ssh cannot carry is refused wherever it sits in the path', () => {
    fc.assert(
      fc.property(
        fc.string({ maxLength: 8 }),
        fc.constantFrom('<', '>', '&', "'", '"', '\n', '\u0085', '${'),
        fc.string({ maxLength: 8 }),
        (a, bad, b) => {
          const resolved = path.resolve('/srv', `${a}${bad}${b}`.replace(/\//g, '_'), 'pool');
          expect(hostPathProblem(resolved)).toBeDefined();
        },
      ),
    );
  });
});
