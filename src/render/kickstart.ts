// The kickstart of the iso method (packer/templates/ks.cfg.ejs): Anaconda installs Fedora from the netinst ISO
// without questions, into the state the cloud method starts from. Every value placed in a command line goes
// through kickstart(): pykickstart splits lines like a POSIX shell.
import type { Lab } from '../lab/model.js';
import { header, type RenderContext } from './context.js';
import { kickstart } from './escape.js';
import { BUILD_HOSTNAME, vagrantKeys } from './cloud-init.js';
import { renderTemplate } from './repo-files.js';

export function renderKickstart(lab: Lab, ctx: RenderContext, source: string): string {
  return renderTemplate(['packer', 'templates', 'ks.cfg.ejs'], {
    header: header('#', source),
    kickstart,
    release: lab.image.release,
    hostname: BUILD_HOSTNAME,
    vagrantPublicKeys: vagrantKeys(ctx),
  });
}
