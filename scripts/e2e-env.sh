#!/usr/bin/env bash
# Usage: scripts/e2e-env.sh up NS STATEDIR
#        scripts/e2e-env.sh down NS STATEDIR
#
# The isolated libvirt environment labforge's end-to-end test runs in.
#
# up    Creates network namespace NS (loopback up, IPv4 forwarding on inside
#       NS only, no uplink), starts virtlogd (unless one runs) and libvirtd
#       INSIDE NS, and waits until `virsh -c qemu:///system` answers (30 s).
#       Bridges, dnsmasq and the guests' tap devices therefore live in NS.
#       Run virsh/vagrant/packer as `ip netns exec NS ...`.
#       Refuses (exit 1) if a libvirtd this script did not start owns
#       /run/libvirt/libvirt-sock, or if NS already exists.
#       Everything it started is recorded in STATEDIR (pid files, the libvirt
#       objects that already existed, libvirtd.log).
# down  Best-effort and idempotent; does every step even if `up` half-failed:
#       destroys + undefines the domains, networks and pools defined since
#       `up` (with their storage and volumes; objects that existed before `up`
#       are only stopped, and only volumes created since `up` are deleted from
#       them), stops the libvirtd/virtlogd it started, kills qemu-system and
#       dnsmasq processes in NS, removes leftover libvirt state of the removed
#       objects (/run/libvirt/network/<net>.*, dnsmasq files, domain run state),
#       deletes NS. Prints what it removed. Exit 0 if everything is gone.
#
# Needs root, iproute2, libvirt-daemon-system (libvirtd, virtlogd, virsh).
set -euo pipefail

PROG=e2e-env
log() { printf '[%s] %s\n' "$PROG" "$*" >&2; }
say() { printf '%s\n' "$*"; } # what down removed: stdout
die() { log "ERROR: $*"; exit 1; }
usage() { sed -n '2,3p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//' >&2; exit 2; }

