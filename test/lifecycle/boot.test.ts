// How long Vagrant waits for the nodes to boot, and what up says when they do not: the boot time-out grows with
// the nodes each host CPU boots under TCG unless the lab file sets it; a node that times out is named with the tail
// of its serial console.
import fs from 'node:fs';
import path from 'node:path';
import { loadLabText } from '../../src/lab/load.js';
import { bootTimedOut } from '../../src/lifecycle/nodes/boot.js';
import { bootTimeoutS } from '../../src/render/vagrantfile.js';
import { ToolError } from '../../src/errors.js';
import { GUIDE_LAB_TEXT, guideLab, tempDir } from '../support.js';

const nine = loadLabText(GUIDE_LAB_TEXT, '/tmp/boot/lab.yaml').lab;
const two = loadLabText(
  'name: t\nvips: []\nnodes:\n  - { name: a, ip: 10.240.0.11 }\n  - { name: b, ip: 10.240.0.12 }\n',
  '/tmp/boot/lab.yaml',
).lab;
const ctx = (driver: 'kvm' | 'qemu', hostCpus: number) => ({ driver, hostCpus, vagrantPublicKeys: [] });

test('TCG: 600 s times the nodes per host CPU; KVM: 300 s likewise; the lab file wins', () => {
  expect(bootTimeoutS(two, ctx('qemu', 2))).toBe(600);
  expect(bootTimeoutS(nine, ctx('qemu', 2))).toBe(3000);
  expect(bootTimeoutS(nine, ctx('kvm', 4))).toBe(900);
  expect(bootTimeoutS(nine, ctx('kvm', 16))).toBe(300);
  const set = loadLabText(guideLab('host: { boot_timeout: 45 }'), '/tmp/boot/lab.yaml').lab;
  expect(bootTimeoutS(set, ctx('qemu', 1))).toBe(45);
});

test('a boot time-out names the nodes Vagrant named, each with the end of its console log', () => {
  const dir = tempDir();
  const { lab } = loadLabText(
    'name: t\nvips: []\nnodes:\n  - { name: a, ip: 10.240.0.11 }\n  - { name: b, ip: 10.240.0.12 }\n',
    path.join(dir, 'lab.yaml'),
    { outDir: path.join(dir, 'out') },
  );
  fs.mkdirSync(path.join(dir, 'out', 'logs'), { recursive: true });
  fs.writeFileSync(
    path.join(dir, 'out', 'logs', 'b-console.log'),
    `${Array.from({ length: 40 }, (_, i) => `boot line ${i}`).join('\r\n')}\r\n[  OK  ] Reached target Multi-User System.\r\n`,
  );
  const e = new ToolError(
    'vagrant',
    ['vagrant', 'up'],
    1,
    '==> b: Waiting for machine to boot. This may take a few minutes...\n' +
      'Timed out while waiting for the machine to boot. This means that\n' +
      'Vagrant was unable to communicate with the guest machine within\n' +
      'the configured ("config.vm.boot_timeout" value) time period.',
  );
  const err = bootTimedOut(lab, ctx('qemu', 2), e)!;
  expect(err.message.split('\n')[0]).toBe(
    'vagrant up timed out waiting for b to boot (config.vm.boot_timeout 600 s; host.boot_timeout sets it):',
  );
  expect(err.message).toContain('    [  OK  ] Reached target Multi-User System.');
  expect(err.message).toContain('    boot line 39');
  expect(err.message).not.toContain('boot line 10\n');
  expect(
    bootTimedOut(lab, ctx('qemu', 2), new ToolError('vagrant', ['vagrant', 'up'], 1, 'some other failure')),
  ).toBeUndefined();
});
