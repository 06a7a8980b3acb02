// The Vagrantfile: one vagrant-libvirt machine per node, the provisioner that makes each node a lab member.
import path from 'node:path';
import { hostOf, type Lab } from '../lab/model.js';
import { labMtu } from '../lab/fabric.js';
import { consoleLog, LAYOUT } from '../layout.js';
import { defaultBootTimeoutS } from '../time-limits.js';
import { header, type RenderContext } from './context.js';
import { ruby } from './escape.js';
import { renderTemplate, repoFile } from './repo-files.js';

/** The lab's public key as a Ruby expression. The Vagrantfile must not depend on where the output folder is (the same
 *  lab file gives the same file in any folder, as any user): a key inside the output folder (the lab's own) or beside
 *  the lab file is found from LAB_DIR; only a key elsewhere (e.g. in ~/.ssh) is named by its absolute path. */
export function publicKeyExpression(lab: Lab): string {
  const key = `${lab.access.sshKey}.pub`;
  const inside = (dir: string) => {
    const rel = path.relative(dir, key);
    return rel !== '' && !rel.startsWith('..') && !path.isAbsolute(rel);
  };
  const labDir = lab.source === '<defaults>' ? undefined : path.dirname(lab.source);
  if (inside(lab.outDir) || (labDir && inside(labDir)))
    return `File.expand_path(${ruby(path.relative(lab.outDir, key).split(path.sep).join('/'))}, LAB_DIR)`;
  return ruby(key);
}

/** How long Vagrant waits for each node to boot: the lab file's host.boot_timeout, or what this host needs
 *  (defaultBootTimeoutS). */
export function bootTimeoutS(lab: Lab, ctx: RenderContext): number {
  return lab.host.bootTimeout ?? defaultBootTimeoutS(lab.nodes.length, ctx.driver, ctx.hostCpus);
}

export function renderVagrantfile(lab: Lab, ctx: RenderContext, box: string, source: string): string {
  return renderTemplate(['vagrant', 'Vagrantfile.ejs'], {
    lab,
    box,
    driver: ctx.driver,
    ruby,
    header: header('#', source),
    rootPasswordFile: LAYOUT.rootPassword,
    provision: LAYOUT.provision,
    consoleLog,
    publicKey: publicKeyExpression(lab),
    bootTimeout: bootTimeoutS(lab, ctx),
    hostUri: (name: string) => hostOf(lab, name).uri,
    // Links of 1500 bytes (Ethernet's) when the hosts were not asked.
    labMtu: ctx.labMtu ?? labMtu([1500]),
  });
}

/** The guest scripts the Vagrantfile uploads to every node (repo sources, copied verbatim): node.sh and the
 *  helpers it shares with the bake's scripts (packer/scripts/lib.sh). */
export function renderProvisionFiles(): Record<string, string> {
  return {
    [`${LAYOUT.provision}/node.sh`]: repoFile('vagrant', 'scripts', 'node.sh'),
    [`${LAYOUT.provision}/lib.sh`]: repoFile('packer', 'scripts', 'lib.sh'),
  };
}
