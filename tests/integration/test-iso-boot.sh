#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-3.0-or-later
# A VM made with --iso boots GRUB's rescue CD, and its screenshot shows something.
source "$(dirname "$0")/lib.sh"

ISO=/usr/lib/grub-rescue/grub-rescue-cdrom.iso

expect_ok "create from an ISO" create rescue --iso "$ISO" --no-disk --memory 128
expect_ok "start" start rescue
check "running" state_is rescue running

# not_blank PNG: more than a handful of distinct colours (GRUB's text on a black screen).
not_blank () {
  python3 "$HV_SRCDIR/tests/integration/png-colours.py" "$1" 2
}

check "the screen shows the guest (not blank)" \
  wait_until 120 bash -c "'$CTL' screenshot rescue '$HV_TMP/shot.png' && python3 '$HV_SRCDIR/tests/integration/png-colours.py' '$HV_TMP/shot.png' 2"
check "the screenshot is a PNG" bash -c "head -c 8 '$HV_TMP/shot.png' | od -An -c | grep -q 'P   N   G'"
if [ -n "${HV_ARTIFACTS:-}" ]; then cp "$HV_TMP/shot.png" "$HV_ARTIFACTS/grub-rescue.png"; fi
expect_ok "poweroff" poweroff rescue
check "powered off" wait_until 20 state_is rescue poweroff
expect_fail "a screenshot of a powered-off VM is refused" "not running" screenshot rescue "$HV_TMP/y.png"

finish
