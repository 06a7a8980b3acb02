#!/usr/bin/env bash
# Usage: scripts/build-trixie-root.sh OUTDIR
#
# Builds a Debian 13 (trixie) root file system holding the tools a Debian 13 user installs from Debian's own
# archive, for labforge's second end-to-end leg (scripts/e2e-trixie.sh runs test/e2e inside it): Vagrant,
# vagrant-libvirt, libvirt, QEMU, dnsmasq-base, OpenSSH and Node.js, all Debian 13's. Debian 13 has no Packer
# package; the leg puts the host's packer binary into the root when it runs (it is not part of the root).
#
# Output (in OUTDIR):
#   trixie-<hash>/          the root; <hash> = first 16 hex digits of the sha256 of the package list, of this
#                           script and of debootstrap-lib.sh (any change to them builds a new root)
#   trixie-<hash>.versions  the versions of the tools in it (dpkg-query), one "package version" a line
#   trixie -> trixie-<hash> the current root
# If the root for this hash exists, nothing is built. Older roots are removed once the new one is published.
#
# The LAST line on stdout is the absolute path of the root; all progress goes to stderr.
# Needs root, debootstrap (Debian 12's knows trixie) and the host's apt sources: the Debian archive is the first
# URI that serves the host's own release with component main (scripts/debootstrap-lib.sh).
set -euo pipefail

# A private mount namespace: mounts made for the build never leak into (or stay alive in) other namespaces.
if [[ $(id -u) -eq 0 && -z ${LABFORGE_BUILD_MNTNS:-} ]]; then
  LABFORGE_BUILD_MNTNS=1 exec unshare --mount --propagation private -- "$BASH" "$(readlink -f "${BASH_SOURCE[0]}")" "$@"
fi

exec 3>&1 1>&2 # fd 3 = real stdout (only the final path goes there)

