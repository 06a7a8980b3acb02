#!/bin/bash
# labforge setup: fetches an OpenPGP key over https and installs only the key with the expected fingerprint, as a
# binary keyring (apt's Signed-By) or armored (rpm's gpgkey), atomically. Nothing is written when the download does
# not hold that key.
# Usage: install-key.sh URL FINGERPRINT FILE binary|armor
set -euo pipefail
url=$1
fingerprint=$2
file=$3
format=$4
work=$(mktemp -d)
trap 'rm -rf -- "$work"' EXIT
curl --fail --silent --show-error --location --proto '=https' --tlsv1.2 --max-time 120 --output "$work/download" "$url"
GNUPGHOME=$work/gnupg
export GNUPGHOME
mkdir -m 0700 -- "$GNUPGHOME"
gpg --batch --quiet --import "$work/download" 2>/dev/null || true
if [ "$format" = armor ]; then
  gpg --batch --armor --export "$fingerprint" >"$work/key"
else
  gpg --batch --export "$fingerprint" >"$work/key"
fi
if [ ! -s "$work/key" ]; then
  echo "install-key: $url does not hold the key $fingerprint" >&2
  exit 1
fi
dir=$(dirname -- "$file")
mkdir -p -- "$dir"
tmp=$(mktemp -- "$dir/.labforge.XXXXXXXXXX")
trap 'rm -rf -- "$work" "$tmp"' EXIT
cat "$work/key" >"$tmp"
chmod 0644 "$tmp"
mv -f -- "$tmp" "$file"
