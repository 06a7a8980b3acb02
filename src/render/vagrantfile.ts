// The Vagrantfile: one vagrant-libvirt machine per node, the provisioner that makes each node a lab member.
import path from 'node:path';
import type { Lab } from '../lab/model.js';
import { header, type RenderContext } from './context.js';
import { ruby } from './escape.js';
import { renderTemplate, repoFile } from './repo-files.js';
import { SECRETS_DIR } from '../lab/model.js';

/** Where the root password lives, relative to the output folder (written by the lifecycle, 0600). */
export const ROOT_PASSWORD_FILE = `${SECRETS_DIR}/root-password`;

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

/** How long Vagrant waits for each node to boot: the lab file's host.boot_timeout, or 300 s under KVM and 600 s
 *  under TCG, times the nodes each host CPU has to boot at once (they boot together, --parallel). */
export function bootTimeoutS(lab: Lab, ctx: RenderContext): number {
  if (lab.host.bootTimeout !== undefined) return lab.host.bootTimeout;
  const perCpu = Math.ceil(lab.nodes.length / Math.max(1, ctx.hostCpus ?? 1));
  return (ctx.driver === 'kvm' ? 300 : 600) * Math.max(1, perCpu);
}

export function renderVagrantfile(lab: Lab, ctx: RenderContext, box: string, source: string): string {
  return renderTemplate(['vagrant', 'Vagrantfile.ejs'], {
    lab,
    box,
    driver: ctx.driver,
    ruby,
    header: header('#', source),
    rootPasswordFile: ROOT_PASSWORD_FILE,
    publicKey: publicKeyExpression(lab),
    bootTimeout: bootTimeoutS(lab, ctx),
  });
}

/** The guest scripts the Vagrantfile uploads to every node (repo sources, copied verbatim): node.sh and the
 *  helpers it shares with the bake's scripts (packer/scripts/lib.sh). */
export function renderProvisionFiles(): Record<string, string> {
  return {
    'provision/node.sh': repoFile('vagrant', 'scripts', 'node.sh'),
    'provision/lib.sh': repoFile('packer', 'scripts', 'lib.sh'),
  };
}
