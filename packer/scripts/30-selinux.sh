#!/usr/bin/env bash
# Disables SELinux for good. Since Fedora 34, SELINUX=disabled in /etc/selinux/config alone no longer turns
# it off: the kernel side stays on with no policy loaded. Only the selinux=0 kernel argument disables it, so
# this script sets both: the config file (for tools that read it) and the argument in whatever boot loader
# configuration the image has (grubby on Fedora, /etc/default/grub + grub-mkconfig, or extlinux/syslinux as
# on the Debian test box). The reboot that follows and 80-verify.sh prove it took effect.
set -euo pipefail

# log, die, the package manager and the other shared helpers (the build uploads lib.sh before this script).
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "${LABFORGE_LIB:-/var/tmp/labforge/lib.sh}"
script_init selinux

# What the image booted with, in the bake log: Fedora boots with SELinux enforcing and its targeted policy loaded.
if command -v getenforce >/dev/null 2>&1; then
  policy=$(sestatus 2>/dev/null | sed -n 's/^Loaded policy name:[[:space:]]*//p' || true)
  log "SELinux before the bake: getenforce says $(getenforce)${policy:+, policy $policy loaded}"
else
  log "SELinux before the bake: the image has no getenforce (no SELinux userland)"
fi

export ARG=selinux=0
readonly ARG

# missing_in FILE REGEX WHAT: fails unless FILE has lines matching REGEX and every one of them has $ARG.
missing_in() {
  local file=$1 regex=$2 what=$3 lines line
  lines=$(grep -E "$regex" "$file" || true)
  [[ -n $lines ]] || die "$file has no $what to carry $ARG"
  while IFS= read -r line; do
    has_word "$(tr -s '[:space:]' ' ' <<<"$line")" "$ARG" || die "$file: $what without $ARG: $line"
  done <<<"$lines"
}

# --- /etc/selinux/config: exactly one SELINUX= line, saying disabled (the file may say enforcing).
config=/etc/selinux/config
mkdir -p "${config%/*}"
[[ -f $config ]] || printf '# Written by labforge.\n' >"$config"
if grep -qE '^[[:space:]]*SELINUX=' "$config"; then
  tmp=$(mktemp)
  awk '/^[[:space:]]*SELINUX=/ { if (!done) print "SELINUX=disabled"; done = 1; next } { print }' "$config" >"$tmp"
  cat "$tmp" >"$config"
  rm -f "$tmp"
else
  printf 'SELINUX=disabled\n' >>"$config"
fi
lines=$(grep -E '^[[:space:]]*SELINUX=' "$config")
[[ $lines == 'SELINUX=disabled' ]] || die "$config should have one line SELINUX=disabled, has: $lines"
log "$config: SELINUX=disabled"

# Until the reboot, at least stop enforcing (permissive), if SELinux is on at all.
if command -v getenforce >/dev/null 2>&1 && [[ $(getenforce) == Enforcing ]]; then
  setenforce 0
  log "SELinux set to permissive until the reboot"
fi

# --- the kernel argument, in every boot loader configuration present.
configured=()

if command -v grubby >/dev/null 2>&1; then
  grubby --update-kernel ALL --args "$ARG"
  count=0
  while IFS= read -r args; do
    count=$((count + 1))
    has_word "$args" "$ARG" || die "grubby did not add $ARG to a boot entry: args=\"$args\""
  done < <(grubby --info ALL | sed -n 's/^args="\{0,1\}\([^"]*\)"\{0,1\}$/\1/p')
  [[ $count -gt 0 ]] || die "grubby --info ALL lists no boot entries"
  configured+=("grubby ($count boot entries)")
fi

# /etc/kernel/cmdline is what kernel-install gives kernels installed later (BLS systems), when it exists.
if [[ -f /etc/kernel/cmdline ]]; then
  current=$(tr -s '[:space:]' ' ' </etc/kernel/cmdline)
  current=${current% }
  has_word "$current" "$ARG" || printf '%s\n' "${current:+$current }$ARG" >/etc/kernel/cmdline
  has_word "$(cat /etc/kernel/cmdline)" "$ARG" || die "/etc/kernel/cmdline lacks $ARG"
  configured+=(/etc/kernel/cmdline)
fi

