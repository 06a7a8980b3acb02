// Vagrant's insecure key pairs as its keys/ folder holds them (one or several: since Vagrant 2.3.8 RSA and ed25519):
// every public line checked and kept byte for byte, each private key matched to its public half.
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';

export interface InsecureKeys {
  /** The folder they were read from (<source_root>/keys). */
  dir: string;
  /** Every line of keys/vagrant.pub, as written there: a box must accept each (Vagrant >= 2.3.8 ships an RSA and
   *  an ed25519 key and logs in with either), and Vagrant removes exactly these lines from authorized_keys after
   *  it has put a machine's own key in (`grep -v -x -f vagrant.pub`), so they must stay byte for byte. */
  publicKeys: string[];
  /** The private halves found beside them (keys/vagrant.key.<type>, keys/vagrant), each matched to its public line. */
  privateKeys: { file: string; type: string }[];
  /** The key files as they were read (name, size, mtime, inode): while they are unchanged, so is the matching. */
  fingerprint: string;
}

/** Public key algorithms by preference for a client that logs in (Packer): ed25519 works with every client and
 *  server; an RSA login needs a client that signs with rsa-sha2 (Fedora 41+ refuses SHA-1 ssh-rsa signatures). */
const PREFERENCE = ['ssh-ed25519', 'ecdsa-sha2-nistp256', 'ecdsa-sha2-nistp384', 'ecdsa-sha2-nistp521', 'ssh-rsa'];

/** The private key a client should log in with: the most widely accepted type among those found. */
export function preferredKey(keys: InsecureKeys): { file: string; type: string } {
  const rank = (t: string) => (PREFERENCE.includes(t) ? PREFERENCE.indexOf(t) : PREFERENCE.length);
  return [...keys.privateKeys].sort((a, b) => rank(a.type) - rank(b.type))[0];
}

/** One OpenSSH public key line (`type base64 [comment]`): anything else is refused (it lands in cloud-init YAML, a
 *  kickstart, Packer variables and authorized_keys). */
const PUBLIC_KEY_LINE = /^(ssh-[a-z0-9-]+|ecdsa-sha2-nistp\d+|sk-[a-z0-9@.-]+) ([A-Za-z0-9+/]+={0,2})( [^\p{Cc}]*)?$/u;

function readSmallFile(file: string, what: string): string {
  let fd: number;
  try {
    fd = fs.openSync(file, fs.constants.O_RDONLY | fs.constants.O_NONBLOCK);
  } catch (e) {
    throw new Error(`cannot read ${what} ${file}: ${(e as NodeJS.ErrnoException).code}`);
  }
  try {
    const st = fs.fstatSync(fd);
    if (!st.isFile()) throw new Error(`${what} ${file} is not a regular file`);
    if (st.size > 64 * 1024) throw new Error(`${what} ${file} is larger than 64 KiB`);
    return fs.readFileSync(fd, 'utf8');
  } finally {
    fs.closeSync(fd);
  }
}

/** The SSH wire form of a public key (string type, then its fields), as in the base64 field of a .pub line. */
function sshString(b: Buffer): Buffer {
  const len = Buffer.alloc(4);
  len.writeUInt32BE(b.length);
  return Buffer.concat([len, b]);
}
function mpint(b: Buffer): Buffer {
  let i = 0;
  while (i < b.length - 1 && b[i] === 0) i++;
  const v = b.subarray(i);
  return sshString(v[0] & 0x80 ? Buffer.concat([Buffer.from([0]), v]) : v);
}

/** The public key blob (base64) of a private key file's text: OpenSSH's own format is read directly (its header
 *  carries the public key), PEM keys (RSA, ed25519) through Node's crypto. Undefined for anything else. */
