// status: one libvirt query, started while the lab file is validated when the file names the local default URI,
// and never before validation for any other URI. A stand-in virsh records every call.
import fs from 'node:fs';
import path from 'node:path';
import { earlyQuery } from '../../../src/lifecycle/nodes/status.js';
import { cli, tempDir, writeLab } from '../../support.js';

/** A lab folder with a stand-in virsh first on PATH that logs its arguments and lists domain t-a as running. */
function standInVirsh(labText: string) {
  const dir = tempDir();
  const bin = path.join(dir, 'bin');
  fs.mkdirSync(bin);
  const log = path.join(dir, 'virsh.log');
  fs.writeFileSync(
    path.join(bin, 'virsh'),
    `#!/bin/bash\necho "$*" >> ${JSON.stringify(log)}\nprintf ' Id   Name   State\\n----------------------\\n 1    t-a    running\\n'\n`,
    { mode: 0o755 },
  );
  const lab = writeLab(labText, dir);
  const calls = () => (fs.existsSync(log) ? fs.readFileSync(log, 'utf8').trim().split('\n') : []);
  const run = (...args: string[]) =>
    cli(['--lab', lab, '--out', path.join(dir, 'out'), 'status', ...args], {
      env: { PATH: `${bin}:${process.env.PATH}` },
    });
  return { calls, run };
}

const LAB = 'name: t\ndomain: example.com\nvips: []\nnodes:\n  - { name: a, ip: 10.240.0.11 }\n';

test.each([
  ['names no URI', LAB, 'qemu:///system'],
  ['names the default URI', `${LAB}host: { uri: "qemu:///system" }\n`, 'qemu:///system'],
  ['names another URI', `${LAB}host: { uri: "qemu:///session" }\n`, 'qemu:///session'],
])('a lab file that %s: one virsh call, with its URI, and its answer', async (_what, text, uri) => {
  const s = standInVirsh(text);
  const r = await s.run('--json');
  expect(r.exitCode).toBe(0);
  expect(JSON.parse(r.stdout)).toEqual([
    { name: 'a', fqdn: 'a.example.com', ip: '10.240.0.11', state: 'not_created', domain: 'running' },
  ]);
  expect(s.calls()).toEqual([`-q -c ${uri} list --all`]);
});

test('an invalid lab file that names a remote URI: exit 2 and nothing asked of libvirt', async () => {
  const s = standInVirsh(
    'name: t\nvips: []\nnodes:\n  - { name: a, ip: 10.240.0.999 }\nhost: { uri: "qemu+ssh://elsewhere.example/system" }\n',
  );
  const r = await s.run();
  expect(r.exitCode).toBe(2);
  expect(r.stderr).toMatch(/nodes\[0\]\.ip|nodes\.0\.ip/);
  expect(s.calls()).toEqual([]);
});

test('an invalid lab file without a URI: exit 2 (a local read-only list may have been asked)', async () => {
  const s = standInVirsh('name: t\nvips: []\nnodes:\n  - { name: a, ip: 10.240.0.999 }\n');
  const r = await s.run();
  expect(r.exitCode).toBe(2);
  expect(s.calls().every((c) => c === '-q -c qemu:///system list --all')).toBe(true);
});

test('earlyQuery: only for no URI or the default one, whatever shape the parsed document has', async () => {
  for (const raw of [
    undefined,
    null,
    'text',
    42,
    [],
    {},
    { host: null },
    { host: 'x' },
    { host: {} },
    { host: { uri: 'qemu:///system' } },
  ]) {
    const q = earlyQuery(raw);
    expect(q?.uri).toBe('qemu:///system');
    // No libvirt here (or a real one): the answer is a map, or virsh's error kept for status to raise.
    const answer = await q!.states;
    expect(answer instanceof Map || answer instanceof Error).toBe(true);
  }
  for (const uri of [
    'qemu:///session',
    'qemu+ssh://elsewhere.example/system',
    'QEMU:///system',
    7,
    null,
    ['qemu:///system'],
  ])
    expect(earlyQuery({ host: { uri } })).toBeUndefined();
});

test('a lab across hosts: a host column, each node with the host it runs on (its own domain state asked there)', async () => {
  const s = standInVirsh(
    [
      'name: t',
      'domain: example.com',
      'vips: []',
      'hosts:',
      '  - { name: ha, uri: "qemu+ssh://root@192.0.2.1/system" }',
      '  - { name: hb, uri: "qemu+ssh://root@192.0.2.2/system" }',
      'nodes:',
      '  - { name: a, ip: 10.240.0.11 }',
      '  - { name: b, ip: 10.240.0.12, host: hb }',
      '',
    ].join('\n'),
  );
  const r = await s.run();
  expect(r.exitCode).toBe(0);
  expect(r.stdout.split('\n')).toEqual([
    'NAME  FQDN           IP           HOST  STATE        DOMAIN',
    'a     a.example.com  10.240.0.11  ha    not_created  running',
    'b     b.example.com  10.240.0.12  hb    not_created  absent',
  ]);
  const json = await s.run('--json');
  expect(JSON.parse(json.stdout).map((n: { host: string }) => n.host)).toEqual(['ha', 'hb']);
  expect(s.calls()).toEqual(
    expect.arrayContaining([
      '-q -c qemu+ssh://root@192.0.2.1/system list --all',
      '-q -c qemu+ssh://root@192.0.2.2/system list --all',
    ]),
  );
});
