#!/usr/bin/env node
// npm run bench: the speed claims labforge makes, measured side by side in one run and printed as ratios.
//  1. "bake does nothing in well under a second when the box is installed": the box check reads Vagrant's box
//     directory instead of running `vagrant box list`.
//  2. "commands stay fast with a local base image": its sha256 is cached by path, size and mtime.
//  3. Rendering the default lab in memory, against the `packer validate` run that checks it.
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import { boxInstalled, insecureKey } from '../dist/tools/vagrant.js';
import { loadLabText } from '../dist/lab/load.js';
import { renderLab } from '../dist/render/index.js';
import { claimOutDir, writeRender } from '../dist/lifecycle/write.js';
import { openLab } from '../dist/lifecycle/open.js';

async function median(fn, runs) {
  const times = [];
  for (let i = 0; i < runs; i++) {
    const t = process.hrtime.bigint();
    await fn();
    times.push(Number(process.hrtime.bigint() - t) / 1e6);
  }
  times.sort((a, b) => a - b);
  return times[Math.floor(times.length / 2)];
}

const rows = [];
function compare(claim, slowName, slow, fastName, fast) {
  rows.push({ claim, slowName, slow, fastName, fast, ratio: slow / fast });
}

const home = fs.mkdtempSync(path.join(os.tmpdir(), 'labforge-bench-'));
process.env.VAGRANT_HOME = path.join(home, 'vagrant-home');
fs.mkdirSync(path.join(process.env.VAGRANT_HOME, 'boxes', 'labforge-VAGRANTSLASH-bench', '0', 'libvirt'), { recursive: true });
fs.writeFileSync(path.join(process.env.VAGRANT_HOME, 'boxes', 'labforge-VAGRANTSLASH-bench', '0', 'libvirt', 'metadata.json'), '{"provider":"libvirt"}');

// 1. Box check.
const env = { ...process.env, VAGRANT_CHECKPOINT_DISABLE: '1' };
const viaVagrant = await median(() => execFileSync('vagrant', ['box', 'list', '--machine-readable'], { env }), 3);
const viaDir = await median(() => boxInstalled('labforge/bench'), 200);
compare('box installed?', '`vagrant box list`', viaVagrant, 'box directory', viaDir);

// 2. Local image checksum: 256 MiB image, first command vs later ones.
const image = path.join(home, 'base.qcow2');
fs.writeFileSync(image, crypto.randomBytes(256 * 2 ** 20));
const labFile = path.join(home, 'lab.yaml');
fs.writeFileSync(labFile, `name: bench\nvips: []\nnodes:\n  - { name: a, ip: 10.240.0.11 }\nimage: { local: ${JSON.stringify(image)}, disk: 2G }\n`);
// The cache lives in the lab's output folder, which labforge must own first.
claimOutDir(path.join(home, '.labforge', 'bench'), 'bench');
const uncached = await median(async () => {
  fs.rmSync(path.join(home, '.labforge', 'bench', '.cache'), { recursive: true, force: true });
  await openLab({ lab: labFile });
}, 3);
const cached = await median(() => openLab({ lab: labFile }), 20);
compare('open a lab with a 256 MiB local image', 'sha256 computed', uncached, 'sha256 cached', cached);

// 3. Render vs the real validator.
const pub = 'ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABAQ bench';
// The default lab pins its image by sha256 (lab.lock, or the catalogue): packer validate fetches nothing.
const { lab } = loadLabText('{}', path.join(home, 'default', 'lab.yaml'));
const render = await median(() => renderLab(lab, { driver: 'qemu', vagrantPublicKey: pub }), 50);
writeRender(lab.outDir, renderLab(lab, { driver: 'qemu', vagrantPublicKey: pub }), lab);
const validate = await median(
  () => execFileSync('packer', ['validate', '-var', `ssh_private_key_file=${insecureKey().privateKey}`, '.'], { cwd: path.join(lab.outDir, 'packer'), env: { ...env, CHECKPOINT_DISABLE: '1' } }),
  3,
);
compare('default lab', '`packer validate`', validate, 'render (all files)', render);

fs.rmSync(home, { recursive: true, force: true });
console.log('claim                                    slow                          fast                          ratio');
for (const r of rows) {
  console.log(
    `${r.claim.padEnd(40)} ${`${r.slowName} ${r.slow.toFixed(1)} ms`.padEnd(29)} ${`${r.fastName} ${r.fast.toFixed(3)} ms`.padEnd(29)} ${r.ratio.toFixed(0)}x`,
  );
}
