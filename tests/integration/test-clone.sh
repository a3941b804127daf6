#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-3.0-or-later
# Clones (docs/clones.md) with the tiny guest on TCG: a full clone boots and survives deleting
# its source; linked clones from a snapshot boot, write to their disk and leave the source's
# disk and the base untouched, share one base, and the base goes with the last of them;
# new UUID and MACs (--keep-macs keeps them); a snapshot of a running VM; a failed clone
# leaves nothing; a backing file that the engine did not set is refused, in a config and in an
# image header.
#
# The snapshots are the engine's (hostvisorctl snapshot), except for a UEFI VM without disks,
# whose snapshot directory (vm.xml, nvram.fd) is written by hand.
source "$(dirname "$0")/lib.sh"

BOOT_WAIT=180
# Copies at 200 MB/s at most (the engine this test starts inherits it): the clone of the
# bigger disk below lasts a few seconds, long enough to look at it while it runs.
export HOSTVISOR_CLONE_RATE_LIMIT=200M

if ! tiny_guest; then
  not_ok "build the tiny guest"
  finish
  exit 1
fi
ok "build the tiny guest"

# The guest prints the first 16 bytes of its disk, writes its own, and powers off.
SNIPPET='m=$(dd if=/dev/vda bs=16 count=1 2>/dev/null); echo "HOSTVISOR-GUEST: disk=$m";
printf "HV-MARK-WRITTEN\n" | dd of=/dev/vda bs=16 count=1 conv=notrunc 2>/dev/null; sync'
CMDLINE="console=ttyS0 quiet hv.poweroff=1 hv.run64=$(printf '%s' "$SNIPPET" | base64 -w0)"

# mark FILE TEXT: TEXT (15 characters and a newline) at the start of the qcow2 image FILE.
mark () {
  printf '%s\n' "$2" >"$HV_TMP/mark"
  qemu-io -f qcow2 -c "write -s $HV_TMP/mark 0 16" "$1" >/dev/null
}
sum () { sha256sum "$1" | cut -d' ' -f1; }
vm_dir () { vm_field "$1" directory; }

# boot_reads VM TEXT: the VM boots, its guest reads TEXT from its disk and powers off.
boot_reads () {
  expect_ok "$1: start" start "$1"
  check "$1: the guest reads \"$2\" from its disk" wait_until $BOOT_WAIT log_has "$1" "disk=$2"
  check "$1: the guest powers off after writing" wait_until 60 state_is "$1" poweroff
}

SRC_DISK="$HV_TMP/src.qcow2"
qemu-img create -q -f qcow2 "$SRC_DISK" 64M
mark "$SRC_DISK" HV-MARK-ORIGINL
expect_ok "create the source VM" create src --disk "$SRC_DISK" --disk-format qcow2 --os debian12 \
  --memory 256 --cpus 1 --kernel "$KERNEL" --initrd "$INITRD" --cmdline "$CMDLINE"
SRC_DIR=$(vm_dir src)
SRC_UUID=$(vm_field src uuid)
SRC_MAC=$(vm_field src nics.0.mac)

# --- a full clone of the current state
expect_ok "full clone of the powered-off VM" clone src full1 --folder Lab/Clones
FULL_UUID=$OUT
check "the clone has a new UUID" test -n "$FULL_UUID" -a "$FULL_UUID" != "$SRC_UUID"
check "the clone has a new MAC" test "$(vm_field full1 nics.0.mac)" != "$SRC_MAC"
check "the clone is in the folder asked for" test "$(vm_field full1 folder)" = Lab/Clones
FULL_DIR=$(vm_dir full1)
check "its disk is a copy in its own directory" test "$(vm_field full1 drives.0.path)" = "$FULL_DIR/disk0.qcow2"
check "…with no backing file" bash -c "! qemu-img info -f qcow2 '$FULL_DIR/disk0.qcow2' | grep -q backing"
check "…and no snapshots" bash -c "out=\$(qemu-img snapshot -l '$FULL_DIR/disk0.qcow2') && [ -z \"\$out\" ]"
expect_ok "--keep-macs keeps the MAC addresses" clone src km --keep-macs
check "…the same MAC" test "$(vm_field km nics.0.mac)" = "$SRC_MAC"
expect_ok "delete that clone" delete km
expect_fail "a clone's name must be free" "already exists" clone src full1
check "a refused clone leaves no directory" bash -c "! ls -a '$LIBRARY/vms' | grep -q '^\.new-'"

