#!/usr/bin/env bash
# Sourced by the scripts that debootstrap a Debian root (build-test-box.sh, build-trixie-root.sh): where Debian's
# archive is, and the chroot they install packages in.
#
# debian_mirror SUITE: prints the first URI in the host's apt sources (one-line .list files, then deb822 .sources)
# that serves SUITE with component main (a "deb" line, not deb-src; enabled). Returns 1 when there is none.
# The same archive serves every Debian release: a script that builds another release asks for the host's own
# suite (debian_host_suite) and points debootstrap at that URI.
#
# debian_host_suite: the host's codename (VERSION_CODENAME in /etc/os-release), or nothing.
#
# chroot_enter ROOT: mounts /proc, /sys and /dev into ROOT and keeps daemons from starting there (policy-rc.d);
# chroot_leave ROOT undoes it. in_root CMD...: runs CMD in $ROOT, non-interactively.
# chroot_kill ROOT: kills every process whose root directory is ROOT (they would keep its mounts busy).
# remove_work WORK: removes the build's work folder, unless something is still mounted below it.

debian_host_suite() {
  local line
  [[ -r /etc/os-release ]] || return 1
  while IFS= read -r line; do
    if [[ $line == VERSION_CODENAME=* ]]; then
      line=${line#VERSION_CODENAME=}
      line=${line//\"/}
      printf '%s\n' "$line"
      return 0
    fi
  done </etc/os-release
  return 1
}

debian_mirror() {
  local want=$1 f line uri suite
  local -a w
  for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
    [[ -f $f ]] || continue
    while IFS= read -r line || [[ -n $line ]]; do
      line=${line%%#*}
      read -ra w <<<"$line"
      [[ ${#w[@]} -ge 4 && ${w[0]} == deb ]] || continue
      w=("${w[@]:1}")
      if [[ ${w[0]} == '['* ]]; then # [ options ]
        while [[ ${#w[@]} -gt 0 && ${w[0]} != *']' ]]; do w=("${w[@]:1}"); done
        w=("${w[@]:1}")
      fi
      [[ ${#w[@]} -ge 3 ]] || continue
      uri=${w[0]} suite=${w[1]}
      if [[ $suite == "$want" && " ${w[*]:2} " == *" main "* ]]; then
        printf '%s\n' "$uri"
        return 0
      fi
    done <"$f"
  done
  for f in /etc/apt/sources.list.d/*.sources; do
    [[ -f $f ]] || continue
    uri=$(awk -v want="$want" '
      function flush() {
        if (types ~ /(^| )deb( |$)/ && (" " suites " ") ~ (" " want " ") &&
            comps ~ /(^| )main( |$)/ && tolower(enabled) != "no" && uris != "") {
          split(uris, u, " "); print u[1]; found = 1; exit
        }
        types = uris = suites = comps = key = ""; enabled = "yes"
      }
      BEGIN { enabled = "yes" }
      /^[ \t]*$/ { flush(); next }
      /^#/ { next }
      /^[ \t]/ { sub(/^[ \t]+/, ""); val = $0
                 if (key == "types") types = types " " val
                 else if (key == "uris") uris = uris " " val
                 else if (key == "suites") suites = suites " " val
                 else if (key == "components") comps = comps " " val
                 next }
      { i = index($0, ":"); if (!i) next
        key = tolower(substr($0, 1, i - 1)); val = substr($0, i + 1)
        gsub(/^[ \t]+|[ \t]+$/, "", val)
        if (key == "types") types = val
        else if (key == "uris") uris = val
        else if (key == "suites") suites = val
        else if (key == "components") comps = val
        else if (key == "enabled") enabled = val }
      END { if (!found) flush() }' "$f")
    [[ -n $uri ]] && { printf '%s\n' "$uri"; return 0; }
  done
  return 1
}

chroot_enter() {
  mount -t proc proc "$1/proc"
  mount -t sysfs sysfs "$1/sys"
  mount --rbind /dev "$1/dev"
  mount --make-rslave "$1/dev"
  printf '#!/bin/sh\nexit 101\n' >"$1/usr/sbin/policy-rc.d"
  chmod 0755 "$1/usr/sbin/policy-rc.d"
}

chroot_leave() {
  rm -f "$1/usr/sbin/policy-rc.d"
  umount -R "$1/dev" "$1/sys" "$1/proc"
}

in_root() { LC_ALL=C DEBIAN_FRONTEND=noninteractive chroot "$ROOT" "$@"; }

chroot_kill() {
  local pid
  for pid in /proc/[0-9]*; do
    [[ $(readlink "$pid/root" 2>/dev/null) == "$1" ]] && kill -9 "${pid#/proc/}" 2>/dev/null
  done
  return 0
}

remove_work() {
  if [[ $(findmnt -rno TARGET) == *"$1"* ]]; then
    printf 'WARNING: something is still mounted under %s; not removing it\n' "$1" >&2
  else
    rm -rf --one-file-system "$1"
  fi
}
