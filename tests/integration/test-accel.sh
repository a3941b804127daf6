#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-3.0-or-later
# Acceleration as a new user meets it: no HOSTVISOR_NO_KVM, so the engine proves KVM with its
# test guest (or finds none) and a VM with the default setting (auto) must boot to its marker
# whatever this host has, KVM that works, KVM that is broken or slow, or none, with show and
# start saying which accelerator and why. Then the settings tcg and kvm, the cached verdict in
# a new engine, and the same VM where there is no KVM (HOSTVISOR_KVM_DEVICE names a missing
# node) and where KVM is turned off (HOSTVISOR_NO_KVM).
HV_KVM_AUTO=1
source "$(dirname "$0")/lib.sh"

BOOT_WAIT=180   # seconds; TCG on a loaded 2-core machine can be slow
CACHE="$XDG_CACHE_HOME/hostvisor/kvm-verdict"
ENGINE_LOG="$XDG_RUNTIME_DIR/hostvisor/engine.log"

if ! tiny_guest; then
  not_ok "build the tiny guest"
  finish
  exit 1
fi
ok "build the tiny guest"

# stop_engine: end the engine (its VMs are off) and wait until it is gone.
stop_engine () {
  local pid
  pid=$(engine_pid)
  [ -n "$pid" ] || return 0
  kill -TERM "$pid"
  wait_until 30 bash -c "! kill -0 $pid"
}

# verdict_line: the engine info's "Acceleration:" line, once the KVM test is over.
verdict_known () {
  "$CTL" version 2>/dev/null | grep '^Acceleration:' | grep -qv 'still running'
}

# boot_tiny WHAT: start the VM, check what start printed and that the guest boots, power off.
boot_tiny () {
  local what=$1
  expect_ok "$what: start" start tiny
  START_OUT=$OUT
  check "$what: the guest boots to its marker" \
    wait_until $BOOT_WAIT log_has tiny "HOSTVISOR-GUEST: ready"
  run_ctl show tiny
  SHOW_RUNNING=$OUT
  RUNNING_ACCEL=$(vm_field tiny accel)
  RUNNING_REASON=$(vm_field tiny accel_reason)
  expect_ok "$what: power off" poweroff tiny
  check "$what: powered off" wait_until 30 state_is tiny poweroff
  # The next boot's marker must be its own.
  : >"$LIBRARY/vms/$(vm_field tiny uuid)/logs/serial.log"
}

# --- the engine decides: KVM proven, refused, or absent ----------------------------------
expect_ok "an engine starts without HOSTVISOR_NO_KVM" list
check "the engine reaches a KVM verdict" wait_until 60 verdict_known
run_ctl version
VERSION=$OUT
diag "$(grep -E '^(Acceleration|KVM test):' <<<"$VERSION")"
if grep -q '^Acceleration: KVM$' <<<"$VERSION"; then USABLE=1; else USABLE=0; fi
if [ -e /dev/kvm ]; then
  check "with /dev/kvm the engine says KVM or why not" \
    grep -qE '^Acceleration: (KVM|TCG \(KVM is present but .*\))$' <<<"$VERSION"
  if exec 3<>/dev/kvm 2>/dev/null; then
    exec 3>&-
    check "the verdict of the test guest is cached" grep -q '^code=' "$CACHE"
  fi
else
  check "without /dev/kvm the engine says KVM is not available" \
    grep -q '^Acceleration: TCG (KVM is not available on this computer)$' <<<"$VERSION"
fi

# --- a VM with the default setting boots whatever the host has ---------------------------
expect_ok "create the tiny VM (acceleration: default)" create tiny --no-disk --memory 256 \
  --kernel "$KERNEL" --initrd "$INITRD" --cmdline "console=ttyS0 quiet"
check "its setting is auto" test "$(vm_field tiny acceleration)" = auto
run_ctl show tiny
if [ "$USABLE" = 1 ]; then
  check "show: KVM at the next start" grep -q '^Acceleration: *KVM, at the next start$' <<<"$OUT"
  check "show --json: accel kvm, no reason" \
    test "$(vm_field tiny accel)/$(vm_field tiny accel_reason)" = kvm/
else
  check "show: TCG at the next start, and why" \
    grep -qE '^Acceleration: *TCG \(KVM is (present but|not available).*\), at the next start$' \
    <<<"$OUT"
  check "show --json: accel tcg with the verdict as the reason" \
    grep -qxE 'tcg/(failed|slow|missing|no-access)' \
    <<<"$(vm_field tiny accel)/$(vm_field tiny accel_reason)"
