#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-3.0-or-later
# Snapshots and the saved state (docs/snapshots.md) with the tiny guest of tests/guest on TCG,
# whose heartbeat ("HOSTVISOR-GUEST: alive N", every 2 s) is the counter: a live snapshot taken
# at N and restored goes on from N, BIOS and UEFI (the VARS file back to its snapshot bytes),
# into the running QEMU (in-process) when the config is the snapshot's, else through a new one
# (the memory changed since the take); a snapshot and a saved state of a paused VM come back
# paused;
# disk-only snapshots with qemu-io patterns; a tree with a branch where the middle snapshot is
# deleted and every other one restores exactly; save state and resume, discard and boot afresh;
# the engine SIGKILLed at its crash points during take, restore and delete, after which the
# metadata and the qcow2 tags agree; a full disk (a small tmpfs library, as root) during a take.
# Two guests run at once; the disk-only parts need no guest at all.
source "$(dirname "$0")/lib.sh"
# The small tmpfs below goes with the temporary directory, whatever happens.
trap 'cleanup; if [ -n "${SMALL:-}" ]; then umount -l "$SMALL" 2>/dev/null; rm -rf "$HV_TMP"; fi' EXIT

BOOT_WAIT=180

if ! tiny_guest; then
  not_ok "build the tiny guest"
  finish
  exit 1
fi
ok "build the tiny guest"

CMDLINE="console=ttyS0 quiet hv.heartbeat=1"

# qemu-io / qemu-img on an image without probing or opening a backing file.
spec () {
  python3 -c 'import json,sys; print("json:" + json.dumps({"driver": "qcow2",
    "file": {"driver": "file", "filename": sys.argv[1]}, "backing": None}))' "$1"
}
write_pattern () { qemu-io -c "write -P $2 0 64k" "$(spec "$1")" >/dev/null; }
has_pattern () { qemu-io -c "read -P $2 0 64k" "$(spec "$1")" 2>&1 | grep -q "read 65536"; }
lacks_pattern () { ! has_pattern "$@"; }
tags_of () { qemu-img info -U -f qcow2 --output=json "$1" |
  python3 -c 'import json,sys; print(" ".join(sorted(s["name"] for s in json.load(sys.stdin).get("snapshots", []))))'; }
