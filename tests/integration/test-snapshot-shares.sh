#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-3.0-or-later
# Snapshots with the running state while shared folders are in use (docs/snapshots.md, "Shared
# folders during snapshots"): the tiny guest with the agent mounts a share; a live snapshot
# works because the agent unmounts it (virtiofs: the device is unplugged too), and the share
# comes back mounted; restoring the snapshot starts QEMU to match the saved device set and the
# share is mounted again; save state and start the same way. virtiofs on q35 (where virtiofsd
# exists) and 9p on pc, both guests at once. The refusal without the agent is in
# test-snapshots.sh.
source "$(dirname "$0")/lib.sh"

BOOT_WAIT=180
AGENT="$HV_BUILDDIR/guest-tools/hostvisor-agent"
VIRTIOFSD=$(for f in /usr/libexec/virtiofsd /usr/lib/qemu/virtiofsd; do
              [ -x "$f" ] && { echo "$f"; break; }; done)

if [ ! -x "$AGENT" ]; then
  not_ok "the guest agent is built ($AGENT)"
  finish
  exit 1
fi
printf '#!/bin/sh\nexec /usr/sbin/hostvisor-agent --foreground >/dev/ttyS0 2>&1\n' >"$HV_TMP/extra-init"
chmod +x "$HV_TMP/extra-init"
GUEST_DIR="$HV_BUILDDIR/tests/guest-agent"
if ! "$HV_SRCDIR/tests/guest/make-tiny-guest.sh" "$GUEST_DIR" \
     --extra-file "$AGENT:/usr/sbin/hostvisor-agent" \
     --extra-file "$HV_TMP/extra-init:/hv-extra-init" >"$HV_TMP/guest-build.log" 2>&1; then
  cat "$HV_TMP/guest-build.log" >&2
  not_ok "build the tiny guest with the agent"
  finish
  exit 1
fi
ok "build the tiny guest with the agent"

# 9p's mapped-xattr needs user xattrs: the build tree's disk has them.
SHARES=$(mktemp -d "$HV_BUILDDIR/tests/snapshares.XXXXXX")
trap 'rm -rf "$SHARES"; cleanup' EXIT
mkdir -p "$SHARES/v" "$SHARES/p"
echo "virtiofs-before" >"$SHARES/v/hello.txt"
echo "ninep-before" >"$SHARES/p/hello.txt"

VMS=()
if [ -n "$VIRTIOFSD" ]; then VMS+=(vfs); else ok "virtiofs # SKIP no virtiofsd on this host"; fi
VMS+=(ninep)

