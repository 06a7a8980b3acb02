#!/usr/bin/env bash
# Usage: scripts/e2e-env.sh up NS STATEDIR
#        scripts/e2e-env.sh down NS STATEDIR
#        scripts/e2e-env.sh exec NS STATEDIR CMD [ARG...]
#        scripts/e2e-env.sh restart-libvirtd NS STATEDIR [DOWN_SECONDS]
#
# The isolated libvirt environment labforge's tests run in. Any number of them can exist at once on one machine
# (one per test file, per worktree, per CI leg): each is a network namespace NS and a mount namespace of its own,
# and its libvirt (daemons and their sockets, definitions, run state, networks, guests) is invisible to the others
# and to the host's. They share the machine's PID namespace: `ps` lists every environment's processes (pick yours
# by network namespace: `pgrep --ns PID --nslist net`).
#
# up    Creates network namespace NS (loopback up, IPv4 forwarding on inside NS only, no uplink) and a mount
#       namespace (kept by a holder process, `sleep`, in NS) in which libvirt's directories are the environment's
#       own: /run/libvirt (and /var/run/libvirt) a fresh tmpfs, so the daemons' sockets, pid files and run state
#       are private; /etc/libvirt a copy of the host's configuration files (*.conf, nwfilter; no domain, network,
#       pool or secret definitions, no hooks); /var/lib/libvirt, /var/log/libvirt, /var/cache/libvirt empty
#       directories shaped like the host's (but for a copy of its QEMU capabilities cache). They live in
#       STATEDIR/libvirt and STATEDIR/libvirt-log. /sys is a sysfs mounted from inside NS (as `ip netns exec`
#       arranges: libvirt reads /sys/class/net). If /dev/kvm exists but cannot run guests, the environment sees
#       an inaccessible file there instead (see make_dirs). Then it starts virtlogd and libvirtd in the environment
#       and waits until `virsh -c qemu:///system` answers (30 s). Bridges, dnsmasq and the guests' tap devices
#       live in NS. Refuses (exit 1) if NS already exists or STATEDIR holds an environment that was not taken
#       down. What it creates is recorded in STATEDIR before it is created (pid files, the mount namespace's id,
#       the libvirt objects that existed once libvirtd started, libvirtd.log). The machine's own /run/libvirt,
#       /etc/libvirt, /var/lib/libvirt, ... are never touched, and a libvirtd of the host or of another
#       environment may run meanwhile.
# exec  Runs CMD in the environment (its network and mount namespaces, in the current directory), replacing this
#       script's process: `scripts/e2e-env.sh exec NS STATEDIR virsh -c qemu:///system list`. Everything a test
#       does "in the environment" (virsh, vagrant, packer, labforge, qemu-img, ssh to guests) goes through here.
#       Exit 1 if the environment is not up.
# restart-libvirtd
#       Kills the environment's libvirtd with SIGKILL (a crash: no clean shutdown), waits DOWN_SECONDS (default 0)
#       and starts it again (guests keep running, as on a host whose libvirtd is restarted). For fault tests.
# down  Best-effort and idempotent; does every step even if `up` half-failed: destroys + undefines the domains,
#       networks and pools defined since `up` (with their storage and volumes; objects that existed before are
#       only stopped, and only volumes created since `up` are deleted from them: a pool may point outside the
#       environment), stops libvirtd and virtlogd, kills every other process in the environment's namespaces
#       (qemu-system, dnsmasq, whatever a test left running there, the holder), deletes NS and removes
#       STATEDIR/libvirt (logs stay: STATEDIR/libvirtd.log, STATEDIR/libvirt-log). Prints what it removed.
#       Exit 0 if nothing of the environment is left (no process, no namespace).
#
# Needs root, iproute2, util-linux (nsenter, unshare, setsid), libvirt-daemon-system (libvirtd, virtlogd, virsh).
set -euo pipefail

PROG=e2e-env
log() { printf '[%s] %s\n' "$PROG" "$*" >&2; }
say() { printf '%s\n' "$*"; } # what down removed: stdout
die() { log "ERROR: $*"; exit 1; }
usage() { sed -n '2,4p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//' >&2; exit 2; }

