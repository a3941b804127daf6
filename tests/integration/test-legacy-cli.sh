#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-3.0-or-later
# Hardware profiles for old guests through hostvisorctl (docs/legacy.md): profile list/show,
# create --profile dos with a floppy, bad combinations refused at modify (never at start), a
# real boot of a boot sector that finds the Sound Blaster 16 and ends QEMU through the
# isa-debug-exit test hook, the WAV test hook, floppy B:, the CPU speed limit (TCG, said).
source "$(dirname "$0")/lib.sh"

# The engine reads the test hooks when it starts: before the first hostvisorctl call.
WAV_DIR="$HV_TMP/wav"
mkdir -p "$WAV_DIR"
export HOSTVISOR_AUDIO_WAV_DIR="$WAV_DIR"
export HOSTVISOR_TEST_DEBUG_EXIT=1
export HOSTVISOR_PROFILE_DIR="$HV_SRCDIR/resources/profiles"

# --- the profiles
expect_ok "profile list" profile list
check "eight profiles" test "$(wc -l <<<"$OUT")" -eq 8
for p in dos win3x win95 win98 winme win2000 winxp linux2; do
  check "profile $p listed" grep -q "^$p " <<<"$OUT"
done
expect_ok "profile show dos --json" profile show dos --json
check "dos is isapc" test "$(json_get machine)" = isapc
check "dos has a 486" test "$(json_get cpu_model)" = 486
check "dos has the sb16" test "$(json_get sound)" = sb16
expect_fail "an unknown profile is named" "Unknown profile" profile show nosuch

# --- the boot sector (needs binutils: as and ld)
if ! command -v as >/dev/null || ! command -v ld >/dev/null; then
  echo "# SKIP the boot part: as/ld (binutils) are not installed"
  finish
  exit $?
fi
as --32 -o "$HV_TMP/boot.o" "$HV_SRCDIR/tests/integration/legacy-sb16-boot.S" &&
  ld -m elf_i386 -Ttext 0x7c00 --oformat binary -o "$HV_TMP/boot.bin" "$HV_TMP/boot.o"
check "the boot sector builds" test "$(stat -c %s "$HV_TMP/boot.bin")" -eq 512
cp "$HV_TMP/boot.bin" "$HV_TMP/a.img" && truncate -s 1474560 "$HV_TMP/a.img"
truncate -s 1474560 "$HV_TMP/b.img"

expect_ok "create --profile dos --floppy --no-disk" create DOS --profile dos --floppy "$HV_TMP/a.img" --no-disk
UUID=$OUT
expect_ok "show --json" show DOS --json
check "machine isapc" test "$(json_get machine)" = isapc
check "not pinned (isapc has no versioned type)" test -z "$(json_get machine_type)"
check "profile dos" test "$(json_get profile)" = dos
check "boots from the floppy first" test "$(json_get boot)" = acd
check "no disk" bash -c "! grep -q '\"disk\"' <<<'$(json_get drives)'"
VMXML="$LIBRARY/vms/$UUID/vm.xml"
BEFORE=$(sha256sum <"$VMXML")

# --- bad combinations: refused at modify, the config untouched
expect_fail "es1370 on isapc" "PCI card, and the isapc machine has no PCI bus" modify DOS --sound es1370
expect_fail "isapc with UEFI" "BIOS firmware only" modify DOS --firmware uefi
expect_fail "USB on isapc" "no PCI bus and so no USB" modify DOS --usb on
expect_fail "cirrus on isapc" "use std video" modify DOS --video cirrus
expect_fail "sb16 on q35" "Sound Blaster 16 is an ISA card" modify DOS --machine q35
expect_fail "more memory than DOS copes with" "at most 64 MiB" modify DOS --memory 128
expect_fail "the speed limit with KVM" "works only with QEMU's emulation" modify DOS --accel kvm --cpu-limit 486
expect_fail "a tablet without USB" "A USB tablet needs USB" create T --usb off --tablet on --no-disk
expect_fail "floppy B: without A:" "no floppy in drive A:" create B --floppy-b "$HV_TMP/b.img" --no-disk
check "vm.xml unchanged by the refused changes" test "$BEFORE" = "$(sha256sum <"$VMXML")"

