#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-3.0-or-later
# UI test: the New VM wizard and the console, under Xvfb against a real engine, driven
# through AT-SPI as a person (or a screen reader) would drive them. test-wizard-console.py
# presses "+" in the real hostvisor window, picks the GRUB rescue CD in the file chooser,
# creates and starts the VM, then opens its console and checks that it shows GRUB's menu.
# TAP output; screenshots land in $HV_ARTIFACTS.
#
# Needs: HV_BUILDDIR, HV_SRCDIR, HV_ARTIFACTS; packages xvfb, dbus, at-spi2-core, python3-gi,
# gir1.2-atspi-2.0, imagemagick, xdotool, grub-rescue-pc.

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=../integration/lib.sh
source "$HV_SRCDIR/tests/integration/lib.sh"
# The app keeps the engine busy; no idle exit while the test looks at the window.
export HOSTVISOR_IDLE_EXIT=60

ISO=/usr/lib/grub-rescue/grub-rescue-cdrom.iso
for tool in Xvfb dbus-run-session import convert xdotool /usr/bin/python3; do
  if ! command -v "$tool" >/dev/null; then
    echo "1..0 # SKIP $tool is not installed (tools/setup.sh installs it)"
    exit 0
  fi
done
if ! /usr/bin/python3 -c 'import gi; gi.require_version("Atspi", "2.0")' 2>/dev/null; then
  echo "1..0 # SKIP python3-gi with Atspi is not installed"
  exit 0
fi
if [ ! -r "$ISO" ]; then
  echo "1..0 # SKIP $ISO is missing (package grub-rescue-pc)"
  exit 0
fi

XVFB_PID=
ui_cleanup () {
  [ -n "$XVFB_PID" ] && kill "$XVFB_PID" 2>/dev/null
  cleanup
}
trap ui_cleanup EXIT

# A display of our own: other tests (and people) may run X servers beside us, so pick a
# number that looks free, check that the server really answers, and try another if not.
start_xvfb () {
  local n
  for attempt in 1 2 3 4 5 6 7 8; do
    n=$(( 100 + (RANDOM % 800) ))
    [ -e "/tmp/.X$n-lock" ] || [ -e "/tmp/.X11-unix/X$n" ] && continue
    # -noreset: the probe below is the first client; when it leaves, Xvfb would reset, and an
    # app connecting during the reset fails with "cannot open display".
    Xvfb ":$n" -screen 0 1280x800x24 -nolisten tcp -noreset >"$HV_TMP/xvfb.log" 2>&1 &
    XVFB_PID=$!
    if wait_until 10 env DISPLAY=":$n" xdotool getdisplaygeometry; then
      export DISPLAY=":$n"
      return 0
    fi
    kill "$XVFB_PID" 2>/dev/null
    wait "$XVFB_PID" 2>/dev/null
    XVFB_PID=
  done
  return 1
}
start_xvfb || { echo "Bail out! Xvfb did not start"; sed 's/^/# /' "$HV_TMP/xvfb.log"; exit 1; }

# The library starts empty: the engine comes up with the app (the app starts it).
export HV_APP="$HV_BUILDDIR/app/hostvisor"
export HV_CTL="$CTL"
export HV_ARTIFACTS
export HV_ISO="$ISO"
export HV_PNG_COLOURS="$HV_SRCDIR/tests/integration/png-colours.py"
export HV_TMP

# dbus-run-session's own messages (fd limits, service activation) go to the log, not TAP.
# The AT-SPI registry says hello on stdout: as a TAP comment, not a stray line.
dbus-run-session -- /usr/bin/python3 "$here/test-wizard-console.py" \
  2>"$HV_TMP/session.log" | sed -u 's/^SpiRegistry daemon/# SpiRegistry daemon/'
rc=${PIPESTATUS[0]}
if [ $rc -ne 0 ]; then
  sed 's/^/# /' "$HV_TMP/session.log" | tail -n 30
fi
exit $rc
