#!/usr/bin/env bash
# Makes sure the QEMU guest agent is installed and set to run: libvirt (and vagrant-libvirt) use it to ask a
# guest for its addresses and to shut it down or freeze its file systems cleanly.
set -euo pipefail

# log, die, the package manager and the other shared helpers (the build uploads lib.sh before this script).
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "${LABFORGE_LIB:-/var/tmp/labforge/lib.sh}"
script_init guest-agent

require_pm

if installed qemu-guest-agent; then
  log "qemu-guest-agent is already installed: skipping the install"
else
  log "installing qemu-guest-agent"
  if [[ $pm == dnf ]]; then
    dnf install -y qemu-guest-agent
  else # apt: the Debian test box only
    export DEBIAN_FRONTEND=noninteractive
    apt-get update
    apt-get install -y --no-install-recommends qemu-guest-agent
  fi
  installed qemu-guest-agent || die "qemu-guest-agent is still not installed after installing it"
fi

command -v qemu-ga >/dev/null 2>&1 || die "the qemu-ga program is missing although the package is installed"
unit_known qemu-guest-agent.service || die "qemu-guest-agent.service is not known to systemd"

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