# --- a real boot: the SB16 answers, isa-debug-exit ends QEMU
expect_ok "start" start DOS
check "the guest found the SB16 and ended itself" wait_until 60 log_has DOS "HVLEGACY end"
check "the SB16 DSP answered AA" log_has DOS "sb16=AA"
# QEMU's exit status is (value << 1) | 1; with the test hook the engine takes a guest's exit
# through isa-debug-exit for a clean power-off, the value in the reason.
check "QEMU ended through isa-debug-exit: powered off" wait_until 20 state_is DOS poweroff
check "the reason names the guest's value and QEMU's status" grep -qF \
  "the guest ended QEMU through isa-debug-exit with value 16 (test hook HOSTVISOR_TEST_DEBUG_EXIT; QEMU's exit status 33)" \
  <<<"$(vm_field DOS state_reason)"
VMLOG="$LIBRARY/vms/$UUID/logs/vm.log"
check "QEMU ran isapc with the profile's switches" grep -qx "isapc,accel=tcg,acpi=off,hpet=off,pcspk-audiodev=snd0" "$VMLOG"
check "a 486" grep -qx -- "486" "$VMLOG"
check "the ISA std VGA with 8 MiB" grep -qx "isa-vga,id=video0,vgamem_mb=8" "$VMLOG"
check "the NE2000 on ISA" grep -q "^ne2k_isa,iobase=0x300" "$VMLOG"
check "the RTC in local time" grep -qx "base=localtime" "$VMLOG"
check "the WAV hook's audiodev" grep -qxF "wav,id=snd0,path=$WAV_DIR/$UUID.wav" "$VMLOG"
check "the sb16 and adlib on it" bash -c "grep -q '^sb16,.*audiodev=snd0' '$VMLOG' && grep -q '^adlib,.*audiodev=snd0' '$VMLOG'"
check "the isa-debug-exit hook" grep -qx "isa-debug-exit,iobase=0xf4,iosize=0x04" "$VMLOG"
check "no USB, tablet or PCI agent on isapc" bash -c "! grep -qE 'usb|virtio-serial' '$VMLOG'"
check "QEMU made the WAV file" test -f "$WAV_DIR/$UUID.wav"
check "the VM's log says where its sound goes" grep -q "audio: wav into $WAV_DIR (test hook" "$VMLOG"

# --- floppy B:, the speed limit
expect_ok "modify --floppy-b --cpu-limit 486" modify DOS --floppy-b "$HV_TMP/b.img" --cpu-limit 486
expect_ok "show --json" show DOS --json
check "the speed limit is icount shift 7" test "$(json_get cpu_limit_shift)" = 7
check "TCG because of the speed limit" test "$(json_get accel_reason)" = speed-limit
run_ctl show DOS
check "show says why there is no KVM" grep -q "CPU speed limit needs QEMU's emulation" <<<"$OUT"
expect_ok "start with B: and the limit" start DOS
check "the guest ran again" wait_until 60 bash -c "[ \$('$CTL' log DOS | grep -c 'HVLEGACY end') -ge 2 ]"
check "-icount shift=7,align=on" grep -qx "shift=7,align=on" "$VMLOG"
check "the VM's log says the limit means TCG" grep -q "CPU speed limit: 486 (-icount shift=7,align=on): QEMU's emulation (TCG), never KVM" "$VMLOG"
check "floppy B: is unit 1" grep -q "^floppy,unit=1,drive=" "$VMLOG"
check "ended again" wait_until 20 state_is DOS poweroff
truncate -s 1474560 "$HV_TMP/c.img"
expect_ok "media insert --drive floppy-b (powered off)" media insert DOS "$HV_TMP/c.img" --drive floppy-b
check "B: has the new image" grep -qF "$HV_TMP/c.img" <<<"$(vm_field DOS drives)"
expect_ok "cpu-limit off" modify DOS --cpu-limit off
expect_ok "show --json" show DOS --json
check "icount kept with shift auto" test "$(json_get cpu_limit_shift)" = auto
expect_ok "remove floppy B:" modify DOS --remove-floppy-b

