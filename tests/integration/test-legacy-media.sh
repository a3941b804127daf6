#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-3.0-or-later
# Real legacy media from Debian packages on the old-guest profiles (docs/legacy.md, "Proven
# with real media"), through hostvisorctl on TCG. The screens are read for their text from
# the VM's screenshot (tests/legacy-probe/screen-text.py matches each 8x16 cell with the VGA
# BIOS font), keys are typed through the VM's console (VNC, tests/legacy-probe/vnc-type.py):
# - dos: GRUB's rescue floppy (grub-rescue-pc) boots from A:; at GRUB's prompt `ls (fd1)/`
#   and `cat` read a FAT12 floppy made by mkfs.fat + mtools in B:; B: is swapped live for a
#   second FAT12 floppy and GRUB lists the new disk's file. Then, powered off, A: is swapped
#   for a FAT12 floppy made by mkfs.fat alone: booted, its boot sector shows dosfstools' "This
#   is not a bootable disk." text.
# - win98: the same GRUB floppy boots (after the empty hard disk and CD, the profile's order);
#   from its prompt `linux16` loads memtest86+ (memtest86+) from the FAT12 floppy in B: and
#   memtest runs, seeing the profile's CPU and memory.
source "$(dirname "$0")/lib.sh"

SCREEN_TEXT="$HV_SRCDIR/tests/legacy-probe/screen-text.py"
VNC_TYPE="$HV_SRCDIR/tests/legacy-probe/vnc-type.py"
GRUB_FLOPPY=/usr/lib/grub-rescue/grub-rescue-floppy.img
MEMTEST=/boot/memtest86+ia32.bin
PYTHON=/usr/bin/python3   # with python3-gi (tools/setup.sh), whatever python3 is first in PATH
BOOT_WAIT=90              # TCG on a loaded 2-core machine

for need in "$GRUB_FLOPPY:grub-rescue-pc" "$MEMTEST:memtest86+"; do
  if [ ! -f "${need%%:*}" ]; then
    echo "1..0 # SKIP ${need%%:*} is missing (Debian package ${need#*:}, tools/setup.sh)"
    exit 0
  fi
done
for tool in mkfs.fat mcopy; do
  if ! command -v "$tool" >/dev/null; then
    echo "1..0 # SKIP $tool is missing (dosfstools, mtools: tools/setup.sh)"
    exit 0
  fi
done
if ! "$PYTHON" -c 'from gi.repository import Gio' 2>/dev/null; then
  echo "1..0 # SKIP $PYTHON has no python3-gi (tools/setup.sh)"
  exit 0
fi

# screen_has VM TEXT...: the VM's screen shows every TEXT now (the last screen is kept in
# $HV_TMP/VM.txt for the diagnostics).
screen_has () {
  local vm=$1
  shift
  "$CTL" screenshot "$vm" "$HV_TMP/$vm.png" 2>/dev/null || return 1
  python3 "$SCREEN_TEXT" "$HV_TMP/$vm.png" "$@" >"$HV_TMP/$vm.txt" 2>/dev/null
}

# see VM WAIT LABEL TEXT...: a check that the screen shows the texts within WAIT seconds.
see () {
  local vm=$1 wait=$2 label=$3
  shift 3
  if wait_until "$wait" screen_has "$vm" "$@"; then
    ok "$label"
  else
    not_ok "$label"
    diag "the screen reads:"
    diag "$(grep -v '^$' "$HV_TMP/$vm.txt" 2>/dev/null)"
  fi
}

type_keys () {
  "$PYTHON" "$VNC_TYPE" "$XDG_RUNTIME_DIR/hostvisor/engine.sock" "$@" ||
    diag "typing on $1 failed"
}

# The screen reader itself: a screen of known text reads back, a wrong text is refused.
if python3 "$SCREEN_TEXT" /dev/null >/dev/null 2>&1; then
  not_ok "the screen reader refuses what is not a PNG"
else
  ok "the screen reader refuses what is not a PNG"
fi

# The floppies: FAT12 1.44 MB made by mkfs.fat, files put there by mtools.
mkfs_floppy () {
  local img=$1 label=$2
  shift 2
  rm -f "$img"
  mkfs.fat -C -n "$label" "$img" 1440 >/dev/null && mcopy -i "$img" "$@"
}
echo "Hostvisor floppy B: read by GRUB" >"$HV_TMP/hello.txt"
echo "the second disk, swapped in live" >"$HV_TMP/second.txt"
mkdir -p "$HV_TMP/dos" "$HV_TMP/win98"
check "a FAT12 floppy with a text file (mkfs.fat, mcopy)" \
  mkfs_floppy "$HV_TMP/dos/b1.img" HVDISK1 "$HV_TMP/hello.txt" ::HELLO.TXT
check "a second FAT12 floppy" \
  mkfs_floppy "$HV_TMP/dos/b2.img" HVDISK2 "$HV_TMP/second.txt" ::SECOND.TXT
check "a FAT12 floppy with memtest86+" \
  mkfs_floppy "$HV_TMP/win98/b.img" HVMEMTST "$MEMTEST" ::MEMTEST.BIN
mkfs_plain () { mkfs.fat -C -n HVPLAIN "$1" 1440 >/dev/null; }
check "a FAT12 floppy made by mkfs.fat alone (its boot sector is dosfstools')" \
  mkfs_plain "$HV_TMP/dos/plain.img"
