// labforge bake: render, packer build, vagrant box add under a name that carries the hash of every bake input.
import fs from 'node:fs';
import path from 'node:path';
import { PACKER_BAKE } from '../render/packer.js';
import * as packer from '../tools/packer.js';
import * as vagrant from '../tools/vagrant.js';
import type { OpenLab } from './open.js';
import { logFile, runSteps } from './tasks.js';
import { renderToDisk } from './write.js';

export interface BakeResult {
  box: string;
  hash: string;
  built: boolean;
  seconds: number;
}

export async function bake(open: OpenLab, opts: { force?: boolean }): Promise<BakeResult> {
  const started = Date.now();
  const { lab, ctx } = open;
  const rendered = await renderToDisk(lab, ctx);
  if (!opts.force && vagrant.boxInstalled(rendered.box)) {
    return { box: rendered.box, hash: rendered.hash, built: false, seconds: (Date.now() - started) / 1000 };
  }
  const dir = path.join(lab.outDir, PACKER_BAKE.dir);
  const box = path.join(dir, PACKER_BAKE.box);
  const log = logFile(lab.outDir, 'bake');
  console.log(`labforge: baking ${rendered.box}; full log: ${log}`);
  await runSteps<{ version?: packer.Version }>(
    [
      {
        title: 'Check Packer',
        task: async (c) => {
          c.version = await packer.version();
          return `Packer ${c.version.text}${packer.supportsInit(c.version) ? '' : ' (no plugins file, no packer init)'}`;
        },
      },
      {
        title: 'Install Packer plugins (packer init)',
        skip: (c) => (c.version && !packer.supportsInit(c.version) ? `Packer ${c.version.text} has the qemu builder built in` : false),
        task: async (_c, progress) => packer.init(dir, PACKER_BAKE.initFile, { log, onLine: progress }),
      },
      {
        title: `Build the image (packer build, accelerator ${ctx.driver === 'kvm' ? 'kvm' : 'tcg'})`,
        task: async (_c, progress) => {
          fs.rmSync(path.dirname(box), { recursive: true, force: true });
          await packer.build(dir, { ssh_private_key_file: open.insecurePrivateKey }, { log, onLine: progress });
          if (!fs.existsSync(box)) throw new Error(`packer build finished but ${box} is missing`);
        },
      },
      {
        title: `Add the box ${rendered.box}`,
        task: async (_c, progress) => {
          await vagrant.boxAdd(rendered.box, box, { log, onLine: progress });
          fs.rmSync(path.dirname(box), { recursive: true, force: true });
          fs.rmSync(path.join(dir, PACKER_BAKE.outputDirectory), { recursive: true, force: true });
        },
      },
    ],
    {},
  );
  return { box: rendered.box, hash: rendered.hash, built: true, seconds: (Date.now() - started) / 1000 };
}
