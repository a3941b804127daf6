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
# shellcheck source=ui-lib.sh
source "$here/ui-lib.sh"
# The test kills the engine on purpose and the app starts a new one: no idle exit meanwhile.
export HOSTVISOR_IDLE_EXIT=60

# The library: nested folders, an empty folder, a top-level VM and one that boots a CD.
setup_ok=1
"$CTL" create web --folder Lab/Web --no-disk --memory 64 >/dev/null || setup_ok=0
"$CTL" create db --folder Lab --no-disk --memory 64 >/dev/null || setup_ok=0
"$CTL" create top --no-disk --memory 64 >/dev/null || setup_ok=0
"$CTL" create grub --folder Boot --no-disk --memory 64 \
  --iso /usr/lib/grub-rescue/grub-rescue-cdrom.iso --boot d >/dev/null || setup_ok=0
"$CTL" folder create Empty >/dev/null || setup_ok=0
# Names that sort differently by bytes and as a person reads them.
for name in "Émile" "VM 10" "VM 2" zulu; do
  "$CTL" create "$name" --no-disk --memory 64 >/dev/null || setup_ok=0
done
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

# Help opens the README with the desktop's handler for Markdown: here one that writes down
# what it was given, for the test to read.
mkdir -p "$XDG_DATA_HOME/applications"
cat >"$XDG_DATA_HOME/applications/hv-test-help.desktop" <<DESKTOP
[Desktop Entry]
Type=Application
Name=Hostvisor test help viewer
Exec=/bin/sh -c 'echo "\$1" >"$HV_TMP/help-opened"' sh %f
MimeType=text/markdown;text/plain;
NoDisplay=true
DESKTOP
cat >"$XDG_CONFIG_HOME/mimeapps.list" <<MIMEAPPS
[Default Applications]
text/markdown=hv-test-help.desktop
text/plain=hv-test-help.desktop
MIMEAPPS

if ! kill -0 "$XVFB_PID" 2>/dev/null; then
  echo "Bail out! Xvfb on $DISPLAY died"
  sed 's/^/# /' "$HV_TMP/xvfb.log"
  exit 1
fi
# The demo guest is built in a second here (the builder's cache): a builder that waits until
# the test has looked (it creates demo-looked), or 60 s at most, lets the test see the progress
# the window shows meanwhile however slowly the accessibility tree answers under load. The
# engine the app starts again after the test stops it has it.
cat >"$HV_TMP/slow-guest-builder" <<BUILDER
#!/bin/sh
n=0
while [ ! -e "$HV_TMP/demo-looked" ] && [ \$n -lt 300 ]; do sleep 0.2; n=\$((n + 1)); done
exec "$HV_SRCDIR/tests/guest/make-tiny-guest.sh" "\$@"
BUILDER
chmod +x "$HV_TMP/slow-guest-builder"
export HOSTVISOR_GUEST_BUILDER="$HV_TMP/slow-guest-builder"

# How the Python side finds the engine (lib.sh's engine_pid, as a command line).
export HV_ENGINE_PID_CMD="fuser '$XDG_RUNTIME_DIR/hostvisor/engine.lock' 2>/dev/null | tr -s ' ' '\n' | grep -E '^[0-9]+\$' | head -n 1"

HOSTVISORD="$HV_TMP/hostvisord-wrapper" run_session "$here/test-window.py"