log() { printf '[build-trixie-root] %s\n' "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }

[[ $# -eq 1 ]] || { sed -n 2p "${BASH_SOURCE[0]}" >&2; exit 2; }

SUITE=trixie
# What the e2e runs, from Debian 13 (apt-get install --no-install-recommends: exactly these and their dependencies).
# - the tools under test: vagrant, vagrant-libvirt, libvirt (the daemon with its QEMU, network and storage drivers,
#   virsh), QEMU (system emulator, qemu-img), dnsmasq-base (libvirt's NAT networks), OpenSSH's client, Node.js
# - what the e2e itself uses: iproute2 (network namespaces), xorriso (the cloud-init seed CD), python3 (the console
#   test's pty driver), procps (pgrep), ca-certificates, ansible-core (the provisioning steps' playbook and
#   `ansible all -m ping` against the lab's inventory)
# - what scripts/build-test-box.sh needs when the test box is not cached yet: debootstrap, fdisk, e2fsprogs,
#   extlinux, syslinux-common
PACKAGES=(
  vagrant vagrant-libvirt
  libvirt-daemon-system libvirt-daemon-driver-qemu libvirt-daemon-driver-network libvirt-daemon-driver-storage
  libvirt-clients qemu-system-x86 qemu-utils dnsmasq-base openssh-client nodejs
  iproute2 xorriso python3 procps ca-certificates ansible-core
  debootstrap fdisk e2fsprogs extlinux syslinux-common
)
# The versions recorded for README's support table and the e2e's report.
VERSIONS_OF=(vagrant vagrant-libvirt libvirt-daemon qemu-system-x86 nodejs openssh-client dnsmasq-base ruby ansible-core)

SCRIPT=$(readlink -f "${BASH_SOURCE[0]}")
HASH=$( { printf '%s\n' "$SUITE" "${PACKAGES[@]}"; cat "$SCRIPT" "$(dirname "$SCRIPT")/debootstrap-lib.sh"; } | sha256sum | cut -c1-16)
mkdir -p "$1"
OUTDIR=$(cd "$1" && pwd -P)
NAME=trixie-$HASH
DEST=$OUTDIR/$NAME
LINK=$OUTDIR/trixie

# in_use DIR: some process has its root directory at or below DIR.
in_use() {
  local pid r
  for pid in /proc/[0-9]*; do
    r=$(readlink "$pid/root" 2>/dev/null) || continue
    [[ $r == "$1" || $r == "$1"/* ]] && return 0
  done
  return 1
}

publish() {
  local tmp old
  tmp=$OUTDIR/.trixie.link.$$
  ln -sfn "$NAME" "$tmp" && mv -Tf "$tmp" "$LINK"
  # Roots of other hashes are not used again (a new hash means a new package list or script); one that a process
  # still runs in (an e2e leg of another checkout sharing this cache) is left alone.
  for old in "$OUTDIR"/trixie-*; do
    [[ $old == "$DEST" || $old == "$DEST.versions" || -L $old ]] && continue
    if [[ -d $old ]]; then
      in_use "$old" && { log "keeping the older root $old: a process runs in it"; continue; }
      rm -rf --one-file-system "$old" && log "removed the older root $old"
    elif [[ -f $old && ! -d ${old%.versions} ]]; then
      rm -f "$old"
    fi
  done
  printf '%s\n' "$DEST" >&3
  exit 0
}

[[ -d $DEST && -f $DEST.versions ]] && publish

[[ $(id -u) -eq 0 ]] || die "must run as root"
for cmd in debootstrap chroot unshare flock findmnt sha256sum; do
  command -v "$cmd" >/dev/null || die "missing command: $cmd"
done
# shellcheck source-path=SCRIPTDIR source=debootstrap-lib.sh
source "$(dirname "$SCRIPT")/debootstrap-lib.sh"
HOST_SUITE=$(debian_host_suite) || die "cannot read the host's release (VERSION_CODENAME in /etc/os-release)"
MIRROR=$(debian_mirror "$HOST_SUITE") || die "no apt source serving $HOST_SUITE main found in /etc/apt"
case $MIRROR in http://* | https://* | ftp://* | file:/*) ;; *) die "unsupported mirror URI: $MIRROR" ;; esac

# One builder at a time; re-check the cache once we hold the lock.
exec 9>"$OUTDIR/.trixie.lock"
flock 9
[[ -d $DEST && -f $DEST.versions ]] && publish
# A root without its versions file is one a killed build left half moved.
[[ -d $DEST ]] && rm -rf --one-file-system "$DEST"

WORK=$(mktemp -d "$OUTDIR/.build-trixie.XXXXXX")
ROOT=$WORK/root
mkdir -p "$ROOT"

# shellcheck disable=SC2317 # invoked via trap
cleanup() {
  local rc=$?
  set +e
  chroot_kill "$ROOT"
  if [[ $(findmnt -rno TARGET) == *"$ROOT"* ]]; then
    umount -R "$ROOT/proc" "$ROOT/sys" "$ROOT/dev" 2>/dev/null || umount -R -l "$ROOT/proc" "$ROOT/sys" "$ROOT/dev"
  fi
  remove_work "$WORK"
  [[ $rc -ne 0 ]] && log "FAILED (exit $rc); no root was published"
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

T0=$SECONDS
log "mirror: $MIRROR"
log "debootstrap $SUITE (minbase) ..."
debootstrap --variant=minbase "$SUITE" "$ROOT" "$MIRROR" >"$WORK/debootstrap.log" 2>&1 ||
  { tail -n 30 "$WORK/debootstrap.log" >&2; die "debootstrap failed"; }
log "debootstrap done ($((SECONDS - T0)) s)"

# No daemon may start while packages are installed.
chroot_enter "$ROOT"
printf 'deb %s %s main\n' "$MIRROR" "$SUITE" >"$ROOT/etc/apt/sources.list"
cp /etc/resolv.conf "$ROOT/etc/resolv.conf" 2>/dev/null || true

log "apt-get install ${PACKAGES[*]} ..."
in_root apt-get -q update >"$WORK/apt.log" 2>&1 || { tail -n 30 "$WORK/apt.log" >&2; die "apt-get update failed"; }
in_root apt-get -q -y --no-install-recommends install "${PACKAGES[@]}" >>"$WORK/apt.log" 2>&1 ||
  { tail -n 40 "$WORK/apt.log" >&2; die "apt-get install failed"; }
log "packages done ($((SECONDS - T0)) s)"

# Each tool answers from inside the root (a root that cannot run them is not published).
in_root vagrant --version >&2 || die "vagrant does not run in the root"
in_root node --version >&2 || die "node does not run in the root"
in_root libvirtd --version >&2 || die "libvirtd does not run in the root"
qemu=$(in_root qemu-system-x86_64 --version) || die "qemu-system-x86_64 does not run in the root"
printf '%s\n' "${qemu%%$'\n'*}" >&2
# shellcheck disable=SC2016 # dpkg-query's own format
in_root dpkg-query -W -f '${Package} ${Version}\n' "${VERSIONS_OF[@]}" >"$WORK/versions" ||
  die "dpkg-query cannot list the tools' versions"

in_root apt-get -q clean
rm -rf "$ROOT"/var/lib/apt/lists/* "$ROOT"/var/cache/apt/*.bin
chroot_leave "$ROOT"

mv -f "$WORK/versions" "$WORK/$NAME.versions"
mv -T "$ROOT" "$DEST"
mv -f "$WORK/$NAME.versions" "$DEST.versions"
log "built $DEST in $((SECONDS - T0)) s ($(du -sh "$DEST" | cut -f1)):"
sed 's/^/  /' "$DEST.versions" >&2
publish