fi
boot_tiny "auto"
if [ "$USABLE" = 1 ]; then
  check "auto: start says KVM" grep -q 'is running (KVM)' <<<"$START_OUT"
  check "auto: it ran on KVM" test "$RUNNING_ACCEL" = kvm
else
  check "auto: start says TCG and why" \
    grep -qE 'is running \(TCG: KVM is (present but|not available)' <<<"$START_OUT"
  check "auto: show while running: TCG and why" \
    grep -qE '^Acceleration: *TCG \(KVM is (present but|not available)[^,]*\)$' <<<"$SHOW_RUNNING"
  check "auto: it ran on TCG for the engine's reason" \
    grep -qxE 'tcg/(failed|slow|missing|no-access)' <<<"$RUNNING_ACCEL/$RUNNING_REASON"
fi
check "the VM's log says which accelerator and why" \
  grep -qE 'acceleration: (KVM|TCG, because KVM)' "$LIBRARY/vms/$(vm_field tiny uuid)/logs/vm.log"

# --- tcg: always emulated, and show says it is the VM's setting ---------------------------
expect_ok "set the accelerator to tcg" modify tiny --accel tcg
check "show: turned off for this VM" \
  grep -q '^Acceleration: *TCG (KVM is turned off for this VM), at the next start$' \
  <<<"$("$CTL" show tiny)"
boot_tiny "tcg"
check "tcg: start says the VM's setting" \
  grep -q 'is running (TCG: KVM is turned off for this VM)' <<<"$START_OUT"
check "tcg: it ran on TCG" test "$RUNNING_ACCEL/$RUNNING_REASON" = tcg/setting

# --- kvm: KVM or no start ------------------------------------------------------------------
expect_ok "set the accelerator to kvm" modify tiny --accel kvm
if [ "$USABLE" = 1 ]; then
  boot_tiny "kvm"
  check "kvm: it ran on KVM" test "$RUNNING_ACCEL" = kvm
else
  check "show: KVM, which cannot start, and why" \
    grep -qE '^Acceleration: *KVM, but it cannot start: KVM is (present|not available)' \
    <<<"$("$CTL" show tiny)"
  REFUSED='is set to use KVM, which cannot be used: KVM is (present|not available).*\(set its'
  expect_fail "kvm: the start is refused with the engine's reason" "$REFUSED" start tiny
  check "kvm: the VM stays powered off" state_is tiny poweroff
  check "kvm: no QEMU runs for it" \
    bash -c "! pgrep -f -- '[q]emu-system-x86_64.*-uuid $(vm_field tiny uuid)'"
fi
expect_ok "back to auto" modify tiny --accel auto

# --- a new engine in the same boot: the cached verdict, no new test ------------------------
if [ -f "$CACHE" ]; then
  check "the engine stops" stop_engine
  expect_ok "a new engine" list
  check "the new engine's verdict comes from the cache" \
    wait_until 30 grep -q 'KVM: .*(cached)' "$ENGINE_LOG"
  check "…and is the same" test "$(grep '^Acceleration:' <<<"$VERSION")" = \
    "$("$CTL" version | grep '^Acceleration:')"
fi

# --- where there is no KVM --------------------------------------------------------------------
check "the engine stops" stop_engine
export HOSTVISOR_KVM_DEVICE="$HV_TMP/no-such-kvm"
expect_ok "an engine on a host without /dev/kvm" list
check "it says KVM is not available" wait_until 30 bash -c \
  "'$CTL' version | grep -q '^Acceleration: TCG (KVM is not available on this computer)$'"
boot_tiny "no KVM"
check "no KVM: start says KVM is not available" \
  grep -q 'is running (TCG: KVM is not available on this computer)' <<<"$START_OUT"
check "no KVM: show said so while it ran" \
  grep -q '^Acceleration: *TCG (KVM is not available on this computer)$' <<<"$SHOW_RUNNING"
check "no KVM: the reason is missing" test "$RUNNING_ACCEL/$RUNNING_REASON" = tcg/missing
unset HOSTVISOR_KVM_DEVICE

# --- KVM turned off by the environment ------------------------------------------------------
check "the engine stops" stop_engine
export HOSTVISOR_NO_KVM=1
expect_ok "an engine with HOSTVISOR_NO_KVM=1" list
check "show: turned off by HOSTVISOR_NO_KVM" wait_until 30 bash -c \
  "'$CTL' show tiny |
   grep -q '^Acceleration: *TCG (KVM is turned off by HOSTVISOR_NO_KVM), at the next start$'"
check "show --json: reason disabled" test "$(vm_field tiny accel_reason)" = disabled

finish