# --- the operation: Operation "clone" and its progress on the source, from a D-Bus client
BIG="$HV_TMP/big.qcow2"
qemu-img create -q -f qcow2 "$BIG" 1G
qemu-io -f qcow2 -c "write -P 0x5a 0 600M" "$BIG" >/dev/null
expect_ok "a VM with a bigger disk" create big --disk "$BIG" --disk-format qcow2
if /usr/bin/python3 -c 'from gi.repository import Gio' 2>/dev/null; then
  cat >"$HV_TMP/watch.py" <<'PY'
import os, sys, time
from gi.repository import Gio, GLib
address, path, stop = sys.argv[1:4]
conn = Gio.DBusConnection.new_for_address_sync(
    address, Gio.DBusConnectionFlags.AUTHENTICATION_CLIENT, None, None)
last = None
deadline = time.time() + 120
while time.time() < deadline and not os.path.exists(stop):
    reply = conn.call_sync(None, path, "org.freedesktop.DBus.Properties", "GetAll",
                           GLib.Variant("(s)", ("io.github.hostvisor.Vm",)), None, 0, -1, None)
    props = reply.unpack()[0]
    now = (props["Operation"] or "-", round(props["OperationProgress"], 3))
    if now != last:
        print(*now, flush=True)
        last = now
    time.sleep(0.02)
PY
  /usr/bin/python3 "$HV_TMP/watch.py" "unix:path=$XDG_RUNTIME_DIR/hostvisor/engine.sock" \
    "/io/github/hostvisor/vm/$(vm_field big uuid | tr - _)" "$HV_TMP/stop" >"$HV_TMP/watch.log" 2>&1 &
  WATCH=$!
  sleep 1
  "$CTL" clone big big2 >"$HV_TMP/clone.out" 2>&1 &
  CLONE=$!
  # While it copies, the source neither starts nor goes, and takes no second clone.
  if wait_until 20 grep -q '^clone ' "$HV_TMP/watch.log"; then
    expect_fail "Start waits for the clone" "busy" start big
    expect_fail "Delete waits for the clone" "busy" delete big
    expect_fail "a second clone waits" "busy" clone big big9
  else
    not_ok "the clone shows in Operation"
  fi
  wait $CLONE
  check "clone it" test $? = 0
  diag "$(cat "$HV_TMP/clone.out")"
  check "after the reply no operation is left" bash -c "sleep 0.3; tail -n 1 '$HV_TMP/watch.log' | grep -q '^- '"
  touch "$HV_TMP/stop"
  wait $WATCH
  check "Operation was \"clone\" during the clone" grep -q '^clone ' "$HV_TMP/watch.log"
  # (1 itself lasts only until the reply: a poll may miss it)
  check "OperationProgress went up through values between 0 and 1, to the end" \
    awk '$1 == "clone" { if ($2 < last) bad = 1; last = $2; if ($2 > 0 && $2 < 0.9) mid = 1; if ($2 >= 0.9) end = 1 }
         END { exit !(mid && end && !bad) }' "$HV_TMP/watch.log"
  diag "$(tr '\n' ' ' <"$HV_TMP/watch.log" | cut -c 1-300)"
  expect_ok "delete the big clone" delete big2
else
  ok "# SKIP no python3-gi for the D-Bus client that watches the progress"
fi

