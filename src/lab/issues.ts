// A problem of a lab file: its field path, the message, and where it is in the file. Every message names the field
// and shows the bad value (a secret's never).
import { asciiOnly, showInvisible } from '../inert.js';

export type FieldPath = (string | number)[];

export interface LabIssue {
  path: FieldPath;
  message: string;
  severity: 'error' | 'warning';
  /** 1-based position in the lab file, when known. */
  line?: number;
  col?: number;
}

/** `nodes[3].ip` */
export function formatPath(p: FieldPath): string {
  return (
    p.reduce<string>((acc, k) => (typeof k === 'number' ? `${acc}[${k}]` : acc ? `${acc}.${k}` : k), '') || '(lab file)'
  );
}

/** Fields whose values are secrets: no message shows them. */
export const SECRET_FIELDS = new Set(['access.root_password']);

/** How a value is shown inside a message: strings quoted, everything else as JSON, long values cut; a secret
 *  field's value is never shown. */
export function show(value: unknown, p?: FieldPath): string {
  if (p && SECRET_FIELDS.has(formatPath(p)) && value !== undefined) return '(a secret, not shown)';
  const text = value === undefined ? 'nothing' : JSON.stringify(value);
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}

/** A problem as one line: `file:line:col: field.path: message`. The field path and the message (which quotes the
 *  value) show every character outside printable ASCII escaped (`\u202e`, `\u0430`): a bidirectional override, an
 *  invisible character or a homoglyph in a lab file shows itself instead of hiding what is wrong. */
export function formatIssue(file: string, issue: LabIssue): string {
  const where = showInvisible(issue.line ? `${file}:${issue.line}:${issue.col}` : file);
  const prefix = issue.severity === 'warning' ? 'warning: ' : '';
  return `${where}: ${prefix}${asciiOnly(`${issue.path.length ? `${formatPath(issue.path)}: ` : ''}${issue.message}`)}`;
}
