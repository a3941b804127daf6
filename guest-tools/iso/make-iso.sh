#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
#
# make-iso.sh XORRISO OUTPUT FILE...: the guest tools ISO, holding FILE... at its root.
set -eu

xorriso=$1
out=$2
shift 2
stage=$(mktemp -d "${out}.stage.XXXXXX")
trap 'rm -rf "$stage"' EXIT
for f in "$@"; do
  cp "$f" "$stage/"
done
chmod 0755 "$stage/hostvisor-agent" "$stage/install.sh"
chmod 0644 "$stage"/*.service "$stage"/*.desktop "$stage"/*.txt
# Same inputs, same bytes: fixed timestamps (SOURCE_DATE_EPOCH, if set) and volume id.
touch -d "@${SOURCE_DATE_EPOCH:-0}" "$stage"/* "$stage"
"$xorriso" -as mkisofs -quiet -V HOSTVISOR_GUEST_TOOLS -J -R -o "$out.tmp" "$stage"
mv -f "$out.tmp" "$out"
