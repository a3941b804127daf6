#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-3.0-or-later
# A real guest (the tiny busybox Linux of tests/guest, on TCG) through hostvisorctl: boot by
# direct kernel boot, serial log, pause, resume, reset, ACPI stop, power off, QEMU killed,
# the engine killed and reattached, and the engine's exit leaving no QEMU behind.
source "$(dirname "$0")/lib.sh"

BOOT_WAIT=180   # seconds; TCG on a loaded 2-core machine can be slow

if ! tiny_guest; then
  not_ok "build the tiny guest"
  finish
  exit 1
fi
ok "build the tiny guest"

expect_ok "create the tiny VM" create tiny --no-disk --memory 256 --kernel "$KERNEL" \
  --initrd "$INITRD" --cmdline "console=ttyS0 quiet hv.heartbeat=1"

# --- the pinned machine type (docs/config-format.md): CreateVm pins the VM to what "pc"
# stands for in this QEMU; a VM from before pinning (no attribute) is pinned at its next start.
PC_TYPE=$(qemu-system-x86_64 -machine help | sed -n 's/^pc  *.*(alias of \(pc-i440fx-[0-9.]*\)).*/\1/p')
check "this QEMU says which type pc stands for ($PC_TYPE)" test -n "$PC_TYPE"
check "create pins the VM to it" test "$(vm_field tiny machine_type)" = "$PC_TYPE"
VM_DIR=$(vm_field tiny directory)
TINY_UUID=$(vm_field tiny uuid)
check "…in its vm.xml" grep -q "<system machine=\"pc\" machine-type=\"$PC_TYPE\" " "$VM_DIR/vm.xml"
run_ctl show tiny
check "show prints it" grep -qE "^Machine type: +$PC_TYPE\$" <<<"$OUT"
ENGINE=$(engine_pid)
kill -TERM "$ENGINE"
wait_until 20 bash -c "! kill -0 $ENGINE"
sed -i 's/ machine-type="[^"]*"//' "$VM_DIR/vm.xml"
check "a config without the attribute loads unpinned" test -z "$(vm_field tiny machine_type)"
run_ctl show tiny
check "…and show says so" grep -qE "^Machine type: +not pinned" <<<"$OUT"

expect_ok "start" start tiny
check "the first start pins it" test "$(vm_field tiny machine_type)" = "$PC_TYPE"
check "…and saves vm.xml" grep -q " machine-type=\"$PC_TYPE\" " "$VM_DIR/vm.xml"
check "…saying so in the VM's log" grep -q "machine type: pinned to $PC_TYPE" "$(vm_field tiny log)"
check "QEMU runs the pinned type" grep -q -- "-machine $PC_TYPE,accel=tcg" \
  <<<"$(pgrep -af -- "[q]emu-system-x86_64.*-uuid $TINY_UUID")"
check "start says it runs without hardware acceleration" grep -qi "tcg" <<<"$OUT$ERR"
check "state is running" state_is tiny running
check "show says tcg" test "$(vm_field tiny accel)" = tcg
check "the guest boots: its serial marker shows in log" wait_until $BOOT_WAIT log_has tiny "HOSTVISOR-GUEST: ready"
check "the guest is alive" wait_until 30 log_has tiny "HOSTVISOR-GUEST: alive"

# The serial console: what is typed runs in the guest's shell, its answer comes back.
OUT=$(printf 'echo hv-$((6*7))-done\n' | timeout 60 "$CTL" console tiny 2>&1)
check "console: a command typed on the serial console runs in the guest" grep -q "hv-42-done" <<<"$OUT"

expect_fail "memory cannot change while running" "while the VM is running" modify tiny --memory 512
expect_ok "the name can change while running" modify tiny --name tiny-renamed
expect_ok "…and back" modify tiny-renamed --name tiny

expect_fail "starting it twice is refused" "already running" start tiny
check "only one QEMU runs for it" test "$(pgrep -fc -- "[q]emu-system-x86_64.*-uuid $(vm_field tiny uuid)")" = 1

# --- pause and resume: the heartbeat stops and goes on
expect_ok "pause" pause tiny
check "state is paused" state_is tiny paused
sleep 1
BEATS=$(log_count tiny "HOSTVISOR-GUEST: alive")
sleep 5
check "no heartbeat while paused" test "$(log_count tiny "HOSTVISOR-GUEST: alive")" = "$BEATS"
expect_fail "pausing twice is refused" "paused" pause tiny
expect_ok "resume" resume tiny
check "state is running again" state_is tiny running
check "the heartbeat goes on" wait_until 30 bash -c "[ \$('$CTL' log tiny | grep -c 'HOSTVISOR-GUEST: alive') -gt $BEATS ]"

# --- reset: the guest boots again
BOOTS=$(log_count tiny "HOSTVISOR-GUEST: booted")
expect_ok "reset" reset tiny
check "the guest boots again after reset" wait_until $BOOT_WAIT bash -c "[ \$('$CTL' log tiny | grep -c 'HOSTVISOR-GUEST: ready') -gt $BOOTS ]"

