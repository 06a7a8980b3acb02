// Loading a lab file: YAML text -> validated, resolved lab model, or a LabValidationError listing every problem
// with its field path, line and column.
import fs from 'node:fs';
import path from 'node:path';
import { isNode, LineCounter, parseDocument, type Document } from 'yaml';
import { resolveLab, type Lab } from './model.js';
import { formatPath, validateLab, type LabIssue } from './validate.js';

export class LabValidationError extends Error {
  /** labforge's exit code when this error ends a command: a mistake in the lab file. */
  readonly exitStatus = 2;

  constructor(
    readonly file: string,
    readonly issues: LabIssue[],
  ) {
    super(issues.filter((i) => i.severity === 'error').map((i) => formatIssue(file, i)).join('\n'));
    this.name = 'LabValidationError';
  }
}

export function formatIssue(file: string, issue: LabIssue): string {
  const where = issue.line ? `${file}:${issue.line}:${issue.col}` : file;
  const prefix = issue.severity === 'warning' ? 'warning: ' : '';
  return `${where}: ${prefix}${issue.path.length ? `${formatPath(issue.path)}: ` : ''}${issue.message}`;
}

/** Line and column of the YAML node at a field path (or of its nearest existing parent). */
function locate(doc: Document, lines: LineCounter, p: (string | number)[]): { line: number; col: number } | undefined {
  for (let n = p.length; n >= 0; n--) {
    const node = doc.getIn(p.slice(0, n), true);
    if (isNode(node) && node.range) {
      // For an unknown key, point at the key itself rather than its value.
      if (n === p.length && typeof p[n - 1] === 'string') {
        const parent = doc.getIn(p.slice(0, n - 1), true) as any;
        const pair = parent?.items?.find((it: any) => it?.key?.value === p[n - 1]);
        if (pair?.key?.range) return lines.linePos(pair.key.range[0]);
      }
      return lines.linePos(node.range[0]);
    }
  }
  return undefined;
}

export interface LoadOptions {
  /** Output directory (default .labforge/<name> beside the lab file). */
  outDir?: string;
  /** Host memory for the "lab needs more than the host has" warning. */
  hostMemoryMiB?: number;
}

export interface Loaded {
  lab: Lab;
  warnings: string[];
}

/** Parses and validates lab text; `file` is only used to name the source in messages and the model. */
export function loadLabText(text: string, file: string, opts: LoadOptions = {}): Loaded {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false, uniqueKeys: true });
  const display = path.relative(process.cwd(), file) || file;
  if (doc.errors.length) {
    const issues: LabIssue[] = doc.errors.map((e) => {
      const pos = lines.linePos(e.pos[0]);
      return { path: [], severity: 'error', message: `malformed YAML: ${e.message.split('\n')[0]}`, line: pos.line, col: pos.col };
    });
    throw new LabValidationError(display, issues);
  }
  const raw = doc.toJS();
  const { lab, issues } = validateLab(raw, { hostMemoryMiB: opts.hostMemoryMiB });
  for (const issue of issues) Object.assign(issue, locate(doc, lines, issue.path) ?? {});
  issues.sort((a, b) => (a.line ?? 0) - (b.line ?? 0) || (a.col ?? 0) - (b.col ?? 0));
  if (!lab) throw new LabValidationError(display, issues);
  return {
    lab: resolveLab(lab, { labFile: file, outDir: opts.outDir }),
    warnings: issues.filter((i) => i.severity === 'warning').map((i) => formatIssue(display, i)),
  };
}

export class LabFileMissingError extends Error {
  readonly exitStatus = 2;
}

export function loadLabFile(file: string, opts: LoadOptions = {}): Loaded {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (e: any) {
    throw new LabFileMissingError(`--lab: cannot read lab file ${JSON.stringify(file)} (${e.code ?? e.message}); pass --lab FILE or run from a directory with lab.yaml`);
  }
  return loadLabText(text, path.resolve(file), opts);
}
