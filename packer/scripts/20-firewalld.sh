#!/usr/bin/env bash
# Removes firewalld. The lab's nodes talk to each other on many ports (etcd, the API server, kubelets, the
# pod network), and the classic lab this recipe serves runs without a host firewall; Fedora Cloud images
# ship without it, other images (and the Debian test box) have it installed, enabled and running.
set -euo pipefail

# log, die, the package manager and the other shared helpers (the build uploads lib.sh before this script).
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "${LABFORGE_LIB:-/var/tmp/labforge/lib.sh}"
script_init firewalld

require_pm

# Stop it first: removing the package of a running firewall can leave its rules loaded.
if systemctl is-active --quiet firewalld.service; then
  log "stopping firewalld"
  systemctl stop firewalld.service
fi
if unit_known firewalld.service; then
  systemctl disable firewalld.service
fi

if installed firewalld; then
  log "removing the firewalld package"
  if [[ $pm == dnf ]]; then
    dnf remove -y firewalld
  else # apt: the Debian test box only
    DEBIAN_FRONTEND=noninteractive apt-get purge -y firewalld
  fi
else
  log "firewalld is not installed: nothing to remove"
fi
systemctl daemon-reload

installed firewalld && die "the firewalld package is still installed"
systemctl is-active --quiet firewalld.service && die "firewalld.service is still active"
unit_known firewalld.service && die "a firewalld.service unit file is still present: $(systemctl list-unit-files --no-legend firewalld.service)"
log "firewalld is gone (no package, no unit)"
