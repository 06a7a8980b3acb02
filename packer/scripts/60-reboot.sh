#!/usr/bin/env bash
# Reboots the guest so the kernel arguments take effect; 80-verify.sh then checks the result. The current
# boot's id is kept so the verify step can tell a rebooted guest from one that never went down.
set -euo pipefail

log() { printf '[labforge reboot] %s\n' "$*"; }
die() { printf '[labforge reboot] ERROR: %s\n' "$*" >&2; exit 1; }

[[ $EUID -eq 0 ]] || die "must run as root (packer runs it through sudo)"
cat /proc/sys/kernel/random/boot_id >/var/tmp/labforge-boot-id
log "rebooting (boot id $(cat /var/tmp/labforge-boot-id))"
# Queued: the command returns and packer sees the connection drop (expect_disconnect).
systemctl reboot
