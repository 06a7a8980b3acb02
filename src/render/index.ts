// Everything `labforge render` writes, as relative path -> text. Pure: the same lab and context give the same map.
import crypto from 'node:crypto';
import path from 'node:path';
import type { Lab } from '../lab/model.js';
import { LAYOUT } from '../layout.js';
import { isHeaderLine, type RenderContext } from './context.js';
import { renderHosts, renderSshConfig } from './hosts.js';
import { renderInventoryScript } from './inventory.js';
import { renderLabNetwork, renderManagementNetwork } from './network.js';
import { renderPacker } from './packer.js';
import { renderProvisionFiles, renderVagrantfile } from './vagrantfile.js';

/** How generated files name their lab file: relative to the output directory, so a clone elsewhere renders the same. */
export function sourceName(lab: Lab): string {
  return lab.source === '<defaults>' ? 'the built-in default lab' : path.relative(lab.outDir, lab.source) || lab.source;
}

/** A hash of every input of a bake: the rendered recipe (templates, answer files, guest scripts; the local base
 *  image's checksum is inside it) with the generated-by header lines left out, so labs that bake the same image
 *  share one box. */
export function bakeHash(packerFiles: Record<string, string>): string {
  const h = crypto.createHash('sha256');
  for (const file of Object.keys(packerFiles).sort()) {
    const body = packerFiles[file]
      .split('\n')
      .filter((line) => !isHeaderLine(line))
      .join('\n');
    h.update(`${file}\0${body}\0`);
  }
  return h.digest('hex').slice(0, 16);
}

export function boxName(lab: Lab, hash: string): string {
  return lab.image.local ? `labforge/local-${hash}` : `labforge/fedora${lab.image.release}-${hash}`;
}

export interface Rendered {
  files: Record<string, string>;
  hash: string;
  box: string;
}

export function renderLab(lab: Lab, ctx: RenderContext): Rendered {
  const source = sourceName(lab);
  const packer = renderPacker(lab, ctx, source);
  const hash = bakeHash(packer);
  const box = boxName(lab, hash);
  const files: Record<string, string> = {
    ...packer,
    [LAYOUT.vagrantfile]: renderVagrantfile(lab, ctx, box, source),
    ...renderProvisionFiles(),
    [`${LAYOUT.provision}/hosts`]: renderHosts(lab, source),
    [LAYOUT.labNetwork]: renderLabNetwork(lab, source),
    [LAYOUT.managementNetwork]: renderManagementNetwork(lab, source),
    [LAYOUT.hosts]: renderHosts(lab, source),
    [LAYOUT.sshConfig]: renderSshConfig(lab, source),
    [LAYOUT.inventory]: renderInventoryScript(lab, source),
  };
  return {
    files: Object.fromEntries(
      Object.keys(files)
        .sort()
        .map((k) => [k, files[k]]),
    ),
    hash,
    box,
  };
}
