#!/usr/bin/env bash
# Usage: scripts/hosts-env.sh up PREFIX STATEDIR [HOSTS]
#        scripts/hosts-env.sh down PREFIX STATEDIR
#        scripts/hosts-env.sh exec PREFIX STATEDIR ws|a|b|c CMD [ARG...]
#
# A test bed of libvirt hosts on one machine, for labforge's remote-host tests (issue #22): HOSTS (1 to 3, default
# 2) "hosts" a, b, c and one "workstation" ws, each in network namespaces of its own, joined by a LAN:
#
#   ws   network namespace PREFIX-ws with the bridge `lan` (10.77.0.1/24), and a mount namespace in which root's
#        ~/.ssh is STATEDIR/ws/ssh (a key pair, known_hosts naming every host's key, config) and /run/libvirt is an
#        empty tmpfs: no libvirtd answers there, so whatever labforge does from ws reaches libvirt only over ssh.
#   a..c each an isolated libvirt environment of scripts/e2e-env.sh (network namespace PREFIX-a, its own mount
#        namespace, libvirtd and virtlogd; state in STATEDIR/a), with a veth `lan0` (10.77.0.11, .12, .13) whose peer
#        is on ws's bridge, and an sshd (Debian's openssh-server) listening on that address only, in the host's
#        namespaces (a session there sees the host's libvirtd), root login with ws's key only (its own host key,
#        authorized_keys and config in STATEDIR/a/ssh; root's ~/.ssh on the machine is never read or written).
#
# From ws: `virsh -c qemu+ssh://root@10.77.0.11/system list` lists host a's domains (libvirt's ssh transport runs
# virt-ssh-helper, or nc, on the host).
#
# up    Refuses (exit 1) if a namespace PREFIX-* exists or STATEDIR holds a test bed. Everything it creates is
#       recorded in STATEDIR before it is created; a failed up leaves what down removes.
# exec  Runs CMD in ws (its network and mount namespaces) or in host a/b/c (e2e-env.sh exec), in the current folder.
# down  Best effort, idempotent: each host's e2e-env.sh down (its domains, networks, pools, daemons, sshd, every
#       process in it, its namespace), then ws's processes and namespace (the veth pairs go with the namespaces),
#       then STATEDIR's contents but the logs. Exit 0 if no namespace of the test bed is left.
#
# Needs root, iproute2, util-linux, openssh-server (sshd), openssh-client (ssh, ssh-keygen, ssh-keyscan), and what
# scripts/e2e-env.sh needs.
set -euo pipefail

PROG=hosts-env
log() { printf '[%s] %s\n' "$PROG" "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }
usage() { sed -n '2,4p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//' >&2; exit 2; }

[[ $# -ge 2 ]] || usage
ACTION=$1 PREFIX=$2 STATEDIR=${3:-}
[[ -n $STATEDIR ]] || usage
shift 3
[[ $PREFIX =~ ^[A-Za-z0-9_.-]{1,40}$ ]] || die "bad prefix: $PREFIX"
[[ $(id -u) -eq 0 ]] || die "must run as root"
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)
E2E_ENV=$HERE/e2e-env.sh
SSHD=$(command -v sshd || echo /usr/sbin/sshd)
WS=$PREFIX-ws
LAN_NET=10.77.0
ROOT_HOME=$(getent passwd root | cut -d: -f6)
ROOT_HOME=${ROOT_HOME:-/root}

host_ns() { echo "$PREFIX-$1"; }
host_ip() { case $1 in a) echo "$LAN_NET.11" ;; b) echo "$LAN_NET.12" ;; c) echo "$LAN_NET.13" ;; esac; }
hosts_of() { [[ -s $STATEDIR/hosts ]] && cat "$STATEDIR/hosts"; return 0; }

abs_statedir() {
  mkdir -p "$STATEDIR"
  STATEDIR=$(cd "$STATEDIR" && pwd -P)
}

