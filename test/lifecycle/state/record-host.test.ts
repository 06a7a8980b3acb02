// The ownership record names the libvirt host (its URI): a lab whose host.uri changed since is refused before it adds
// the new host's objects to the old host's record, or destroys "its" objects through the wrong host.
import fs from 'node:fs';
import path from 'node:path';
import { loadLabText } from '../../../src/lab/load.js';
import { emptyRecord } from '../../../src/lifecycle/state/ownership.js';
import { addToRecord, readRecord, recordOnThisHost, writeRecord } from '../../../src/lifecycle/state/record.js';
import { destroy } from '../../../src/lifecycle/destroy.js';
import { UsageError } from '../../../src/errors.js';
import { tempDir } from '../../support.js';

const lab = (uri: string, outDir: string) =>
  loadLabText(`host: { uri: "${uri}" }\nnodes:\n  - { name: a }\n`, path.join(outDir, '..', 'lab.yaml'), { outDir })
    .lab;

test('a record of another host is refused by addToRecord and destroy, naming both URIs; the record stays', async () => {
  const out = path.join(tempDir(), 'out');
  fs.mkdirSync(out);
  const remote = 'qemu+ssh://root@hv-a.example.com/system';
  writeRecord(out, { ...emptyRecord('kubernetes', remote), networks: [{ name: 'kubernetes', uuid: 'u-1' }] });
  const local = lab('qemu:///system', out);
  expect(() => addToRecord(local, { networks: [{ name: 'x', uuid: 'u-2' }] })).toThrow(UsageError);
  expect(() => recordOnThisHost(local)).toThrow(
    `the lab's objects are recorded on ${remote} (.labforge-state.json), but host.uri is now "qemu:///system"`,
  );
  await expect(destroy(local, {})).rejects.toThrow(/recorded on qemu\+ssh:\/\/root@hv-a\.example\.com\/system/);
  expect(readRecord(out)?.networks).toEqual([{ name: 'kubernetes', uuid: 'u-1' }]);
  // The same host: accepted.
  expect(addToRecord(lab(remote, out), { networks: [{ name: 'x', uuid: 'u-2' }] }).networks).toHaveLength(2);
});
