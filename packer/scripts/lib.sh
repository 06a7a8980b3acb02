# shellcheck shell=bash
# What the guest scripts share: log lines under each script's own tag, the root check, the package manager and
# its package query, and the checks that more than one script makes. Sourced, never run on its own.
#
# Packer uploads each shell-provisioner script alone, so the build uploads this file first, by itself, to
# /var/tmp/labforge/lib.sh (see build.pkr.hcl): /var/tmp, unlike a /tmp on tmpfs, survives the reboot step, and
# 80-verify.sh sources it after the reboot. 90-cleanup.sh, the last script, removes it. A script uses it as
#
#   set -euo pipefail
#   # shellcheck source-path=SCRIPTDIR source=lib.sh
#   source "${LABFORGE_LIB:-/var/tmp/labforge/lib.sh}"
#   script_init TAG
#
# (LABFORGE_LIB points elsewhere for a run by hand; the directive lets `shellcheck -x` follow the source from
# any working directory.) Nothing here changes the guest when sourced.
#
# The render also ships this file as provision/lib.sh beside vagrant/scripts/node.sh, which Vagrant runs on every
# node: the lab's provisioning speaks the same vocabulary (it sources "$LABFORGE_FILES/lib.sh").

# The tag of every line the script prints, "[labforge TAG] ...": set by script_init.
LABFORGE_TAG=guest

log() { printf '[labforge %s] %s\n' "$LABFORGE_TAG" "$*"; }
die() {
  printf '[labforge %s] ERROR: %s\n' "$LABFORGE_TAG" "$*" >&2
  exit 1
}

# script_init TAG: names the script in its log lines; it must run as root (packer runs it through sudo).
script_init() {
  LABFORGE_TAG=$1
  [[ $EUID -eq 0 ]] || die "must run as root (packer runs it through sudo)"
}

# The package manager: dnf (Fedora) or apt (Debian, as on the test box); empty when there is neither. Only the
# scripts that install, remove or clean packages call require_pm.
if command -v dnf >/dev/null 2>&1; then
  pm=dnf
elif command -v apt-get >/dev/null 2>&1; then
  pm=apt
else
  pm=
fi

require_pm() {
  [[ -n $pm ]] || die "no supported package manager found (need dnf or apt-get)"
}

# installed PKG: whether the package database says PKG is installed (false without a package manager).
installed() {
  case $pm in
    dnf) rpm -q --quiet "$1" ;;
    apt) [[ $(dpkg-query -W -f '${Status}' "$1" 2>/dev/null || true) == 'install ok installed' ]] ;;
    *) return 1 ;;
  esac
}

# unit_known UNIT: whether systemd has a unit file named UNIT. (Output is captured before it is searched: with
# pipefail, `cmd | grep -q` can fail when grep stops reading early.)
unit_known() {
  local units
  units=$(systemctl list-unit-files --no-legend "$1" 2>/dev/null || true)
  awk -v unit="$1" '$1 == unit { found = 1 } END { exit !found }' <<<"$units"
}

# has_word LIST WORD: whether the space-separated LIST contains WORD.
has_word() { [[ " $1 " == *" $2 "* ]]; }

# home_of USER: USER's home directory (empty when there is no such user).
home_of() { getent passwd "$1" | cut -d: -f6; }

# nopasswd_sudo USER: whether sudo lets USER run anything without a password.
nopasswd_sudo() {
  local rules
  rules=$(sudo -n -l -U "$1" 2>&1) || return 1
  grep -q 'NOPASSWD: ALL' <<<"$rules"
}

# The login prompt `labforge console NODE` connects to: a getty on the second serial port, ttyS1 (the first,
# ttyS0, is the kernel's console, written to a file on the host). systemd's getty generator starts a getty only on
# the kernel's console, so this one is enabled explicitly, by the bake and again by the lab's provisioning (for
# boxes baked before).
console_getty=serial-getty@ttyS1.service

# enable_console_getty: enables the getty on ttyS1 (idempotent) and checks that systemd has it enabled.
enable_console_getty() {
  unit_known serial-getty@.service || die "systemd has no serial-getty@.service: no login prompt on ttyS1 possible"
  systemctl enable "$console_getty" >/dev/null 2>&1 || die "systemctl enable ${console_getty} failed"
  [[ $(systemctl is-enabled "$console_getty" 2>/dev/null || true) == enabled ]] || die "${console_getty} is not enabled after enabling it"
}

# active_swaps: the swap devices and files in use (/proc/swaps after its header), space-separated, or "none".
active_swaps() {
  local swaps
  swaps=$(awk 'NR > 1 { printf "%s%s", sep, $1; sep = " " }' /proc/swaps)
  echo "${swaps:-none}"
}

# sshd_bin: the sshd program (/usr/sbin is not on every root PATH that sudo gives).
sshd_bin() { command -v sshd || echo /usr/sbin/sshd; }

# Where 60-reboot.sh keeps the boot id, so that 80-verify.sh can tell a rebooted guest from one that never went
# down; 90-cleanup.sh removes it.
# shellcheck disable=SC2034 # used by the scripts that source this file
boot_id_file=/var/tmp/labforge-boot-id
