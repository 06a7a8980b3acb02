// HashiCorp's repository for labforge setup: its signing key, checked by fingerprint (setup/install-key.sh), and
// labforge's own apt source or dnf repo file, written atomically (setup/write-file.sh). Both scripts are printed inline.
import { repoFile } from '../../render/repo-files.js';
import { FILES, HASHICORP, type Release } from './setup-releases.js';
import type { HostFacts, SetupAction } from './setup-types.js';

/** One of labforge's setup scripts (setup/*.sh) without its header comment, to run with `bash -c` and print inline. */
function script(name: string): string {
  const lines = repoFile('setup', name).split('\n');
  return lines.slice(lines.findIndex((l) => !l.startsWith('#'))).join('\n');
}

/** Writes `content` to `file` atomically (setup/write-file.sh). */
export function writeFile(why: string, file: string, content: string, mode = '0644'): SetupAction {
  return { why, command: ['bash', '-c', script('write-file.sh'), 'labforge-setup', file, mode], input: content };
}

/** Installs HashiCorp's signing key, checked by its fingerprint (setup/install-key.sh). */
function installKey(url: string, file: string, format: 'binary' | 'armor'): SetupAction {
  return {
    why: `install HashiCorp's signing key (only the key with fingerprint ${HASHICORP.fingerprint}) as ${file}`,
    command: ['bash', '-c', script('install-key.sh'), 'labforge-setup', url, HASHICORP.fingerprint, file, format],
  };
}

/** HashiCorp's apt repository as a deb822 source of labforge's own. */
export function aptSource(release: Release, arch: string): string {
  return [
    `# Written by labforge setup: HashiCorp's repository for ${release.id} ${release.version}, signed by the key beside it.`,
    'Types: deb',
    `URIs: ${HASHICORP.apt.url}`,
    `Suites: ${release.codename}`,
    'Components: main',
    ...(arch ? [`Architectures: ${arch}`] : []),
    `Signed-By: ${FILES.aptKey}`,
    '',
  ].join('\n');
}

/** Where the archive has Vagrant (its vagrant-libvirt needs that one), HashiCorp's vagrant is never installed. */
export const APT_PIN = [
  'Explanation: labforge setup: Vagrant from the distribution (its vagrant-libvirt needs it), not from HashiCorp',
  'Package: vagrant',
  `Pin: origin "${new URL(HASHICORP.apt.url).hostname}"`,
  'Pin-Priority: -1',
  '',
].join('\n');

/** HashiCorp's rpm repository, limited to packer (Fedora's vagrant-libvirt needs Fedora's vagrant). */
export const RPM_REPO = [
  "# Written by labforge setup: HashiCorp's repository, for packer only (Fedora's vagrant-libvirt needs Fedora's vagrant).",
  '[labforge-hashicorp]',
  'name=HashiCorp Stable - $basearch (packer, for labforge)',
  `baseurl=${HASHICORP.rpm.baseurl}`,
  'enabled=1',
  'gpgcheck=1',
  `gpgkey=file://${FILES.rpmKey}`,
  'includepkgs=packer',
  '',
].join('\n');

/** HashiCorp's repository: its key (checked by fingerprint) and labforge's own source or repo file, unless the user
 *  configured the repository already. */
export function hashicorpRepo(facts: HostFacts, rel: Release, present: string[]): SetupAction[] {
  if (facts.hashicorpRepo) {
    present.push(`HashiCorp's repository: configured in ${facts.hashicorpRepo}`);
    return [];
  }
  const out: SetupAction[] = [];
  if (rel.family === 'debian') {
    if (facts.files[FILES.aptKey] === undefined) out.push(installKey(HASHICORP.apt.key, FILES.aptKey, 'binary'));
    const source = aptSource(rel, facts.arch);
    if (facts.files[FILES.aptSource] !== source)
      out.push(writeFile(`add HashiCorp's apt repository (${FILES.aptSource})`, FILES.aptSource, source));
  } else {
    if (facts.files[FILES.rpmKey] === undefined) out.push(installKey(HASHICORP.rpm.key, FILES.rpmKey, 'armor'));
    if (facts.files[FILES.rpmRepo] !== RPM_REPO)
      out.push(writeFile(`add HashiCorp's rpm repository for packer (${FILES.rpmRepo})`, FILES.rpmRepo, RPM_REPO));
  }
  return out;
}