export function publicBlobOf(text: string): { type: string; blob: string } | undefined {
  const openssh = /-----BEGIN OPENSSH PRIVATE KEY-----([\s\S]*?)-----END OPENSSH PRIVATE KEY-----/.exec(text);
  if (openssh) {
    const b = Buffer.from(openssh[1].replace(/\s+/g, ''), 'base64');
    const magic = Buffer.from('openssh-key-v1\0');
    if (b.length < magic.length || !b.subarray(0, magic.length).equals(magic)) return undefined;
    let at = magic.length;
    const str = () => {
      if (at + 4 > b.length) throw new Error('short');
      const n = b.readUInt32BE(at);
      if (at + 4 + n > b.length) throw new Error('short');
      const v = b.subarray(at + 4, at + 4 + n);
      at += 4 + n;
      return v;
    };
    try {
      str(); // cipher
      str(); // kdf
      str(); // kdf options
      if (b.readUInt32BE(at) < 1) return undefined;
      at += 4;
      const blob = str();
      const type = blob.subarray(4, 4 + blob.readUInt32BE(0)).toString('latin1');
      return { type, blob: blob.toString('base64') };
    } catch {
      return undefined;
    }
  }
  try {
    const jwk = crypto.createPublicKey(text).export({ format: 'jwk' });
    if (jwk.kty === 'RSA' && jwk.n && jwk.e) {
      const blob = Buffer.concat([
        sshString(Buffer.from('ssh-rsa')),
        mpint(Buffer.from(jwk.e, 'base64url')),
        mpint(Buffer.from(jwk.n, 'base64url')),
      ]);
      return { type: 'ssh-rsa', blob: blob.toString('base64') };
    }
    if (jwk.kty === 'OKP' && jwk.crv === 'Ed25519' && jwk.x) {
      const blob = Buffer.concat([sshString(Buffer.from('ssh-ed25519')), sshString(Buffer.from(jwk.x, 'base64url'))]);
      return { type: 'ssh-ed25519', blob: blob.toString('base64') };
    }
  } catch {
    /* not a key Node reads */
  }
  return undefined;
}

/** Vagrant's insecure keys, read from its own keys/ folder (Vagrant.source_root/keys, see describe): every public
 *  key in vagrant.pub, whatever their number, and each private key beside them (Vagrant >= 2.3.8:
 *  vagrant.key.<type>; before: vagrant) matched to its public line. `known`: a matching made earlier, taken as it
 *  is while the files' fingerprint is the same (parsing the private keys is the costly part). Throws a sentence
 *  naming the file at fault. */
export function insecureKeys(
  sourceRoot: string,
  known?: Pick<InsecureKeys, 'fingerprint' | 'privateKeys'>,
): InsecureKeys {
  const dir = path.join(sourceRoot, 'keys');
  const pubFile = path.join(dir, 'vagrant.pub');
  const publicKeys = readSmallFile(pubFile, "Vagrant's insecure public keys")
    .split('\n')
    // As written (Vagrant removes them from authorized_keys by whole-line match), less a CR and blank lines.
    .map((l) => l.replace(/\r$/, ''))
    .filter((l) => l.trim() !== '');
  if (!publicKeys.length) throw new Error(`${pubFile} holds no public key`);
  for (const k of publicKeys)
    if (!PUBLIC_KEY_LINE.test(k))
      throw new Error(`${pubFile} has a line that is not an OpenSSH public key: ${JSON.stringify(k)}`);
  const blobs = new Map(publicKeys.map((k) => [k.split(' ')[1], k.split(' ')[0]]));
  let names: string[];
  try {
    names = fs
      .readdirSync(dir)
      .filter((n) => n === 'vagrant' || n.startsWith('vagrant.key.'))
      .sort();
  } catch (e) {
    throw new Error(`cannot list ${dir}: ${(e as NodeJS.ErrnoException).code}`);
  }
  const fingerprint = JSON.stringify(
    ['vagrant.pub', ...names].map((n) => {
      const st = fs.lstatSync(path.join(dir, n), { throwIfNoEntry: false });
      return [n, st?.size, st?.mtimeMs, st?.ino];
    }),
  );
  // Taken only as it can be: files of this folder that were looked at, each with a key type.
  const fits = (k: { file: unknown; type: unknown }) =>
    typeof k?.file === 'string' &&
    typeof k?.type === 'string' &&
    path.dirname(k.file) === dir &&
    names.includes(path.basename(k.file));
  if (
    known?.fingerprint === fingerprint &&
    Array.isArray(known.privateKeys) &&
    known.privateKeys.length > 0 &&
    known.privateKeys.every(fits)
  )
    return { dir, publicKeys, privateKeys: known.privateKeys, fingerprint };
  const privateKeys: InsecureKeys['privateKeys'] = [];
  const seen = new Set<string>();
  for (const name of names) {
    const file = path.join(dir, name);
    let parsed: ReturnType<typeof publicBlobOf>;
    try {
      parsed = publicBlobOf(readSmallFile(file, "Vagrant's insecure private key"));
    } catch {
      continue;
    }
    if (!parsed || !blobs.has(parsed.blob) || seen.has(parsed.blob)) continue;
    seen.add(parsed.blob);
    privateKeys.push({ file, type: parsed.type });
  }
  if (!privateKeys.length)
    throw new Error(
      `${dir} has no private key that matches a key in vagrant.pub (looked at: ${names.join(', ') || 'none'})`,
    );
  return { dir, publicKeys, privateKeys, fingerprint };
}