# --- a live swap of A: and B: (blank floppies: SeaBIOS finds nothing to boot and QEMU runs on)
truncate -s 1474560 "$HV_TMP/blank-a.img" "$HV_TMP/blank-b.img" "$HV_TMP/blank-c.img"
expect_ok "create a VM with A: and B:" create SWAP --profile dos --floppy "$HV_TMP/blank-a.img" --floppy-b "$HV_TMP/blank-b.img" --no-disk
SWAP_UUID=$OUT
expect_ok "start it" start SWAP
check "running" wait_until 20 state_is SWAP running
expect_ok "swap B: while it runs" media insert SWAP "$HV_TMP/blank-c.img" --drive floppy-b
check "QEMU got the new B: medium" grep -q "medium in drive 2: $HV_TMP/blank-c.img" "$LIBRARY/vms/$SWAP_UUID/logs/vm.log"
expect_ok "eject A: while it runs" media eject SWAP --drive floppy
check "A: is empty, B: keeps its medium" python3 -c "
import json, sys
d = json.loads(sys.argv[1])
f = [x for x in d if x['type'] == 'floppy']
sys.exit(0 if len(f) == 2 and f[0]['path'] is None and f[1]['path'].endswith('blank-c.img') else 1)
" "$(vm_field SWAP drives)"
expect_ok "poweroff" poweroff SWAP
check "an empty A: still starts" bash -c "'$CTL' start SWAP >/dev/null && '$CTL' poweroff SWAP >/dev/null"
expect_ok "delete it" delete SWAP

# --- every profile: QEMU 7.2 accepts its devices, and the boot sector runs (from the floppy,
# as there is no disk and no CD); the SB16 answers where the profile has one
for p in dos win3x win95 win98 winme win2000 winxp linux2; do
  run_ctl profile show "$p" --json
  sound=$(json_get sound)
  expect_ok "create a $p VM" create "P-$p" --profile "$p" --floppy "$HV_TMP/a.img" --no-disk
  P_UUID=$OUT
  if [ "$p" = winxp ]; then
    # Before the first run the CPU count and ACPI may still change.
    expect_ok "winxp: the CPU count changes before the first run" modify "P-$p" --cpus 2
    expect_ok "winxp: …and back" modify "P-$p" --cpus 1
  fi
  expect_ok "start the $p VM" start "P-$p"
  check "the $p VM ran the boot sector" wait_until 60 log_has "P-$p" "HVLEGACY end"
  if [ "$sound" = sb16 ]; then
    check "the $p VM has the SB16" log_has "P-$p" "sb16=AA"
  else
    check "the $p VM has no SB16" log_has "P-$p" "sb16=FF"
  fi
  check "the $p VM ended (powered off)" wait_until 20 state_is "P-$p" poweroff
  # None of the profiles' OSes runs the guest tools: no agent port (virtio-serial) for them.
  check "the $p VM has no guest-agent port" bash -c \
    "grep -q '^-machine' '$LIBRARY/vms/$P_UUID/logs/vm.log' && ! grep -qE 'virtio-serial|virtserialport' '$LIBRARY/vms/$P_UUID/logs/vm.log'"
  if [ "$p" = winxp ] || [ "$p" = win2000 ]; then
    # Windows picked its HAL at setup: once the VM has run, they are fixed.
    expect_fail "$p: no other CPU count once it has run" "fixed once it has run" \
      modify "P-$p" --cpus 2
    expect_fail "$p: no ACPI switch once it has run" "Windows picked its HAL" \
      modify "P-$p" --acpi off
    expect_ok "$p: other settings still change" modify "P-$p" --memory 256
  fi
  expect_ok "delete the $p VM" delete "P-$p"
done

# --- an OS id picks its profile
expect_ok "create --os win98" create W98 --os win98 --no-disk
expect_ok "show --json" show W98 --json
check "win98 profile" test "$(json_get profile)" = win98
check "pentium2" test "$(json_get cpu_model)" = pentium2
check "pinned pc" test "$(json_get machine_type)" = pc-i440fx-7.2 -o -z "$(json_get machine_type)"

finish
