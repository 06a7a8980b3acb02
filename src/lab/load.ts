// Loading a lab file: YAML text -> validated, resolved lab model, or a LabValidationError listing every problem
// with its field path, line and column.
import fs from 'node:fs';
import path from 'node:path';
import { isMap, isNode, isScalar, LineCounter, parseDocument, type Document } from 'yaml';
import { BOUNDS } from '../bounds.js';
import { errnoCode, LabFileMissingError, LabValidationError } from '../errors.js';
import { resolveLab, type Lab, type ResolveOptions } from './model.js';
import { hostPathProblem, labPath } from './paths.js';
import type { PathCheck, PathField } from './cross-checks.js';
import { formatIssue, type LabIssue } from './issues.js';
import { validateLab } from './validate.js';
import { readBoundedText, UnreadableFileError } from '../fsguard/read.js';

/** The error for a lab file with problems: its errors, one line each. */
function invalid(file: string, issues: LabIssue[]): LabValidationError {
  return new LabValidationError(
    file,
    issues.filter((i) => i.severity === 'error').map((i) => formatIssue(file, i)),
  );
}

/** Line and column of the YAML node at a field path (or of its nearest existing parent). */
function locate(doc: Document, lines: LineCounter, p: (string | number)[]): { line: number; col: number } | undefined {
  for (let n = p.length; n >= 0; n--) {
    const node = doc.getIn(p.slice(0, n), true);
    if (isNode(node) && node.range) {
      // For an unknown key, point at the key itself rather than its value.
      if (n === p.length && typeof p[n - 1] === 'string') {
        const parent = doc.getIn(p.slice(0, n - 1), true);
        const key = isMap(parent)
          ? parent.items.map((it) => it.key).find((k) => isScalar(k) && k.value === p[n - 1])
          : undefined;
        if (isScalar(key) && key.range) return lines.linePos(key.range[0]);
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
  /** Checks the path fields against this host (files that must exist); none when the text alone is validated. */
  checkPath?: PathCheck;
  /** Called with the document as parsed, before it is validated: for work that can start early and checks its
   *  input itself (status's libvirt query). */
  onParsed?: (raw: unknown) => void;
  /** What an earlier render chose (node addresses, the management subnet): see ResolveOptions. */
  recorded?: ResolveOptions['recorded'];
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
      return {
        path: [],
        severity: 'error',
        message: `malformed YAML: ${e.message.split('\n')[0]}`,
        line: pos.line,
        col: pos.col,
      };
    });
    throw invalid(display, issues);
  }
  let raw: unknown;
  try {
    // yaml refuses a document whose aliases would expand past its limit (the "billion laughs").
    raw = doc.toJS({ maxAliasCount: 1000 });
  } catch (e) {
    throw invalid(display, [
      { path: [], severity: 'error', message: `malformed YAML: ${(e as Error).message.split('\n')[0]}` },
    ]);
  }
  opts.onParsed?.(raw);
  const { lab, issues } = validateLab(raw, { checkPath: opts.checkPath });
  for (const issue of issues) Object.assign(issue, locate(doc, lines, issue.path) ?? {});
  issues.sort((a, b) => (a.line ?? 0) - (b.line ?? 0) || (a.col ?? 0) - (b.col ?? 0));
  if (!lab) throw invalid(display, issues);
  const resolved = resolveLab(lab, { labFile: file, outDir: opts.outDir, recorded: opts.recorded });
  // What the whole lab needs against what the host has: a warning, as the host may overcommit.
  const total = resolved.nodes.reduce((sum, n) => sum + n.memoryMiB, 0);
  if (opts.hostMemoryMiB !== undefined && total > opts.hostMemoryMiB)
    issues.push({
      path: ['nodes'],
      severity: 'warning',
      message: `the nodes need ${total} MiB of memory in all, more than the host's ${Math.round(opts.hostMemoryMiB)} MiB`,
    });
  return {
    lab: resolved,
    warnings: issues.filter((i) => i.severity === 'warning').map((i) => formatIssue(display, i)),
  };
}

