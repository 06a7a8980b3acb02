#!/usr/bin/env bash
# Leaves the image ready to be cloned many times: no package caches, no cloud-init state, no machine id (each
# clone makes its own; a shared one gives every node the same DHCP lease), no ssh host keys when the OS makes
# new ones at boot, empty logs.
set -euo pipefail

# log, die, the package manager and the other shared helpers (the build uploads lib.sh before this script).
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "${LABFORGE_LIB:-/var/tmp/labforge/lib.sh}"
script_init cleanup

# --- package caches
if [[ $pm == dnf ]]; then
  dnf clean all
elif [[ $pm == apt ]]; then # the Debian test box only
  apt-get clean
  rm -rf /var/lib/apt/lists/*
fi

# --- cloud-init: forget this instance, so a clone is a new one
if command -v cloud-init >/dev/null 2>&1; then
  cloud-init clean --logs
  [[ ! -e /var/lib/cloud/instance ]] || die "cloud-init clean left /var/lib/cloud/instance"
  log "cloud-init state cleaned"
fi

# --- ssh host keys: only removed when something recreates them at boot, or sshd would not start.
regenerates_host_keys() {
  local dir f unit
  # Fedora / RHEL: sshd.service pulls in sshd-keygen@<type>.service, which creates missing keys.
  for dir in /etc/systemd/system /usr/lib/systemd/system /lib/systemd/system; do
    [[ -f $dir/sshd-keygen@.service ]] && { echo "sshd-keygen@.service"; return 0; }
  done
  # Elsewhere: an enabled unit (or a drop-in of one) that runs ssh-keygen -A.
  while IFS= read -r f; do
    if [[ $f == *.d/*.conf ]]; then unit=${f%/*}; unit=${unit##*/}; unit=${unit%.d}; else unit=${f##*/}; fi
    case $(systemctl is-enabled "$unit" 2>/dev/null || true) in
      enabled | static | indirect | alias) echo "$unit"; return 0 ;;
    esac
  done < <(grep -rlsE '^ExecStart(Pre)?=.*ssh-keygen[[:space:]]+-A' \
    /etc/systemd/system /usr/lib/systemd/system /lib/systemd/system || true)
  return 1
}
if keygen=$(regenerates_host_keys); then
  rm -f /etc/ssh/ssh_host_*
  compgen -G '/etc/ssh/ssh_host_*' >/dev/null && die "ssh host keys are still present"
  log "ssh host keys removed ($keygen makes new ones at boot)"
else
  log "WARNING: keeping the ssh host keys: nothing regenerates them at boot, so every clone shares them"
fi

# --- machine id: empty file, so systemd generates a fresh one at first boot
: >/etc/machine-id
rm -f /var/lib/dbus/machine-id
[[ ! -s /etc/machine-id ]] || die "/etc/machine-id is not empty"
log "/etc/machine-id emptied"

# --- logs, histories, our own marker
if command -v journalctl >/dev/null 2>&1; then
  journalctl --rotate >/dev/null 2>&1 || true
  journalctl --vacuum-time=1s >/dev/null 2>&1 || true
fi
find /var/log -path /var/log/journal -prune -o -type f \( -name '*.gz' -o -name '*.[0-9]' -o -name '*.old' \) -print0 |
  xargs -0 -r rm -f
find /var/log -path /var/log/journal -prune -o -type f -print0 | xargs -0 -r truncate -s 0
rm -f /root/.bash_history "$(home_of vagrant)/.bash_history" "$boot_id_file"
log "logs truncated"

# --- the shared library and the files uploaded beside it, last: no script runs after this one. Its functions
# stay defined in this shell.
rm -rf /var/tmp/labforge
[[ ! -e /var/tmp/labforge ]] || die "/var/tmp/labforge is still there"
log "/var/tmp/labforge (lib.sh and the uploaded files) removed"

sync
log "done"
