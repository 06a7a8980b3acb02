#!/usr/bin/env bash
# Brings every installed package up to date when the lab asks for it (image.update, passed in as
# LABFORGE_UPDATE=true|false), so the box does not start its life with known-fixed bugs.
# Runs first: a new kernel installed here must also get the selinux=0 argument from 30-selinux.sh.
set -euo pipefail

# log, die, the package manager and the other shared helpers (the build uploads lib.sh before this script).
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "${LABFORGE_LIB:-/var/tmp/labforge/lib.sh}"
script_init update

case ${LABFORGE_UPDATE:-} in
  true) ;;
  false) log "LABFORGE_UPDATE=false (image.update: false): packages are left as the image ships them"; exit 0 ;;
  *) die "LABFORGE_UPDATE must be true or false, got '${LABFORGE_UPDATE:-}'" ;;
esac

require_pm
if [[ $pm == dnf ]]; then
  log "dnf -y upgrade --refresh"
  dnf -y upgrade --refresh
  # check-update exits 100 while updates remain, 0 when there are none.
  rc=0
  dnf -q check-update >/dev/null || rc=$?
  [[ $rc -eq 0 ]] || die "dnf check-update still reports updates (exit $rc) after the upgrade"
else # apt: the Debian test box only
  export DEBIAN_FRONTEND=noninteractive
  log "apt-get update && apt-get -y dist-upgrade"
  apt-get update
  # Keep locally changed configuration files without asking.
  apt-get -y -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold dist-upgrade
  pending=$(apt-get -s dist-upgrade | grep -c '^Inst ' || true)
  [[ $pending -eq 0 ]] || die "apt-get still wants to upgrade $pending package(s) after dist-upgrade"
fi
log "all packages are up to date"