/** The host checks of the path fields: the characters every path must avoid, then what must exist. */
export function hostPathCheck(labDir: string): PathCheck {
  return (field, value) => {
    // Resolved first, then checked: the lab folder's own name reaches the generated files as much as the value.
    const file = labPath(labDir, value);
    const text = hostPathProblem(value) ?? hostPathProblem(file);
    if (text) return `${JSON.stringify(value)}${file !== value ? ` (${file})` : ''} ${text}`;
    if (field === 'host.pool_path') return undefined; // libvirt creates it
    if (field.startsWith('provision.')) return provisionPathProblem(labDir, field, value, file);
    let st: fs.Stats;
    try {
      st = fs.statSync(file);
    } catch (e) {
      const why = errnoCode(e) === 'ENOENT' ? 'does not exist' : `cannot be read (${errnoCode(e)})`;
      return `${JSON.stringify(value)} ${why}${file !== value ? ` (${file})` : ''}`;
    }
    if (!st.isFile())
      return (
        `${JSON.stringify(value)} is ${st.isDirectory() ? 'a folder' : 'not a regular file'}; ` +
        `it must name ${field === 'image.local' ? 'a qcow2 image file' : 'a private key file'}`
      );
    try {
      fs.accessSync(file, fs.constants.R_OK);
    } catch {
      return `${JSON.stringify(value)} is not readable by this user`;
    }
    if (field === 'access.ssh_key') {
      if (!fs.existsSync(`${file}.pub`))
        return `${JSON.stringify(value)} has no public key beside it (${file}.pub); make one with \`ssh-keygen -y -f ${file} > ${file}.pub\``;
      if ((st.mode & 0o077) !== 0)
        return `${JSON.stringify(value)} is readable by others (mode ${(st.mode & 0o777).toString(8)}); ssh refuses such a key: chmod 600 it`;
    }
    return undefined;
  };
}

/** A provisioning step's file (script, playbook) or copy source (a file or a folder): inside the lab's folder once
 *  every link is resolved, and of the kind the step needs. What a folder holds is checked when it is copied. */
function provisionPathProblem(labDir: string, field: PathField, value: string, file: string): string | undefined {
  const shown = `${JSON.stringify(value)}${file !== value ? ` (${file})` : ''}`;
  let real: string;
  let st: fs.Stats;
  try {
    real = fs.realpathSync(file);
    st = fs.statSync(real);
  } catch (e) {
    return `${shown} ${errnoCode(e) === 'ENOENT' ? 'does not exist' : `cannot be read (${errnoCode(e)})`}`;
  }
  let root: string;
  try {
    root = fs.realpathSync(labDir);
  } catch {
    root = labDir;
  }
  const rel = path.relative(root, real);
  if (rel === '' || rel.startsWith('..') || path.isAbsolute(rel))
    return `${shown} is ${real !== file ? `(through a link) ${real}, ` : ''}outside the lab's folder ${root}: provisioning uses only files of the lab's folder`;
  const folderOk = field === 'provision.copy.src';
  if (!st.isFile() && !(folderOk && st.isDirectory()))
    return (
      `${shown} is ${st.isDirectory() ? 'a folder' : 'not a regular file'}; it must name ` +
      (folderOk ? 'a file or a folder' : field === 'provision.script' ? 'a script file' : 'a playbook file')
    );
  try {
    fs.accessSync(real, fs.constants.R_OK);
  } catch {
    return `${shown} is not readable by this user`;
  }
  return undefined;
}

/** Reads a lab file: a regular file of at most BOUNDS.labFileBytes.max, whose path is fit to be named in generated files. */
export function readLabFile(file: string): string {
  const fail = (why: string) =>
    new LabFileMissingError(`--lab: ${why}; pass --lab FILE or run from a directory with lab.yaml`);
  const problem = hostPathProblem(file) ?? hostPathProblem(path.resolve(file));
  if (problem) throw fail(`the lab file's path ${JSON.stringify(path.resolve(file))} ${problem}`);
  try {
    return readBoundedText(file, { what: '--lab', maxBytes: BOUNDS.labFileBytes.max });
  } catch (e) {
    if (!(e instanceof UnreadableFileError)) throw e;
    if (e.code !== 'EFTYPE' && e.code !== 'EFBIG')
      throw fail(`cannot read lab file ${JSON.stringify(file)} (${e.code ?? e.message})`);
    throw fail(e.message.replace(/^--lab: /, '').replace(/, not a regular file$/, ', not a lab file'));
  }
}

export function loadLabFile(file: string, opts: LoadOptions = {}): Loaded {
  const text = readLabFile(file);
  const abs = path.resolve(file);
  return loadLabText(text, abs, { checkPath: hostPathCheck(path.dirname(abs)), ...opts });
}
