#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-3.0-or-later
# UI test: the hostvisor window under Xvfb against a real engine, read through AT-SPI.
# Fills an isolated library with hostvisorctl, then runs test-window.py inside its own
# session bus (dbus-run-session), where GTK publishes its accessibility tree. TAP output;
# screenshots land in $HV_ARTIFACTS.
#
# Needs: HV_BUILDDIR, HV_SRCDIR, HV_ARTIFACTS; packages xvfb, dbus, at-spi2-core, python3-gi,
# gir1.2-atspi-2.0, imagemagick, xdotool.

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=../integration/lib.sh
source "$HV_SRCDIR/tests/integration/lib.sh"
# The test kills the engine on purpose and the app starts a new one: no idle exit meanwhile.
export HOSTVISOR_IDLE_EXIT=60

for tool in Xvfb dbus-run-session import xdotool /usr/bin/python3; do
  if ! command -v "$tool" >/dev/null; then
    echo "1..0 # SKIP $tool is not installed (tools/setup.sh installs it)"
    exit 0
  fi
done
if ! /usr/bin/python3 -c 'import gi; gi.require_version("Atspi", "2.0")' 2>/dev/null; then
  echo "1..0 # SKIP python3-gi with Atspi is not installed"
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

# The library: nested folders, an empty folder, a top-level VM and one that boots a CD.
setup_ok=1
"$CTL" create web --folder Lab/Web --no-disk --memory 64 >/dev/null || setup_ok=0
"$CTL" create db --folder Lab --no-disk --memory 64 >/dev/null || setup_ok=0
"$CTL" create top --no-disk --memory 64 >/dev/null || setup_ok=0
"$CTL" create grub --folder Boot --no-disk --memory 64 \
  --iso /usr/lib/grub-rescue/grub-rescue-cdrom.iso --boot d >/dev/null || setup_ok=0
"$CTL" folder create Empty >/dev/null || setup_ok=0
if [ "$setup_ok" -ne 1 ]; then
  echo "Bail out! could not create the test library with hostvisorctl"
  exit 1
fi

# The app starts a new engine when it loses its own. This wrapper lets the test hold that
# back while a file exists, so that it can see the window without an engine.
export HV_HOLD_ENGINE="$HV_TMP/hold-engine"
cat >"$HV_TMP/hostvisord-wrapper" <<WRAPPER
#!/bin/sh
while [ -e "$HV_HOLD_ENGINE" ]; do sleep 0.1; done
exec "$HOSTVISORD" "\$@"
WRAPPER
chmod +x "$HV_TMP/hostvisord-wrapper"

if ! kill -0 "$XVFB_PID" 2>/dev/null; then
  echo "Bail out! Xvfb on $DISPLAY died"
  sed 's/^/# /' "$HV_TMP/xvfb.log"
  exit 1
fi
export HV_APP="$HV_BUILDDIR/app/hostvisor"
export HV_CTL="$CTL"
export HV_ARTIFACTS
# How the Python side finds the engine (lib.sh's engine_pid, as a command line).
export HV_ENGINE_PID_CMD="fuser '$XDG_RUNTIME_DIR/hostvisor/engine.lock' 2>/dev/null | tr -s ' ' '\n' | grep -E '^[0-9]+\$' | head -n 1"

# dbus-run-session's own messages (fd limits, service activation) go to the log, not TAP.
HOSTVISORD="$HV_TMP/hostvisord-wrapper" \
  dbus-run-session -- /usr/bin/python3 "$here/test-window.py" 2>"$HV_TMP/session.log"
rc=$?
if [ $rc -ne 0 ]; then
  sed 's/^/# /' "$HV_TMP/session.log" | tail -n 30
fi
exit $rc
