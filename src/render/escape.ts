// One escaping function per target language. Every value from the lab file that lands in a generated file goes
// through the function for that file's language; the schema restricts names and addresses, these cover free text.
import { CONTROL } from '../lab/schema.js';

export { shell } from '../shell-word.js';

/** An HCL2 quoted string: backslash escapes, and `${` / `%{` doubled so no template expression can start. */
export function hcl(value: string | number | boolean): string {
  if (typeof value !== 'string') return String(value);
  const body = value
    .replace(/\\/g, '\\\\')
    .replace(/"/g, '\\"')
    .replace(/\n/g, '\\n')
    .replace(/\r/g, '\\r')
    .replace(/\t/g, '\\t')
    // eslint-disable-next-line no-control-regex -- the other control characters, as HCL's \uNNNN escapes
    .replace(/[\u0000-\u001f\u007f]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`)
    .replace(/\$\{/g, () => '$${')
    .replace(/%\{/g, '%%{');
  return `"${body}"`;
}

/** A Ruby single-quoted string literal: no interpolation (`#{}` stays text); only \\ and ' are special. */
export function ruby(value: string | number | boolean): string {
  if (typeof value !== 'string') return String(value);
  return `'${value.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
}

/** Text or attribute content in XML. */
export function xml(value: string | number): string {
  return String(value)
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&apos;');
}

/** An argument of a kickstart command. pykickstart splits command lines with Python's shlex in POSIX mode, where
 *  a single-quoted string is literal and a quote is closed, escaped and reopened ('\''), the same as a shell. */
export function kickstart(value: string): string {
  if (/[\n\r]/.test(value)) throw new Error('kickstart arguments cannot span lines');
  return `'${value.replace(/'/g, `'\\''`)}'`;
}

/** Line breaks and other controls, for any language: the lab file's CONTROL class (C0, DEL, C1 with NEL, and
 *  U+2028/U+2029, which YAML 1.1, cloud-init's PyYAML, and JavaScript read as line breaks). */
const CONTROLS = new RegExp(CONTROL.source, 'g');

/** Text inside a line comment (`#` in HCL, Ruby, shell, YAML, kickstart, ssh_config, hosts): a line break would end
 *  the comment and start code, so every control character becomes '?'. */
export function commentText(text: string): string {
  return text.replace(CONTROLS, '?');
}

/** Text inside an XML comment: no control characters, no `--`, and no '-' just before the closing `-->`. */
export function xmlCommentText(text: string): string {
  return commentText(text)
    .replace(/-(?=-)/g, '- ')
    .replace(/-$/, '- ');
}

/** A path-like ssh_config argument (IdentityFile, UserKnownHostsFile): in double quotes, where ssh reads `\\` and
 *  `\"` as escapes; '%' doubled so ssh's %-tokens are not expanded. `${` cannot be written literally: refused. */
export function sshConfig(value: string): string {
  if (value.replace(CONTROLS, '') !== value)
    throw new Error(`ssh_config cannot hold a control character: ${JSON.stringify(value)}`);
  if (value.includes('${'))
    throw new Error(`ssh_config would expand "\${" in ${JSON.stringify(value)} as an environment variable`);
  return `"${value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/%/g, '%%')}"`;
}

/** A Graphviz DOT quoted string: `\` and `"` escaped, each line of `lines` ended by DOT's centred line break. */
export function dot(lines: string | string[]): string {
  const text = (Array.isArray(lines) ? lines : [lines]).map((l) =>
    commentText(l).replace(/\\/g, '\\\\').replace(/"/g, '\\"'),
  );
  return `"${text.join('\\n')}"`;
}