agent_connected () { [ "$(vm_field "$1" agent.connected)" = True ]; }
# share_state VM: the status the engine reports for the VM's share "data".
share_state () {
  run_ctl show "$1" --json && python3 -c '
import json, sys
for s in json.loads(sys.argv[1])["shares"]:
    if s["name"] == "data":
        print(s["status"] or "")' "$OUT"
}
mounted () { [ "$(share_state "$1")" = mounted ]; }
guest () { printf '%s\n' "$2" | timeout 60 "$CTL" console "$1" 2>&1; }
# guest_reads VM FILE TEXT: the guest reads TEXT in the share's FILE.
# A fresh nonce before the file's text: neither the typed line (where "$(cat" follows the
# nonce) nor the console's backlog (an earlier read of the same file) can match.
guest_reads () {
  local nonce="R$RANDOM$RANDOM"
  guest "$1" "echo $nonce-\$(cat /media/hostvisor/data/$2)" | grep -q "$nonce-[^\$]*$3"
}
vm_log () { cat "$(vm_field "$1" directory)/logs/vm.log"; }
snap_id () { run_ctl snapshot "$1" list --json && python3 -c '
import json, sys
print(" ".join(s["id"] for s in json.loads(sys.argv[1])["snapshots"] if s["name"] == sys.argv[2]))' "$OUT" "$2"; }

for vm in "${VMS[@]}"; do
  if [ "$vm" = vfs ]; then machine=q35 dir="$SHARES/v"; else machine=pc dir="$SHARES/p"; fi
  expect_ok "$vm: create a $machine VM with a qcow2 disk" create "$vm" --disk-size 1 --memory 128 \
    --machine "$machine" --kernel "$GUEST_DIR/vmlinuz" --initrd "$GUEST_DIR/initrd.img" \
    --cmdline "console=ttyS0 quiet"
  expect_ok "$vm: share a folder" share "$vm" add "$dir" --name data
  expect_ok "$vm: start" start "$vm"
done
check "the q35 VM shares over virtiofs" \
  bash -c "[ -z '$VIRTIOFSD' ] || [ \"\$('$CTL' show vfs --json | python3 -c 'import json,sys; print(json.load(sys.stdin)[\"active_share_transport\"])')\" = virtiofs ]"

for vm in "${VMS[@]}"; do
  if [ "$vm" = vfs ]; then word=virtiofs dir="$SHARES/v"; else word=ninep dir="$SHARES/p"; fi
  check "$vm: the agent connects" wait_until $BOOT_WAIT agent_connected "$vm"
  check "$vm: the share is mounted" wait_until 60 mounted "$vm"
  check "$vm: the guest reads a file of the share" guest_reads "$vm" hello.txt "$word-before"

  if [ "$vm" = ninep ]; then
    # A program in the guest keeps the 9p mount busy (the console shell's working directory):
    # the agent's unmount cannot free it, QEMU still blocks, the take is refused naming the
    # share, and the share comes back once the guest lets go.
    guest ninep 'cd /media/hostvisor/data' >/dev/null
    "$CTL" snapshot ninep take busy >"$HV_TMP/busy.out" 2>&1 &
    BUSY=$!
    wait_until 60 bash -c "grep -q 'shared folders out of the guest for the snapshot' \"\$1\"" _ \
      "$(vm_field ninep directory)/logs/vm.log"
    guest ninep 'cd /' >/dev/null
    wait "$BUSY"
    check "ninep: a share kept busy in the guest: the take is refused, naming it" \
      grep -q 'shared folder "data" is still in use in the guest.*--disk-only' "$HV_TMP/busy.out"
    check "ninep: …no snapshot was taken" test -z "$(snap_id ninep busy)"
    check "ninep: …the share is mounted again" wait_until 60 mounted ninep
    check "ninep: …and the guest reads it" guest_reads ninep hello.txt "ninep-before"
  fi

  # A live snapshot: the share leaves the guest for it and comes back.
  expect_ok "$vm: a live snapshot with the share mounted works" snapshot "$vm" take with-share
  run_ctl snapshot "$vm" list --json
  check "$vm: …it is a live one" python3 -c '
import json, sys
s = [s for s in json.loads(sys.argv[1])["snapshots"] if s["name"] == "with-share"]
sys.exit(0 if s and s[0]["kind"] == "live" else 1)' "$OUT"
  check "$vm: …the agent unmounted the share for it" bash -c "grep -q 'guest tools unmounted the shared folders' <<<\"\$1\"" _ "$(vm_log "$vm")"
  check "$vm: …and mounted it again afterwards" bash -c "grep -q 'guest mounted the shared folders again' <<<\"\$1\"" _ "$(vm_log "$vm")"
  check "$vm: the share is reported mounted" mounted "$vm"
  echo "$word-after" >"$dir/after.txt"
  check "$vm: the guest reads a file written after the snapshot" guest_reads "$vm" after.txt "$word-after"
  SNAP=$(snap_id "$vm" with-share)
  if [ "$vm" = vfs ]; then
    check "vfs: the snapshot records that the share devices were unplugged" \
      grep -q 'shares-unplugged="yes"' "$(vm_field vfs directory)/snapshots/$SNAP/snapshot.xml"
    check "vfs: the config still has the share" test "$(vm_field vfs shares.0.name)" = data
  fi

  # Restore it: the guest runs from the snapshot and gets its share back.
  expect_ok "$vm: restore the live snapshot" snapshot "$vm" restore with-share --force
  check "$vm: …the VM runs" state_is "$vm" running
  check "$vm: …the agent is back" wait_until 60 agent_connected "$vm"
  check "$vm: …the share is mounted again" wait_until 90 mounted "$vm"
  check "$vm: …and the guest reads it" wait_until 30 guest_reads "$vm" after.txt "$word-after"
  check "$vm: …through a new QEMU that the guest tools remounted in" \
    bash -c "grep -q 'snapshot-restore: new QEMU' <<<\"\$1\"" _ "$(vm_log "$vm")"
done

# The engine killed while the share is out of the guest: the next engine plugs it back.
vm=${VMS[0]}
kill_engine () {
  local pid
  pid=$(engine_pid)
  [ -n "$pid" ] || return 0
  kill -KILL "$pid"
  wait_until 10 bash -c "! kill -0 $pid"
}
kill_engine
# An engine with the crash point set (it inherits the environment of the command that starts
# it) takes the VM over; once its agent is back, the take parks the share and dies.
HOSTVISOR_CRASH_AT=snapshot:shares-parked "$CTL" list >/dev/null 2>&1
check "$vm: the agent connects to the engine with the crash point" wait_until 60 agent_connected "$vm"
wait_until 60 mounted "$vm"
"$CTL" snapshot "$vm" take crashed >/dev/null 2>&1
check "$vm: the engine died with the share out of the guest" \
  grep -q "crashpoint snapshot:shares-parked: killing" "$XDG_RUNTIME_DIR/hostvisor/engine.log"
kill_engine
"$CTL" list >/dev/null 2>&1   # a new engine takes the VM over
check "$vm: …the VM still runs" state_is "$vm" running
check "$vm: …no snapshot 'crashed'" test -z "$(snap_id "$vm" crashed)"
check "$vm: …the config still has the share" test "$(vm_field "$vm" shares.0.name)" = data
check "$vm: …the next engine brings the share back, mounted" wait_until 90 mounted "$vm"
check "$vm: …and the guest reads it" guest_reads "$vm" after.txt "after"

# The engine killed while the restore's QEMU waits to load the state (before `cont`): the next
# engine loads it, continues it, and plugs the share back.
kill_engine
HOSTVISOR_CRASH_AT=start:qmp-connected "$CTL" list >/dev/null 2>&1
"$CTL" snapshot "$vm" restore with-share --force >/dev/null 2>&1
check "$vm: the engine died before the restored state was loaded" \
  grep -q "crashpoint start:qmp-connected: killing" "$XDG_RUNTIME_DIR/hostvisor/engine.log"
kill_engine
"$CTL" list >/dev/null 2>&1
check "$vm: …the next engine loads it and the VM runs" wait_until 60 state_is "$vm" running
check "$vm: …the share is plugged back and mounted" wait_until 90 mounted "$vm"
check "$vm: …and the guest reads it" guest_reads "$vm" after.txt "after"

# Save state with the share in use, then start: the share comes back (virtiofs: re-plugged).
vm=${VMS[0]}
expect_ok "$vm: save the state with the share mounted" save-state "$vm"
check "$vm: …the VM is off with a saved state" state_is "$vm" poweroff
expect_ok "$vm: start from the saved state" start "$vm"
check "$vm: …the agent is back" wait_until 60 agent_connected "$vm"
check "$vm: …the share is mounted again" wait_until 90 mounted "$vm"
check "$vm: …and the guest reads it" guest_reads "$vm" hello.txt "before"
check "$vm: …no marker of the saved state is left" \
  test ! -e "$(vm_field "$vm" directory)/snapshots/saved-state-unplugged"

for vm in "${VMS[@]}"; do
  expect_ok "$vm: power off" poweroff "$vm"
done
finish