# --- stop: ACPI power button, the guest powers itself off
expect_ok "stop (ACPI power button)" stop tiny --timeout 60
check "state is poweroff" state_is tiny poweroff
check "the guest powered itself off" grep -qi "guest" <<<"$(vm_field tiny state_reason)"
check "the guest saw the power button" log_has tiny "power button pressed"
check "no QEMU is left" bash -c "! pgrep -f -- '[q]emu-system-x86_64.*-uuid $(vm_field tiny uuid)'"

# --- power off
expect_ok "start again" start tiny
check "ready again" wait_until $BOOT_WAIT bash -c "[ \$('$CTL' log tiny | grep -c 'HOSTVISOR-GUEST: ready') -gt $((BOOTS + 1)) ]"
# A second client follows the log; it sees the power-off that the first one causes.
"$CTL" log tiny --follow >"$HV_TMP/follow.log" 2>&1 &
FOLLOW=$!
sleep 1
expect_ok "poweroff" poweroff tiny
check "state becomes poweroff" wait_until 20 state_is tiny poweroff
check "the other client saw the VM stop and ended" wait_until 20 bash -c "! kill -0 $FOLLOW"
check "…after printing the guest's output" grep -q "HOSTVISOR-GUEST: ready" "$HV_TMP/follow.log"
expect_fail "pausing a powered-off VM is refused" "not running" pause tiny

# --- QEMU killed: aborted, with the reason
expect_ok "start for the kill test" start tiny
PID=$(vm_field tiny pid)
check "show gives QEMU's pid" test -n "$PID" -a "$PID" != 0
kill -KILL "$PID"
check "a killed QEMU leaves the VM aborted" wait_until 20 state_is tiny aborted
check "…with the reason" grep -q "signal 9" <<<"$(vm_field tiny state_reason)"
check "…written in the VM's log" grep -q "signal 9" "$(vm_field tiny log)"
expect_ok "an aborted VM starts again" start tiny

# --- the engine killed: the next one reattaches, the guest never notices
check "ready before the engine is killed" wait_until $BOOT_WAIT bash -c "[ \$('$CTL' log tiny | grep -c 'HOSTVISOR-GUEST: ready') -gt $((BOOTS + 2)) ]"
PID=$(vm_field tiny pid)
ENGINE=$(engine_pid)
check "the engine's pid is known" test -n "$ENGINE"
kill -KILL "$ENGINE"
wait_until 10 bash -c "! kill -0 $ENGINE"
check "QEMU survives the engine" kill -0 "$PID"
BEATS=$(log_count tiny "HOSTVISOR-GUEST: alive")
check "a new engine shows the VM running" state_is tiny running
check "…with the same QEMU" test "$(vm_field tiny pid)" = "$PID"
check "…and it is a new engine" test "$(engine_pid)" != "$ENGINE"
check "the guest kept running" wait_until 30 bash -c "[ \$('$CTL' log tiny | grep -c 'HOSTVISOR-GUEST: alive') -gt $BEATS ]"
expect_ok "pause through the new engine" pause tiny
check "…paused" state_is tiny paused
expect_ok "resume through the new engine" resume tiny
expect_ok "poweroff through the new engine" poweroff tiny
check "…state becomes poweroff" wait_until 20 state_is tiny poweroff
check "…and QEMU is gone" wait_until 10 bash -c "! kill -0 $PID"

# --- the engine asked to quit: it powers its VMs off first
expect_ok "start before the engine quits" start tiny
PID=$(vm_field tiny pid)
ENGINE=$(engine_pid)
kill -TERM "$ENGINE"
check "the engine exits" wait_until 20 bash -c "! kill -0 $ENGINE"
check "no orphaned QEMU after the engine's exit" wait_until 10 bash -c "! kill -0 $PID"

# --- a VM pinned to a type this QEMU does not have (say, made by a newer one): no start,
# and the error names the type.
sed -i "s/ machine-type=\"$PC_TYPE\"/ machine-type=\"pc-i440fx-99.0\"/" "$VM_DIR/vm.xml"
expect_fail "a start on a machine type this QEMU lacks is refused" \
  "machine type pc-i440fx-99\\.0, which QEMU [0-9.]+ does not have" start tiny
check "…and the VM stays powered off" state_is tiny poweroff
check "…with no QEMU" bash -c "! pgrep -f -- '[q]emu-system-x86_64.*-uuid $TINY_UUID'"
ENGINE=$(engine_pid)
kill -TERM "$ENGINE"
wait_until 20 bash -c "! kill -0 $ENGINE"
sed -i "s/ machine-type=\"pc-i440fx-99.0\"/ machine-type=\"$PC_TYPE\"/" "$VM_DIR/vm.xml"

# --- delete a running VM: powered off first, nothing left
expect_ok "start before delete" start tiny
PID=$(vm_field tiny pid)
DIR=$(vm_field tiny directory)
expect_ok "delete a running VM" delete tiny
check "its QEMU is gone" wait_until 10 bash -c "! kill -0 $PID"
check "its directory is gone" test ! -e "$DIR"

finish
