// The Vagrantfile: one vagrant-libvirt machine per node, the provisioner that makes each node a lab member.
import fs from 'node:fs';
import ejs from 'ejs';
import type { Lab } from '../lab/model.js';
import { header, type RenderContext } from './context.js';
import { ruby } from './escape.js';
import { repoPath } from './sources.js';

let template: string | undefined;

export function renderVagrantfile(lab: Lab, ctx: RenderContext, box: string, source: string): string {
  template ??= fs.readFileSync(repoPath('vagrant', 'Vagrantfile.ejs'), 'utf8');
  return ejs.render(template, { lab, box, driver: ctx.driver, ruby, header: header('#', source) });
}

/** The guest scripts the Vagrantfile uploads to every node (repo sources, copied verbatim): node.sh and the
 *  helpers it shares with the bake's scripts (packer/scripts/lib.sh). */
export function renderProvisionFiles(): Record<string, string> {
  return {
    'provision/node.sh': fs.readFileSync(repoPath('vagrant', 'scripts', 'node.sh'), 'utf8'),
    'provision/lib.sh': fs.readFileSync(repoPath('packer', 'scripts', 'lib.sh'), 'utf8'),
  };
}
