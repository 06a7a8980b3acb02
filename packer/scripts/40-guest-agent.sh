#!/usr/bin/env bash
# Makes sure the QEMU guest agent is installed and set to run: libvirt (and vagrant-libvirt) use it to ask a
# guest for its addresses and to shut it down or freeze its file systems cleanly.
set -euo pipefail

log() { printf '[labforge guest-agent] %s\n' "$*"; }
die() { printf '[labforge guest-agent] ERROR: %s\n' "$*" >&2; exit 1; }

[[ $EUID -eq 0 ]] || die "must run as root (packer runs it through sudo)"

if command -v dnf >/dev/null 2>&1; then
  pm=dnf
elif command -v apt-get >/dev/null 2>&1; then
  pm=apt
else
  die "no supported package manager found (need dnf or apt-get)"
fi

installed() {
  if [[ $pm == dnf ]]; then
    rpm -q --quiet qemu-guest-agent
  else
    [[ $(dpkg-query -W -f '${Status}' qemu-guest-agent 2>/dev/null || true) == 'install ok installed' ]]
  fi
}

if installed; then
  log "qemu-guest-agent is already installed: skipping the install"
else
  log "installing qemu-guest-agent"
  if [[ $pm == dnf ]]; then
    dnf install -y qemu-guest-agent
  else
    export DEBIAN_FRONTEND=noninteractive
    apt-get update
    apt-get install -y --no-install-recommends qemu-guest-agent
  fi
  installed || die "qemu-guest-agent is still not installed after installing it"
fi

command -v qemu-ga >/dev/null 2>&1 || die "the qemu-ga program is missing although the package is installed"
units=$(systemctl list-unit-files --no-legend qemu-guest-agent.service || true)
grep -q '^qemu-guest-agent\.service' <<<"$units" || die "qemu-guest-agent.service is not known to systemd"

# Fedora's and Debian's units have no [Install] section: udev starts the agent when the virtio-serial port
# org.qemu.guest_agent.0 appears, so "static" is as enabled as it gets. Enable it where the unit allows it.
state=$(systemctl is-enabled qemu-guest-agent.service 2>/dev/null || true)
if [[ $state == disabled ]]; then
  systemctl enable qemu-guest-agent.service
  state=$(systemctl is-enabled qemu-guest-agent.service 2>/dev/null || true)
fi
case $state in
  enabled | static | indirect | alias) log "qemu-guest-agent.service is $state" ;;
  *) die "qemu-guest-agent.service is '${state:-unknown}', not enabled" ;;
esac
