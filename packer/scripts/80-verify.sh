#!/usr/bin/env bash
# Runs after the reboot and fails the build unless the box is what the lab expects: SELinux off in the
# running kernel and in its configuration, no firewalld, no swap unless the lab keeps it (image.swap), the Vagrant
# keys and sshd settings in place.
# Every check runs; all failures are listed.
set -euo pipefail

# log, die, the package manager and the other shared helpers (the build uploads lib.sh before this script).
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "${LABFORGE_LIB:-/var/tmp/labforge/lib.sh}"
script_init verify

failures=()
fail() { failures+=("$*"); printf '[labforge %s] FAIL: %s\n' "$LABFORGE_TAG" "$*" >&2; }
ok() { log "ok: $*"; }

# The guest really rebooted since 60-reboot.sh (packer may reconnect before the old system went down).
if [[ -f $boot_id_file ]]; then
  if [[ $(cat /proc/sys/kernel/random/boot_id) == "$(cat "$boot_id_file")" ]]; then
    fail "the guest has not rebooted since the reboot step (same boot id)"
  else
    ok "rebooted"
  fi
else
  fail "$boot_id_file is missing: the reboot step did not run"
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

if installed firewalld; then fail "the firewalld package is installed"; fi
if systemctl is-active --quiet firewalld.service; then fail "firewalld.service is active"; fi
if unit_known firewalld.service; then
  fail "a firewalld.service unit exists"
else
  ok "no firewalld"
fi

keys=$(home_of vagrant)/.ssh/authorized_keys
mapfile -t vagrant_keys <<<"${LABFORGE_VAGRANT_PUBKEYS:-}"
if [[ -z ${vagrant_keys[0]:-} ]]; then
  fail "LABFORGE_VAGRANT_PUBKEYS is empty: no Vagrant key to check"
fi
for key in "${vagrant_keys[@]}"; do
  [[ -n $key ]] || continue
  if grep -qxF -- "$key" "$keys" 2>/dev/null; then ok "$keys has Vagrant's ${key%% *} key"; else fail "$keys lacks Vagrant's ${key%% *} key"; fi
done
if nopasswd_sudo vagrant; then ok "vagrant: NOPASSWD sudo"; else fail "vagrant has no NOPASSWD sudo"; fi
if "$(sshd_bin)" -t; then ok "sshd -t accepts the configuration"; else fail "sshd -t rejects the configuration"; fi

swaps=$(active_swaps)
if [[ ${LABFORGE_SWAP:-} == false ]]; then
  if [[ $swaps == none ]]; then ok "no swap active after the reboot (image.swap: false)"; else fail "swap active after the reboot: $swaps (image.swap is false)"; fi
else
  log "swap: $swaps active (image.swap: true, as the image has it)"
fi

state=$(systemctl is-enabled "$console_getty" 2>/dev/null || true)
if [[ $state == enabled ]]; then ok "${console_getty} enabled (labforge console)"; else fail "${console_getty} is '${state:-unknown}', not enabled"; fi

if [[ ${#failures[@]} -gt 0 ]]; then
  printf '[labforge %s] ERROR: %d check(s) failed:\n' "$LABFORGE_TAG" "${#failures[@]}" >&2
  printf '  - %s\n' "${failures[@]}" >&2
  exit 1
fi
log "all checks passed"
