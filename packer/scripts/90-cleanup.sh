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

# --- cloud-init: forget this instance and stay off in the box. Its job (the vagrant user from the seed) is done;
# on a node it would look for a datasource at every boot and, finding none, fall back to the image's default user.
# The network configuration it wrote is bound to the build VM (its MAC, its NIC): a clone gets DHCP from the
# profile written below instead.
if command -v cloud-init >/dev/null 2>&1; then
  cloud-init clean --logs
  [[ ! -e /var/lib/cloud/instance ]] || die "cloud-init clean left /var/lib/cloud/instance"
  install -d -m 0755 /etc/cloud
  touch /etc/cloud/cloud-init.disabled
  [[ -f /etc/cloud/cloud-init.disabled ]] || die "/etc/cloud/cloud-init.disabled was not created"
  log "cloud-init state cleaned; disabled (/etc/cloud/cloud-init.disabled)"
fi
written=()
for f in /etc/NetworkManager/system-connections/cloud-init-*.nmconnection /etc/NetworkManager/conf.d/99-cloud-init.conf \
  /etc/netplan/50-cloud-init.yaml /etc/network/interfaces.d/50-cloud-init /etc/network/interfaces.d/50-cloud-init.cfg \
  /etc/systemd/network/10-cloud-init-*.network /etc/sysconfig/network-scripts/ifcfg-*; do
  [[ -f $f ]] || continue
  # ifcfg files only when cloud-init wrote them (its header says so).
  if [[ $f == */ifcfg-* ]] && ! grep -q 'cloud-init' "$f"; then continue; fi
  rm -f "$f"
  written+=("$f")
done
log "network configuration cloud-init wrote for the build VM removed: ${written[*]:-none found}"

# --- NetworkManager: DHCP on any NIC that no other profile claims (on a node: vagrant-libvirt's management NIC),
# bound to no interface name and no MAC. The NIC's name depends on the image (Fedora 40+ Cloud images are built with
# KIWI, without the net.ifnames=0 that made the first NIC eth0) and every clone has its own MAC. The lab NIC's
# profile (labforge-lab, bound to its MAC by provision/node.sh) outranks this one (autoconnect-priority). Not loaded
# now: the build VM keeps its connection until the shutdown. Its state (leases of the build VM, its secret key,
# timestamps) goes.
if [[ -d /etc/NetworkManager ]]; then
  profile=/etc/NetworkManager/system-connections/labforge-dhcp.nmconnection
  install -d -m 0700 /etc/NetworkManager/system-connections
  cat >"$profile" <<'EOF'
# Written by labforge's 90-cleanup.sh: DHCP on every NIC no other profile claims, whatever its name (no
# interface-name, no MAC). multi-connect=3: active on several NICs at once.
[connection]
id=labforge-dhcp
type=ethernet
autoconnect=true
autoconnect-priority=-100
multi-connect=3

[ipv4]
method=auto

[ipv6]
method=auto
EOF
  chmod 0600 "$profile"
  bound=$(grep -E '^(interface-name|mac-address)=' "$profile" || true)
  [[ -z $bound ]] || die "$profile is bound to a NIC: $bound"
  log "$profile: DHCP on any NIC, bound to no name or MAC"
fi
if [[ -d /var/lib/NetworkManager ]]; then
  find /var/lib/NetworkManager -mindepth 1 -delete
  [[ -z $(ls -A /var/lib/NetworkManager) ]] || die "/var/lib/NetworkManager is not empty"
  log "/var/lib/NetworkManager emptied (leases, secret key)"
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

# --- free space: discarded (the build disk has discard=unmap), so the box keeps only the blocks in use. Where the
# file system or disk cannot discard, zeros do the same for the compressed image.
sync
if fstrim_out=$(fstrim -av 2>&1) && [[ -n $fstrim_out ]]; then
  log "fstrim: ${fstrim_out//$'\n'/; }"
else
  log "fstrim did not work (${fstrim_out:-no output}): filling free space with zeros instead"
  dd if=/dev/zero of=/var/tmp/labforge-zero bs=1M status=none 2>/dev/null || true
  rm -f /var/tmp/labforge-zero
fi
sync
used=$(df -P -k / | awk 'NR == 2 { printf "%d MiB used of %d MiB", $3 / 1024, $2 / 1024 }')
log "root file system: $used"

# --- the shared library, last: no script runs after this one. Its functions stay defined in this shell.
rm -rf /var/tmp/labforge
[[ ! -e /var/tmp/labforge ]] || die "/var/tmp/labforge is still there"
log "/var/tmp/labforge (lib.sh) removed"

log "done"
