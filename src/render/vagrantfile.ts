// The Vagrantfile: one vagrant-libvirt machine per node, the provisioner that makes each node a lab member.
import type { Lab } from '../lab/model.js';
import { header, type RenderContext } from './context.js';
import { ruby } from './escape.js';
import { renderTemplate, repoFile } from './sources.js';
import { SECRETS_DIR } from '../lab/model.js';

/** Where the root password lives, relative to the output folder (written by the lifecycle, 0600). */
export const ROOT_PASSWORD_FILE = `${SECRETS_DIR}/root-password`;

export function renderVagrantfile(lab: Lab, ctx: RenderContext, box: string, source: string): string {
  return renderTemplate(['vagrant', 'Vagrantfile.ejs'], { lab, box, driver: ctx.driver, ruby, header: header('#', source), rootPasswordFile: ROOT_PASSWORD_FILE });
}

/** The guest scripts the Vagrantfile uploads to every node (repo sources, copied verbatim): node.sh and the
 *  helpers it shares with the bake's scripts (packer/scripts/lib.sh). */
export function renderProvisionFiles(): Record<string, string> {
  return {
    'provision/node.sh': repoFile('vagrant', 'scripts', 'node.sh'),
    'provision/lib.sh': repoFile('packer', 'scripts', 'lib.sh'),
  };
}
