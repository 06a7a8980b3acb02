// Issue #18, classes 3 and 4: reads without bounds (lab.lock as /dev/zero or a FIFO, image.local as
// /proc/self/pagemap) and values that run or fetch what they should not (host.uri transports, a plain-http lock,
// a lab folder whose name carries XML). Each ran against main before this change and failed there.
import fs from 'node:fs';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import { cli, fedora44Lock, tempDir, writeLab } from '../support.js';

const LAB = 'name: a\nvips: []\nnodes:\n  - { name: x, ip: 10.240.0.11 }\n';

function labWithLock(lock: (file: string) => void, text = LAB) {
  const dir = tempDir();
  const lab = writeLab(text, dir);
  lock(path.join(dir, 'lab.lock'));
  return { dir, lab, render: () => cli(['--lab', lab, '--out', path.join(dir, 'out'), 'render']) };
}

const goodLock = (top: Record<string, unknown> = {}, image: Record<string, unknown> = {}) => fedora44Lock(image, top);

describe('reads with bounds', () => {
  test('lab.lock linked to /dev/zero: exit 2 at once, naming the lock', async () => {
    const { render } = labWithLock((f) => fs.symlinkSync('/dev/zero', f));
    const started = Date.now();
    const r = await render();
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toMatch(/lab\.lock: .*lab\.lock" is a device node, not a regular file/);
    expect(Date.now() - started).toBeLessThan(20_000);
  });

  test('lab.lock as a FIFO: exit 2 at once (no read that blocks, so SIGINT is never needed)', async () => {
    const { render } = labWithLock((f) => execFileSync('mkfifo', [f]));
    const started = Date.now();
    const r = await render();
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toMatch(/lab\.lock" is a FIFO \(named pipe\), not a regular file/);
    expect(Date.now() - started).toBeLessThan(20_000);
  });

  test('image.local: /proc/self/pagemap (size 0, no end) is refused, not hashed for ever', async () => {
    const dir = tempDir();
    const lab = writeLab(`${LAB}image: { local: /proc/self/pagemap }\n`, dir);
    const started = Date.now();
    const r = await cli(['--lab', lab, '--out', path.join(dir, 'out'), 'render']);
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toMatch(/image\.local: "\/proc\/self\/pagemap" holds more than the 0 bytes its size says/);
    expect(Date.now() - started).toBeLessThan(20_000);
  });
});

describe('lab.lock is checked on every read (exit 2 naming the field)', () => {
  const bad: [string, string, RegExp][] = [
    [
      'plain http with checksum none',
      goodLock({}, { url: 'http://evil.example/f.qcow2', checksum: 'none' }),
      /image\.url: must be an https:\/\/ URL/,
    ],
    [
      'checksum none',
      goodLock({}, { checksum: 'none' }),
      /image\.checksum: must be "sha256:" and 64 lowercase hex digits \(got "none"\)/,
    ],
    ['a short sha256', goodLock({}, { checksum: 'sha256:abc' }), /image\.checksum: must be "sha256:"/],
    ['an unknown field', goodLock({ run: 'curl x | sh' }), /holds unknown fields "run"/],
    ['an unknown image field', goodLock({}, { boot_command: 'x' }), /image: holds unknown fields "boot_command"/],
    ['a line break in the compose', goodLock({}, { compose: '1.7\nx' }), /image\.compose: must be one line/],
    [
      'credentials in the mirror',
      goodLock({}, { mirror: 'https://u:p@mirror.example/' }),
      /image\.mirror: must be an https/,
    ],
  ];
  test.each(bad)('%s', async (_name, text, message) => {
    const { render } = labWithLock((f) => fs.writeFileSync(f, text));
    const r = await render();
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toMatch(message);
    expect(r.stderr).toMatch(/lab\.lock: /);
  });

  test('a lock that fits is taken', async () => {
    const { render } = labWithLock((f) => fs.writeFileSync(f, goodLock()));
    expect((await render()).exitCode).toBe(0);
  });
});

describe('host.uri and paths', () => {
  test.each([
    ['qemu+ext:///system?command=/tmp/x', /uses the transport "qemu\+ext"/],
    ['qemu+ssh://root@h/system?command=/tmp/x', /carries parameters; labforge takes none/],
    ['qemu+ssh://root@-oProxyCommand=x/system', /is not a host name/],
    ['qemu:///system?socket=/tmp/s', /is not a libvirt URI labforge drives/],
    ['qemu+ssh://root@h:99999/system', /port 99999 is not 1 to 65535/],
    ['qemu+ssh://root@h/session', /must end in \/system/],
  ])('host.uri %s: exit 2 naming the field', async (uri, message) => {
    const dir = tempDir();
    const lab = writeLab(`${LAB}host: { uri: ${JSON.stringify(uri)} }\n`, dir);
    const r = await cli(['--lab', lab, '--out', path.join(dir, 'out'), 'render']);
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toMatch(/host\.uri: /);
    expect(r.stderr).toMatch(message);
  });

  test('a relative pool_path under a lab folder whose name carries XML is refused after resolving', async () => {
    const dir = path.join(tempDir(), "lab'><x");
    fs.mkdirSync(dir);
    const lab = writeLab(`${LAB}host: { pool_path: pool }\n`, dir);
    const r = await cli(['--lab', 'lab.yaml', '--out', path.join(tempDir(), 'out'), 'render'], { cwd: dir });
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toMatch(/vagrant-libvirt would write unescaped into libvirt XML/);
    expect(fs.existsSync(path.join(path.dirname(lab), 'out'))).toBe(false);
  });
});
