// The workstation's own files: the lab's names in /etc/hosts, and an `Include` of the lab's ssh_config in
// ~/.ssh/config, so the guide's `ssh root@etcd1` works as written. labforge owns only its block between its marker
// lines: installing twice changes nothing, every other line stays as it is, a backup is made before a change, and
// the file is replaced atomically (a temp file in the same folder, same mode, then rename).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Lab } from '../../lab/model.js';
import { LAYOUT } from '../../layout.js';
import { blockMarkers, renderHosts } from '../../render/hosts.js';
import { sourceName } from '../../render/index.js';
import { BOUNDS } from '../../bounds.js';
import { UsageError } from '../../errors.js';
import { FileLayer } from '../../fsguard/layer.js';
import { makeUserFolder } from '../../fsguard/user-files.js';
import { readBoundedStat, UnreadableFileError } from '../../fsguard/read.js';

export interface Block {
  begin: string;
  end: string;
  /** The whole block, marker lines included, ending in a newline. */
  text: string;
  /** Where a new block goes: at the end (hosts) or first (ssh_config: an Include after a Host line would only
   *  apply to that host). */
  at: 'start' | 'end';
}

/** `text` with the block put in (replacing an earlier copy where it stood) or taken out (`block.text` undefined). */
export function withBlock(text: string, block: Omit<Block, 'text'> & { text?: string }, file: string): string {
  const lines = text.split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  const begin = lines.indexOf(block.begin);
  const end = lines.indexOf(block.end);
  if ((begin === -1) !== (end === -1) || end < begin || lines.lastIndexOf(block.begin) !== begin)
    throw new UsageError(
      `${file}: the lines "${block.begin}" and "${block.end}" are not one well-formed block; fix the file by hand`,
    );
  const add = block.text === undefined ? [] : block.text.replace(/\n$/, '').split('\n');
  let out: string[];
  if (begin !== -1) out = [...lines.slice(0, begin), ...add, ...lines.slice(end + 1)];
  else if (block.at === 'start') out = [...add, ...lines];
  else out = [...lines, ...add];
  return out.length ? `${out.join('\n')}\n` : '';
}

export interface BlockResult {
  file: string;
  changed: boolean;
  backup?: string;
}

/** Installs (or removes) the block in `file`. `create`: a missing file counts as empty (~/.ssh/config). */
export function applyBlock(
  file: string,
  block: Omit<Block, 'text'> & { text?: string },
  opts: { create: boolean },
): BlockResult {
  const real = fs.existsSync(file) ? fs.realpathSync(file) : file;
  let before = '';
  let bytes: Buffer = Buffer.alloc(0);
  let st: fs.Stats | undefined;
  try {
    // A regular file only (checked on the descriptor: a FIFO or device named by --file is refused, never read or
    // replaced), of bounded size.
    ({ data: bytes, st } = readBoundedStat(real, { what: '--file', maxBytes: BOUNDS.workstationFileBytes.max }));
    before = bytes.toString('utf8');
  } catch (e) {
    if (!(e instanceof UnreadableFileError)) throw e;
    if (e.code !== 'ENOENT' || !opts.create)
      throw new UsageError(
        e.code === 'ENOENT' || e.code === 'EACCES'
          ? `--file: cannot read ${JSON.stringify(file)} (${e.code})`
          : e.message,
      );
  }
  const after = withBlock(before, block, file);
  if (after === before) return { file, changed: false };
  const dir = path.dirname(real);
  makeUserFolder(dir, 0o700);
  // The backup and the new file go through the file layer: each written whole under an unpredictable temp name
  // (O_EXCL) and renamed into place, so a link planted at the backup's name is replaced, never written through.
  const { layer, name } = FileLayer.beside(real);
  let backup: string | undefined;
  const mode = st ? st.mode & 0o7777 : 0o600;
  if (st) {
    backup = `${real}.labforge-backup`;
    layer.write(`${name}.labforge-backup`, bytes, mode);
  }
  layer.write(name, after, mode, st ? { uid: st.uid, gid: st.gid } : undefined);
  return { file, changed: true, backup };
}

/** The lab's block for /etc/hosts. */
export function hostsBlock(lab: Lab): Block {
  return { ...blockMarkers(lab), text: renderHosts(lab, sourceName(lab)), at: 'end' };
}

/** The lab's block for ~/.ssh/config: an Include of <out>/ssh_config. */
export function sshConfigBlock(lab: Lab): Block {
  const file = path.join(lab.outDir, LAYOUT.sshConfig);
  // Include takes a glob (no %-tokens): glob characters or a quote in the path cannot be written safely.
  if (/[*?[\]"\\]/.test(file))
    throw new UsageError(
      `--out: ${JSON.stringify(lab.outDir)} holds a character ssh's Include would read as a pattern; install the ssh_config by hand`,
    );
  const { begin, end } = blockMarkers(lab);
  return { begin, end, text: `${begin}\nInclude "${file}"\n${end}\n`, at: 'start' };
}

export const DEFAULT_HOSTS_FILE = '/etc/hosts';
export function defaultSshConfigFile(): string {
  return path.join(process.env.HOME ?? os.homedir(), '.ssh', 'config');
}
