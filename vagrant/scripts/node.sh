#!/usr/bin/env bash
# Makes a booted node a member of its lab. Run by the Vagrantfile as root on every `vagrant up`/`provision`;
# safe to run again. Inputs (environment, set by the Vagrantfile):
#   LABFORGE_IP, LABFORGE_PREFIX  static address on the lab network
#   LABFORGE_MAC                  MAC of the lab NIC (the Vagrantfile sets it, so the NIC is found by it)
#   LABFORGE_FQDN                 the node's name
#   LABFORGE_GATEWAY, LABFORGE_DOMAIN  lab DNS server (the host's dnsmasq) and domain
#   LABFORGE_FILES                directory with `hosts` (the lab's /etc/hosts block), `lab_key.pub` and `lib.sh`
# Each step checks its own result and stops the provisioning with a message if it did not take.
# The guest scripts' vocabulary (log, die, sshd_bin, ...) is packer/scripts/lib.sh, which the render ships beside
# this script as provision/lib.sh. No pipeline here ends in a reader that stops early (grep -q, head): under
# pipefail the writer's SIGPIPE would fail the pipeline, so output is captured first and then searched.
set -euo pipefail

: "${LABFORGE_IP:?}" "${LABFORGE_PREFIX:?}" "${LABFORGE_MAC:?}" "${LABFORGE_FQDN:?}"
: "${LABFORGE_GATEWAY:?}" "${LABFORGE_DOMAIN:?}" "${LABFORGE_FILES:?}"

# shellcheck source-path=SCRIPTDIR source=lib.sh
source "${LABFORGE_FILES}/lib.sh"
script_init node