disk_of () { run_ctl show "$1" --json && json_get drives.0.path; }
# snap_id VM NAME
snap_id () { run_ctl snapshot "$1" list --json && python3 -c '
import json, sys
d = json.loads(sys.argv[1])
print(" ".join(s["id"] for s in d["snapshots"] if s["name"] == sys.argv[2]))' "$OUT" "$2"; }
snap_field () { run_ctl snapshot "$1" list --json && python3 -c '
import json, sys
d = json.loads(sys.argv[1])
for s in d["snapshots"]:
    if s["id"] == sys.argv[2] or s["name"] == sys.argv[2]:
        v = s[sys.argv[3]]
        print("" if v is None else v)' "$OUT" "$2" "$3"; }
current_of () { run_ctl snapshot "$1" list --json && json_get current; }
# consistent VM: every snapshot's tag is on the disk, every hv- tag on the disk has a snapshot
# (or is the saved state), no staging folder is left, no operation marker.
consistent () {
  local vm=$1 disk dir ids tags
  disk=$(disk_of "$vm") dir=$(vm_field "$vm" directory)
  run_ctl snapshot "$vm" list --json
  ids=$(python3 -c 'import json,sys; print(" ".join(sorted("hv-" + s["id"] for s in json.loads(sys.argv[1])["snapshots"])))' "$OUT")
  tags=$(tags_of "$disk" | tr ' ' '\n' | grep '^hv-' | grep -v '^hv-saved-state$' | sort | tr '\n' ' ' | sed 's/ $//')
  if [ "$ids" != "$tags" ]; then diag "metadata: $ids / disk: $tags"; return 1; fi
  if ls -d "$dir"/snapshots/.new-* "$dir"/snapshots/.del-* >/dev/null 2>&1; then
    diag "staging left: $(ls -a "$dir/snapshots")"; return 1
  fi
  ! grep -q '^operation=' "$dir/snapshots/state" 2>/dev/null
}
last_alive () { "$CTL" log "$1" 2>/dev/null | grep -o 'HOSTVISOR-GUEST: alive [0-9]*' | tail -n 1 | grep -o '[0-9]*$'; }
alive_lines () { "$CTL" log "$1" 2>/dev/null | grep -c 'HOSTVISOR-GUEST: alive'; }
# The lowest heartbeat printed after line count $2 (a line the guest printed while the restore
# was asked for comes before the rewound ones).
alive_min_after () { "$CTL" log "$1" 2>/dev/null | grep -o 'HOSTVISOR-GUEST: alive [0-9]*' |
  sed -n "$(($2 + 1)),\$p" | grep -o '[0-9]*$' | sort -n | head -n 1; }
# The first heartbeat printed after line count $2.
alive_after () { "$CTL" log "$1" 2>/dev/null | grep -o 'HOSTVISOR-GUEST: alive [0-9]*' |
  sed -n "$(($2 + 1))p" | grep -o '[0-9]*$'; }
# vm_log_count VM TEXT: how many lines of the engine's log of the VM (logs/vm.log) have TEXT.
vm_log_count () { grep -cF -- "$2" "$(vm_field "$1" directory)/logs/vm.log" 2>/dev/null; }
kill_engine () {
  local pid
  pid=$(engine_pid)
  [ -n "$pid" ] || return 0
  kill -KILL "$pid"
  wait_until 10 bash -c "! kill -0 $pid"
}

# --- two guests boot while the disk-only parts run ------------------------------------------
expect_ok "create a BIOS VM with a qcow2 disk" create live --disk-size 1 --memory 128 \
  --kernel "$KERNEL" --initrd "$INITRD" --cmdline "$CMDLINE"
# OVMF needs more than 128 MiB to boot a kernel.
expect_ok "create a UEFI VM" create uefi --disk-size 1 --memory 256 --firmware uefi \
  --machine q35 --kernel "$KERNEL" --initrd "$INITRD" --cmdline "$CMDLINE"
expect_ok "create a VM for disk-only snapshots" create tree --disk-size 1 --memory 64
# A full disk during a take: the third guest's disk is on a small tmpfs (mounting needs root).
FULL=""
if [ "$(id -u)" = 0 ]; then
  SMALL="$HV_TMP/small"
  mkdir -p "$SMALL"
  if mount -t tmpfs -o size=40m tmpfs "$SMALL"; then
    FULL=1
    qemu-img create -q -f qcow2 "$SMALL/full.qcow2" 1G
    expect_ok "create a VM whose disk is on a 40 MiB tmpfs" create full --disk "$SMALL/full.qcow2" \
      --disk-format qcow2 --memory 128 --kernel "$KERNEL" --initrd "$INITRD" --cmdline "$CMDLINE"
    expect_ok "…a disk-only snapshot of it fits" snapshot full take small
    expect_ok "start it" start full
  fi
fi
expect_ok "start the BIOS VM" start live
expect_ok "start the UEFI VM" start uefi

# --- disk-only, powered off: a marker comes back --------------------------------------------
DISK=$(disk_of tree)
check "the disk is a qcow2 in the VM's folder" test -f "$DISK"
write_pattern "$DISK" 0x11
expect_ok "take a disk-only snapshot of a powered-off VM" snapshot tree take one --description "pattern 11"
ID1=$(snap_id tree one)
check "…it has an id" test -n "$ID1"
check "…its kind is disk" test "$(snap_field tree one kind)" = disk
check "…the disk holds its tag hv-<id>" grep -qw "hv-$ID1" <<<"$(tags_of "$DISK")"
DIR=$(vm_field tree directory)
check "…snapshot.xml and vm.xml are in snapshots/<id>/" test -f "$DIR/snapshots/$ID1/snapshot.xml" -a -f "$DIR/snapshots/$ID1/vm.xml"
check "…snapshot.xml matches its schema" xmllint --noout --relaxng "$HV_SRCDIR/resources/hostvisor-snapshot.rng" "$DIR/snapshots/$ID1/snapshot.xml"
check "…and it is current" test -n "$ID1" -a "$(current_of tree)" = "$ID1"
write_pattern "$DISK" 0x22
expect_ok "restore it" snapshot tree restore one
check "the marker is back" has_pattern "$DISK" 0x11
check "…and not the later one" lacks_pattern "$DISK" 0x22
expect_ok "edit its name and description" snapshot tree edit one --name "One" --description "first"
check "…the new name shows" test "$(snap_field tree "$ID1" name)" = One
check "…and the description" test "$(snap_field tree "$ID1" description)" = first
expect_fail "a name with a newline is refused" "control" snapshot tree edit One --name $'a\nb'
expect_fail "an unknown snapshot is refused" "no snapshot" snapshot tree restore nope

# --- a tree: one ─ two ─ three, one ─ four; delete two; every other one restores -------------
write_pattern "$DISK" 0x22
expect_ok "take two (under one)" snapshot tree take two
write_pattern "$DISK" 0x33
expect_ok "take three (under two)" snapshot tree take three
expect_ok "restore one" snapshot tree restore One
write_pattern "$DISK" 0x44
expect_ok "take four: a branch under one" snapshot tree take four
ID2=$(snap_id tree two) ID3=$(snap_id tree three) ID4=$(snap_id tree four)
check "two's parent is one" test -n "$ID2" -a "$(snap_field tree two parent)" = "$ID1"
check "four's parent is one (a branch)" test "$(snap_field tree four parent)" = "$ID1"
run_ctl snapshot tree list
check "list shows the tree, current state under four" python3 -c '
import sys
lines = sys.argv[1].splitlines()
names = [l.strip().split("  ")[0] for l in lines]
indent = [len(l) - len(l.lstrip()) for l in lines]
assert names[:4] == ["One", "two", "three", "four"], lines
assert indent[:5] == [0, 2, 4, 2, 4] and "Current state" in lines[4], lines' "$OUT"
expect_ok "delete the middle one (two)" snapshot tree delete two
check "three moved under one" test -n "$ID3" -a "$(snap_field tree three parent)" = "$ID1"
check "two's tag is gone from the disk" bash -c "! grep -qw 'hv-$ID2' <<<'$(tags_of "$DISK")'"
check "metadata and tags agree" consistent tree
for pair in "One 0x11" "three 0x33" "four 0x44" "One 0x11"; do
  set -- $pair
  expect_ok "restore $1" snapshot tree restore "$1"
  check "…the disk is $1's ($2)" has_pattern "$DISK" "$2"
done
expect_ok "take a second snapshot named four" snapshot tree take four
expect_fail "an ambiguous name is refused, listing the ids" "$ID4" snapshot tree delete four
ID5=$(snap_id tree four | tr ' ' '\n' | grep -v "$ID4")
expect_ok "…the id names it" snapshot tree delete "$ID5"

# --- crash points (the engine SIGKILLed), powered off ---------------------------------------
crash () {   # crash POINT CTL-ARGS...: the engine dies at POINT during the command
  local point=$1
  shift
  local said
  kill_engine
  said=$(HOSTVISOR_CRASH_AT=$point "$CTL" "$@" 2>&1)
  if grep -q "crashpoint $point: killing" "$XDG_RUNTIME_DIR/hostvisor/engine.log"; then
    ok "$point: the engine died there"
  else
    not_ok "$point: the engine died there"
    diag "hostvisorctl $*: $said"
    kill_engine   # it must not live on with the crash point set
  fi
  "$CTL" list >/dev/null 2>&1   # a new engine
}
COUNT=$(run_ctl snapshot tree list --json && python3 -c 'import json,sys; print(len(json.loads(sys.argv[1])["snapshots"]))' "$OUT")
for point in snapshot:take-marked snapshot:take-saved; do
  crash "$point" snapshot tree take cut
  check "$point: no snapshot 'cut'" test -z "$(snap_id tree cut)"
  check "$point: metadata and tags agree" consistent tree
done
crash snapshot:take-committed snapshot tree take whole
check "snapshot:take-committed: the snapshot is whole" test -n "$(snap_id tree whole)"
check "snapshot:take-committed: it is current" test "$(current_of tree)" = "$(snap_id tree whole)"
check "snapshot:take-committed: metadata and tags agree" consistent tree
write_pattern "$DISK" 0x55
for point in snapshot:restore-marked snapshot:restore-applied; do
  crash "$point" snapshot tree restore three
  check "$point: the restore was finished: three's data" has_pattern "$DISK" 0x33
  check "$point: three is current" test "$(current_of tree)" = "$ID3"
  check "$point: metadata and tags agree" consistent tree
  write_pattern "$DISK" 0x55
done
for point in snapshot:delete-marked snapshot:delete-tags-gone; do
  WHOLE=$(snap_id tree whole)
  [ -n "$WHOLE" ] || expect_ok "take one to delete" snapshot tree take whole
  crash "$point" snapshot tree delete whole
  check "$point: the delete was finished" test -z "$(snap_id tree whole)"
  check "$point: metadata and tags agree" consistent tree
done
expect_ok "every remaining snapshot still restores: four" snapshot tree restore four
check "…four's data" has_pattern "$DISK" 0x44

# --- live snapshots: the counter rewinds (BIOS) ---------------------------------------------
check "the BIOS guest counts" wait_until $BOOT_WAIT log_has live "HOSTVISOR-GUEST: alive 2"
# The engines killed above missed serial lines while none listened: a fresh line makes the
# log's last count the guest's again (the same before each count read below).
fresh_line () {
  local before
  before=$(alive_lines "$1")
  wait_until 30 bash -c "[ \$('$CTL' log $1 | grep -c 'HOSTVISOR-GUEST: alive') -gt $before ]"
}
check "the BIOS guest's log is live" fresh_line live
expect_ok "take a live snapshot of the running VM" snapshot live take counting
A=$(last_alive live)
LID=$(snap_id live counting)
check "…its kind is live" test "$(snap_field live counting kind)" = live
check "…with a versioned machine type" grep -q '^pc-i440fx-' <<<"$(snap_field live counting machine_type)"
check "…with the running state's size" test "$(snap_field live counting vmstate_size)" -gt 1000000
check "…and a thumbnail" test "$(snap_field live counting thumbnail)" = True
check "the VM still runs after the take" state_is live running
check "the guest counts on past the snapshot" wait_until 60 bash -c "[ \$('$CTL' log live | grep -o 'alive [0-9]*' | tail -1 | grep -o '[0-9]*$') -ge $((A + 3)) ]"
expect_fail "restore of a running VM needs --force" "force" snapshot live restore counting
LINES=$(alive_lines live)
PID=$(vm_field live pid)
INPROC=$(vm_log_count live "snapshot-restore: in-process")
expect_ok "restore it into the running VM (--force)" snapshot live restore counting --force
check "the VM runs after the restore" state_is live running
check "…loaded into the running QEMU (same config: in-process)" test "$(vm_log_count live "snapshot-restore: in-process")" = $((INPROC + 1))
check "…the same QEMU process" test "$(vm_field live pid)" = "$PID"
check "the guest counts again" wait_until 60 bash -c "[ \$('$CTL' log live | grep -c 'HOSTVISOR-GUEST: alive') -gt $((LINES + 1)) ]"
N=$(alive_min_after live "$LINES")
check "the count goes on from the snapshot (next $N, taken at ≤ $A)" test -n "$N" -a "${N:-99}" -le $((A + 1))
# A snapshot of a paused VM comes back paused.
expect_ok "pause the BIOS VM" pause live
P=$(last_alive live)
expect_ok "take a snapshot of the paused VM" snapshot live take paused-one
check "…it stays paused" state_is live paused
check "…the snapshot says paused" test "$(snap_field live paused-one vm_state)" = paused
expect_ok "resume" resume live
check "the guest counts on" wait_until 60 bash -c "[ \$('$CTL' log live | grep -o 'alive [0-9]*' | tail -1 | grep -o '[0-9]*$') -ge $((P + 2)) ]"
expect_ok "restore the paused snapshot (--force)" snapshot live restore paused-one --force
check "…the VM is paused, as it was" state_is live paused
PLINES=$(alive_lines live)
sleep 3
check "…the guest does not run" test "$(alive_lines live)" = "$PLINES"
expect_ok "resume it" resume live
check "the guest counts again" wait_until 60 bash -c "[ \$('$CTL' log live | grep -c 'HOSTVISOR-GUEST: alive') -gt $PLINES ]"
PN=$(alive_after live "$PLINES")
check "…from the paused snapshot (next $PN, paused at $P)" test -n "$PN" -a "${PN:-99}" -le $((P + 1))
expect_ok "delete a snapshot while the VM runs" snapshot live take spare
expect_ok "…delete it" snapshot live delete spare
check "…its tag is gone (checked with qemu-img -U)" consistent live

# --- live snapshot of a UEFI VM: the VARS file comes back too -------------------------------
check "the UEFI guest counts" wait_until $BOOT_WAIT log_has uefi "HOSTVISOR-GUEST: alive 2"
check "the UEFI guest's log is live" fresh_line uefi
UDIR=$(vm_field uefi directory)
expect_ok "take a live snapshot of the UEFI VM" snapshot uefi take efi
UA=$(last_alive uefi)
UID_=$(snap_id uefi efi)
check "…the UEFI variables are kept with it" test -f "$UDIR/snapshots/$UID_/nvram.fd"
VARS_AT_TAKE=$(sha256sum <"$UDIR/snapshots/$UID_/nvram.fd")
check "the UEFI guest counts on" wait_until 60 bash -c "[ \$('$CTL' log uefi | grep -o 'alive [0-9]*' | tail -1 | grep -o '[0-9]*$') -ge $((UA + 3)) ]"
# In-process: the VARS copy is written over the open file (QEMU writes the same bytes back).
printf 'changed' | dd of="$UDIR/nvram.fd" bs=1 seek=100000 conv=notrunc status=none
UINPROC=$(vm_log_count uefi "snapshot-restore: in-process")
expect_ok "restore it into the running UEFI VM (--force)" snapshot uefi restore efi --force
check "…in-process" test "$(vm_log_count uefi "snapshot-restore: in-process")" = $((UINPROC + 1))
check "…the VARS file is the snapshot's again" test "$(sha256sum <"$UDIR/nvram.fd")" = "$VARS_AT_TAKE"
check "…it runs" state_is uefi running
expect_ok "power it off" poweroff uefi
check "…off" wait_until 20 state_is uefi poweroff
printf 'changed' | dd of="$UDIR/nvram.fd" bs=1 seek=100000 conv=notrunc status=none
check "the VARS file changed" test "$(sha256sum <"$UDIR/nvram.fd")" != "$VARS_AT_TAKE"
ULINES=$(alive_lines uefi)
expect_ok "restore the live snapshot of a powered-off UEFI VM" snapshot uefi restore efi
check "…it runs" state_is uefi running
check "the VARS file is the snapshot's again" test "$(sha256sum <"$UDIR/nvram.fd")" = "$VARS_AT_TAKE"
check "the UEFI guest counts again" wait_until 60 bash -c "[ \$('$CTL' log uefi | grep -c 'HOSTVISOR-GUEST: alive') -gt $ULINES ]"
UN=$(alive_after uefi "$ULINES")
check "…from the snapshot (next $UN, taken at ≤ $UA)" test -n "$UN" -a "${UN:-99}" -le $((UA + 1))
expect_ok "power the UEFI VM off" poweroff uefi

# --- a restore whose config differs starts a new QEMU; the engine SIGKILLed during live ------
# --- operations -------------------------------------------------------------------------------
expect_ok "power the BIOS VM off" poweroff live
check "…off" wait_until 20 state_is live poweroff
expect_ok "give it more memory than its snapshots have" modify live --memory 160
expect_ok "start it" start live
expect_ok "take a snapshot with 160 MiB (while it boots)" snapshot live take big
BID=$(snap_id live big)
PID=$(vm_field live pid)
crash snapshot:take-saved snapshot live take cut-live
check "take-saved (live): the VM still runs, same QEMU" test "$(vm_field live pid)" = "$PID"
check "take-saved (live): no snapshot 'cut-live'" test -z "$(snap_id live cut-live)"
check "take-saved (live): the half-taken tag goes" wait_until 30 consistent live
crash snapshot:restore-marked snapshot live restore counting --force
check "restore-marked (live): the VM still runs" wait_until 20 state_is live running
check "restore-marked (live): metadata and tags agree" wait_until 30 consistent live
LINES=$(alive_lines live)
NEWQ=$(vm_log_count live "snapshot-restore: new QEMU (the snapshot's hardware differs")
expect_ok "restore the 128 MiB snapshot into the 160 MiB VM (--force)" snapshot live restore counting --force
check "…through a new QEMU (the hardware differs)" test "$(vm_log_count live "snapshot-restore: new QEMU (the snapshot's hardware differs")" = $((NEWQ + 1))
check "…a new QEMU process" test "$(vm_field live pid)" != "$PID"
check "…with the snapshot's memory" test "$(vm_field live memory_mib)" = 128
check "the guest counts again" wait_until 60 bash -c "[ \$('$CTL' log live | grep -c 'HOSTVISOR-GUEST: alive') -gt $LINES ]"
N=$(alive_after live "$LINES")
check "…from the snapshot (next $N, taken at $A)" test -n "$N" -a "${N:-0}" -le $((A + 1)) -a "${N:-0}" -ge "$A"
# Killed after the new QEMU loaded the state but before `cont`: the next engine finishes it.
crash snapshot:loaded snapshot live restore big --force
check "loaded (live): the next engine lets the restored guest run" wait_until 30 state_is live running
check "loaded (live): the snapshot is current" wait_until 20 bash -c "[ \"\$('$CTL' snapshot live list --json | python3 -c 'import json,sys; print(json.load(sys.stdin)[\"current\"])')\" = '$BID' ]"
check "loaded (live): metadata and tags agree" wait_until 30 consistent live
# Killed during an in-process restore, the state loaded, the guest stopped: the next engine ends
# that QEMU and redoes the restore, whose state the next start loads.
crash snapshot:in-process-loaded snapshot live restore big --force
check "in-process-loaded: the next engine ends the QEMU it found stopped" wait_until 30 state_is live poweroff
check "in-process-loaded: the next start loads big" grep -q "^load=hv-$BID" "$(vm_field live directory)/snapshots/state"
expect_ok "in-process-loaded: start" start live
check "in-process-loaded: it runs" state_is live running
check "in-process-loaded: big is current" test "$(current_of live)" = "$BID"
check "in-process-loaded: metadata and tags agree" wait_until 30 consistent live
expect_ok "take one to delete while the VM runs" snapshot live take doomed
crash snapshot:delete-marked snapshot live delete doomed
check "delete-marked (live): the delete is finished through QEMU" wait_until 30 bash -c "[ -z \"\$('$CTL' snapshot live list --json | grep -o doomed)\" ]"
check "delete-marked (live): metadata and tags agree" wait_until 30 consistent live
crash save-state:saved save-state live
check "save-state:saved: the VM keeps running" wait_until 20 state_is live running
check "save-state:saved: no saved state" test "$(vm_field live saved-state)" = False
check "save-state:saved: the half-made hv-saved-state goes" wait_until 30 bash -c "! grep -qw hv-saved-state <<<\"\$(qemu-img info -U -f qcow2 --output=json '$(disk_of live)')\""
check "save-state:saved: metadata and tags agree" wait_until 30 consistent live

# --- save state: resume where it was; discard: boot afresh ----------------------------------
check "the guest counts before the save (its log is live)" fresh_line live
expect_ok "save the state of the running VM" save-state live
S=$(last_alive live)
check "…the VM is powered off" state_is live poweroff
check "…show --json says saved-state" test "$(vm_field live saved-state)" = True
check "…no QEMU is left" test "$(vm_field live pid)" = ""
expect_fail "a saved state blocks modify" "saved state" modify live --memory 256
BOOTS=$("$CTL" log live | grep -c 'HOSTVISOR-GUEST: booted')
SLINES=$(alive_lines live)
expect_ok "start resumes it" start live
check "…the saved state is gone" test "$(vm_field live saved-state)" = False
check "the guest counts on" wait_until 60 bash -c "[ \$('$CTL' log live | grep -c 'HOSTVISOR-GUEST: alive') -gt $SLINES ]"
SN=$(alive_after live "$SLINES")
check "…from where it was saved (next $SN after $S)" test -n "$SN" -a "${SN:-0}" -le $((S + 1)) -a "${SN:-0}" -ge 2
check "…without booting" test "$("$CTL" log live | grep -c 'HOSTVISOR-GUEST: booted')" = "$BOOTS"
# A state saved while paused comes back paused.
expect_ok "pause it" pause live
expect_ok "save the paused state" save-state live
expect_ok "start resumes it" start live
check "…paused, as it was saved" state_is live paused
PLINES=$(alive_lines live)
sleep 2
check "…the guest does not run" test "$(alive_lines live)" = "$PLINES"
expect_ok "resume it" resume live
check "…it runs" state_is live running
expect_ok "save the state again" save-state live
expect_ok "discard the saved state" discard-state live
check "…saved-state is false" test "$(vm_field live saved-state)" = False
check "…the hv-saved-state tag is gone" bash -c "! grep -qw hv-saved-state <<<'$(tags_of "$(disk_of live)")'"
expect_fail "discarding twice is refused" "no saved state" discard-state live
# The fresh boot also mounts a shared folder (9p), which blocks a snapshot with the running
# state: one boot for both.
mkdir -p "$HV_TMP/shared"
expect_ok "share a folder with the BIOS VM" share add live "$HV_TMP/shared" --name data
expect_ok "…which the guest mounts at boot" modify live --cmdline "$CMDLINE hv.9p=hvshare0:/mnt/data"
expect_ok "start after the discard" start live
check "…the guest boots afresh" wait_until $BOOT_WAIT bash -c "[ \$('$CTL' log live | grep -c 'HOSTVISOR-GUEST: booted') -gt $BOOTS ]"
check "every snapshot of the live VM agrees with its disk" consistent live
check "…the guest mounted the share" wait_until $BOOT_WAIT bash -c "[ \$('$CTL' log live | grep -c 'mounted 9p hvshare0') -gt 0 ]"
expect_fail "a live snapshot is refused, naming the share and offering --disk-only" \
  'shared folder "data".*--disk-only' snapshot live take with-share
check "…the VM keeps running" state_is live running
expect_ok "a disk-only snapshot of the running VM works" snapshot live take with-share --disk-only
check "…its kind is disk" test "$(snap_field live with-share kind)" = disk
check "…metadata and tags agree" consistent live
expect_ok "power the BIOS VM off" poweroff live

# --- a writable raw disk is refused, naming it ----------------------------------------------
qemu-img create -q -f raw "$HV_TMP/raw.img" 1M
expect_ok "create a VM with a raw disk" create rawvm --disk "$HV_TMP/raw.img" --disk-format raw
expect_fail "a snapshot of it is refused, naming the drive" "raw\.img.*raw image|raw image.*raw\.img|Drive 1" snapshot rawvm take x

# --- a full disk during a take --------------------------------------------------------------
if [ -n "$FULL" ]; then
  check "the guest on the small disk counts" wait_until $BOOT_WAIT log_has full "HOSTVISOR-GUEST: alive 1"
  FLINES=$(alive_lines full)
  expect_fail "a live snapshot on a full disk fails with a clear error" "Not enough free space" \
    snapshot full take big
  check "…the VM keeps running" state_is full running
  check "…the guest keeps counting" wait_until 30 bash -c "[ \$('$CTL' log full | grep -c 'HOSTVISOR-GUEST: alive') -gt $FLINES ]"
  check "…no half-taken snapshot" test -z "$(snap_id full big)"
  check "…the older snapshot is intact" consistent full
  expect_ok "power it off" poweroff full
  check "…off" wait_until 20 state_is full poweroff
  expect_ok "the older snapshot still restores" snapshot full restore small
  expect_ok "delete the VM on the small disk" delete full --keep-files
  kill_engine
  umount "$SMALL" 2>/dev/null || umount -l "$SMALL"
else
  ok "# SKIP a full disk needs root to mount a small tmpfs"
fi

finish
