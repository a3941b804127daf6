#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-3.0-or-later
# The guest tools installer in a real guest that boots with systemd, as a user installs them: a
# Debian 12 guest (tests/guest-x11/make-x11-guest.sh --systemd: debootstrap with systemd and udev,
# no agent, cached in the build tree) on TCG, driven through hostvisorctl. Once it is up the test
# inserts the guest tools CD (`hostvisorctl guest-tools NAME insert`); a unit baked into the test
# image (tests/guest-x11/hv-tools-test) mounts /dev/sr0 and runs the CD's own install.sh, and
# reports on the serial console. The test checks: install.sh exits 0, the service is enabled and
# active, the engine sees the agent connected with its version, the share added before boot is
# mounted at /media/hostvisor/NAME by the agent (the guest reads a file the host wrote, and
# writes one back), and after a clean reboot the agent comes back by itself.
#
# Building the guest needs root, debootstrap and the Debian archive (through the mirror apt uses
# here); without them the test is skipped and says why.
source "$(dirname "$0")/lib.sh"

BOOT_WAIT=300
AGENT="$HV_BUILDDIR/guest-tools/hostvisor-agent"
ISO="$HV_BUILDDIR/guest-tools/hostvisor-guest-tools.iso"
VM=tools
MARK="HOSTVISOR-GUEST:"

if [ ! -f "$ISO" ]; then
  # Built by default where xorriso is installed (guest-tools/meson.build).
  echo "ok 1 # SKIP no guest tools ISO ($ISO): xorriso is not installed"
  echo "1..1"
  exit 0
fi
AGENT_VERSION=$(sed -n 's/^#define AGENT_VERSION "\(.*\)"$/\1/p' \
                  "$HV_SRCDIR/guest-tools/agent/agent.h")

# --- the guest ------------------------------------------------------------------------------------

GUEST_DIR="$HV_BUILDDIR/tests/guest-x11"
t0=$SECONDS
rc=0
"$HV_SRCDIR/tests/guest-x11/make-x11-guest.sh" "$GUEST_DIR" --systemd \
  >"$HV_TMP/guest-build.log" 2>&1 || rc=$?
if [ $rc -eq 77 ]; then
  reason=$(grep -m1 'cannot build the X11 guest here' "$HV_TMP/guest-build.log" |
             sed 's/.*cannot build the X11 guest here: //')
  diag "$(cat "$HV_TMP/guest-build.log")"
  echo "ok 1 # SKIP the Debian guest cannot be built: ${reason:-see the log above}"
  echo "1..1"
  exit 0
elif [ $rc -ne 0 ]; then
  diag "$(cat "$HV_TMP/guest-build.log")"
  not_ok "build the systemd guest (exit $rc)"
  finish
  exit 1
fi
ok "build the systemd guest ($((SECONDS - t0)) s)"
IMG_DIR="$GUEST_DIR/systemd"

# The guest writes to its disk: each run boots its own copy. Shares live on the build tree's disk
# (9p's mapped-xattr needs user xattrs).
RUN_DIR=$(mktemp -d "$HV_BUILDDIR/tests/tools-run.XXXXXX")
trap 'rm -rf "$RUN_DIR"; cleanup' EXIT
cp --sparse=always "$IMG_DIR/image.raw" "$RUN_DIR/disk.raw"
mkdir -p "$RUN_DIR/docs"
HELLO="host-says-hello-$$"
echo "$HELLO" >"$RUN_DIR/docs/hello.txt"

expect_ok "create the VM" create $VM --os debian12 --machine q35 --memory 768 \
  --disk "$RUN_DIR/disk.raw" --disk-format raw \
  --kernel "$IMG_DIR/vmlinuz" --initrd "$IMG_DIR/initrd.img" \
  --cmdline "root=/dev/vda rw console=ttyS0 quiet" --clipboard both
expect_ok "share a folder before the first boot" share $VM add "$RUN_DIR/docs" --name docs

agent_connected () {
  local c
  c=$(vm_field $VM agent.connected)
  [ "$c" = True ] || [ "$c" = true ]
}
# serial_line PATTERN: the first line of the serial log that matches (grep -E), without the CR.
serial_line () {
  "$CTL" log $VM 2>/dev/null | tr -d '\r' | grep -m1 -E -- "$1"
}
has_line () { [ -n "$(serial_line "$1")" ]; }
dump_serial () {
  diag "the guest's serial log ends with:"
  diag "$("$CTL" log $VM 2>&1 | tr -d '\r' | tail -n 60)"
}

expect_ok "start" start $VM
t0=$SECONDS
check "the guest boots with systemd and waits for the CD" \
  wait_until $BOOT_WAIT has_line "$MARK waiting for the guest tools CD"
diag "boot: $((SECONDS - t0)) s; $(serial_line "$MARK systemd boot 1")"
if ! has_line "$MARK waiting for the guest tools CD"; then
  dump_serial
  finish
  exit 1
fi
check "…PID 1 is systemd" has_line "$MARK systemd boot 1, .* init systemd"
check "…no agent is installed before the CD" \
  has_line "$MARK agent before: .*(No such file|not-found)"
check "…and none is connected" test "$(vm_field $VM agent.connected)" = False

