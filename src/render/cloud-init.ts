// The NoCloud seed of the cloud method (cidata/user-data and cidata/meta-data), and what it shares with the
// kickstart. Both documents are packer/templates/*.yaml, read with the yaml library: this file adds only what is
// not constant there (Vagrant's key, the build hostname).
import { parseDocument, type Document, type YAMLMap } from 'yaml';
import { header, type RenderContext } from './context.js';
import { repoFile } from './repo-files.js';

/** The build VM's hostname while baking; Vagrant names each node later. */
export const BUILD_HOSTNAME = 'labforge-base';

/** Vagrant's insecure public keys, each one line, or an error naming the one that is wrong. */
export function vagrantKeys(ctx: RenderContext): string[] {
  if (ctx.vagrantPublicKeys.length === 0) throw new Error(ctx.vagrantKeysProblem ?? 'no Vagrant insecure public key');
  return ctx.vagrantPublicKeys.map((key) => {
    if (!/^(ssh-|ecdsa-|sk-)\S+ [A-Za-z0-9+/]+=*( [^\p{Cc}]*)?$/u.test(key)) {
      throw new Error(`a Vagrant insecure public key must be one OpenSSH public key line, got ${JSON.stringify(key)}`);
    }
    return key;
  });
}

/** A YAML template of the repo as a fresh document, without the comments before its `---` (those describe the
 *  template, not the file it becomes). */
function yamlTemplate(name: string): Document {
  const doc = parseDocument(repoFile('packer', 'templates', name));
  if (doc.errors.length > 0) throw new Error(`packer/templates/${name}: ${doc.errors[0].message}`);
  doc.commentBefore = null;
  doc.directives!.docStart = null;
  return doc;
}

function seedMap(doc: Document, path: (string | number)[]): YAMLMap {
  const node = doc.getIn(path, true);
  if (!node || typeof node !== 'object' || !('items' in node))
    throw new Error(`the seed template has no mapping at ${path.join('.')}`);
  return node as YAMLMap;
}

function yamlText(doc: Document): string {
  return doc.toString({ lineWidth: 0 });
}

export function renderCloudInit(ctx: RenderContext, source: string): { userData: string; metaData: string } {
  const user = yamlTemplate('user-data.yaml');
  seedMap(user, ['users', 0]).set('ssh_authorized_keys', vagrantKeys(ctx));
  const userData = `#cloud-config\n${header('#', source)}\n${yamlText(user)}`;

  const meta = yamlTemplate('meta-data.yaml');
  (meta.contents as YAMLMap).set('local-hostname', BUILD_HOSTNAME);
  const metaData = `${header('#', source)}\n${yamlText(meta)}`;
  return { userData, metaData };
}
