#!/usr/bin/env bash
# A login prompt on the second serial port (ttyS1): `labforge console NODE` connects the user's terminal to it
# (virsh console --devname serial1), so a node that never answers on the network can be logged into as root with
# the lab's root password. The first port (ttyS0) stays the kernel's console, captured in logs/<node>-console.log.
set -euo pipefail

# log, die, the package manager and the other shared helpers (the build uploads lib.sh before this script).
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "${LABFORGE_LIB:-/var/tmp/labforge/lib.sh}"
script_init serial-console

enable_console_getty
log "${console_getty} enabled: a login prompt on ttyS1 (labforge console)"
