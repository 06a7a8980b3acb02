#!/usr/bin/env bash
# Reboots the guest so the kernel arguments take effect; 80-verify.sh then checks the result. The current
# boot's id is kept so the verify step can tell a rebooted guest from one that never went down.
set -euo pipefail

# log, die, the package manager and the other shared helpers (the build uploads lib.sh before this script).
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "${LABFORGE_LIB:-/var/tmp/labforge/lib.sh}"
script_init reboot
cat /proc/sys/kernel/random/boot_id >"$boot_id_file"
log "rebooting (boot id $(cat "$boot_id_file"))"
# Queued: the command returns and packer sees the connection drop (expect_disconnect).
systemctl reboot
