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

# GRUB's menu: not blank, with its highlight bar.
check "the screen shows GRUB's menu" \
  wait_until 120 bash -c "'$CTL' screenshot rescue '$HV_TMP/shot.png' && python3 '$HV_SRCDIR/tests/integration/png-colours.py' '$HV_TMP/shot.png' bar"
check "the screenshot is a PNG" bash -c "head -c 8 '$HV_TMP/shot.png' | od -An -c | grep -q 'P   N   G'"
if [ -n "${HV_ARTIFACTS:-}" ]; then cp "$HV_TMP/shot.png" "$HV_ARTIFACTS/grub-rescue.png"; fi
expect_ok "poweroff" poweroff rescue
check "powered off" wait_until 20 state_is rescue poweroff
expect_fail "a screenshot of a powered-off VM is refused" "not running" screenshot rescue "$HV_TMP/y.png"

# --- a CD inserted while the VM runs: after a reset the BIOS boots it
expect_ok "create without a medium" create late --no-disk --memory 128
expect_ok "start it" start late
sleep 3
run_ctl screenshot late "$HV_TMP/before.png"
check "without a medium there is no GRUB menu" \
  bash -c "! python3 '$HV_SRCDIR/tests/integration/png-colours.py' '$HV_TMP/before.png' bar"
expect_ok "insert the ISO while it runs" media insert late "$ISO"
check "the config keeps the medium" grep -qF "$ISO" <<<"$(vm_field late drives)"
expect_ok "reset" reset late
check "the guest boots the inserted CD" \
  wait_until 120 bash -c "'$CTL' screenshot late '$HV_TMP/after.png' && python3 '$HV_SRCDIR/tests/integration/png-colours.py' '$HV_TMP/after.png' bar"
expect_fail "a missing image is named" "ISO not found" media insert late /nonexistent.iso
expect_fail "a VM without a floppy drive says so" "no floppy drive" media insert late --floppy /usr/lib/grub-rescue/grub-rescue-floppy.img
expect_ok "eject while it runs" media eject late
check "the config has an empty drive" bash -c "! grep -qF '$ISO' <<<'$(vm_field late drives)'"
expect_ok "poweroff" poweroff late

finish
