// The remote-host test bed itself (scripts/hosts-env.sh): from the workstation namespace, libvirt's ssh transport
// reaches host a's libvirtd and not host b's; the workstation has no libvirtd of its own; down leaves nothing.
import fs from 'node:fs';
import { execa } from 'execa';
import { toolPath } from '../support.js';
import { testBedUp, type TestBed } from './testbed.js';

const NEEDS = ['libvirtd', 'virsh', 'sshd', 'ssh', 'ip', 'nsenter'];
const lacking =
  process.getuid?.() !== 0 ? ['root'] : NEEDS.filter((t) => !toolPath(t) && !fs.existsSync(`/usr/sbin/${t}`));
if (lacking.length && process.env.CI !== 'true') console.warn(`SKIPPING the test bed test: no ${lacking.join(', ')}`);
const suite = lacking.length && process.env.CI !== 'true' ? describe.skip : describe;

suite('the remote-host test bed (scripts/hosts-env.sh)', () => {
  let bed: TestBed;
  beforeAll(async () => {
    bed = await testBedUp('lfbed');
  }, 120000);

  test('from the workstation, host a URI lists host a libvirt objects and not host b', async () => {
    const net = `only-on-a-${process.pid}`;
    const xml = `${bed.state}/${net}.xml`;
    fs.writeFileSync(xml, `<network><name>${net}</name></network>\n`);
    await bed.exec('a', 'virsh', ['-c', 'qemu:///system', 'net-define', xml]);

    const onA = await bed.exec('ws', 'virsh', ['-q', '-c', bed.uri('a'), 'net-list', '--all', '--name']);
    const onB = await bed.exec('ws', 'virsh', ['-q', '-c', bed.uri('b'), 'net-list', '--all', '--name']);
    expect(onA.stdout.split('\n')).toContain(net);
    expect(onB.stdout.split('\n')).not.toContain(net);
    // The hosts' own view agrees: b never had it.
    const local = await bed.exec('b', 'virsh', ['-q', '-c', 'qemu:///system', 'net-list', '--all', '--name']);
    expect(local.stdout).not.toContain(net);
  });

  test('the workstation has no libvirtd: only the ssh transport reaches libvirt from there', async () => {
    const r = await bed.exec('ws', 'virsh', ['-c', 'qemu:///system', 'list'], { reject: false });
    expect(r.exitCode).not.toBe(0);
    expect(r.all).toMatch(/libvirt-sock|failed to connect/i);
  });

  test('a host refuses a key it was not given (no password or other way in)', async () => {
    const key = `${bed.state}/other_key`;
    await execa('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', key]);
    const r = await bed.exec('ws', 'ssh', ['-o', 'IdentitiesOnly=yes', '-i', key, `root@${bed.ip('a')}`, 'true'], {
      reject: false,
    });
    expect(r.exitCode).toBe(255);
    expect(r.all).toMatch(/Permission denied/);
  });

  test('down removes every namespace and process of the test bed', async () => {
    const out = await bed.down();
    expect(out).toMatch(/deleted network namespace/);
    for (const p of ['ws', 'a', 'b']) expect(fs.existsSync(`/run/netns/${bed.prefix}-${p}`)).toBe(false);
    const sshd = await execa('pgrep', ['-f', `${bed.state}/a/ssh/sshd_config`], { reject: false });
    expect(sshd.stdout).toBe('');
    // A second down is a no-op that succeeds.
    await bed.down();
  }, 120000);
});
