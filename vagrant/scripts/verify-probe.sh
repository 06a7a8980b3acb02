#!/usr/bin/env bash
# labforge verify's probe, run as root on every node (src/lifecycle/nodes/verify.ts sends it with the lab's names):
# one `key=value` line per fact, which verify reads and judges. The lookups and pings run at once, each in the
# background: the probe takes as long as the slowest, not the sum. Each background job writes its whole line with
# one write (one echo; fflush in awk), which a pipe never interleaves with another's. No pipeline here ends in a
# reader that stops early (grep -q, head), so every answer is the same under pipefail.
#
# Usage: verify-probe.sh NAME=FQDN... -- NODE=IP...
#   NAME=FQDN   every node and VIP: looked up in /etc/hosts and in DNS (hosts_NAME=ADDRESS, dns_NAME=ADDRESS)
#   NODE=IP     every node: pinged (ping_NODE=yes|no)
set -euo pipefail

probe_fqdn() {
  echo "fqdn=$(hostname -f 2>/dev/null || hostname)"
}

probe_selinux() {
  echo "selinux=$(getenforce 2>/dev/null || echo absent)"
  echo "cmdline_selinux0=$(grep -qw selinux=0 /proc/cmdline && echo yes || echo no)"
}

# rpm (Fedora) or dpkg (the Debian test box) says whether the package is installed.
probe_firewalld() {
  if rpm -q firewalld >/dev/null 2>&1; then
    echo firewalld=installed
    return
  fi
  # shellcheck disable=SC2016 # ${Status} is dpkg-query's field, not the shell's
  case "$(dpkg-query -W -f='${Status}' firewalld 2>/dev/null)" in
    *"ok installed") echo firewalld=installed ;;
    *) echo firewalld=absent ;;
  esac
}

probe_addresses() {
  echo "addresses=$(ip -4 -o addr show | awk '{print $4}' | tr '\n' ' ')"
}

# Active swap devices and files (zram, a partition, a file): /proc/swaps after its header line.
probe_swaps() {
  echo "swaps=$(awk 'NR > 1 { print $1 }' /proc/swaps | tr '\n' ' ')"
}

# Data disks by their serial (the lab's disks: /dev/disk/by-id/virtio-<name>): disk_<serial>=<bytes> each, and
# disks=<serials> (empty without any).
probe_disks() {
  local link serial serials=()
  for link in /dev/disk/by-id/virtio-*; do
    [ -e "$link" ] || continue
    serial=${link#/dev/disk/by-id/virtio-}
    case $serial in *-part*) continue ;; esac
    serials+=("$serial")
    echo "disk_$serial=$(blockdev --getsize64 "$link" 2>/dev/null || echo unreadable)"
  done
  echo "disks=${serials[*]}"
}

# probe_names DB KEY NAME=FQDN...: one getent for every name (it prints a line per name it finds: the address, then
# the names); each name gets its first address as KEY_NAME=, a name that did not resolve an empty value.
probe_names() {
  local db=$1 key=$2 pair
  shift 2
  local fqdns=()
  for pair in "$@"; do fqdns+=("${pair#*=}"); done
  getent -s "$db" hosts "${fqdns[@]}" | awk -v key="$key" -v pairs="$*" '
    BEGIN {
      n = split(pairs, p, " ")
      for (i = 1; i <= n; i++) { eq = index(p[i], "="); w[substr(p[i], eq + 1)] = substr(p[i], 1, eq - 1) }
    }
    { for (i = 2; i <= NF; i++) if (($i in w) && !(w[$i] in seen)) { seen[w[$i]] = 1; print key "_" w[$i] "=" $1; fflush() } }
    END { for (f in w) if (!(w[f] in seen)) { print key "_" w[f] "="; fflush() } }'
}

# probe_ping NODE IP
probe_ping() {
  echo "ping_$1=$(ping -c 1 -W 3 "$2" >/dev/null 2>&1 && echo yes || echo no)"
}

probe() {
  local names=() pair
  while [ $# -gt 0 ] && [ "$1" != -- ]; do
    names+=("$1")
    shift
  done
  if [ $# -gt 0 ]; then shift; fi
  probe_fqdn
  probe_selinux
  probe_firewalld
  probe_addresses
  probe_swaps
  probe_disks
  probe_names files hosts "${names[@]}" &
  probe_names dns dns "${names[@]}" &
  for pair in "$@"; do probe_ping "${pair%%=*}" "${pair#*=}" & done
  wait
  echo "probe=done"
}

probe "$@"