# --- the lab NIC, found by its MAC --------------------------------------------------------------------------
iface=""
for dev in /sys/class/net/*; do
  if [[ "$(cat "$dev/address" 2>/dev/null)" == "${LABFORGE_MAC,,}" ]]; then
    iface="$(basename "$dev")"
  fi
done
[[ -n "$iface" ]] || die "no network interface has the lab MAC ${LABFORGE_MAC}"
log "lab interface ${iface} (${LABFORGE_MAC})"

# --- the static address -----------------------------------------------------------------------------------
address="${LABFORGE_IP}/${LABFORGE_PREFIX}"
if command -v nmcli >/dev/null && [[ $(nmcli -t -f RUNNING general 2>/dev/null || true) == *running* ]]; then
  # Fedora 36+ has no ifcfg files; NetworkManager keyfiles are the supported way. The profile is bound to the NIC's
  # MAC (the Vagrantfile sets it), not to its name, which depends on the order the NICs are found in.
  mac=${LABFORGE_MAC^^}
  connections=$(nmcli -t -f NAME connection show || true)
  if grep -qx labforge-lab <<<"$connections"; then
    nmcli connection modify labforge-lab connection.interface-name "" 802-3-ethernet.mac-address "$mac" ipv4.method manual \
      ipv4.addresses "$address" ipv4.dns "$LABFORGE_GATEWAY" ipv4.dns-search "$LABFORGE_DOMAIN" ipv4.never-default yes ipv6.method disabled
  else
    # Drop whatever NetworkManager made up for the NIC on its own (a DHCP "Wired connection"), but not the box's
    # DHCP profile (labforge-dhcp, 90-cleanup.sh): it may be active on this NIC too, and it serves the management
    # NIC. labforge-lab below outranks it on this NIC.
    keep=$(nmcli -g connection.uuid connection show labforge-dhcp 2>/dev/null || true)
    while IFS=: read -r uuid device; do
      if [[ "$device" == "$iface" && "$uuid" != "$keep" ]]; then nmcli connection delete "$uuid" >/dev/null || true; fi
    done < <(nmcli -t -f UUID,DEVICE connection show)
    nmcli connection add type ethernet con-name labforge-lab ifname "*" 802-3-ethernet.mac-address "$mac" ipv4.method manual \
      ipv4.addresses "$address" ipv4.dns "$LABFORGE_GATEWAY" ipv4.dns-search "$LABFORGE_DOMAIN" ipv4.never-default yes \
      ipv6.method disabled connection.autoconnect yes >/dev/null
  fi
  bound=$(nmcli -g 802-3-ethernet.mac-address connection show labforge-lab)
  [[ ${bound//\\/} == "$mac" ]] || die "the NetworkManager profile labforge-lab is bound to MAC '${bound}', not ${mac}"
  nmcli connection up labforge-lab ifname "$iface" >/dev/null
  method="NetworkManager (profile labforge-lab, MAC ${mac})"
elif command -v ifup >/dev/null && [[ -f /etc/network/interfaces ]]; then
  # The Debian test box only (ifupdown): Fedora has NetworkManager.
  grep -qE '^\s*source(-directory)?\s+/etc/network/interfaces\.d' /etc/network/interfaces ||
    echo 'source /etc/network/interfaces.d/*' >>/etc/network/interfaces
  mkdir -p /etc/network/interfaces.d
  cat >/etc/network/interfaces.d/labforge-lab <<EOF
# Written by labforge: the static address on the lab network.
auto ${iface}
iface ${iface} inet static
    address ${address}
EOF
  ifdown "$iface" >/dev/null 2>&1 || true
  ip addr flush dev "$iface"
  ifup "$iface"
  method="ifupdown"
elif [[ -d /etc/systemd/network ]] && command -v networkctl >/dev/null; then
  cat >/etc/systemd/network/10-labforge-lab.network <<EOF
# Written by labforge: the static address on the lab network.
[Match]
MACAddress=${LABFORGE_MAC}

[Network]
Address=${address}
DNS=${LABFORGE_GATEWAY}
Domains=${LABFORGE_DOMAIN}
EOF
  networkctl reload
  networkctl reconfigure "$iface"
  method="systemd-networkd"
else
  die "found neither NetworkManager, ifupdown nor systemd-networkd to configure ${iface}"
fi

# has_address: whether the lab NIC has the static address now.
has_address() {
  local addresses
  addresses=$(ip -4 -o addr show dev "$iface")
  [[ $addresses == *" ${address} "* ]]
}
for _ in $(seq 1 20); do
  if has_address; then break; fi
  sleep 0.5
done
has_address || die "${iface} does not have ${address} after configuring it with ${method}"
log "${iface} has ${address} (${method})"

# --- the name and /etc/hosts ------------------------------------------------------------------------------
short="${LABFORGE_FQDN%%.*}"
if [[ "$(hostname)" != "$LABFORGE_FQDN" && "$(hostname)" != "$short" ]]; then
  if command -v hostnamectl >/dev/null && hostnamectl set-hostname "$LABFORGE_FQDN" 2>/dev/null; then :; else
    echo "$LABFORGE_FQDN" >/etc/hostname
    hostname "$LABFORGE_FQDN"
  fi
fi

begin="$(head -n 1 "$LABFORGE_FILES/hosts")"
end="$(tail -n 1 "$LABFORGE_FILES/hosts")"
[[ "$begin" == "# BEGIN labforge"* && "$end" == "# END labforge"* ]] || die "$LABFORGE_FILES/hosts is not a labforge hosts block"
tmp="$(mktemp /etc/hosts.labforge.XXXXXX)"
# Keep the file's other lines, minus an older copy of the block and any loopback line for this node's own name
# (Vagrant and Debian add "127.0.1.1 <fqdn>", which would make the node's name resolve to loopback).
awk -v begin="$begin" -v end="$end" -v fqdn="$LABFORGE_FQDN" -v short="$short" '
  $0 == begin { skip = 1; next }
  $0 == end { skip = 0; next }
  skip { next }
  $1 ~ /^127\./ && $1 != "127.0.0.1" { for (i = 2; i <= NF; i++) if ($i == fqdn || $i == short) next }
  { print }
' /etc/hosts >"$tmp"
cat "$LABFORGE_FILES/hosts" >>"$tmp"
chmod 0644 "$tmp"
mv "$tmp" /etc/hosts
resolved=$(getent hosts "$LABFORGE_FQDN" || true)
awk -v ip="$LABFORGE_IP" '$1 == ip { found = 1 } END { exit !found }' <<<"$resolved" || die "/etc/hosts does not resolve ${LABFORGE_FQDN} to ${LABFORGE_IP}"
log "$(hostname) resolves to ${LABFORGE_IP}; /etc/hosts has the lab block"

# --- root login with the lab key --------------------------------------------------------------------------
install -d -m 0700 /root/.ssh
touch /root/.ssh/authorized_keys
chmod 0600 /root/.ssh/authorized_keys
key="$(cat "$LABFORGE_FILES/lab_key.pub")"
grep -qxF "$key" /root/.ssh/authorized_keys || echo "$key" >>/root/.ssh/authorized_keys
if [[ -d /etc/ssh/sshd_config.d ]]; then
  printf '# Written by labforge: root logs in with the lab key only.\nPermitRootLogin prohibit-password\n' \
    >/etc/ssh/sshd_config.d/20-labforge-root.conf
fi
sshd=$(sshd_bin)
"$sshd" -t || die "sshd rejects its configuration"
[[ "$("$sshd" -T 2>/dev/null | awk '$1 == "permitrootlogin" { print $2 }')" =~ ^(without-password|prohibit-password|yes)$ ]] ||
  die "sshd does not permit root login by key"
systemctl reload sshd 2>/dev/null || systemctl reload ssh 2>/dev/null || true
log "root accepts the lab key"
# Root's systemd user manager stays (linger). Without it, every ssh login as root that finds no other session
# starts one, which stops again after the logout: seconds of guest CPU each time under TCG, and labforge's
# verify, run, copy and up's checks all log in as root (npm run bench measures what verify costs the guests).
loginctl enable-linger root || die "loginctl enable-linger root failed"
[[ -e /var/lib/systemd/linger/root ]] || die "root's user manager does not linger after loginctl enable-linger (no /var/lib/systemd/linger/root)"
log "root's user manager lingers: logins start none"

# --- the serial console login (labforge console) ------------------------------------------------------------
# Boxes baked before labforge had the console lack the getty on ttyS1: enable it here too, and start it.
enable_console_getty
systemctl start "$console_getty" || die "${console_getty} does not start (is there a second serial port, ttyS1?)"
log "login prompt on ttyS1: $(systemctl is-active "$console_getty" 2>/dev/null || true)"

# --- a larger disk than the box's: grow the root file system ----------------------------------------------
root_src="$(findmnt -n -o SOURCE / | sed 's/\[.*//')"
if command -v growpart >/dev/null && [[ "$root_src" =~ ^(/dev/[a-z]+)([0-9]+)$ ]]; then
  growpart "${BASH_REMATCH[1]}" "${BASH_REMATCH[2]}" >/dev/null 2>&1 || true
  case "$(findmnt -n -o FSTYPE /)" in
    ext4) resize2fs "$root_src" >/dev/null 2>&1 || true ;;
    xfs) xfs_growfs / >/dev/null || true ;;
    btrfs) btrfs filesystem resize max / >/dev/null || true ;;
  esac
fi

log "node $(hostname) ready: ${LABFORGE_IP}, SELinux $(getenforce 2>/dev/null || echo absent)"
