// One escaping function per target language. Every value from the lab file that lands in a generated file goes
// through the function for that file's language; the schema restricts names and addresses, these cover free text.

/** An HCL2 quoted string: backslash escapes, and `${` / `%{` doubled so no template expression can start. */
export function hcl(value: string | number | boolean): string {
  if (typeof value !== 'string') return String(value);
  const body = value
    .replace(/\\/g, '\\\\')
    .replace(/"/g, '\\"')
    .replace(/\n/g, '\\n')
    .replace(/\r/g, '\\r')
    .replace(/\t/g, '\\t')
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

/** A POSIX shell word: single-quoted, a quote inside becomes '\''. Nothing is expanded. */
export function shell(value: string | number): string {
  const text = String(value);
  if (/^[A-Za-z0-9_@%+=:,./-]+$/.test(text)) return text;
  return `'${text.replace(/'/g, `'\\''`)}'`;
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

/** An ssh_config argument: double-quoted when it has spaces or quotes (ssh_config has no escape for '"'). */
export function sshConfig(value: string): string {
  if (value.includes('"')) throw new Error(`ssh_config cannot express a value containing '"': ${value}`);
  return /[\s#]/.test(value) || value === '' ? `"${value}"` : value;
}