cp "$GRUB_FLOPPY" "$HV_TMP/dos/grub.img"
cp "$GRUB_FLOPPY" "$HV_TMP/win98/grub.img"

# Both VMs run at once: each waits for its screens.
expect_ok "dos: create with GRUB's rescue floppy in A: and the FAT12 floppy in B:" \
  create dos --profile dos --floppy "$HV_TMP/dos/grub.img" --floppy-b "$HV_TMP/dos/b1.img" --no-disk
expect_ok "win98: create with GRUB's rescue floppy in A: and memtest86+ in B:" \
  create win98 --profile win98 --floppy "$HV_TMP/win98/grub.img" --floppy-b "$HV_TMP/win98/b.img" --no-disk
expect_ok "dos: start" start dos
expect_ok "win98: start" start win98

see dos "$BOOT_WAIT" "dos: GRUB's rescue floppy boots from A: (its menu on the screen)" \
  "GNU GRUB version 2.06" "Memtest86+"
see win98 "$BOOT_WAIT" "win98: GRUB's rescue floppy boots (its menu on the screen)" \
  "GNU GRUB version 2.06" "Memtest86+"

# command_line VM: GRUB's command line is on the screen. 'c' at the menu opens it; a key
# typed while GRUB is still drawing its menu can go unread: 'c' again until the prompt is there
# (Backspaces in grub_command clear a 'c' that reached the prompt late).
command_line () {
  local try
  for try in 1 2 3; do
    if wait_until 15 screen_has "$1" "^grub>"; then
      ok "$1: GRUB's command line ('c' at the menu)"
      return 0
    fi
    type_keys "$1" c
  done
  not_ok "$1: GRUB's command line ('c' at the menu)"
  diag "$(grep -v '^$' "$HV_TMP/$1.txt" 2>/dev/null)"
  return 1
}

# grub_command VM COMMAND: types COMMAND at GRUB's prompt and presses Enter once the prompt
# line reads COMMAND; a key lost by a slow guest: the line is cleared (Backspace) and typed
# again. Two Backspaces first also clear a 'c' that reached the prompt late.
grub_command () {
  local try clear='\b\b'
  for try in 1 2 3; do
    type_keys "$1" "$clear$2"
    if wait_until 10 screen_has "$1" "\$grub> $2"; then
      type_keys "$1" '\n'
      return 0
    fi
    clear=$(printf '\\b%.0s' $(seq 0 $((${#2} + 2))))
  done
  not_ok "$1: GRUB's prompt reads the typed command '$2'"
  diag "$(grep -v '^$' "$HV_TMP/$1.txt" 2>/dev/null)"
}

# GRUB's command line on both at once (the menu's count-down would boot its first entry).
type_keys dos c
type_keys win98 c
command_line dos
command_line win98

# GRUB's own commands read drive B: (fd1).
grub_command dos 'ls (fd1)/'
grub_command dos 'cat (fd1)/hello.txt'
see dos 30 "dos: GRUB lists the FAT12 floppy in B:" "^grub> ls (fd1)/" "^hello.txt"
see dos 30 "dos: GRUB reads the text file from B:" "^Hostvisor floppy B: read by GRUB"

# B: swapped while GRUB runs: GRUB's next look at (fd1) finds the new disk's file.
cp "$HV_TMP/dos/b2.img" "$HV_TMP/dos/b2-in.img"
expect_ok "dos: swap B: live (media insert --drive floppy-b)" \
  media insert dos "$HV_TMP/dos/b2-in.img" --drive floppy-b
grub_command dos 'cat (fd1)/second.txt'
see dos 30 "dos: GRUB reads the swapped disk in B:" "^the second disk, swapped in live"
expect_ok "dos: power off" poweroff dos

# A: swapped while the VM is off for a FAT12 floppy made by mkfs.fat alone: the BIOS boots its
# boot sector (the profile boots from A: first), which prints dosfstools' own message.
expect_ok "dos: swap A: while off for a plain mkfs.fat floppy (media insert --floppy)" \
  media insert dos "$HV_TMP/dos/plain.img" --floppy
expect_ok "dos: start from the plain FAT12 floppy" start dos
see dos 60 "dos: the mkfs.fat floppy's boot sector says it is not a bootable disk" \
  "^This is not a bootable disk." "^press any key to try again"
expect_ok "dos: power off" poweroff dos
expect_ok "dos: delete" delete dos

# memtest86+ from B:, through GRUB's 16-bit Linux loader.
grub_command win98 'linux16 (fd1)/memtest.bin'
grub_command win98 boot
see win98 180 "win98: memtest86+ starts, loaded by GRUB from B:, sees the profile's Pentium II and 256 MB" \
  "^Memtest86+ v6" "Pentium II" "^Memory : 255MB"
# (memtest reads 138 KB from the floppy through the BIOS: slow under TCG on a loaded host.)
# Enter starts the tests at once (else memtest waits for its own count-down).
type_keys win98 '\n'
see win98 60 "win98: memtest86+ tests the memory on the i440FX machine" \
  "Status: Testing" "QEMU Standard PC (i440FX + PIIX, 1996)"
expect_ok "win98: power off" poweroff win98

finish