if [[ -f /etc/default/grub ]]; then
  current=$(
    # shellcheck source=/dev/null
    . /etc/default/grub >/dev/null 2>&1
    printf '%s' "${GRUB_CMDLINE_LINUX:-}"
  )
  if ! has_word "$current" "$ARG"; then
    new="${current:+$current }$ARG"
    # Written back as one double-quoted shell assignment (the file is sourced by grub-mkconfig).
    esc=${new//\\/\\\\}
    esc=${esc//\"/\\\"}
    esc=${esc//\$/\\\$}
    esc=${esc//\`/\\\`}
    tmp=$(mktemp)
    LINE="GRUB_CMDLINE_LINUX=\"$esc\"" awk '
      /^[[:space:]]*GRUB_CMDLINE_LINUX=/ { if (!done) print ENVIRON["LINE"]; done = 1; next }
      { print }
      END { if (!done) print ENVIRON["LINE"] }' /etc/default/grub >"$tmp"
    cat "$tmp" >/etc/default/grub
    rm -f "$tmp"
  fi
  check=$(
    # shellcheck source=/dev/null
    . /etc/default/grub >/dev/null 2>&1
    printf '%s' "${GRUB_CMDLINE_LINUX:-}"
  )
  has_word "$check" "$ARG" || die "/etc/default/grub: GRUB_CMDLINE_LINUX lacks $ARG: \"$check\""
  configured+=("/etc/default/grub")

  # Without grubby, the generated grub.cfg is what the boot loader reads: regenerate it.
  if ! command -v grubby >/dev/null 2>&1; then
    cfg=
    for f in /boot/grub2/grub.cfg /boot/grub/grub.cfg; do
      [[ -f $f ]] && { cfg=$f; break; }
    done
    if command -v update-grub >/dev/null 2>&1; then
      update-grub
      cfg=${cfg:-/boot/grub/grub.cfg}
    elif command -v grub2-mkconfig >/dev/null 2>&1; then
      cfg=${cfg:-/boot/grub2/grub.cfg}
      grub2-mkconfig -o "$cfg"
    elif command -v grub-mkconfig >/dev/null 2>&1; then
      cfg=${cfg:-/boot/grub/grub.cfg}
      grub-mkconfig -o "$cfg"
    else
      die "/etc/default/grub exists but neither update-grub, grub2-mkconfig nor grub-mkconfig is installed"
    fi
    [[ -f $cfg ]] || die "$cfg was not generated"
    missing_in "$cfg" '^[[:space:]]*linux(16|efi)?[[:space:]]' "linux lines"
    configured+=("$cfg")
  fi
fi

# extlinux / syslinux (the Debian test box only): add the argument to every APPEND line.
declare -A seen=()
for f in /boot/extlinux/extlinux.conf /boot/extlinux.conf /extlinux.conf /boot/syslinux/syslinux.cfg \
  /boot/syslinux/extlinux.conf /boot/syslinux.cfg /syslinux.cfg; do
  [[ -f $f ]] || continue
  real=$(readlink -f "$f")
  [[ -z ${seen[$real]:-} ]] || continue
  seen[$real]=1
  tmp=$(mktemp)
  awk '
    tolower($1) == "append" {
      found = 0
      for (i = 2; i <= NF; i++) if ($i == ENVIRON["ARG"]) found = 1
      if (!found) $0 = $0 " " ENVIRON["ARG"]
    }
    { print }' "$real" >"$tmp"
  cat "$tmp" >"$real"
  rm -f "$tmp"
  missing_in "$real" '^[[:space:]]*[Aa][Pp][Pp][Ee][Nn][Dd][[:space:]]' "APPEND lines"
  appends=$(grep -cE '^[[:space:]]*[Aa][Pp][Pp][Ee][Nn][Dd][[:space:]]' "$real")
  configured+=("$f ($appends APPEND lines)")
done

boot_loaders=0
for c in "${configured[@]}"; do
  [[ $c == /etc/kernel/cmdline ]] || boot_loaders=$((boot_loaders + 1))
done
[[ $boot_loaders -gt 0 ]] ||
  die "found no boot loader configuration to add $ARG to (looked for grubby, /etc/default/grub, extlinux/syslinux)"
for c in "${configured[@]}"; do log "$ARG configured in $c"; done