# On a terminal hostvisorctl shows the progress on stderr, then the UUID.
if command -v script >/dev/null; then
  script -qec "'$CTL' clone big big4" /dev/null >"$HV_TMP/tty.out" 2>&1
  check "on a terminal: progress while cloning" grep -q 'Cloning… *[0-9]*%' "$HV_TMP/tty.out"
  check "…then the new VM's UUID" test "$(grep -oE '[0-9a-f-]{36}' "$HV_TMP/tty.out" | tail -n 1)" = "$(vm_field big4 uuid)"
  expect_ok "delete that clone" delete big4
else
  ok "# SKIP no script(1) for a terminal"
fi

# --- the engine killed during a linked clone: the next engine finds nothing of it
"$CTL" clone big big3 --linked >/dev/null 2>&1 &
CLONE=$!
check "the base export begins" wait_until 20 bash -c "ls -a '$LIBRARY/bases' 2>/dev/null | grep -q '^\.new-'"
kill -KILL "$(engine_pid)"
wait $CLONE
check "its qemu-img dies with the engine" wait_until 10 bash -c "! pgrep -f -- '[q]emu-img convert.*$LIBRARY/bases'"
expect_ok "a new engine starts" list
check "…no half-made VM is left" bash -c "! ls -a '$LIBRARY/vms' | grep -q '^\.new-'"
check "…no base is left" test -z "$(ls -A "$LIBRARY/bases")"
check "…and no such VM" bash -c "! '$CTL' show big3 >/dev/null 2>&1"
expect_ok "delete the big VM" delete big

# --- a snapshot (the engine's: powered off, disks only), then the current state moves on
expect_ok "take a snapshot" snapshot src take Before
SNAP=$OUT
check "the snapshot's tag is on the disk" bash -c "qemu-img snapshot -l '$SRC_DISK' | grep -q 'hv-$SNAP'"
mark "$SRC_DISK" HV-MARK-CURRENT
SRC_SUM=$(sum "$SRC_DISK")

expect_fail "an unknown snapshot is refused" "has no snapshot" \
  clone src nosnap --snapshot 00000000-0000-4000-8000-000000000000
expect_ok "linked clone from the snapshot, named by its name" clone src lnk --snapshot Before --linked
LNK_DIR=$(vm_dir lnk)
BASE=$(vm_field lnk drives.0.backing)
check "its disk names a base in the library's bases/" test "$(dirname "$BASE")" = "$LIBRARY/bases"
check "the base is read-only" test "$(stat -c %a "$BASE")" = 444
check "the overlay's header names the base" bash -c "qemu-img info -f qcow2 '$LNK_DIR/disk0.qcow2' | grep -qF '$BASE'"
check "new UUID and MAC for the linked clone" test "$(vm_field lnk uuid)" != "$SRC_UUID" -a "$(vm_field lnk nics.0.mac)" != "$SRC_MAC"
BASE_SUM=$(sum "$BASE")
boot_reads lnk HV-MARK-ORIGINL
check "the linked clone's disk holds what its guest wrote" bash -c "qemu-io -r -c 'read -v 0 16' 'json:{\"driver\":\"qcow2\",\"file\":{\"driver\":\"file\",\"filename\":\"$LNK_DIR/disk0.qcow2\"},\"backing\":{\"driver\":\"qcow2\",\"file\":{\"driver\":\"file\",\"filename\":\"$BASE\"},\"backing\":null}}' | head -n1 | grep -q 'HV.MARK.WRITTEN'"
check "the base is untouched" test "$(sum "$BASE")" = "$BASE_SUM"
check "the source's disk is untouched" test "$(sum "$SRC_DISK")" = "$SRC_SUM"

expect_ok "a second linked clone from the same snapshot, by its id" clone src lnk2 --snapshot "$SNAP" --linked
check "…shares the base" test "$(vm_field lnk2 drives.0.backing)" = "$BASE"
check "…one base in bases/" test "$(ls "$LIBRARY/bases" | grep -c '\.qcow2$')" = 1

