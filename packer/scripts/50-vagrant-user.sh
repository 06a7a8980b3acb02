#!/usr/bin/env bash
# Makes the image a Vagrant box: the vagrant user logs in with Vagrant's insecure keys (Vagrant replaces them
# with a per-machine key on first `vagrant up`) and may sudo without a password.
# LABFORGE_VAGRANT_PUBKEYS holds those public keys, one a line, exactly as in Vagrant's keys/vagrant.pub (one key
# before Vagrant 2.3.8, an RSA and an ed25519 key since): Vagrant logs in with whichever it picks, and afterwards
# removes exactly these lines from authorized_keys.
set -euo pipefail

# log, die, the package manager and the other shared helpers (the build uploads lib.sh before this script).
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "${LABFORGE_LIB:-/var/tmp/labforge/lib.sh}"
script_init vagrant-user
mapfile -t vagrant_keys <<<"${LABFORGE_VAGRANT_PUBKEYS:-}"
[[ -n ${vagrant_keys[0]:-} ]] || die "LABFORGE_VAGRANT_PUBKEYS is empty: packer must pass Vagrant's insecure public keys"
for key in "${vagrant_keys[@]}"; do
  [[ $key == ssh-* || $key == ecdsa-* || $key == sk-* ]] || die "LABFORGE_VAGRANT_PUBKEYS has a line that is not an OpenSSH public key: $key"
done

id vagrant >/dev/null 2>&1 || die "there is no vagrant user (cloud-init or the kickstart should have created it)"
home=$(home_of vagrant)
group=$(id -gn vagrant)
[[ -d $home ]] || die "the vagrant user's home $home does not exist"

# --- authorized_keys
install -d -m 0700 -o vagrant -g "$group" "$home/.ssh"
keys=$home/.ssh/authorized_keys
[[ -f $keys ]] || install -m 0600 -o vagrant -g "$group" /dev/null "$keys"
for key in "${vagrant_keys[@]}"; do
  kind=${key%% *}
  if grep -qxF -- "$key" "$keys"; then
    log "$keys already has Vagrant's $kind key"
  else
    printf '%s\n' "$key" >>"$keys"
    log "added Vagrant's $kind key to $keys"
  fi
done
chown vagrant:"$group" "$home/.ssh" "$keys"
chmod 0700 "$home/.ssh"
chmod 0600 "$keys"
for key in "${vagrant_keys[@]}"; do
  grep -qxF -- "$key" "$keys" || die "$keys does not contain Vagrant's ${key%% *} key"
done
[[ $(stat -c %a "$home/.ssh") == 700 && $(stat -c %a "$keys") == 600 ]] || die "wrong permissions on $home/.ssh or $keys"
[[ $(stat -c %U "$keys") == vagrant ]] || die "$keys is not owned by vagrant"

# --- sudo without a password; validated before it is put in place (a broken sudoers file locks sudo out).
sudoers=/etc/sudoers.d/vagrant
tmp=$(mktemp)
printf 'vagrant ALL=(ALL) NOPASSWD: ALL\n' >"$tmp"
visudo -cf "$tmp" >/dev/null || { rm -f "$tmp"; die "visudo rejects the sudoers rule"; }
install -m 0440 -o root -g root "$tmp" "$sudoers"
rm -f "$tmp"
visudo -cf "$sudoers" >/dev/null || die "visudo rejects $sudoers"
grep -qE '^[[:space:]]*[#@]includedir[[:space:]]+/etc/sudoers.d' /etc/sudoers || die "/etc/sudoers does not include /etc/sudoers.d"
nopasswd_sudo vagrant || die "sudo -l does not show NOPASSWD: ALL for vagrant"
log "$sudoers: vagrant may sudo without a password"

# --- sshd: no changes. Every key above is one sshd accepts as it is: ed25519 everywhere; RSA from clients that sign
# with rsa-sha2-256/512 (Vagrant's net-ssh, OpenSSH), which Fedora's crypto policies accept. Fedora 41+ refuses SHA-1
# (ssh-rsa) signatures whatever sshd allows, so no drop-in could help an older client; Packer logs in with the
# ed25519 key where Vagrant has one.
"$(sshd_bin)" -t || die "sshd -t rejects the configuration"
log "sshd configuration is valid"
