// The lab files `labforge init` writes: the guide's lab (the package's own lab.yaml, every field commented) or a
// small neutral lab of N nodes without addresses (init/neutral-lab.yaml.ejs). Both start with the YAML language
// server's `$schema` line, pointing at schema/lab.schema.json of the labforge that writes them. Pure: text out.
import path from 'node:path';
import { freeAddressCount } from '../lab/addresses.js';
import { gatewayOf, parseCidr } from '../lab/ipv4.js';
import { DEFAULT_LAB_NAME, LABEL } from '../lab/schema.js';
import { renderTemplate, repoFile, repoPath } from './repo-files.js';

/** The subnet the neutral lab writes out (the schema's default). */
export const NEUTRAL_CIDR = '10.240.0.0/24';

/** The most nodes `--nodes` takes: every address of NEUTRAL_CIDR but the network, broadcast and gateway ones. */
const neutralSubnet = parseCidr(NEUTRAL_CIDR);
export const MAX_INIT_NODES = freeAddressCount(neutralSubnet, [gatewayOf(neutralSubnet)]);

/** The schema inside the running labforge's package (not the current folder's). */
export function packageSchemaPath(): string {
  return repoPath('schema', 'lab.schema.json');
}

/** How the `$schema` line names a file: its absolute path when that is plain (the YAML language server reads
 *  absolute paths), else its file: URL with every other character of each part percent-encoded as UTF-8 (a space,
 *  `#`, `%`, a line break, a control character that would end or change the comment or that a URL parser drops). */
export function schemaReference(file: string): string {
  if (/^\/[A-Za-z0-9_@+=:,./-]*$/.test(file)) return file;
  // A lone surrogate (no file system gives one) as U+FFFD: encodeURIComponent takes only well-formed text.
  const wellFormed = file.replace(/[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g, '\ufffd');
  return 'file://' + wellFormed.split('/').map(encodeURIComponent).join('/');
}

const MODELINE = /^# yaml-language-server: \$schema=\S*\n/;

/** The guide's lab (the package's lab.yaml) with its `$schema` line naming `schema`. */
export function renderGuideLab(schema: string): string {
  const text = repoFile('lab.yaml');
  const line = `# yaml-language-server: $schema=${schema}\n`;
  return MODELINE.test(text) ? text.replace(MODELINE, line) : line + text;
}

/** A lab name from a folder's name: lower case, every run of other characters a '-', at most 63 characters; `lab`
 *  when nothing of it is left. */
export function labNameFor(folder: string): string {
  const name = path
    .basename(folder)
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .slice(0, 63)
    .replace(/^-+|-+$/g, '');
  return LABEL.test(name) ? name : DEFAULT_LAB_NAME;
}

/** A neutral lab of `count` nodes named node1..nodeN, without addresses, on NEUTRAL_CIDR. */
export function renderNeutralLab(o: { name: string; count: number; schema: string }): string {
  if (!LABEL.test(o.name)) throw new Error(`renderNeutralLab: ${JSON.stringify(o.name)} is not a lab name`);
  if (/\s/.test(o.schema)) throw new Error(`renderNeutralLab: ${JSON.stringify(o.schema)} is not a schema reference`);
  const nodes = Array.from({ length: o.count }, (_, i) => `node${i + 1}`);
  return renderTemplate(['init', 'neutral-lab.yaml.ejs'], {
    schema: o.schema,
    name: o.name,
    cidr: NEUTRAL_CIDR,
    nodes,
  });
}