[[ $# -eq 3 ]] || usage
ACTION=$1 NS=$2 STATEDIR=$3
[[ $ACTION == up || $ACTION == down ]] || usage
[[ $NS =~ ^[A-Za-z0-9_.-]+$ ]] || die "bad namespace name: $NS"
[[ $(id -u) -eq 0 ]] || die "must run as root"

SOCK_DIR=/run/libvirt
SOCK=$SOCK_DIR/libvirt-sock
URI=qemu:///system
LIBVIRTD_PID=$STATEDIR/libvirtd.pid
VIRTLOGD_PID=$STATEDIR/virtlogd.pid
PRE=$STATEDIR/pre-existing # "kind name" lines: domain/network/pool, "volume pool name"
NS_MARK=$STATEDIR/netns

ns_exists() { [[ -e /run/netns/$NS ]]; }
in_ns() { ip netns exec "$NS" "$@"; }
virsh_ns() { in_ns virsh -q -c "$URI" "$@"; }

# alive PID: the process exists and is not a zombie (our daemons get reparented to
# a pid 1 that may be slow to reap them).
alive() {
  local stat
  stat=$(cat "/proc/$1/stat" 2>/dev/null) || return 1
  stat=${stat##*) }
  [[ ${stat:0:1} != Z ]]
}

# pid_of_file FILE COMM: print the pid in FILE if that process is alive and named COMM.
pid_of_file() {
  local pid
  [[ -s $1 ]] || return 1
  pid=$(tr -dc '0-9' <"$1")
  [[ -n $pid && -d /proc/$pid ]] || return 1
  [[ $(cat "/proc/$pid/comm" 2>/dev/null) == "$2" ]] || return 1
  alive "$pid" || return 1
  printf '%s\n' "$pid"
}

# stop_pid PID NAME: SIGTERM, wait up to 15 s, then SIGKILL. Returns 1 if it needed SIGKILL.
stop_pid() {
  local pid=$1 name=$2 i
  kill -TERM "$pid" 2>/dev/null || return 0
  for ((i = 0; i < 75; i++)); do
    alive "$pid" || { say "stopped $name (pid $pid)"; return 0; }
    sleep 0.2
  done
  kill -KILL "$pid" 2>/dev/null
  for ((i = 0; i < 25; i++)); do alive "$pid" || break; sleep 0.2; done
  say "killed $name (pid $pid, SIGKILL)"
  return 1
}

# Names of libvirt objects from their config and runtime status files (works without libvirtd).
config_names() {
  local f
  {
    for f in /etc/libvirt/qemu/*.xml /run/libvirt/qemu/*.xml; do
      [[ -f $f ]] && echo "domain $(basename "$f" .xml)"
    done
    for f in /etc/libvirt/qemu/networks/*.xml /run/libvirt/network/*.xml; do
      [[ -f $f ]] && echo "network $(basename "$f" .xml)"
    done
    for f in /etc/libvirt/storage/*.xml /run/libvirt/storage/*.xml; do
      [[ -f $f ]] && echo "pool $(basename "$f" .xml)"
    done
    true
  } | sort -u
  return 0
}

pool_volumes() { # pool_volumes POOL: volume names of an active pool
  virsh_ns vol-list --pool "$1" 2>/dev/null | awk 'NF { print $1 }'
}

# --------------------------------------------------------------------------- up
live() { # live (non-zombie) processes of these names
  local p
  for p in $(pgrep -x "$1") ${2:+$(pgrep -x "$2")}; do alive "$p" && echo "$p"; done
  return 0
}
# other_daemons: live libvirt daemons that see the same $SOCK_DIR as we do (a daemon in a root or mount namespace of
# its own, with its own /run/libvirt, such as the Debian 13 leg's, owns another socket and does not count).
other_daemons() {
  local p ours
  ours=$(stat -Lc %d:%i "$SOCK_DIR" 2>/dev/null) || ours=none
  for p in $(live libvirtd virtproxyd); do
    [[ $(stat -Lc %d:%i "/proc/$p/root$SOCK_DIR" 2>/dev/null) == "$ours" ]] && echo "$p"
  done
  return 0
}

# socket_free: succeed if no other libvirt daemon owns $SOCK (removing stale sockets).
socket_free() {
  local other
  other=$(other_daemons)
  if [[ -n $other ]]; then
    log "ERROR: a libvirt daemon not started by this script is running (pid(s) $(echo "$other" | tr '\n' ' ')) and owns $SOCK; stop it first"
    return 1
  fi
  if [[ -S $SOCK ]]; then
    if timeout 5 virsh -q -c "$URI" list --all --name >/dev/null 2>&1; then
      log "ERROR: $SOCK answers although no libvirtd is visible (another PID namespace?); refusing"
      return 1
    fi
    log "removing stale sockets in $SOCK_DIR"
    rm -f "$SOCK" "$SOCK-ro" "$SOCK_DIR/libvirt-admin-sock"
  fi
  return 0
}

# kvm_usable: /dev/kvm opens and the CPU has hardware virtualization.
kvm_usable() {
  grep -qwE 'vmx|svm' /proc/cpuinfo && { : <>/dev/kvm; } 2>/dev/null
}

# start_libvirtd: start libvirtd inside NS, wait up to 30 s until it answers.
start_libvirtd() {
  local i
  rm -f "$LIBVIRTD_PID"
  : >>"$STATEDIR/libvirtd.log"
  if [[ -e /dev/kvm ]] && ! kvm_usable; then
    # /dev/kvm exists but KVM cannot run guests (no vmx/svm): libvirt's QEMU probe then records KVM as
    # enabled, finds it unusable on the next call, and probes QEMU again on EVERY API call (seconds each,
    # close to a minute with guests running). libvirtd gets a private mount namespace in which /dev/kvm is
    # an inaccessible file, so the probe and the check agree (TCG) and the probe result is cached. In that
    # namespace qemu.conf also turns off libvirt's per-guest /dev namespace, which would try to carry the
    # /dev/kvm bind mount into each guest's /dev and fail ("Unable to move ... mount to /dev/kvm").
    : >"$STATEDIR/no-kvm"
    chmod 000 "$STATEDIR/no-kvm"
    cat /etc/libvirt/qemu.conf >"$STATEDIR/qemu.conf"
    printf '\n# labforge e2e-env: no per-guest mount namespace (see scripts/e2e-env.sh)\nnamespaces = [ ]\n' >>"$STATEDIR/qemu.conf"
    # shellcheck disable=SC2016 # $1..$3 are expanded by the inner sh
    in_ns env LIBVIRT_LOG_OUTPUTS="3:file:$STATEDIR/libvirtd.log" unshare --mount --propagation private \
      sh -c 'mount --bind "$1" /dev/kvm && mount --bind "$2" /etc/libvirt/qemu.conf && exec libvirtd -d -p "$3"' \
      sh "$STATEDIR/no-kvm" "$STATEDIR/qemu.conf" "$LIBVIRTD_PID" || return 1
  else
    in_ns env LIBVIRT_LOG_OUTPUTS="3:file:$STATEDIR/libvirtd.log" libvirtd -d -p "$LIBVIRTD_PID" || return 1
  fi
  # Poll with a cheap call: `virsh version` takes ~4 s here (it computes host capabilities).
  for ((i = 0; i < 100; i++)); do
    virsh_ns list --all --name >/dev/null 2>&1 && return 0
    sleep 0.3
  done
  tail -n 20 "$STATEDIR/libvirtd.log" >&2
  return 1
}

do_up() {
  local pid other i name
  mkdir -p "$STATEDIR"
  STATEDIR=$(cd "$STATEDIR" && pwd -P)
  LIBVIRTD_PID=$STATEDIR/libvirtd.pid VIRTLOGD_PID=$STATEDIR/virtlogd.pid
  PRE=$STATEDIR/pre-existing NS_MARK=$STATEDIR/netns

  if pid=$(pid_of_file "$LIBVIRTD_PID" libvirtd) && ns_exists &&
    [[ $(stat -L -c %i "/proc/$pid/ns/net") == $(stat -L -c %i "/run/netns/$NS") ]]; then
    log "already up: libvirtd pid $pid in namespace $NS"
    return 0
  fi

  socket_free || exit 1
  ns_exists && die "network namespace $NS already exists; run '$0 down $NS $STATEDIR' (or 'ip netns delete $NS') first"

  # What already existed: down leaves these definitions alone.
  config_names >"$PRE"

  ip netns add "$NS"
  echo "$NS" >"$NS_MARK"
  in_ns ip link set lo up
  in_ns sysctl -q -w net.ipv4.ip_forward=1 >/dev/null

  # A live one: the virtlogd the last `down` stopped may linger as a zombie until it is reaped, socket gone.
  if [[ -z $(live virtlogd) || ! -S $SOCK_DIR/virtlogd-sock ]]; then
    rm -f "$VIRTLOGD_PID"
    in_ns virtlogd -d -p "$VIRTLOGD_PID"
    for ((i = 0; i < 50; i++)); do pid_of_file "$VIRTLOGD_PID" virtlogd >/dev/null && break; sleep 0.1; done
    pid_of_file "$VIRTLOGD_PID" virtlogd >/dev/null || die "virtlogd did not start"
  fi

  start_libvirtd || die "libvirtd did not answer within 30 s (state kept in $STATEDIR; run down)"
  pid=$(pid_of_file "$LIBVIRTD_PID" libvirtd) || die "libvirtd answers but $LIBVIRTD_PID names no live libvirtd"

  # Volumes that already existed in active pools.
  while read -r name; do
    [[ -n $name ]] || continue
    pool_volumes "$name" | while read -r vol; do echo "volume $name $vol"; done >>"$PRE"
  done < <(virsh_ns pool-list --name 2>/dev/null)

  log "up: namespace $NS, libvirtd pid $pid, state in $STATEDIR"
  log "use: ip netns exec $NS virsh -c $URI ..."
}

# --------------------------------------------------------------------------- down
REMOVED_NETS=()
REMOVED_DOMS=()
REMOVED_POOLS=()
FAILS=0
# run MESSAGE CMD...: run CMD; say MESSAGE on success, count and log a failure otherwise.
run() {
  local msg=$1; shift
  if "$@" >/dev/null; then say "$msg"; else log "failed (continuing): $*"; FAILS=$((FAILS + 1)); fi
  return 0
}

is_pre() { [[ $HAVE_PRE == 1 ]] && grep -qxF "$1 $2" "$PRE"; }

net_bridge() { virsh_ns net-dumpxml "$1" 2>/dev/null | sed -n "s/.*<bridge name=['\"]\([^'\"]*\)['\"].*/\1/p" | awk 'NR == 1'; }

cleanup_libvirt_objects() {
  local d n p v br state info
  # Domains
  while read -r d; do
    [[ -n $d ]] || continue
    state=$(virsh_ns domstate "$d" 2>/dev/null || true)
    if [[ $state != "shut off" ]]; then
      virsh_ns destroy "$d" >/dev/null 2>&1 && say "destroyed domain $d"
    fi
    is_pre domain "$d" && { log "domain $d existed before up: left defined"; continue; }
    if virsh_ns undefine "$d" --remove-all-storage --nvram --managed-save --snapshots-metadata --checkpoints-metadata >/dev/null 2>&1 ||
      virsh_ns undefine "$d" --remove-all-storage >/dev/null 2>&1 ||
      virsh_ns undefine "$d" >/dev/null 2>&1; then
      say "undefined domain $d (with its storage)"
    elif virsh_ns dominfo "$d" >/dev/null 2>&1; then
      log "failed to undefine domain $d"; FAILS=$((FAILS + 1))
    fi
    REMOVED_DOMS+=("$d")
  done < <(virsh_ns list --all --name 2>/dev/null)

  # Networks
  while read -r n; do
    [[ -n $n ]] || continue
    br=$(net_bridge "$n")
    info=$(virsh_ns net-info "$n" 2>/dev/null || true) # no `| grep -q`: SIGPIPE + pipefail
    if [[ $info =~ Active:[[:space:]]+yes ]]; then
      run "destroyed network $n${br:+ (bridge $br)}" virsh_ns net-destroy "$n"
    fi
    REMOVED_NETS+=("$n:$br")
    is_pre network "$n" && { log "network $n existed before up: left defined"; continue; }
    run "undefined network $n" virsh_ns net-undefine "$n"
  done < <(virsh_ns net-list --all --name 2>/dev/null)

  # Pools and their volumes
  while read -r p; do
    [[ -n $p ]] || continue
    info=$(virsh_ns pool-info "$p" 2>/dev/null || true)
    if ! [[ $info =~ State:[[:space:]]+running ]]; then
      virsh_ns pool-start "$p" >/dev/null 2>&1 || log "pool $p is inactive and cannot start: its volumes are not deleted"
    fi
    while read -r v; do
      [[ -n $v ]] || continue
      is_pre volume "$p $v" && continue
      run "deleted volume $v (pool $p)" virsh_ns vol-delete --pool "$p" "$v"
    done < <(pool_volumes "$p")
    is_pre pool "$p" && { log "pool $p existed before up: left defined"; continue; }
    virsh_ns pool-destroy "$p" >/dev/null 2>&1 || true
    REMOVED_POOLS+=("$p")
    run "undefined pool $p" virsh_ns pool-undefine "$p"
  done < <(virsh_ns pool-list --all --name 2>/dev/null)
}

# Without a reachable libvirtd: drop the persistent configs created since up.
cleanup_config_files() {
  local kind name
  while read -r kind name; do
    is_pre "$kind" "$name" && continue
    case $kind in
      domain)
        rm -f "/etc/libvirt/qemu/$name.xml" "/etc/libvirt/qemu/autostart/$name.xml"
        REMOVED_DOMS+=("$name") ;;
      network)
        REMOVED_NETS+=("$name:$(cat "/etc/libvirt/qemu/networks/$name.xml" "/run/libvirt/network/$name.xml" 2>/dev/null |
          sed -n "s/.*<bridge name=['\"]\([^'\"]*\)['\"].*/\1/p" | awk 'NR == 1')")
        rm -f "/etc/libvirt/qemu/networks/$name.xml" "/etc/libvirt/qemu/networks/autostart/$name.xml" ;;
      pool)
        rm -f "/etc/libvirt/storage/$name.xml" "/etc/libvirt/storage/autostart/$name.xml"
        REMOVED_POOLS+=("$name") ;;
    esac
    say "removed $kind config $name (libvirtd was not reachable)"
  done < <(config_names)
}

remove_state_files() {
  local entry n br d f p
  for entry in "${REMOVED_NETS[@]}"; do
    n=${entry%%:*} br=${entry#*:}
    for f in "/run/libvirt/network/$n.xml" "/run/libvirt/network/$n.pid" "/run/libvirt/network/$n" \
      "/var/lib/libvirt/dnsmasq/$n.conf" "/var/lib/libvirt/dnsmasq/$n.hostsfile" \
      "/var/lib/libvirt/dnsmasq/$n.addnhosts" \
      ${br:+"/run/libvirt/network/$br.macs"} ${br:+"/var/lib/libvirt/dnsmasq/$br.status"} \
      ${br:+"/var/lib/libvirt/dnsmasq/$br.macs"}; do
      [[ -e $f ]] && rm -rf "$f" && say "removed $f"
    done
  done
  for p in "${REMOVED_POOLS[@]}"; do
    f=/run/libvirt/storage/$p.xml
    [[ -e $f ]] && rm -f "$f" && say "removed $f"
  done
  for d in "${REMOVED_DOMS[@]}"; do
    for f in "/run/libvirt/qemu/$d.xml" "/run/libvirt/qemu/$d.pid" "/run/libvirt/qemu/$d.xml.new" \
      /var/lib/libvirt/qemu/domain-*-"$d" /var/lib/libvirt/qemu/channel/target/domain-*-"$d" \
      "/var/lib/libvirt/qemu/save/$d.save" "/var/lib/libvirt/qemu/snapshot/$d" \
      "/var/lib/libvirt/qemu/checkpoint/$d" "/var/lib/libvirt/qemu/nvram/${d}_VARS.fd"; do
      [[ -e $f ]] && rm -rf "$f" && say "removed $f"
    done
  done
  return 0
}

kill_ns_procs() {
  local pid comm i left=()
  ns_exists || return 0
  for pid in $(ip netns pids "$NS" 2>/dev/null); do
    comm=$(cat "/proc/$pid/comm" 2>/dev/null) || continue
    case $comm in
      qemu-system* | dnsmasq | libvirtd) kill -TERM "$pid" 2>/dev/null && say "sent SIGTERM to $comm (pid $pid)" ;;
    esac
  done
  for ((i = 0; i < 50; i++)); do
    left=()
    for pid in $(ip netns pids "$NS" 2>/dev/null); do
      case $(cat "/proc/$pid/comm" 2>/dev/null) in qemu-system* | dnsmasq | libvirtd) left+=("$pid") ;; esac
    done
    [[ ${#left[@]} -eq 0 ]] && return 0
    sleep 0.2
  done
  for pid in "${left[@]}"; do kill -KILL "$pid" 2>/dev/null && say "sent SIGKILL to pid $pid"; done
  sleep 0.5
}

do_down() {
  local pid others
  set +e # best effort: every step runs
  HAVE_PRE=0
  if [[ -d $STATEDIR ]]; then
    STATEDIR=$(cd "$STATEDIR" && pwd -P)
    LIBVIRTD_PID=$STATEDIR/libvirtd.pid VIRTLOGD_PID=$STATEDIR/virtlogd.pid
    PRE=$STATEDIR/pre-existing NS_MARK=$STATEDIR/netns
    [[ -f $PRE ]] && HAVE_PRE=1
  fi
  # libvirtd gone (crashed, killed, up half-failed) but NS is there: start a temporary
  # one in NS; it re-attaches to the running guests/networks so they can be removed properly.
  if ! pid_of_file "$LIBVIRTD_PID" libvirtd >/dev/null && ns_exists && [[ $HAVE_PRE == 1 ]] &&
    socket_free; then
    log "libvirtd is not running: starting a temporary one in $NS for the clean-up"
    start_libvirtd || log "temporary libvirtd did not answer"
  fi
  # Only touch libvirt objects if up recorded what existed before it.
  if pid=$(pid_of_file "$LIBVIRTD_PID" libvirtd) && ns_exists && virsh_ns list --all --name >/dev/null 2>&1; then
    if [[ $HAVE_PRE == 1 ]]; then
      cleanup_libvirt_objects
    else
      log "no record of pre-existing libvirt objects in $STATEDIR: leaving definitions alone"
    fi
  elif [[ $HAVE_PRE == 1 ]]; then
    cleanup_config_files
  fi

  if pid=$(pid_of_file "$LIBVIRTD_PID" libvirtd); then
    stop_pid "$pid" libvirtd
  fi
  kill_ns_procs
  if pid=$(pid_of_file "$VIRTLOGD_PID" virtlogd); then
    stop_pid "$pid" virtlogd || true
  fi
  remove_state_files

  if ns_exists; then
    others=$(ip netns pids "$NS" 2>/dev/null | tr '\n' ' ')
    [[ -n ${others// /} ]] && log "WARNING: processes still in $NS: $others(the namespace lives on until they exit)"
    run "deleted network namespace $NS" ip netns delete "$NS"
  fi
  if [[ -S $SOCK && -z $(other_daemons) ]] &&
    ! timeout 5 virsh -q -c "$URI" list --all --name >/dev/null 2>&1; then
    rm -f "$SOCK" "$SOCK-ro" "$SOCK_DIR/libvirt-admin-sock" && say "removed stale sockets in $SOCK_DIR"
  fi
  [[ -d $STATEDIR ]] && rm -f "$LIBVIRTD_PID" "$VIRTLOGD_PID" "$PRE" "$NS_MARK"

  if ns_exists || pid_of_file "$LIBVIRTD_PID" libvirtd >/dev/null; then
    log "down finished with leftovers"; return 1
  fi
  [[ $FAILS -eq 0 ]] || log "down finished; $FAILS step(s) failed"
  log "down: done"
  return 0
}

case $ACTION in
  up) do_up ;;
  down) do_down ;;
esac
