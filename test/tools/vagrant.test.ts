// Vagrant's machine-readable output, parsed as Vagrant writes it (the format of vagrant 2.3.4's output here).
import { parseMachineReadable, parseStatus } from '../../src/tools/vagrant.js';

test('fields unescape %!(VAGRANT_COMMA) and \\n', () => {
  const [line] = parseMachineReadable('1795609947,vagrant-libvirt,plugin-version,0.11.2%!(VAGRANT_COMMA) system\n');
  expect(line).toEqual({
    timestamp: 1795609947,
    target: 'vagrant-libvirt',
    type: 'plugin-version',
    data: ['0.11.2, system'],
  });
  const [ui] = parseMachineReadable('1,,ui,info,line one\\nline two%!(VAGRANT_COMMA) still two');
  expect(ui.data).toEqual(['info', 'line one\nline two, still two']);
});

test('status: every machine with its state and provider', () => {
  const text = [
    '1795609946,etcd1,metadata,provider,libvirt',
    '1795609946,etcd2,metadata,provider,libvirt',
    '1795609947,etcd1,provider-name,libvirt',
    '1795609947,etcd1,state,running',
    '1795609947,etcd1,state-human-short,running',
    '1795609947,etcd2,provider-name,libvirt',
    '1795609947,etcd2,state,not_created',
    '1795609947,,ui,info,Current machine states:',
  ].join('\n');
  expect(parseStatus(text)).toEqual([
    { name: 'etcd1', state: 'running', provider: 'libvirt' },
    { name: 'etcd2', state: 'not_created', provider: 'libvirt' },
  ]);
});