# --- clones of a linked clone read through its base, and get their own state
expect_ok "a full clone of a linked clone" clone lnk2 flat
check "…is a whole image without a backing file" bash -c "! qemu-img info -f qcow2 '$(vm_dir flat)/disk0.qcow2' | grep -q backing"
check "…with the data of the base" bash -c "qemu-io -r -f qcow2 -c 'read -v 0 16' '$(vm_dir flat)/disk0.qcow2' | head -n1 | grep -q HV.MARK.ORIGINL"
expect_ok "a linked clone of a linked clone" clone lnk2 lnk3 --linked
LNK3_BASE=$(vm_field lnk3 drives.0.backing)
check "…gets a base of its own (no chains)" test -n "$LNK3_BASE" -a "$LNK3_BASE" != "$BASE"
check "…whose image has no backing file" bash -c "! qemu-img info -f qcow2 '$LNK3_BASE' | grep -q backing"
expect_ok "delete both" delete flat
expect_ok "…" delete lnk3
check "the second base went with its only clone" test ! -e "$LNK3_BASE"
check "the shared one stays" test -f "$BASE"

# --- UEFI variables: those of the state cloned
if "$CTL" create efi --firmware uefi --no-disk --memory 256 >/dev/null 2>&1; then
  ok "a UEFI VM"
  EFI_DIR=$(vm_dir efi)
  head -c 540672 /dev/urandom >"$EFI_DIR/nvram.fd"
  ESNAP=$(cat /proc/sys/kernel/random/uuid)
  mkdir -p "$EFI_DIR/snapshots/$ESNAP"
  cp "$EFI_DIR/vm.xml" "$EFI_DIR/snapshots/$ESNAP/vm.xml"
  head -c 540672 /dev/urandom >"$EFI_DIR/snapshots/$ESNAP/nvram.fd"
  expect_ok "clone its current state" clone efi efi1
  check "…with the VM's variables" test "$(sum "$(vm_dir efi1)/nvram.fd")" = "$(sum "$EFI_DIR/nvram.fd")"
  expect_ok "clone its snapshot" clone efi efi2 --snapshot "$ESNAP"
  check "…with the snapshot's variables" test "$(sum "$(vm_dir efi2)/nvram.fd")" = "$(sum "$EFI_DIR/snapshots/$ESNAP/nvram.fd")"
  check "…and no snapshots of its own" test ! -e "$(vm_dir efi2)/snapshots"
  for vm in efi efi1 efi2; do "$CTL" delete "$vm" >/dev/null 2>&1; done
else
  ok "# SKIP no UEFI firmware (OVMF) here"
fi

# --- a name two snapshots have is not enough
expect_ok "another snapshot of the same name" snapshot src take Before
SNAP2=$OUT
expect_fail "a name two snapshots have is refused, with their ids" "2 snapshots are named \"Before\".*$SNAP2" \
  clone src twice --snapshot Before
expect_ok "delete that snapshot" snapshot src delete "$SNAP2"

# --- a failed clone leaves nothing behind: a snapshot whose tag went missing from the disk
expect_ok "a snapshot to break" snapshot src take Broken
BAD=$OUT
qemu-img snapshot -d "hv-$BAD" "$SRC_DISK"
expect_fail "a snapshot without its disk tag fails" "qemu-img convert failed" \
  clone src broken --snapshot Broken --linked
check "…leaving no VM directory" bash -c "! ls -a '$LIBRARY/vms' | grep -q '^\.new-'"
check "…and no base" test "$(ls -a "$LIBRARY/bases" | grep -c '\.qcow2$')" = 1
check "…nor a half-made one" bash -c "! ls -a '$LIBRARY/bases' | grep -q '^\.new-'"
check "…and no VM" bash -c "! '$CTL' show broken >/dev/null 2>&1"
"$CTL" snapshot src delete "$BAD" >/dev/null 2>&1

