#!/usr/bin/env bash
# Runs after the reboot and fails the build unless the box is what the lab expects: SELinux off in the
# running kernel and in its configuration, no firewalld, the Vagrant key and sshd settings in place.
# Every check runs; all failures are listed.
set -euo pipefail

log() { printf '[labforge verify] %s\n' "$*"; }
failures=()
fail() { failures+=("$*"); printf '[labforge verify] FAIL: %s\n' "$*" >&2; }
ok() { log "ok: $*"; }
has_word() { [[ " $1 " == *" $2 "* ]]; }

[[ $EUID -eq 0 ]] || { printf '[labforge verify] ERROR: must run as root\n' >&2; exit 1; }

# The guest really rebooted since 60-reboot.sh (packer may reconnect before the old system went down).
if [[ -f /var/tmp/labforge-boot-id ]]; then
  if [[ $(cat /proc/sys/kernel/random/boot_id) == "$(cat /var/tmp/labforge-boot-id)" ]]; then
    fail "the guest has not rebooted since the reboot step (same boot id)"
  else
    ok "rebooted"
  fi
else
  fail "/var/tmp/labforge-boot-id is missing: the reboot step did not run"
fi

read -r cmdline </proc/cmdline
if has_word "$cmdline" selinux=0; then ok "kernel command line has selinux=0"; else fail "/proc/cmdline lacks selinux=0: $cmdline"; fi

if command -v getenforce >/dev/null 2>&1; then
  mode=$(getenforce)
  if [[ $mode == Disabled ]]; then ok "getenforce: Disabled"; else fail "getenforce says $mode, not Disabled"; fi
fi
if [[ -d /sys/fs/selinux ]] && [[ -f /sys/fs/selinux/enforce ]]; then
  fail "selinuxfs is mounted: SELinux is active in the kernel"
fi

lines=$(grep -E '^[[:space:]]*SELINUX=' /etc/selinux/config 2>/dev/null || true)
if [[ $lines == SELINUX=disabled ]]; then ok "/etc/selinux/config: SELINUX=disabled"; else fail "/etc/selinux/config has '${lines:-no SELINUX= line}'"; fi

if command -v rpm >/dev/null 2>&1 && rpm -q --quiet firewalld; then fail "the firewalld package is installed"; fi
if command -v dpkg-query >/dev/null 2>&1 &&
  [[ $(dpkg-query -W -f '${Status}' firewalld 2>/dev/null || true) == 'install ok installed' ]]; then
  fail "the firewalld package is installed"
fi
if systemctl is-active --quiet firewalld.service; then fail "firewalld.service is active"; fi
units=$(systemctl list-unit-files --no-legend firewalld.service 2>/dev/null || true)
if grep -q '^firewalld\.service' <<<"$units"; then
  fail "a firewalld.service unit exists"
else
  ok "no firewalld"
fi

keys=$(getent passwd vagrant | cut -d: -f6)/.ssh/authorized_keys
if [[ -n ${LABFORGE_VAGRANT_PUBKEY:-} ]] && grep -qxF -- "$LABFORGE_VAGRANT_PUBKEY" "$keys" 2>/dev/null; then
  ok "$keys has the Vagrant key"
else
  fail "$keys lacks the Vagrant key (or LABFORGE_VAGRANT_PUBKEY is empty)"
fi
rules=$(sudo -n -l -U vagrant 2>&1 || true)
if grep -q 'NOPASSWD: ALL' <<<"$rules"; then ok "vagrant: NOPASSWD sudo"; else fail "vagrant has no NOPASSWD sudo"; fi
sshd=$(command -v sshd || echo /usr/sbin/sshd)
effective=$("$sshd" -T 2>&1 || true)
if awk '$1 == "pubkeyacceptedalgorithms" { print $2 }' <<<"$effective" | tr ',' '\n' | grep -x ssh-rsa >/dev/null; then
  ok "sshd accepts ssh-rsa"
else
  fail "sshd does not accept ssh-rsa signatures"
fi

if [[ ${#failures[@]} -gt 0 ]]; then
  printf '[labforge verify] ERROR: %d check(s) failed:\n' "${#failures[@]}" >&2
  printf '  - %s\n' "${failures[@]}" >&2
  exit 1
fi
log "all checks passed"