[[ $# -ge 3 ]] || usage
ACTION=$1 NS=$2 STATEDIR=$3
shift 3
case $ACTION in
  up | down) [[ $# -eq 0 ]] || usage ;;
  exec) [[ $# -ge 1 ]] || usage ;;
  restart-libvirtd) [[ $# -le 1 ]] || usage ;;
  *) usage ;;
esac
[[ $NS =~ ^[A-Za-z0-9_.-]+$ ]] || die "bad namespace name: $NS"
[[ $(id -u) -eq 0 ]] || die "must run as root"

URI=qemu:///system
# state_paths: the files in STATEDIR (after STATEDIR is made absolute).
state_paths() {
  LIBVIRTD_PID=$STATEDIR/libvirtd.pid
  VIRTLOGD_PID=$STATEDIR/virtlogd.pid
  HOLDER_PID=$STATEDIR/holder.pid
  MNTNS=$STATEDIR/mntns      # the id (nsfs inode) of the environment's mount namespace
  PRE=$STATEDIR/pre-existing # "kind name" lines: domain/network/pool, "volume pool name"
  NS_MARK=$STATEDIR/netns
  PRIV=$STATEDIR/libvirt       # etc, lib, cache: the environment's /etc/libvirt, /var/lib/libvirt, /var/cache/libvirt
  LOGDIR=$STATEDIR/libvirt-log # its /var/log/libvirt (guest consoles, virtlogd): kept by down
}
state_paths

ns_exists() { [[ -e /run/netns/$NS ]]; }

# alive PID: the process exists and is not a zombie (our daemons get reparented to
# a pid 1 that may be slow to reap them).
alive() {
  local stat
  stat=$(cat "/proc/$1/stat" 2>/dev/null) || return 1
  stat=${stat##*) }
  [[ ${stat:0:1} != Z ]]
}

# ns_ids PID: "NET MNT", the ids of PID's network and mount namespaces.
ns_ids() {
  local ids
  ids=$(stat -L -c %i "/proc/$1/ns/net" "/proc/$1/ns/mnt" 2>/dev/null) || return 1
  echo "${ids//$'\n'/ }"
}
netns_id() { stat -L -c %i "/run/netns/$NS" 2>/dev/null; }

# ours FILE COMM: print the pid in FILE if that process is alive, named COMM and in network namespace NS.
ours() {
  local pid
  [[ -s $1 ]] || return 1
  pid=$(tr -dc '0-9' <"$1")
  [[ -n $pid && -d /proc/$pid ]] || return 1
  [[ $(cat "/proc/$pid/comm" 2>/dev/null) == "$2" ]] || return 1
  alive "$pid" || return 1
  [[ $(stat -L -c %i "/proc/$pid/ns/net" 2>/dev/null) == "$(netns_id)" ]] || return 1
  printf '%s\n' "$pid"
}

# holder: the pid of the process that keeps the environment's mount namespace (a `sleep` in NS, in the mount
# namespace recorded in $MNTNS), if it is still that process.
holder() {
  local pid
  pid=$(ours "$HOLDER_PID" sleep) || return 1
  [[ -s $MNTNS && $(stat -L -c %i "/proc/$pid/ns/mnt" 2>/dev/null) == "$(<"$MNTNS")" ]] || return 1
  printf '%s\n' "$pid"
}

# env_pid: a process to enter the environment through: the holder, else (the holder was killed) any process in NS
# that is in the recorded mount namespace (libvirtd, virtlogd, a guest).
env_pid() {
  local pid
  holder && return 0
  [[ -s $MNTNS ]] && ns_exists || return 1
  for pid in $(ip netns pids "$NS" 2>/dev/null); do
    [[ $(stat -L -c %i "/proc/$pid/ns/mnt" 2>/dev/null) == "$(<"$MNTNS")" ]] && alive "$pid" && { echo "$pid"; return 0; }
  done
  return 1
}

# in_env CMD...: run CMD in the environment's network and mount namespaces (and its root: the holder's, which is
# not / when this script runs in a chroot such as the Debian 13 leg's). ENV_PID must be set (env_pid).
in_env() { nsenter --target "$ENV_PID" --net --mount --root -- "$@"; }
virsh_env() { in_env virsh -q -c "$URI" "$@"; }

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

# Names of the libvirt objects defined in the environment's /etc/libvirt.
config_names() {
  local f
  {
    for f in "$PRIV"/etc/qemu/*.xml; do [[ -f $f ]] && echo "domain $(basename "$f" .xml)"; done
    for f in "$PRIV"/etc/qemu/networks/*.xml; do [[ -f $f ]] && echo "network $(basename "$f" .xml)"; done
    for f in "$PRIV"/etc/storage/*.xml; do [[ -f $f ]] && echo "pool $(basename "$f" .xml)"; done
    true
  } | sort -u
  return 0
}

pool_volumes() { # pool_volumes POOL: volume names of an active pool
  virsh_env vol-list --pool "$1" 2>/dev/null | awk 'NF { print $1 }'
}

# --------------------------------------------------------------------------- up
# kvm_usable: /dev/kvm opens and the CPU has hardware virtualization.
kvm_usable() {
  grep -qwE 'vmx|svm' /proc/cpuinfo && { : <>/dev/kvm; } 2>/dev/null
}

# like SRC DST: make directory DST with SRC's owner and mode (if SRC exists).
like() {
  mkdir -p "$2"
  if [[ -d $1 ]]; then
    chown --reference="$1" "$2"
    chmod --reference="$1" "$2"
  fi
}

# skeleton SRC DST: DST shaped like directory SRC: its owner and mode, and its subdirectories (theirs too), empty.
skeleton() {
  local d
  like "$1" "$2"
  for d in "$1"/*/; do
    [[ -d $d && ! -L ${d%/} ]] || continue
    d=${d%/}
    like "$d" "$2/${d##*/}"
  done
}

# make_dirs: the environment's libvirt directories, below STATEDIR (recorded before it starts anything in them).
make_dirs() {
  local f d
  skeleton /etc/libvirt "$PRIV/etc"
  # The host's configuration files (libvirtd.conf, qemu.conf, virtlogd.conf, ...) and network filters, as they
  # are. No definitions (an autostarted domain of the host would boot here on the host's disks), no secrets, no
  # hooks (an administrator's scripts for the host's own daemon).
  for f in /etc/libvirt/*; do [[ -f $f && ! -L $f ]] && cp -p "$f" "$PRIV/etc/"; done
  if [[ -d /etc/libvirt/nwfilter ]]; then
    rm -rf "$PRIV/etc/nwfilter"
    cp -rp /etc/libvirt/nwfilter "$PRIV/etc/nwfilter"
  fi
  for d in qemu/networks/autostart qemu/autostart storage/autostart; do
    like "/etc/libvirt/$d" "$PRIV/etc/$d"
  done
  [[ -e /etc/libvirt/secrets ]] || install -d -m 700 "$PRIV/etc/secrets"
  skeleton /var/lib/libvirt "$PRIV/lib"
  skeleton /var/cache/libvirt "$PRIV/cache"
  # The host's QEMU capabilities cache, if it has one: libvirt checks each entry against the QEMU binary, the
  # kernel, its own version and /dev/kvm before it uses it, and probes QEMU again (about 4 s) where one is stale.
  if [[ -d /var/cache/libvirt/qemu/capabilities ]]; then
    skeleton /var/cache/libvirt/qemu "$PRIV/cache/qemu"
    cp -rp /var/cache/libvirt/qemu/capabilities "$PRIV/cache/qemu/"
  fi
  skeleton /var/log/libvirt "$LOGDIR"
  if [[ -e /dev/kvm ]] && ! kvm_usable; then
    # /dev/kvm exists but KVM cannot run guests (no vmx/svm): libvirt's QEMU probe then records KVM as enabled,
    # finds it unusable on the next call, and probes QEMU again on EVERY API call (seconds each, close to a minute
    # with guests running). In the environment /dev/kvm is an inaccessible file, so the probe and the check agree
    # (TCG) and the probe result is cached. qemu.conf also turns off libvirt's per-guest /dev namespace, which
    # would try to carry the /dev/kvm bind mount into each guest's /dev and fail ("Unable to move ... mount to
    # /dev/kvm").
    : >"$PRIV/no-kvm"
    chmod 000 "$PRIV/no-kvm"
    printf '\n# labforge e2e-env: no per-guest mount namespace (see scripts/e2e-env.sh)\nnamespaces = [ ]\n' \
      >>"$PRIV/etc/qemu.conf"
  fi
}

# start_holder: the mount namespace, set up by a shell in NS that then becomes `sleep infinity` (the holder).
# Propagation slave, as `ip netns exec` makes it: nothing mounted in it reaches the host; what the host mounts or
# unmounts later on a shared mount (/run/netns) reaches it.
start_holder() {
  local i pid
  rm -f "$HOLDER_PID" "$MNTNS"
  # shellcheck disable=SC2016 # expanded by the inner sh
  local setup='
    set -e
    priv=$1 logdir=$2 pidfile=$3
    if mountpoint -q /sys; then umount -l /sys; fi
    mount -t sysfs sysfs /sys
    mkdir -p /run/libvirt /etc/libvirt /var/lib/libvirt /var/cache/libvirt /var/log/libvirt
    mount -t tmpfs -o mode=0755,nosuid,nodev tmpfs /run/libvirt
    if [ "$(readlink -f /var/run)" != /run ]; then mkdir -p /var/run/libvirt && mount --bind /run/libvirt /var/run/libvirt; fi
    mount --bind "$priv/etc" /etc/libvirt
    mount --bind "$priv/lib" /var/lib/libvirt
    mount --bind "$priv/cache" /var/cache/libvirt
    mount --bind "$logdir" /var/log/libvirt
    if [ -e "$priv/no-kvm" ]; then mount --bind "$priv/no-kvm" /dev/kvm; fi
    echo $$ >"$pidfile.new"
    mv "$pidfile.new" "$pidfile"
    exec sleep infinity'
  setsid nsenter --net="/run/netns/$NS" -- unshare --mount --propagation slave -- \
    sh -c "$setup" holder "$PRIV" "$LOGDIR" "$HOLDER_PID" </dev/null >>"$STATEDIR/holder.log" 2>&1 &
  disown $!
  for ((i = 0; i < 100; i++)); do
    if pid=$(ours "$HOLDER_PID" sleep); then
      stat -L -c %i "/proc/$pid/ns/mnt" >"$MNTNS"
      ENV_PID=$pid
      return 0
    fi
    sleep 0.05
  done
  cat "$STATEDIR/holder.log" >&2
  return 1
}

# start_libvirtd: start libvirtd in the environment, wait up to 30 s until it answers.
start_libvirtd() {
  local i
  rm -f "$LIBVIRTD_PID"
  : >>"$STATEDIR/libvirtd.log"
  in_env env LIBVIRT_LOG_OUTPUTS="3:file:$STATEDIR/libvirtd.log" libvirtd -d -p "$LIBVIRTD_PID" || return 1
  # Poll with a cheap call: `virsh version` takes ~4 s here (it computes host capabilities).
  for ((i = 0; i < 100; i++)); do
    virsh_env list --all --name >/dev/null 2>&1 && return 0
    sleep 0.3
  done
  tail -n 20 "$STATEDIR/libvirtd.log" >&2
  return 1
}

do_up() {
  local pid name i
  mkdir -p "$STATEDIR"
  STATEDIR=$(cd "$STATEDIR" && pwd -P)
  state_paths

  if ENV_PID=$(holder) && pid=$(ours "$LIBVIRTD_PID" libvirtd) &&
    [[ $(ns_ids "$pid") == "$(ns_ids "$ENV_PID")" ]]; then
    log "already up: libvirtd pid $pid in namespace $NS"
    return 0
  fi
  ns_exists && die "network namespace $NS already exists; run '$0 down $NS $STATEDIR' (or 'ip netns delete $NS') first"
  [[ -e $PRIV ]] && die "$PRIV exists: $STATEDIR holds an environment that was not taken down; run '$0 down $NS $STATEDIR' first"
  for cmd in nsenter unshare setsid libvirtd virtlogd virsh; do
    command -v "$cmd" >/dev/null || die "$cmd not found"
  done

  # Recorded before it exists: down finds it after any failure.
  echo "$NS" >"$NS_MARK"
  ip netns add "$NS"
  ip -n "$NS" link set lo up
  ip netns exec "$NS" sysctl -q -w net.ipv4.ip_forward=1 >/dev/null

  make_dirs
  # What exists in the environment before anything runs in it (normally nothing): down leaves it alone.
  config_names >"$PRE"
  start_holder || die "the environment's mount namespace was not set up (see $STATEDIR/holder.log; run down)"

  rm -f "$VIRTLOGD_PID"
  in_env virtlogd -d -p "$VIRTLOGD_PID"
  for ((i = 0; i < 50; i++)); do ours "$VIRTLOGD_PID" virtlogd >/dev/null && break; sleep 0.1; done
  ours "$VIRTLOGD_PID" virtlogd >/dev/null || die "virtlogd did not start (state kept in $STATEDIR; run down)"

  start_libvirtd || die "libvirtd did not answer within 30 s (state kept in $STATEDIR; run down)"
  pid=$(ours "$LIBVIRTD_PID" libvirtd) || die "libvirtd answers but $LIBVIRTD_PID names no live libvirtd in $NS"

  # Volumes that already existed in active pools.
  while read -r name; do
    [[ -n $name ]] || continue
    pool_volumes "$name" | while read -r vol; do echo "volume $name $vol"; done >>"$PRE"
  done < <(virsh_env pool-list --name 2>/dev/null)

  log "up: namespace $NS, libvirtd pid $pid, state in $STATEDIR"
  log "use: $0 exec $NS $STATEDIR virsh -c $URI ..."
}

# --------------------------------------------------------------------------- exec
do_exec() {
  [[ -d $STATEDIR ]] || die "no state directory $STATEDIR"
  STATEDIR=$(cd "$STATEDIR" && pwd -P)
  state_paths
  ENV_PID=$(holder) || die "the environment $NS ($STATEDIR) is not up"
  exec nsenter --target "$ENV_PID" --net --mount --root --wdns="$PWD" -- "$@"
}

do_restart_libvirtd() {
  local pid i
  [[ -d $STATEDIR ]] || die "no state directory $STATEDIR"
  STATEDIR=$(cd "$STATEDIR" && pwd -P)
  state_paths
  ENV_PID=$(holder) || die "the environment $NS ($STATEDIR) is not up"
  pid=$(ours "$LIBVIRTD_PID" libvirtd) || die "libvirtd of $NS is not running"
  kill -KILL "$pid"
  for ((i = 0; i < 50; i++)); do alive "$pid" || break; sleep 0.1; done
  sleep "${1:-0}"
  start_libvirtd || die "libvirtd did not start again"
  say "restarted libvirtd (was pid $pid, now $(cat "$LIBVIRTD_PID"))"
}

# --------------------------------------------------------------------------- down
FAILS=0
# run MESSAGE CMD...: run CMD; say MESSAGE on success, count and log a failure otherwise.
run() {
  local msg=$1; shift
  if "$@" >/dev/null; then say "$msg"; else log "failed (continuing): $*"; FAILS=$((FAILS + 1)); fi
  return 0
}

is_pre() { [[ $HAVE_PRE == 1 ]] && grep -qxF "$1 $2" "$PRE"; }

net_bridge() { virsh_env net-dumpxml "$1" 2>/dev/null | sed -n "s/.*<bridge name=['\"]\([^'\"]*\)['\"].*/\1/p" | awk 'NR == 1'; }

cleanup_libvirt_objects() {
  local d n p v br state info
  # Domains
  while read -r d; do
    [[ -n $d ]] || continue
    state=$(virsh_env domstate "$d" 2>/dev/null || true)
    if [[ $state != "shut off" ]]; then
      virsh_env destroy "$d" >/dev/null 2>&1 && say "destroyed domain $d"
    fi
    is_pre domain "$d" && { log "domain $d existed before up: left defined"; continue; }
    if virsh_env undefine "$d" --remove-all-storage --nvram --managed-save --snapshots-metadata --checkpoints-metadata >/dev/null 2>&1 ||
      virsh_env undefine "$d" --remove-all-storage >/dev/null 2>&1 ||
      virsh_env undefine "$d" >/dev/null 2>&1; then
      say "undefined domain $d (with its storage)"
    elif virsh_env dominfo "$d" >/dev/null 2>&1; then
      log "failed to undefine domain $d"; FAILS=$((FAILS + 1))
    fi
  done < <(virsh_env list --all --name 2>/dev/null)

  # Networks
  while read -r n; do
    [[ -n $n ]] || continue
    br=$(net_bridge "$n")
    info=$(virsh_env net-info "$n" 2>/dev/null || true) # no `| grep -q`: SIGPIPE + pipefail
    if [[ $info =~ Active:[[:space:]]+yes ]]; then
      run "destroyed network $n${br:+ (bridge $br)}" virsh_env net-destroy "$n"
    fi
    [[ $info =~ Persistent:[[:space:]]+no ]] && continue # a transient one is gone once destroyed
    is_pre network "$n" && { log "network $n existed before up: left defined"; continue; }
    run "undefined network $n" virsh_env net-undefine "$n"
  done < <(virsh_env net-list --all --name 2>/dev/null)

  # Pools and their volumes (a pool's directory may be outside the environment: a test's pool_path)
  while read -r p; do
    [[ -n $p ]] || continue
    info=$(virsh_env pool-info "$p" 2>/dev/null || true)
    if ! [[ $info =~ State:[[:space:]]+running ]]; then
      virsh_env pool-start "$p" >/dev/null 2>&1 || log "pool $p is inactive and cannot start: its volumes are not deleted"
    fi
    while read -r v; do
      [[ -n $v ]] || continue
      is_pre volume "$p $v" && continue
      run "deleted volume $v (pool $p)" virsh_env vol-delete --pool "$p" "$v"
    done < <(pool_volumes "$p")
    is_pre pool "$p" && { log "pool $p existed before up: left defined"; continue; }
    virsh_env pool-destroy "$p" >/dev/null 2>&1 || true
    run "undefined pool $p" virsh_env pool-undefine "$p"
  done < <(virsh_env pool-list --all --name 2>/dev/null)
}

# not_me: this script and its ancestors (never killed, should down run from inside the environment).
not_me() {
  local p=$$ ppid
  while [[ $p -gt 1 ]]; do
    echo "$p"
    ppid=$(awk '{ sub(/^.*\) /, ""); print $2 }' "/proc/$p/stat" 2>/dev/null) || break
    p=${ppid:-1}
  done
}

# env_procs: every process in NS or in the environment's mount namespace (the latter only when some process in NS
# is in it too: a recorded id of a namespace that has gone may have been given to another one since).
env_procs() {
  local net mnt="" pid ino file me
  net=$(netns_id) || return 0
  if [[ -s $MNTNS ]]; then
    for pid in $(ip netns pids "$NS" 2>/dev/null); do
      [[ $(stat -L -c %i "/proc/$pid/ns/mnt" 2>/dev/null) == "$(<"$MNTNS")" ]] && { mnt=$(<"$MNTNS"); break; }
    done
  fi
  me=" $(not_me | tr '\n' ' ')"
  # One stat for every process: "INODE /proc/PID/ns/KIND".
  stat -L -c '%i %n' /proc/[0-9]*/ns/net /proc/[0-9]*/ns/mnt 2>/dev/null | while read -r ino file; do
    [[ $file =~ ^/proc/([0-9]+)/ns/(net|mnt)$ ]] || continue
    pid=${BASH_REMATCH[1]}
    [[ $me == *" $pid "* ]] && continue
    if [[ ${BASH_REMATCH[2]} == net && $ino == "$net" ]] || [[ ${BASH_REMATCH[2]} == mnt && $ino == "$mnt" ]]; then
      alive "$pid" && echo "$pid"
    fi
  done | sort -un
}

# stop_env_procs: qemu-system and dnsmasq first (SIGTERM, 10 s), then everything else left in the environment,
# the holder last. Returns 1 if a process outlived SIGKILL.
stop_env_procs() {
  local pass pid comm i left
  for pass in guests rest; do
    left=()
    for pid in $(env_procs); do
      comm=$(cat "/proc/$pid/comm" 2>/dev/null) || continue
      case $pass:$comm in
        guests:qemu-system* | guests:dnsmasq | rest:*) ;;
        *) continue ;;
      esac
      [[ $pass == rest && $pid == "$(holder 2>/dev/null)" ]] && continue
      kill -TERM "$pid" 2>/dev/null && { say "sent SIGTERM to $comm (pid $pid)"; left+=("$pid"); }
    done
    for ((i = 0; i < 50 && ${#left[@]} > 0; i++)); do
      sleep 0.2
      for pid in "${!left[@]}"; do alive "${left[$pid]}" || unset "left[$pid]"; done
    done
    for pid in "${left[@]}"; do kill -KILL "$pid" 2>/dev/null && say "sent SIGKILL to pid $pid"; done
  done
  if pid=$(holder); then
    kill -KILL "$pid" 2>/dev/null && say "stopped the environment's holder (pid $pid)"
  fi
  for ((i = 0; i < 25; i++)); do
    [[ -z $(env_procs) ]] && return 0
    sleep 0.2
  done
  return 1
}

do_down() {
  local pid left
  set +e # best effort: every step runs
  HAVE_PRE=0
  if [[ -d $STATEDIR ]]; then
    STATEDIR=$(cd "$STATEDIR" && pwd -P)
    state_paths
    [[ -f $PRE ]] && HAVE_PRE=1
  fi
  ENV_PID=$(env_pid)
  # The holder is gone (killed) with every other process of the environment, but NS and its directories are
  # there: a new holder, so that a temporary libvirtd can remove what is outside them (volumes in a test's pool).
  if [[ -z $ENV_PID && $HAVE_PRE == 1 && -d $PRIV/etc ]] && ns_exists; then
    log "the environment's mount namespace is gone: setting it up again for the clean-up"
    start_holder || log "could not set up the mount namespace again"
  fi
  # libvirtd gone (crashed, killed, up half-failed): start a temporary one in the environment; it re-attaches to
  # the running guests/networks so they can be removed properly.
  if [[ -n $ENV_PID && $HAVE_PRE == 1 ]] && ! ours "$LIBVIRTD_PID" libvirtd >/dev/null; then
    log "libvirtd is not running: starting a temporary one in the environment for the clean-up"
    if ! ours "$VIRTLOGD_PID" virtlogd >/dev/null; then
      in_env virtlogd -d -p "$VIRTLOGD_PID" || log "temporary virtlogd did not start"
    fi
    start_libvirtd || log "temporary libvirtd did not answer"
  fi
  # Only touch libvirt objects if up recorded what existed before it.
  if [[ -n $ENV_PID ]] && ours "$LIBVIRTD_PID" libvirtd >/dev/null && virsh_env list --all --name >/dev/null 2>&1; then
    if [[ $HAVE_PRE == 1 ]]; then
      cleanup_libvirt_objects
    else
      log "no record of pre-existing libvirt objects in $STATEDIR: leaving definitions alone"
    fi
  fi

  if pid=$(ours "$LIBVIRTD_PID" libvirtd); then
    stop_pid "$pid" libvirtd
  fi
  if pid=$(ours "$VIRTLOGD_PID" virtlogd); then
    stop_pid "$pid" virtlogd || true
  fi
  if ns_exists; then
    stop_env_procs || log "WARNING: processes still in the environment: $(env_procs | tr '\n' ' ')"
    left=$(env_procs)
    [[ -n $left ]] && log "WARNING: processes still in $NS: $(echo "$left" | tr '\n' ' ')(the namespace lives on until they exit)"
    run "deleted network namespace $NS" ip netns delete "$NS"
  fi
  # The environment's directories: nothing is mounted on them outside its mount namespace, which has gone with
  # its last process (--one-file-system: should one be mounted after all, it is left alone, not emptied).
  if [[ -d $PRIV ]]; then
    if rm -rf --one-file-system "$PRIV"; then say "removed $PRIV"; else FAILS=$((FAILS + 1)); fi
  fi
  [[ -d $STATEDIR ]] && rm -f "$LIBVIRTD_PID" "$VIRTLOGD_PID" "$HOLDER_PID" "$MNTNS" "$PRE" "$NS_MARK"

  if ns_exists || [[ -e $PRIV ]]; then
    log "down finished with leftovers"; return 1
  fi
  [[ $FAILS -eq 0 ]] || log "down finished; $FAILS step(s) failed"
  log "down: done"
  return 0
}

case $ACTION in
  up) do_up ;;
  down) do_down ;;
  exec) do_exec "$@" ;;
  restart-libvirtd) do_restart_libvirtd "$@" ;;
esac
