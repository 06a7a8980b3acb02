#!/usr/bin/env bash
# Usage: scripts/e2e-trixie.sh [JEST ARGUMENTS...]
#
# The lifecycle end-to-end test (test/e2e/lifecycle.test.ts) on Debian 13's tools: the second leg of labforge's CI.
# It runs the same test file, with the same assertions, inside a Debian 13 (trixie) root (scripts/build-trixie-root.sh, cached under
# .cache/trixie-root by a hash of its package list and script) holding Debian 13's Vagrant, vagrant-libvirt,
# libvirt, QEMU, dnsmasq, OpenSSH and Node.js, plus this host's packer binary (Debian 13 ships no Packer).
#
# Isolation: everything runs in new mount, PID and network namespaces of its own. The root is mounted as an overlay
# (the cached root stays as built; whatever the run writes, libvirt's state included, goes to a folder removed at
# the end), with /proc, /sys, /dev and this repository (at its own path, .cache included) mounted into it. The
# network namespace has only loopback: the e2e's libvirtd, guests and mirror live in a further namespace the test
# makes itself (scripts/e2e-env.sh), and nothing can reach the host's networks. When the test ends (or this script
# is killed), the PID namespace ends with it: no daemon outlives the run.
#
# The test box is built on this host (scripts/build-test-box.sh needs its bookworm apt source) or taken from
# .cache/test-box, as in the first leg. The repository must be built first (npm run build; `npm run test:e2e:trixie`
# does both). The remote-host e2e (test/e2e/remote.test.ts) runs on the first leg only: it drives the same Vagrant
# and libvirt calls over qemu+ssh and would add about ten minutes to a CI run that must stay under an hour.
# Needs root, unshare, overlayfs, debootstrap (for the first builds) and packer on PATH.
set -euo pipefail

log() { printf '[e2e-trixie] %s\n' "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)

if [[ ${1:-} != --inside ]]; then
  [[ $(id -u) -eq 0 ]] || die "must run as root (namespaces, chroot, libvirtd)"
  [[ -f $REPO/dist/bundle/labforge.mjs ]] || die "labforge is not built: run npm run build (or npm run test:e2e:trixie)"
  PACKER=$(command -v packer) || die "packer is not on PATH (Debian 13 has none; the leg uses this host's)"
  T0=$SECONDS
  # The test box is a Debian 12 image debootstrapped from this host's bookworm apt source, which the Debian 13 root
  # does not have: build it (or find it cached by its script's hash) here, before entering the root, so the leg
  # also runs on a machine where the first leg has not run.
  bash "$REPO/scripts/build-test-box.sh" "$REPO/.cache/test-box" >/dev/null || die "scripts/build-test-box.sh failed"
  log "test box ready in .cache/test-box ($((SECONDS - T0)) s)"
  ROOTFS=$(bash "$REPO/scripts/build-trixie-root.sh" "$REPO/.cache/trixie-root" | tail -n 1)
  [[ -d $ROOTFS ]] || die "scripts/build-trixie-root.sh gave no root"
  log "Debian 13 root: $ROOTFS ($((SECONDS - T0)) s); its tools:"
  sed 's/^/  /' "$ROOTFS.versions" >&2
  # A killed leg leaves at most this folder (its mounts die with the namespace).
  RUN=$(mktemp -d /var/tmp/labforge-trixie.XXXXXX)
  # shellcheck disable=SC2317 # invoked via trap
  cleanup() {
    if [[ $(findmnt -rno TARGET) == *"$RUN"* ]]; then
      log "WARNING: something is still mounted under $RUN; not removing it"
    else
      rm -rf --one-file-system "$RUN"
    fi
  }
  trap cleanup EXIT
  rc=0
  # --kill-child: if this script is killed, the namespaces' first process (and with it every process in them) is too.
  unshare --mount --propagation private --pid --fork --kill-child --net -- \
    "$BASH" "${BASH_SOURCE[0]}" --inside "$ROOTFS" "$RUN" "$(readlink -f "$PACKER")" "$@" || rc=$?
  log "the Debian 13 leg took $((SECONDS - T0)) s (exit $rc)"
  exit "$rc"
fi

# --------------------------------------------------------------------------- inside the new namespaces
shift
ROOTFS=$1 RUN=$2 PACKER=$3
shift 3
M=$RUN/merged
mkdir -p "$RUN/upper" "$RUN/work" "$M"
mount -t overlay overlay -o "lowerdir=$ROOTFS,upperdir=$RUN/upper,workdir=$RUN/work" "$M"
mount -t proc proc "$M/proc"
mount -t sysfs sysfs "$M/sys"
# cgroups as the host has them (libvirt places its QEMU processes there when it can).
if mountpoint -q /sys/fs/cgroup; then mount --rbind /sys/fs/cgroup "$M/sys/fs/cgroup"; fi
mount --rbind /dev "$M/dev"
mount -t tmpfs -o mode=0755 tmpfs "$M/run"
# What a booted Debian 13 has in /run (systemd-tmpfiles makes it): /run/lock (/var/lock links there), where libvirt
# locks a console's pty.
install -d -m 1777 "$M/run/lock"
# The repository at its own path (the test finds the CLI, the scripts and .cache from there); a .cache that is a
# link (a worktree sharing another checkout's cache) is mounted at its target's path too.
mkdir -p "$M$REPO"
mount --bind "$REPO" "$M$REPO"
if [[ -L $REPO/.cache ]]; then
  cache=$(readlink -f "$REPO/.cache")
  mkdir -p "$M$cache"
  mount --bind "$cache" "$M$cache"
fi
mkdir -p "$M/usr/local/bin"
touch "$M/usr/local/bin/packer"
mount --bind "$PACKER" "$M/usr/local/bin/packer"
ip link set lo up

# The test itself, with Debian 13's Node.js. CI=true: the e2e never skips, whatever the root lacks. Not exec'd: this
# shell stays the namespace's first process and reaps the daemons the test leaves to it.
# shellcheck disable=SC2016 # the inner shell expands them
chroot "$M" /usr/bin/env -i \
  PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin HOME=/root LANG=C.UTF-8 CI=true \
  LABFORGE_E2E_LEG=debian13 \
  /bin/bash -c 'cd "$1" && shift && exec node --experimental-vm-modules node_modules/jest/bin/jest.js --runInBand "$@"' \
  bash "$REPO" test/e2e/lifecycle.test.ts "$@" &
wait $!
