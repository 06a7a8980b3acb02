#!/bin/bash
# labforge setup: writes standard input to FILE atomically, with MODE: a temporary file of an unpredictable name
# beside it, then a rename over FILE (which replaces a link at FILE itself, never the link's target).
# Usage: write-file.sh FILE MODE < CONTENT
set -euo pipefail
file=$1
mode=$2
dir=$(dirname -- "$file")
mkdir -p -- "$dir"
tmp=$(mktemp -- "$dir/.labforge.XXXXXXXXXX")
trap 'rm -f -- "$tmp"' EXIT
cat >"$tmp"
chmod -- "$mode" "$tmp"
mv -f -- "$tmp" "$file"
trap - EXIT
