#!/usr/bin/env bash
# Removes firewalld. The lab's nodes talk to each other on many ports (etcd, the API server, kubelets, the
# pod network), and the classic lab this recipe serves runs without a host firewall; Fedora Cloud images
# ship without it, other images (and the Debian test box) have it installed, enabled and running.
set -euo pipefail

log() { printf '[labforge firewalld] %s\n' "$*"; }
die() { printf '[labforge firewalld] ERROR: %s\n' "$*" >&2; exit 1; }

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
    rpm -q --quiet firewalld
  else
    [[ $(dpkg-query -W -f '${Status}' firewalld 2>/dev/null || true) == 'install ok installed' ]]
  fi
}

# (Output is captured before grep: with pipefail, `cmd | grep -q` can fail when grep stops reading early.)
unit_known() {
  local units
  units=$(systemctl list-unit-files --no-legend firewalld.service 2>/dev/null || true)
  grep -q '^firewalld\.service' <<<"$units"
}

# Stop it first: removing the package of a running firewall can leave its rules loaded.
if systemctl is-active --quiet firewalld.service; then
  log "stopping firewalld"
  systemctl stop firewalld.service
fi
if unit_known; then
  systemctl disable firewalld.service
fi

if installed; then
  log "removing the firewalld package"
  if [[ $pm == dnf ]]; then
    dnf remove -y firewalld
  else
    DEBIAN_FRONTEND=noninteractive apt-get purge -y firewalld
  fi
else
  log "firewalld is not installed: nothing to remove"
fi
systemctl daemon-reload

installed && die "the firewalld package is still installed"
systemctl is-active --quiet firewalld.service && die "firewalld.service is still active"
unit_known && die "a firewalld.service unit file is still present: $(systemctl list-unit-files --no-legend firewalld.service)"
log "firewalld is gone (no package, no unit)"