# --- the user inserts the CD; the guest mounts it and runs install.sh ----------------------------

expect_ok "insert the guest tools CD" guest-tools $VM insert
t0=$SECONDS
check "the guest runs install.sh from the CD" wait_until 180 has_line "$MARK install.sh exit [0-9]+"
diag "install: $((SECONDS - t0)) s; $(serial_line "$MARK CD mounted")"
diag "$("$CTL" log $VM 2>/dev/null | tr -d '\r' | grep '^install.sh: ')"
check "install.sh exits 0" has_line "$MARK install.sh exit 0\$"
check "systemctl is-enabled hostvisor-agent: enabled" \
  wait_until 60 has_line "$MARK is-enabled enabled \(boot 1\)"
check "systemctl is-active hostvisor-agent: active" \
  wait_until 30 has_line "$MARK is-active active \(boot 1\)"
check "…running the installed /usr/local/sbin/hostvisor-agent" \
  wait_until 30 has_line "$MARK agent pid [0-9]+ exe /usr/local/sbin/hostvisor-agent"

t0=$SECONDS
check "the engine sees the agent connected" wait_until 120 agent_connected
diag "agent: $((SECONDS - t0)) s after install"
run_ctl show $VM --json
check "…with its version ($AGENT_VERSION)" test "$(json_get agent.version)" = "$AGENT_VERSION"
check "…and the guest's OS (Debian)" grep -q "Debian" <<<"$(json_get agent.os)"
run_ctl show $VM
check "show names the agent's version" grep -qE "Guest agent: +$AGENT_VERSION" <<<"$OUT"
diag "$(grep -E 'Guest' <<<"$OUT")"

share_state () {
  run_ctl show $VM --json && python3 -c '
import json, sys
for s in json.loads(sys.argv[1])["shares"]:
    if s["name"] == sys.argv[2]:
        print(s["status"] or "")' "$OUT" "$1"
}
share_mounted () { [ "$(share_state docs)" = mounted ]; }
check "the agent reports the share mounted" wait_until 60 share_mounted
check "the guest reads the host's file at /media/hostvisor/docs" \
  wait_until 60 has_line "$MARK share docs: $HELLO \(boot 1\)"
check "…and the host reads the file the guest wrote there" \
  wait_until 30 grep -qx "written in the guest on boot 1" "$RUN_DIR/docs/from-guest-1.txt"
diag "$(serial_line '^mounts: ')"

# The desktop side: the guest starts a user's X session (Xvfb with a cookie) and runs the
# autostart entry the CD installed, then copies text there with xclip.
check "the guest's X session does not let root in by itself" \
  wait_until 60 has_line "$MARK desktop: root is refused before the grant"
AUTOSTART="/usr/local/sbin/hostvisor-agent --grant-display"
check "the autostart entry's command (--grant-display) succeeds in the session" \
  wait_until 30 has_line "$MARK desktop: autostart '$AUTOSTART' exit 0"
check "…and the system agent then uses the session's display" \
  wait_until 90 has_line "$MARK desktop: the agent uses display :5"
session_copy () { run_ctl clipboard $VM get && [ "$OUT" = "copied in the session of hvuser" ]; }
wait_until 30 has_line "$MARK desktop: copied"
check "a copy in the session reaches the host (clipboard get)" wait_until 60 session_copy
[ "$OUT" = "copied in the session of hvuser" ] || diag "clipboard get: exit $RC, '$OUT' $ERR"

# --- a clean reboot: the agent comes back by itself -----------------------------------------------

# The guest's test unit reboots with systemctl when the host asks through the share.
: >"$RUN_DIR/docs/reboot-request"
check "the guest reboots (systemctl reboot)" wait_until 60 has_line "$MARK rebooting"
t0=$SECONDS
check "the guest boots again" wait_until $BOOT_WAIT has_line "$MARK systemd boot 2"
check "after the reboot the service is enabled" \
  wait_until 120 has_line "$MARK is-enabled enabled \(boot 2\)"
check "…and active, started by systemd" \
  wait_until 30 has_line "$MARK is-active active \(boot 2\)"
check "…the agent mounts the share again" \
  wait_until 120 has_line "$MARK share docs: $HELLO \(boot 2\)"
check "…the guest writes to it again" \
  wait_until 30 grep -qx "written in the guest on boot 2" "$RUN_DIR/docs/from-guest-2.txt"
check "…and the engine sees the agent connected" wait_until 60 agent_connected
diag "second boot to agent: $((SECONDS - t0)) s"
check "install.sh ran once" \
  test "$("$CTL" log $VM 2>/dev/null | grep -c "$MARK install.sh exit")" -eq 1
boot_times () { [ "$("$CTL" log $VM 2>/dev/null | grep -c '^boot time: ')" -ge 2 ]; }
wait_until 120 boot_times
diag "$("$CTL" log $VM 2>/dev/null | tr -d '\r' | grep -E "^boot (time|blame|chain)|$MARK systemd boot")"

[ "$TAP_FAILED" -eq 0 ] || dump_serial
expect_ok "power off" poweroff $VM
check "…the VM is off" wait_until 30 state_is $VM poweroff

finish
