// The POSIX shell's quoting, on the ground floor: renderers (hosts, inventory) and the adapters that send commands
// over ssh (tools/host-net, provisioning, verify's probe) quote every word with it.

/** A POSIX shell word: single-quoted, a quote inside becomes '\''. Nothing is expanded. */
export function shell(value: string | number): string {
  const text = String(value);
  if (/^[A-Za-z0-9_@%+=:,./-]+$/.test(text)) return text;
  return `'${text.replace(/'/g, `'\\''`)}'`;
}
