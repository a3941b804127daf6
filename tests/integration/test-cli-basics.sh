#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-3.0-or-later
# The VM library through hostvisorctl, without booting guests: create, list, show, modify,
# folders, delete, names that try to escape, bad input, and broken configs.
source "$(dirname "$0")/lib.sh"

ISO=/usr/lib/grub-rescue/grub-rescue-cdrom.iso
FLOPPY=/usr/lib/grub-rescue/grub-rescue-floppy.img

# --- create, list, show
expect_ok "create with defaults" create plain --no-disk
UUID_PLAIN=$OUT
check "create prints the new UUID" grep -qE '^[0-9a-f-]{36}$' <<<"$UUID_PLAIN"
check "the VM directory is named by its UUID" test -f "$LIBRARY/vms/$UUID_PLAIN/vm.xml"

expect_ok "create with an OS, memory, CPUs, a disk, ISO, floppy, folder, UEFI" \
  create full --os debian12 --memory 512 --cpus 2 --disk-size 2 --iso "$ISO" \
  --floppy "$FLOPPY" --folder Lab/Web --firmware uefi
run_ctl show full --json
check "show: memory" test "$(json_get memory_mib)" = 512
check "show: cpus" test "$(json_get cpus)" = 2
check "show: firmware" test "$(json_get firmware)" = uefi
check "show: folder" test "$(json_get folder)" = Lab/Web
check "show: os" test "$(json_get os)" = debian12
check "show: state poweroff" test "$(json_get state)" = poweroff
check "show: acceleration is tcg" test "$(json_get accel)" = tcg
check "show: the ISO is in the CD-ROM drive" grep -qF "$ISO" <<<"$(json_get drives)"
check "show: the floppy image" grep -qF "$FLOPPY" <<<"$(json_get drives)"
check "a qcow2 disk was made in the VM's directory" \
  bash -c "file -b '$LIBRARY/vms/$(json_get uuid)/disk0.qcow2' | grep -qi qcow"

expect_ok "create from libosinfo defaults" create old --os win98 --no-disk
run_ctl show old --json
check "win98 gets the pc machine" test "$(json_get machine)" = pc
check "win98 gets no virtio NIC" bash -c "! grep -q virtio <<<'$(json_get nics)'"

run_ctl list --json
check "list --json has three VMs" test "$(python3 -c 'import json,sys; print(len(json.loads(sys.argv[1])))' "$OUT")" = 3
run_ctl list
check "list (text) names each VM" bash -c "grep -q plain <<<'$OUT' && grep -q full <<<'$OUT' && grep -q old <<<'$OUT'"

run_ctl show "$UUID_PLAIN" --json
check "a VM can be named by its UUID" test "$(json_get name)" = plain

# --- names: stored safely or refused clearly
expect_fail "a name with / is refused" "name" create ../x --no-disk
check "nothing escaped the library" test ! -e "$XDG_DATA_HOME/x"
expect_fail "an empty name is refused" "name" create "" --no-disk
expect_fail "a name with a newline is refused" "name" create $'a\nb' --no-disk
expect_fail "an over-long name is refused" "name" create "$(printf 'x%.0s' $(seq 1 65))" --no-disk
expect_ok "a name with , and = is stored" create 'a,b=c "q"' --no-disk
run_ctl show 'a,b=c "q"' --json
check "…and reads back the same" test "$(json_get name)" = 'a,b=c "q"'
expect_ok "a UTF-8 name is stored" create "Ünïcødé 日本" --no-disk
expect_fail "a duplicate name is refused" "already exists" create plain --no-disk

# --- bad input
expect_fail "a missing ISO is named" "ISO not found" create isobad --iso /nonexistent/x.iso
expect_fail "an unknown OS is named" "Unknown OS" create osbad --os nosuchos
expect_fail "memory must be a number" "memory" create membad --memory lots
expect_fail "an unknown option is refused" "bogus" create optbad --bogus
expect_fail "--disk needs --disk-format" "disk-format" create diskbad --disk "$ISO"
expect_fail "an unknown VM is named" 'No VM named "nosuch"' show nosuch
expect_fail "an unknown command is refused" "nosuchcommand" nosuchcommand
run_ctl list --json
check "failed creates left nothing behind" test "$(python3 -c 'import json,sys; print(len(json.loads(sys.argv[1])))' "$OUT")" = 5
check "no half-made VM directories" test "$(find "$LIBRARY/vms" -mindepth 1 -maxdepth 1 | wc -l)" = 5

# Without an OS to ask, a q35 VM's new disk goes on SATA (AHCI), a pc VM's on IDE.
expect_ok "create a q35 VM without an OS" create q35vm --machine q35 --disk-size 1
check "…its disk is on SATA" grep -q '"bus": "sata"' <<<"$(vm_field q35vm drives)"
expect_ok "…and delete it" delete q35vm