alive() {
  local stat
  stat=$(cat "/proc/$1/stat" 2>/dev/null) || return 1
  stat=${stat##*) }
  [[ ${stat:0:1} != Z ]]
}

# ws_holder: the pid of ws's holder (a `sleep` in PREFIX-ws, in the mount namespace recorded at up).
ws_holder() {
  local pid
  [[ -s $STATEDIR/ws/holder.pid && -s $STATEDIR/ws/mntns && -e /run/netns/$WS ]] || return 1
  pid=$(tr -dc '0-9' <"$STATEDIR/ws/holder.pid")
  [[ -n $pid ]] && alive "$pid" || return 1
  [[ $(cat "/proc/$pid/comm" 2>/dev/null) == sleep ]] || return 1
  [[ $(stat -L -c %i "/proc/$pid/ns/net") == "$(stat -L -c %i "/run/netns/$WS")" ]] || return 1
  [[ $(stat -L -c %i "/proc/$pid/ns/mnt") == "$(<"$STATEDIR/ws/mntns")" ]] || return 1
  echo "$pid"
}

# ----------------------------------------------------------------------------- up
start_ws() {
  local i pid ssh_dir=$ROOT_HOME/.ssh
  # The mount point for ws's private ~/.ssh: root's own stays as it is (made, empty and 0700, only if it is missing).
  [[ -d $ssh_dir ]] || install -d -m 700 "$ssh_dir"
  # shellcheck disable=SC2016 # expanded by the inner sh
  local setup='
    set -e
    mkdir -p /run/libvirt
    mount -t tmpfs -o mode=0755,nosuid,nodev tmpfs /run/libvirt
    if [ "$(readlink -f /var/run)" != /run ]; then mkdir -p /var/run/libvirt && mount --bind /run/libvirt /var/run/libvirt; fi
    mount --bind "$1" "$2"
    echo $$ >"$3.new"
    mv "$3.new" "$3"
    exec sleep infinity'
  setsid nsenter --net="/run/netns/$WS" -- unshare --mount --propagation slave -- \
    sh -c "$setup" holder "$STATEDIR/ws/ssh" "$ssh_dir" "$STATEDIR/ws/holder.pid" </dev/null \
    >>"$STATEDIR/ws/holder.log" 2>&1 &
  disown $!
  for ((i = 0; i < 100; i++)); do
    if [[ -s $STATEDIR/ws/holder.pid ]]; then
      pid=$(<"$STATEDIR/ws/holder.pid")
      stat -L -c %i "/proc/$pid/ns/mnt" >"$STATEDIR/ws/mntns"
      ws_holder >/dev/null && return 0
    fi
    sleep 0.05
  done
  cat "$STATEDIR/ws/holder.log" >&2
  return 1
}

start_sshd() { # start_sshd HOST
  local h=$1 dir=$STATEDIR/$1/ssh ip i
  ip=$(host_ip "$h")
  mkdir -p "$dir"
  chmod 700 "$dir"
  ssh-keygen -q -t ed25519 -N '' -C "hosts-env host $h" -f "$dir/ssh_host_ed25519_key"
  cp "$STATEDIR/ws/ssh/id_ed25519.pub" "$dir/authorized_keys"
  cat >"$dir/sshd_config" <<EOF
# hosts-env: the sshd of test host $h (network namespace $(host_ns "$h"))
ListenAddress $ip
Port 22
HostKey $dir/ssh_host_ed25519_key
PidFile $dir/sshd.pid
AuthorizedKeysFile $dir/authorized_keys
PermitRootLogin prohibit-password
PubkeyAuthentication yes
PasswordAuthentication no
KbdInteractiveAuthentication no
UsePAM no
StrictModes no
PrintMotd no
AllowTcpForwarding yes
Subsystem sftp internal-sftp
EOF
  mkdir -p /run/sshd # sshd's privilege separation directory (Debian's package makes it at boot)
  "$E2E_ENV" exec "$(host_ns "$h")" "$STATEDIR/$h" "$SSHD" -f "$dir/sshd_config" -E "$STATEDIR/$h-sshd.log"
  for ((i = 0; i < 100; i++)); do
    ip netns exec "$(host_ns "$h")" bash -c ": </dev/tcp/$ip/22" 2>/dev/null && break
    sleep 0.1
  done
  printf '%s %s\n' "$ip" "$(cut -d' ' -f1-2 "$dir/ssh_host_ed25519_key.pub")" >>"$STATEDIR/ws/ssh/known_hosts"
}

do_up() {
  local n=${1:-2} h
  [[ $n =~ ^[1-3]$ ]] || die "HOSTS must be 1, 2 or 3, got $n"
  abs_statedir
  [[ -e $STATEDIR/hosts ]] && die "$STATEDIR holds a test bed that was not taken down; run '$0 down $PREFIX $STATEDIR' first"
  for h in ws a b c; do
    [[ -e /run/netns/$PREFIX-$h ]] && die "network namespace $PREFIX-$h exists; run '$0 down $PREFIX $STATEDIR' first"
  done
  for cmd in "$SSHD" ssh ssh-keygen nsenter unshare; do command -v "$cmd" >/dev/null || die "$cmd not found"; done
  local names=(a b c)
  # Recorded before anything exists.
  printf '%s\n' "${names[@]:0:n}" >"$STATEDIR/hosts"
  mkdir -p "$STATEDIR/ws/ssh"
  chmod 700 "$STATEDIR/ws/ssh"
  echo "$WS" >"$STATEDIR/ws/netns"
  ip netns add "$WS"
  ip -n "$WS" link set lo up
  ip -n "$WS" link add lan type bridge
  ip -n "$WS" addr add "$LAN_NET.1/24" dev lan
  ip -n "$WS" link set lan up
  ssh-keygen -q -t ed25519 -N '' -C "hosts-env workstation" -f "$STATEDIR/ws/ssh/id_ed25519"
  : >"$STATEDIR/ws/ssh/known_hosts"
  printf '# hosts-env: the workstation'"'"'s ssh client settings\nHost *\n  BatchMode yes\n  ConnectTimeout 10\n' \
    >"$STATEDIR/ws/ssh/config"
  start_ws || die "the workstation's mount namespace was not set up (run down)"

  for h in "${names[@]:0:n}"; do
    "$E2E_ENV" up "$(host_ns "$h")" "$STATEDIR/$h" >&2
    ip -n "$WS" link add "lan-$h" type veth peer name lan0 netns "$(host_ns "$h")"
    ip -n "$WS" link set "lan-$h" master lan up
    ip -n "$(host_ns "$h")" addr add "$(host_ip "$h")/24" dev lan0
    ip -n "$(host_ns "$h")" link set lan0 up
    start_sshd "$h"
    log "host $h: namespace $(host_ns "$h"), $(host_ip "$h"), libvirtd and sshd up"
  done
  chmod 600 "$STATEDIR/ws/ssh/known_hosts"
  log "up: workstation $WS ($LAN_NET.1); use: $0 exec $PREFIX $STATEDIR ws virsh -c qemu+ssh://root@$LAN_NET.11/system list"
}

# --------------------------------------------------------------------------- exec
do_exec() {
  local where=$1 pid
  shift
  [[ -d $STATEDIR ]] || die "no state directory $STATEDIR"
  STATEDIR=$(cd "$STATEDIR" && pwd -P)
  if [[ $where == ws ]]; then
    pid=$(ws_holder) || die "the workstation $WS is not up"
    exec nsenter --target "$pid" --net --mount --root --wdns="$PWD" -- "$@"
  fi
  grep -qxF "$where" <(hosts_of) || die "no host $where in the test bed $STATEDIR"
  exec "$E2E_ENV" exec "$(host_ns "$where")" "$STATEDIR/$where" "$@"
}

# --------------------------------------------------------------------------- down
do_down() {
  local h pid i fails=0
  set +e
  [[ -d $STATEDIR ]] && STATEDIR=$(cd "$STATEDIR" && pwd -P)
  for h in a b c; do
    if [[ -e /run/netns/$(host_ns "$h") || -d $STATEDIR/$h ]]; then
      "$E2E_ENV" down "$(host_ns "$h")" "$STATEDIR/$h" || fails=$((fails + 1))
    fi
  done
  if pid=$(ws_holder); then
    kill -KILL "$pid" 2>/dev/null && echo "stopped the workstation's holder (pid $pid)"
    for ((i = 0; i < 25; i++)); do alive "$pid" || break; sleep 0.1; done
  fi
  if [[ -e /run/netns/$WS ]]; then
    for pid in $(ip netns pids "$WS" 2>/dev/null); do kill -KILL "$pid" 2>/dev/null && echo "killed pid $pid in $WS"; done
    ip netns delete "$WS" && echo "deleted network namespace $WS"
  fi
  if [[ -d $STATEDIR ]]; then
    rm -rf --one-file-system "$STATEDIR/ws" "$STATEDIR/a/ssh" "$STATEDIR/b/ssh" "$STATEDIR/c/ssh"
    rm -f "$STATEDIR/hosts"
  fi
  for h in ws a b c; do
    [[ -e /run/netns/$PREFIX-$h ]] && { log "namespace $PREFIX-$h is left"; return 1; }
  done
  [[ $fails -eq 0 ]] || log "down: $fails host(s) reported leftovers"
  log "down: done"
  return 0
}

case $ACTION in
  up) [[ $# -le 1 ]] || usage; do_up "$@" ;;
  down) [[ $# -eq 0 ]] || usage; do_down ;;
  exec) [[ $# -ge 2 ]] || usage; do_exec "$@" ;;
  *) usage ;;
esac
