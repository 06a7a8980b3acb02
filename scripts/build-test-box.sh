#!/usr/bin/env bash
# Usage: scripts/build-test-box.sh OUTDIR
#
# Builds a small Debian 12 (bookworm) qcow2 test image for labforge's
# end-to-end test that behaves like Fedora Cloud Base where the bake and the
# lab's provisioning look, so the e2e runs the branches Fedora takes:
#   - NetworkManager is the only network stack (no ifupdown), and the NICs have
#     predictable names (ens3, ...), not eth0: Fedora 40+ Cloud images are built
#     with KIWI, without the net.ifnames=0 the kickstart-era images had
#   - zram swap from zram-generator, configured as Fedora's
#     zram-generator-defaults does (kubelet refuses swap: image.swap turns it off)
#   - cloud-init with the NoCloud datasource and NO vagrant user: the cloud
#     method's NoCloud seed creates it, as on Fedora
#   - SELinux active: the default policy loaded at boot (selinux=1
#     security=selinux), Permissive (an unlabelled file system would not boot
#     Enforcing); the bake has to switch it off
#   - firewalld installed, enabled and running (Fedora Cloud has none: the
#     harder case for the bake)
#   - growpart (cloud-guest-utils), so a node disk larger than the box grows
# plus a serial console on ttyS0, ssh host keys made at first boot and an
# empty /etc/machine-id.
#
# Output (in OUTDIR):
#   debian12-test-<hash>.qcow2         the image; <hash> = first 16 hex digits
#                                      of the sha256 of this script and of
#                                      debootstrap-lib.sh
#   debian12-test-<hash>.qcow2.sha256  sha256 of the image (plain hex)
#   debian12-test.qcow2                symlink to the current image
#   debian12-test.qcow2.sha256         sha256 of the current image (plain hex)
# If the image for this script version already exists, nothing is built.
#
# The LAST line on stdout is the absolute path of the qcow2; all progress
# goes to stderr.
#
# Needs root, debootstrap, sfdisk, losetup, mkfs.ext4, extlinux,
# syslinux-common (mbr.bin), qemu-utils and qemu-system-x86. The Debian mirror
# is read from the host's apt sources (first URI serving bookworm/main;
# scripts/debootstrap-lib.sh).
#
# Environment:
#   LABFORGE_SKIP_BOOT_CHECK=1   skip the boot check (qemu TCG, no network)
#   LABFORGE_BOOT_TIMEOUT=SECS   boot check timeout (default 240)
set -euo pipefail

# Run in a private mount namespace: the root mount here has private propagation, so a
# mount namespace created meanwhile by anyone else (e.g. `ip netns exec`) would keep a
# copy of our build mount alive after we unmount it (dirty, un-synced image).
if [[ $(id -u) -eq 0 && -z ${LABFORGE_BUILD_MNTNS:-} ]]; then
  LABFORGE_BUILD_MNTNS=1 exec unshare --mount --propagation private -- "$BASH" "$(readlink -f "${BASH_SOURCE[0]}")" "$@"
fi

exec 3>&1 1>&2 # fd 3 = real stdout (only the final path goes there)

