#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-3.0-or-later
# UI test: old guests' hardware in the app, driven through AT-SPI under Xvfb against a real
# engine. A VM made from the dos profile (`hostvisorctl create --profile dos`, a FAT12 floppy
# made by mkfs.fat, no disk) gets its clock, CPU model, sound and speaker changed on the
# Settings dialog's System and Sound pages, checked in hostvisorctl show --json; a change the
# engine refuses (USB on an ISA PC) shows the engine's reason and leaves vm.xml as it was. No
# guest boots. Settings → Storage shows floppy drive B: and ejects it. A floppy image opened
# with the app (as a drop does) makes a dos-profile VM in the wizard with Next, Next, Create. TAP output; screenshots land in $HV_ARTIFACTS.
#
# Needs: HV_BUILDDIR, HV_SRCDIR, HV_ARTIFACTS; the packages of ui-lib.sh; mkfs.fat.

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=ui-lib.sh
source "$here/ui-lib.sh"
export HOSTVISOR_IDLE_EXIT=120
export HOSTVISOR_NO_KVM=1

if ! command -v mkfs.fat >/dev/null; then
  echo "1..0 # SKIP mkfs.fat is not installed (dosfstools)"
  exit 0
fi
export HV_FLOPPY="$HV_TMP/disk1.img"
export HV_FLOPPY_B="$HV_TMP/disk2.img"
export HV_FLOPPY_GAME="$HV_TMP/game.img"
export HV_FLOPPY_RECENT="$HV_TMP/disk3.img"
if ! mkfs.fat -C "$HV_FLOPPY" 1440 >/dev/null || ! mkfs.fat -C "$HV_FLOPPY_B" 720 >/dev/null ||
   ! mkfs.fat -C "$HV_FLOPPY_GAME" 1440 >/dev/null ||
   ! mkfs.fat -C "$HV_FLOPPY_RECENT" 1440 >/dev/null; then
  echo "Bail out! mkfs.fat could not make a floppy image"
  exit 1
fi
if ! "$CTL" create dosvm --profile dos --floppy "$HV_FLOPPY" --no-disk >/dev/null; then
  echo "Bail out! could not create the dos-profile VM with hostvisorctl"
  exit 1
fi
# The drive menu's recent images live in the state directory (ui/hv-recent-media.c): ours,
# holding an image whose file is gone (shown disabled) and one that is there (for B:).
export XDG_STATE_HOME="$HV_TMP/state"
mkdir -p "$XDG_STATE_HOME/hostvisor"
printf '[Recent]\nFloppy=%s;%s;\n' "$HV_TMP/gone.img" "$HV_FLOPPY_RECENT" \
  >"$XDG_STATE_HOME/hostvisor/recent-media"
export HV_LIBRARY="$LIBRARY"
run_session "$here/test-legacy-ui.py"
