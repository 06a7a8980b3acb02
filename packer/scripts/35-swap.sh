#!/usr/bin/env bash
# Swap, as the lab asks (image.swap, LABFORGE_SWAP): false (the default) turns every swap off for good, true leaves
# it as the image has it. Fedora Cloud Base Generic swaps on zram at boot (zram-generator, configured by
# zram-generator-defaults), which Kubernetes' kubelet refuses to start with. An empty
# /etc/systemd/zram-generator.conf overrides the packaged configuration and makes the generator create no device
# (zram-generator.conf(5)); swap lines in /etc/fstab are commented out; what is on now is turned off. 80-verify.sh
# checks after the reboot that no swap came back.
set -euo pipefail

# log, die, the package manager and the other shared helpers (the build uploads lib.sh before this script).
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "${LABFORGE_LIB:-/var/tmp/labforge/lib.sh}"
script_init swap

log "swap before the bake: $(active_swaps)"
case ${LABFORGE_SWAP:-} in
  true)
    log "image.swap is true: swap left as the image has it"
    exit 0
    ;;
  false) ;;
  *) die "LABFORGE_SWAP must be true or false, got '${LABFORGE_SWAP:-}'" ;;
esac

# --- zram-generator: an empty configuration of our own, in /etc (it wins over /usr/lib/systemd's).
if [[ -x /usr/lib/systemd/system-generators/zram-generator || -f /usr/lib/systemd/zram-generator.conf ]]; then
  conf=/etc/systemd/zram-generator.conf
  install -d -m 0755 /etc/systemd
  printf '# Written by labforge (image.swap: false): no zram swap. kubelet refuses to start with swap on.\n' >"$conf"
  chmod 0644 "$conf"
  rm -rf /etc/systemd/zram-generator.conf.d
  grep -qv '^#' "$conf" && die "$conf is not empty"
  log "$conf: zram-generator makes no swap device"
fi

# --- /etc/fstab: swap lines commented out (a swap partition or file of the image).
if [[ -f /etc/fstab ]] && awk '!/^[[:space:]]*#/ && $3 == "swap" { found = 1 } END { exit !found }' /etc/fstab; then
  tmp=$(mktemp /etc/fstab.labforge.XXXXXX)
  awk '!/^[[:space:]]*#/ && $3 == "swap" { print "# labforge (image.swap: false): " $0; next } { print }' /etc/fstab >"$tmp"
  chmod --reference=/etc/fstab "$tmp"
  mv "$tmp" /etc/fstab
  log "/etc/fstab: swap lines commented out"
fi

# --- now: every active swap off.
swapoff -a
[[ $(active_swaps) == none ]] || die "swap still active after swapoff -a: $(active_swaps)"
log "swap off: $(active_swaps) active"
