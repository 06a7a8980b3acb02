// The Vagrantfile: one vagrant-libvirt machine per node, the provisioner that makes each node a lab member.
import type { Lab } from '../lab/model.js';
import { header, type RenderContext } from './context.js';
import { ruby } from './escape.js';
import { renderTemplate, repoFile } from './sources.js';

export function renderVagrantfile(lab: Lab, ctx: RenderContext, box: string, source: string): string {
  return renderTemplate(['vagrant', 'Vagrantfile.ejs'], { lab, box, driver: ctx.driver, ruby, header: header('#', source) });
}

/** The guest scripts the Vagrantfile uploads to every node (repo sources, copied verbatim). */
export function renderProvisionFiles(): Record<string, string> {
  return { 'provision/node.sh': repoFile('vagrant', 'scripts', 'node.sh') };
}