log() { printf '[build-test-box] %s\n' "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }

[[ $# -eq 1 ]] || { sed -n 2p "${BASH_SOURCE[0]}" >&2; exit 2; }

SCRIPT=$(readlink -f "${BASH_SOURCE[0]}")
HASH=$(cat "$SCRIPT" "$(dirname "$SCRIPT")/debootstrap-lib.sh" | sha256sum | cut -c1-16)
mkdir -p "$1"
OUTDIR=$(cd "$1" && pwd -P)
NAME=debian12-test-$HASH.qcow2
IMG=$OUTDIR/$NAME
LINK=$OUTDIR/debian12-test.qcow2

publish() {
  # Refresh the pointer files, then print the path as the last stdout line.
  local tmp
  tmp=$OUTDIR/.debian12-test.link.$$
  ln -sfn "$NAME" "$tmp" && mv -Tf "$tmp" "$LINK"
  if [[ -f $IMG.sha256 ]]; then
    cp -f "$IMG.sha256" "$LINK.sha256.$$" && mv -f "$LINK.sha256.$$" "$LINK.sha256"
  fi
  printf '%s\n' "$IMG" >&3
  exit 0
}

[[ -f $IMG ]] && publish

[[ $(id -u) -eq 0 ]] || die "must run as root"
for cmd in debootstrap sfdisk losetup mkfs.ext4 e2fsck blkid extlinux qemu-img unshare \
  qemu-system-x86_64 chroot fstrim findmnt flock timeout; do
  command -v "$cmd" >/dev/null || die "missing command: $cmd"
done

# One builder per script version at a time; re-check the cache once we hold the lock.
exec 9>"$OUTDIR/.debian12-test.lock"
flock 9
[[ -f $IMG ]] && publish

# ---------------------------------------------------------------- inputs
# shellcheck source-path=SCRIPTDIR source=debootstrap-lib.sh
source "$(dirname "$SCRIPT")/debootstrap-lib.sh"
MIRROR=$(debian_mirror bookworm) || die "no apt source serving bookworm main found in /etc/apt"
case $MIRROR in http://* | https://* | ftp://* | file:/*) ;; *) die "unsupported mirror URI: $MIRROR" ;; esac

MBR=
for f in /usr/lib/syslinux/mbr/mbr.bin /usr/lib/EXTLINUX/mbr.bin /usr/share/syslinux/mbr.bin; do
  [[ -f $f ]] && { MBR=$f; break; }
done
[[ -n $MBR ]] || die "syslinux mbr.bin not found (install syslinux-common)"

log "mirror: $MIRROR"
log "output: $IMG"

# ---------------------------------------------------------------- work dir + cleanup
WORK=$(mktemp -d "$OUTDIR/.build-debian12-test.XXXXXX")
ROOT=$WORK/root
RAW=$WORK/disk.raw
LOOP=
QEMU_PID=
mkdir -p "$ROOT"

# shellcheck disable=SC2317 # invoked via trap
cleanup() {
  local rc=$?
  set +e
  if [[ -n $QEMU_PID ]]; then kill "$QEMU_PID" 2>/dev/null; wait "$QEMU_PID" 2>/dev/null; fi
  # Processes left running inside the chroot would keep the mounts busy.
  chroot_kill "$ROOT"
  if [[ $(findmnt -rno TARGET) == *"$ROOT"* ]]; then
    umount -R "$ROOT" 2>/dev/null || { sleep 1; umount -R "$ROOT" 2>/dev/null; } || umount -R -l "$ROOT"
  fi
  [[ -n $LOOP ]] && losetup -d "$LOOP"
  remove_work "$WORK"
  [[ $rc -ne 0 ]] && log "FAILED (exit $rc); no image was published"
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

T0=$SECONDS

# ---------------------------------------------------------------- disk
SIZE=$((2 * 1024 * 1024 * 1024))
OFFSET=1048576
truncate -s "$SIZE" "$RAW"
printf 'label: dos\nstart=2048, type=83, bootable\n' | sfdisk -q "$RAW" >/dev/null
dd if="$MBR" of="$RAW" bs=440 count=1 conv=notrunc status=none
LOOP=$(losetup --find --show -o "$OFFSET" --sizelimit $((SIZE - OFFSET)) "$RAW")
mkfs.ext4 -q -F -L debian12-root -O ^64bit,^metadata_csum "$LOOP"
UUID=$(blkid -s UUID -o value "$LOOP")
mount "$LOOP" "$ROOT"
log "partition on $LOOP, UUID $UUID"

# ---------------------------------------------------------------- debootstrap
INCLUDE=linux-image-cloud-amd64,initramfs-tools,systemd-sysv,udev,openssh-server,sudo,iproute2,iputils-ping,procps,dbus,python3-minimal
log "debootstrap bookworm (minbase) ..."
debootstrap --variant=minbase --include="$INCLUDE" bookworm "$ROOT" "$MIRROR" >"$WORK/debootstrap.log" 2>&1 ||
  { tail -n 30 "$WORK/debootstrap.log" >&2; [[ -f $ROOT/debootstrap/debootstrap.log ]] && tail -n 30 "$ROOT/debootstrap/debootstrap.log" >&2; die "debootstrap failed"; }
log "debootstrap done ($((SECONDS - T0)) s)"

# No daemons may start inside the chroot.
chroot_enter "$ROOT"

printf 'deb %s bookworm main\n' "$MIRROR" >"$ROOT/etc/apt/sources.list"

# NetworkManager (the only network stack, as on Fedora), cloud-init (NoCloud), growpart (cloud-guest-utils, with
# sfdisk from fdisk), firewalld (+ iptables/ipset it recommends, python3 it needs), SELinux (the default policy,
# getenforce/setenforce, sestatus) and the guest agent. selinux-basics is left out: its selinux-activate writes a GRUB
# configuration (this image boots with extlinux) and it pulls in perl; the kernel arguments are set below instead.
EXTRA=(network-manager cloud-init cloud-guest-utils fdisk firewalld iptables ipset python3
  selinux-policy-default selinux-utils policycoreutils qemu-guest-agent systemd-zram-generator)
log "apt-get install ${EXTRA[*]} ..."
in_root apt-get -q update >"$WORK/apt.log" 2>&1 || { tail -n 30 "$WORK/apt.log" >&2; die "apt-get update failed"; }
in_root apt-get -q -y --no-install-recommends install "${EXTRA[@]}" >>"$WORK/apt.log" 2>&1 ||
  { tail -n 30 "$WORK/apt.log" >&2; die "apt-get install failed"; }
log "packages done ($((SECONDS - T0)) s)"

# ---------------------------------------------------------------- configuration
KVER=$(find "$ROOT/boot" -maxdepth 1 -name 'vmlinuz-*' -printf '%f\n' | sed 's/^vmlinuz-//' | sort -V | tail -n 1)
[[ -n $KVER && -f $ROOT/boot/initrd.img-$KVER ]] || die "kernel or initrd missing in /boot"

cat >"$ROOT/etc/fstab" <<EOF
# <file system> <mount point> <type> <options> <dump> <pass>
UUID=$UUID / ext4 errors=remount-ro 0 1
EOF

echo debian12-test >"$ROOT/etc/hostname"
cat >"$ROOT/etc/hosts" <<'EOF'
127.0.0.1	localhost
127.0.1.1	debian12-test
::1		localhost ip6-localhost ip6-loopback
ff02::1		ip6-allnodes
ff02::2		ip6-allrouters
EOF

# No ifupdown: NetworkManager manages every NIC. As on Fedora Cloud Base, cloud-init writes the DHCP profile of the
# first NIC while a seed is present; without one (the baked box, where cloud-init is disabled) the box's own DHCP
# profile does (packer/scripts/90-cleanup.sh). The NICs keep udev's predictable names (no net.ifnames=0).
rm -rf "$ROOT/etc/network/interfaces" "$ROOT/etc/network/interfaces.d"
[[ -x $ROOT/usr/sbin/NetworkManager ]] || die "NetworkManager is not installed"
[[ ! -e $ROOT/sbin/ifup && ! -e $ROOT/usr/sbin/ifup ]] || die "ifupdown is installed"
in_root systemctl enable NetworkManager.service >/dev/null 2>&1
[[ -L $ROOT/etc/systemd/system/multi-user.target.wants/NetworkManager.service ]] || die "NetworkManager is not enabled"

# cloud-init: the NoCloud datasource only (a CD labelled cidata), like the seed Packer attaches. Without a seed
# ds-identify switches cloud-init off for that boot. No default user: the seed names the users.
cat >"$ROOT/etc/cloud/cloud.cfg.d/90_dpkg.cfg" <<'EOF'
# Written by labforge's scripts/build-test-box.sh: the NoCloud seed (cidata) only.
datasource_list: [ NoCloud ]
EOF
in_root id vagrant >/dev/null 2>&1 && die "the image must not have a vagrant user (the seed creates it)"
[[ -x $ROOT/usr/bin/growpart ]] || die "growpart is not installed"

# zram swap, as Fedora's zram-generator-defaults configures it (Debian's package ships no default configuration).
cat >"$ROOT/usr/lib/systemd/zram-generator.conf" <<'EOF'
# Written by labforge's scripts/build-test-box.sh, as Fedora's zram-generator-defaults: swap on zram at boot.
[zram0]
zram-size = min(ram, 8192)
EOF
[[ -x $ROOT/usr/lib/systemd/system-generators/zram-generator ]] || die "zram-generator is not installed"

# SELinux on, as on Fedora: the kernel arguments below enable it, systemd loads the default policy at boot.
# Permissive, not Enforcing: the file system is not labelled (labelling needs a SELinux host or a relabelling boot).
compgen -G "$ROOT/etc/selinux/default/policy/policy.*" >/dev/null || die "the default SELinux policy was not built"
cat >"$ROOT/etc/selinux/config" <<'EOF'
# This file controls the state of SELinux on the system.
# SELINUX= can take one of these three values:
#     enforcing - SELinux security policy is enforced.
#     permissive - SELinux prints warnings instead of enforcing.
#     disabled - No SELinux policy is loaded.
SELINUX=permissive
# SELINUXTYPE= can take one of these two values:
#     default - equivalent to the old strict and targeted policies
#     mls     - Multi-Level Security (for military and educational use)
SELINUXTYPE=default
EOF

# firewalld: enabled at boot, default zone keeps ssh open.
in_root systemctl enable firewalld.service >/dev/null 2>&1
[[ -L $ROOT/etc/systemd/system/multi-user.target.wants/firewalld.service ]] || die "firewalld is not enabled"
ZONE=$(sed -n 's/^DefaultZone=//p' "$ROOT/etc/firewalld/firewalld.conf")
ZONE=${ZONE:-public}
if [[ -f $ROOT/etc/firewalld/zones/$ZONE.xml ]]; then
  ZFILE=$ROOT/etc/firewalld/zones/$ZONE.xml
else
  ZFILE=$ROOT/usr/lib/firewalld/zones/$ZONE.xml
fi
grep -q '<service name="ssh"/>' "$ZFILE" || die "firewalld default zone $ZONE does not allow ssh"

# ssh host keys: removed here, generated at first boot before ssh.service.
rm -f "$ROOT"/etc/ssh/ssh_host_*
cat >"$ROOT/etc/systemd/system/ssh-keygen-host-keys.service" <<'EOF'
[Unit]
Description=Generate missing SSH host keys
Before=ssh.service
ConditionPathExists=!/etc/ssh/ssh_host_ed25519_key

[Service]
Type=oneshot
ExecStart=/usr/bin/ssh-keygen -A
RemainAfterExit=yes

[Install]
WantedBy=multi-user.target ssh.service
EOF
in_root systemctl enable ssh-keygen-host-keys.service >/dev/null 2>&1
[[ -L $ROOT/etc/systemd/system/ssh.service.wants/ssh-keygen-host-keys.service ]] || die "host key unit not enabled"

# bootloader
mkdir -p "$ROOT/boot/extlinux"
extlinux --install "$ROOT/boot/extlinux" >&2 || die "extlinux --install failed"
cat >"$ROOT/boot/extlinux/extlinux.conf" <<EOF
DEFAULT debian
PROMPT 0
TIMEOUT 1
SERIAL 0 115200
LABEL debian
  KERNEL /boot/vmlinuz-$KVER
  INITRD /boot/initrd.img-$KVER
  APPEND root=UUID=$UUID ro selinux=1 security=selinux console=ttyS0,115200n8
EOF

# clean-up for cloning
in_root apt-get -q clean
rm -rf "$ROOT"/var/lib/apt/lists/* "$ROOT"/var/cache/apt/*.bin "$ROOT/debootstrap"
rm -f "$ROOT/usr/sbin/policy-rc.d" "$ROOT/etc/resolv.conf" "$ROOT/var/lib/dbus/machine-id"
: >"$ROOT/etc/machine-id"
touch "$ROOT/etc/resolv.conf"
find "$ROOT/var/log" -type f -exec truncate -s 0 {} +
# Smaller image: documentation, man pages and translations are not needed (~70 MB).
find "$ROOT/usr/share/doc" -mindepth 1 ! -type d ! -name copyright -delete
find "$ROOT/usr/share/doc" -mindepth 1 -type d -empty -delete
find "$ROOT/usr/share/locale" -mindepth 1 -maxdepth 1 ! -name locale.alias -exec rm -rf {} +
rm -rf "$ROOT"/usr/share/man/* "$ROOT"/usr/share/info/*
rm -rf "${ROOT:?}"/tmp/* "$ROOT"/var/tmp/*

chroot_leave "$ROOT"
# Free space must read as zeros for a small qcow2. ext4 only discards blocks freed in
# committed transactions, so commit the journal first.
sync -f "$ROOT"
fstrim "$ROOT" >/dev/null 2>&1 || log "fstrim failed (image will be larger)"
umount "$ROOT"
e2fsck -f -n "$LOOP" >"$WORK/fsck.log" 2>&1 || { cat "$WORK/fsck.log" >&2; die "filesystem not clean after unmount"; }
losetup -d "$LOOP"
LOOP=
log "filesystem done ($((SECONDS - T0)) s)"

# ---------------------------------------------------------------- qcow2
qemu-img convert -c -O qcow2 "$RAW" "$WORK/$NAME"
rm -f "$RAW"
log "qcow2: $(du -h "$WORK/$NAME" | cut -f1) ($((SECONDS - T0)) s)"

# ---------------------------------------------------------------- boot check
if [[ ${LABFORGE_SKIP_BOOT_CHECK:-} == 1 ]]; then
  log "boot check skipped (LABFORGE_SKIP_BOOT_CHECK=1)"
else
  TIMEOUT=${LABFORGE_BOOT_TIMEOUT:-240}
  SERIAL=$WORK/serial.log
  B0=$SECONDS
  log "boot check (TCG, no network, timeout ${TIMEOUT}s) ..."
  qemu-system-x86_64 -machine accel=tcg -m 512 -display none -monitor none \
    -snapshot -drive "file=$WORK/$NAME,if=virtio,format=qcow2" -nic none \
    -serial "file:$SERIAL" </dev/null >"$WORK/qemu.log" 2>&1 &
  QEMU_PID=$!
  ok=0
  while ((SECONDS - B0 < TIMEOUT)); do
    if ! kill -0 "$QEMU_PID" 2>/dev/null; then
      cat "$WORK/qemu.log" >&2; break
    fi
    # login prompt, and firewalld either started or failed (it may come after the prompt)
    if [[ -f $SERIAL ]] && grep -aq 'login:' "$SERIAL" &&
      grep -aqE 'Started.*firewalld|Failed to start.*firewalld' "$SERIAL"; then
      ok=1; break
    fi
    sleep 2
  done
  kill "$QEMU_PID" 2>/dev/null || true
  wait "$QEMU_PID" 2>/dev/null || true
  QEMU_PID=
  if [[ $ok != 1 ]]; then
    tail -n 40 "$SERIAL" >&2 2>/dev/null || true
    die "image did not reach a login prompt within ${TIMEOUT}s"
  fi
  if ! grep -aq 'Started.*firewalld' "$SERIAL"; then
    grep -a firewalld "$SERIAL" >&2 || true
    die "firewalld did not start at boot"
  fi
  grep -aq 'SELinux:  Initializing' "$SERIAL" || die "the kernel did not initialise SELinux (selinux=1 security=selinux)"
  grep -aqE 'Activated swap.*zram0|Adding [0-9]+k swap on /dev/zram0' "$SERIAL" || die "no zram swap at boot (zram-generator)"
  if grep -a 'Failed to start' "$SERIAL" >&2; then
    log "WARNING: some units failed at boot (see above)"
  fi
  log "boot check passed: login prompt after $((SECONDS - B0)) s"
fi

# ---------------------------------------------------------------- publish
sha256sum "$WORK/$NAME" | cut -d' ' -f1 >"$WORK/$NAME.sha256"
mv -f "$WORK/$NAME.sha256" "$IMG.sha256"
mv -f "$WORK/$NAME" "$IMG" # same filesystem: atomic
log "built $IMG in $((SECONDS - T0)) s"
publish