# --- modify
expect_ok "modify memory and CPUs" modify plain --memory 300 --cpus 3
run_ctl show plain --json
check "modify: memory changed" test "$(json_get memory_mib)" = 300
check "modify: cpus changed" test "$(json_get cpus)" = 3
check "the previous config is kept" test -f "$LIBRARY/vms/$UUID_PLAIN/vm.xml.prev"
expect_ok "modify: insert an ISO" modify plain --iso "$ISO"
check "…the ISO is in the drive" grep -qF "$ISO" <<<"$(vm_field plain drives)"
expect_ok "modify: eject it" modify plain --remove-iso
check "…and it is gone" bash -c "! grep -qF '$ISO' <<<'$(vm_field plain drives)'"
# Hard disks: a new one, none, a new one again (the first file is kept and not reused).
expect_ok "modify: add a new disk" modify plain --disk-size 1
check "…it is disk0.qcow2 in the VM's directory" \
  grep -qF "$LIBRARY/vms/$UUID_PLAIN/disk0.qcow2" <<<"$(vm_field plain drives)"
check "…a real qcow2 image of 1 GiB" bash -c \
  "qemu-img info --output=json -f qcow2 '$LIBRARY/vms/$UUID_PLAIN/disk0.qcow2' | grep -q '\"virtual-size\": 1073741824'"
expect_fail "a second new disk is refused" "has a hard disk already" modify plain --disk-size 1
expect_fail "a new disk with other changes is refused" "cannot be combined" \
  modify plain --disk-size 1 --memory 256
expect_ok "modify: remove the disk" modify plain --no-disk
check "…no disk is left in the config" bash -c "! grep -q disk0 <<<'$(vm_field plain drives)'"
check "…its file is kept" test -f "$LIBRARY/vms/$UUID_PLAIN/disk0.qcow2"
expect_ok "modify: a new disk again" modify plain --disk-size 2
check "…it gets the next free name" \
  grep -qF "$LIBRARY/vms/$UUID_PLAIN/disk1.qcow2" <<<"$(vm_field plain drives)"
expect_ok "modify: use an existing image instead" modify plain --no-disk
expect_ok "…attached with its format" \
  modify plain --disk "$LIBRARY/vms/$UUID_PLAIN/disk0.qcow2" --disk-format qcow2
check "…it is the VM's disk" \
  grep -qF "$LIBRARY/vms/$UUID_PLAIN/disk0.qcow2" <<<"$(vm_field plain drives)"
expect_ok "modify: remove it for the tests below" modify plain --no-disk
expect_ok "rename" modify plain --name renamed
expect_ok "…found by its new name" show renamed
expect_fail "renaming onto another VM's name is refused" "already exists" modify renamed --name full

# --- folders
expect_ok "folder create" folder create Empty/Sub
run_ctl folder list --json
check "folder list has the empty folder and its parent" \
  bash -c "grep -q '\"Empty/Sub\"' <<<'$OUT' && grep -q '\"Empty\"' <<<'$OUT'"
check "folder list has the VM's folder" grep -q '"Lab/Web"' <<<"$OUT"
expect_ok "move a VM into a folder" move renamed --folder Empty/Sub
check "…the VM is there" test "$(vm_field renamed folder)" = Empty/Sub
expect_ok "folder rename" folder rename Empty Full
check "…the VM moved with it" test "$(vm_field renamed folder)" = Full/Sub
expect_ok "folder delete" folder delete Full
check "…its VM moved to the top level, not deleted" test "$(vm_field renamed folder)" = ""
expect_fail "a folder with .. is refused" "older" folder create "a/../b"

# --- delete
expect_ok "delete" delete old
check "…its directory is gone" bash -c "! grep -rqs '<name>old</name>' '$LIBRARY/vms'"
expect_fail "…and it is no longer listed" "No VM named" show old
DIR_FULL=$LIBRARY/vms/$(vm_field full uuid)
expect_ok "delete --keep-files" delete full --keep-files
check "…keeps the disk" test -f "$DIR_FULL/disk0.qcow2"
expect_fail "…and unregisters the VM" "No VM named" show full

# --- a broken config: listed as inaccessible, nothing else affected, nothing overwritten
BROKEN_UUID=$(vm_field renamed uuid)
ENGINE=$(engine_pid)
kill -TERM "$ENGINE"
wait_until 10 bash -c "! kill -0 $ENGINE"
printf '<hostvisor-vm version="1"><uuid>oops' >"$LIBRARY/vms/$BROKEN_UUID/vm.xml"
cp "$LIBRARY/vms/$BROKEN_UUID/vm.xml" "$HV_TMP/broken.xml"
run_ctl list --json
check "the broken VM is listed as inaccessible" \
  python3 -c '
import json, sys
vms = {v["uuid"]: v for v in json.loads(sys.argv[1])}
v = vms[sys.argv[2]]
sys.exit(0 if v["state"] == "inaccessible" and "vm.xml:1" in v["config_error"] else 1)' \
  "$OUT" "$BROKEN_UUID"
expect_ok "other VMs still work" show 'a,b=c "q"'
expect_fail "starting the broken VM gives its error" "vm.xml" start "$BROKEN_UUID"
check "the broken file was not overwritten" cmp -s "$HV_TMP/broken.xml" "$LIBRARY/vms/$BROKEN_UUID/vm.xml"

# --- one engine per user
run_ctl list
"$HOSTVISORD" >/dev/null 2>"$HV_TMP/second-engine.err"
RC=$?
check "a second engine refuses to start" test "$RC" -ne 0
check "…and says why" grep -q "already running" "$HV_TMP/second-engine.err"

finish
