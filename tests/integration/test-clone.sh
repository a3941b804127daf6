#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-3.0-or-later
# Clones (docs/clones.md) with the tiny guest on TCG: a full clone boots and survives deleting
# its source; linked clones from a snapshot boot, write to their disk and leave the source's
# disk and the base untouched, share one base, and the base goes with the last of them;
# new UUID and MACs (--keep-macs keeps them); a snapshot of a running VM; a failed clone
# leaves nothing; a backing file that the engine did not set is refused, in a config and in an
# image header.
#
# Until branch snap lands, the snapshot is made by hand as the engine will make it: the
# qcow2 tag hv-<id> on the powered-off disk and snapshots/<id>/vm.xml, a copy of vm.xml.
source "$(dirname "$0")/lib.sh"

BOOT_WAIT=180

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

# --- a snapshot, made as the engine makes it, then the current state moves on
SNAP=$(cat /proc/sys/kernel/random/uuid)
qemu-img snapshot -c "hv-$SNAP" "$SRC_DISK"
check "the snapshot's tag is on the disk" bash -c "qemu-img snapshot -l '$SRC_DISK' | grep -q 'hv-$SNAP'"
mkdir -p "$SRC_DIR/snapshots/$SNAP"
cp "$SRC_DIR/vm.xml" "$SRC_DIR/snapshots/$SNAP/vm.xml"
mark "$SRC_DISK" HV-MARK-CURRENT
SRC_SUM=$(sum "$SRC_DISK")

expect_fail "an unknown snapshot is refused" "has no snapshot" \
  clone src nosnap --snapshot 00000000-0000-4000-8000-000000000000
expect_ok "linked clone from the snapshot" clone src lnk --snapshot "$SNAP" --linked
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

expect_ok "a second linked clone from the same snapshot" clone src lnk2 --snapshot "$SNAP" --linked
check "…shares the base" test "$(vm_field lnk2 drives.0.backing)" = "$BASE"
check "…one base in bases/" test "$(ls "$LIBRARY/bases" | grep -c '\.qcow2$')" = 1

# --- a failed clone leaves nothing behind: a snapshot whose tag is missing from the disk
BAD=$(cat /proc/sys/kernel/random/uuid)
mkdir -p "$SRC_DIR/snapshots/$BAD"
cp "$SRC_DIR/vm.xml" "$SRC_DIR/snapshots/$BAD/vm.xml"
expect_fail "a snapshot without its disk tag fails" "qemu-img convert failed" \
  clone src broken --snapshot "$BAD" --linked
check "…leaving no VM directory" bash -c "! ls -a '$LIBRARY/vms' | grep -q '^\.new-'"
check "…and no base" test "$(ls -a "$LIBRARY/bases" | grep -c '\.qcow2$')" = 1
check "…nor a half-made one" bash -c "! ls -a '$LIBRARY/bases' | grep -q '^\.new-'"
check "…and no VM" bash -c "! '$CTL' show broken >/dev/null 2>&1"
rm -r "${SRC_DIR:?}/snapshots/$BAD"

# --- while the source runs: its snapshot can be cloned (read with -U), its current state not
expect_ok "start the source" start src
check "the source runs" wait_until 60 state_is src running
expect_fail "the current state of a running VM is refused" "is running: power it off" clone src live
expect_ok "a full clone from a snapshot of the running VM" clone src fromrun --snapshot "$SNAP"
check "…holds the snapshot's data" bash -c "qemu-io -r -f qcow2 -c 'read -v 0 16' '$(vm_dir fromrun)/disk0.qcow2' | head -n1 | grep -q HV.MARK.ORIGINL"
expect_ok "power the source off" poweroff src
wait_until 30 state_is src poweroff
expect_ok "delete that clone" delete fromrun

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