# --- while the source runs: its snapshot can be cloned (read with -U), its current state not
expect_ok "the source's guest keeps running" modify src --cmdline "console=ttyS0 quiet"
expect_ok "start the source" start src
check "the source runs" wait_until 60 state_is src running
expect_fail "the current state of a running VM is refused" "is running: power it off" clone src live
expect_ok "a full clone from a snapshot of the running VM" clone src fromrun --snapshot "$SNAP"
check "…holds the snapshot's data" bash -c "qemu-io -r -f qcow2 -c 'read -v 0 16' '$(vm_dir fromrun)/disk0.qcow2' | head -n1 | grep -q HV.MARK.ORIGINL"
expect_ok "a live snapshot of the running VM" snapshot src take Live
expect_ok "a linked clone of it while the VM runs" clone src fromlive --snapshot Live --linked
check "…holds the disk as it was then" bash -c "qemu-io -r -f qcow2 -c 'read -v 0 16' '$(vm_field fromlive drives.0.backing)' | head -n1 | grep -q HV.MARK.CURRENT"
check "…and boots afresh (no saved RAM state, no snapshots)" \
  test "$(vm_field fromlive saved-state)" = False -a ! -e "$(vm_dir fromlive)/snapshots"
expect_ok "power the source off" poweroff src
wait_until 30 state_is src poweroff
expect_ok "delete those clones" delete fromrun
expect_ok "…" delete fromlive

# --- deleting: the source of a linked clone goes, the base stays while a clone names it
expect_ok "delete the source VM" delete src
check "the base stays for its clones" test -f "$BASE"
boot_reads full1 HV-MARK-ORIGINL
expect_ok "delete the first linked clone" delete lnk
check "the base stays for the second" test -f "$BASE"
check "the second still reads through it" bash -c "qemu-io -r -c 'read -v 0 16' 'json:{\"driver\":\"qcow2\",\"file\":{\"driver\":\"file\",\"filename\":\"$(vm_dir lnk2)/disk0.qcow2\"},\"backing\":{\"driver\":\"qcow2\",\"file\":{\"driver\":\"file\",\"filename\":\"$BASE\"},\"backing\":null}}' | head -n1 | grep -q HV.MARK.ORIGINL"
expect_ok "delete the last linked clone" delete lnk2
check "the base went with the last clone" test ! -e "$BASE"
check "…and nothing else is left in bases/" test -z "$(ls -A "$LIBRARY/bases")"

# --- a backing file that the engine did not set
HOSTILE="$HV_TMP/hostile.qcow2"
qemu-img create -q -f qcow2 -u -b /etc/passwd -F raw "$HOSTILE" 64M
expect_ok "a VM with a disk whose header names a backing file" create hostile --disk "$HOSTILE" \
  --disk-format qcow2
expect_fail "cloning it is refused" "names a backing file .*/etc/passwd.* that Hostvisor did not set" \
  clone hostile hostile2
expect_fail "…linked too" "names a backing file" clone hostile hostile3 --linked
check "…nothing is left" bash -c "! ls -a '$LIBRARY/vms' | grep -q '^\.new-'"

# A config edited by hand to name a backing image: the VM is not usable, with the reason.
FULL_UUID=$(vm_field full1 uuid)
sed -i "s|format=\"qcow2\" path=\"disk0.qcow2\"|format=\"qcow2\" path=\"disk0.qcow2\" backing=\"/etc/passwd\"|" \
  "$FULL_DIR/vm.xml"
check "the hand edit is in place" grep -q 'backing="/etc/passwd"' "$FULL_DIR/vm.xml"
pid=$(engine_pid)
[ -n "$pid" ] && kill -TERM "$pid"
wait_until 30 bash -c "[ -z \"\$(fuser '$XDG_RUNTIME_DIR/hostvisor/engine.lock' 2>/dev/null)\" ]"
check "after a restart the hand-edited VM is inaccessible" test "$(vm_field "$FULL_UUID" state)" = inaccessible
check "…saying the backing was not made by Hostvisor" bash -c "'$CTL' show '$FULL_UUID' --json | grep -q 'not made by Hostvisor'"
expect_fail "…and it does not start" "cannot be started: .*not made by Hostvisor" start "$FULL_UUID"

finish
