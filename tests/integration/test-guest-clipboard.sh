#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-3.0-or-later
# The shared clipboard end to end against a real X11 clipboard inside a guest: a Debian 12 guest
# (tests/guest-x11/make-x11-guest.sh: debootstrap with Xvfb and xclip, cached in the build tree)
# runs the static hostvisor-agent on Xvfb's display :0, on TCG, driven through hostvisorctl.
# Text set on the host reads back in the guest with xclip, text and a PNG copied in the guest
# with xclip read back with `hostvisorctl clipboard get`, and the clipboard modes hold: with
# host-to-guest the guest's copy stays in the guest, with off the clipboard refuses.
#
# Building the guest needs root, debootstrap and the Debian archive (through the mirror apt uses
# here); without them the test is skipped and says why.
source "$(dirname "$0")/lib.sh"

BOOT_WAIT=300
AGENT="$HV_BUILDDIR/guest-tools/hostvisor-agent"
VM=x11

if [ ! -x "$AGENT" ]; then
  not_ok "the guest agent is built ($AGENT)"
  finish
  exit 1
fi

# --- the guest ------------------------------------------------------------------------------------

GUEST_DIR="$HV_BUILDDIR/tests/guest-x11"
t0=$SECONDS
rc=0
"$HV_SRCDIR/tests/guest-x11/make-x11-guest.sh" "$GUEST_DIR" --agent "$AGENT" \
  >"$HV_TMP/guest-build.log" 2>&1 || rc=$?
if [ $rc -eq 77 ]; then
  # No root, no debootstrap or no archive: nothing here can be tested.
  reason=$(grep -m1 'cannot build the X11 guest here' "$HV_TMP/guest-build.log" |
             sed 's/.*cannot build the X11 guest here: //')
  diag "$(cat "$HV_TMP/guest-build.log")"
  echo "ok 1 # SKIP the X11 guest cannot be built: ${reason:-see the log above}"
  echo "1..1"
  exit 0
elif [ $rc -ne 0 ]; then
  diag "$(cat "$HV_TMP/guest-build.log")"
  not_ok "build the X11 guest (exit $rc)"
  finish
  exit 1
fi
ok "build the X11 guest ($((SECONDS - t0)) s)"

# The guest writes to its disk: each run boots its own copy, the cached image stays pristine.
RUN_DIR=$(mktemp -d "$HV_BUILDDIR/tests/x11-run.XXXXXX")
trap 'rm -rf "$RUN_DIR"; cleanup' EXIT
cp --sparse=always "$GUEST_DIR/image.raw" "$RUN_DIR/disk.raw"

# --os debian12 puts the disk on virtio (without it the engine picks IDE, and root=/dev/vda
# would not exist); the host's initramfs has virtio_blk and ext4.
expect_ok "create the VM" create $VM --os debian12 --machine q35 --memory 512 \
  --disk "$RUN_DIR/disk.raw" --disk-format raw \
  --kernel "$GUEST_DIR/vmlinuz" --initrd "$GUEST_DIR/initrd.img" \
  --cmdline "root=/dev/vda rw console=ttyS0 init=/hv-init" --clipboard both
run_ctl show $VM --json
check "the disk is on virtio (root=/dev/vda)" \
  python3 -c 'import json,sys; d=[d for d in json.loads(sys.argv[1])["drives"] if d.get("type")=="disk"]; sys.exit(0 if d and d[0].get("bus")=="virtio" else 1)' "$OUT"

expect_ok "start" start $VM

agent_connected () {
  local c
  c=$(vm_field $VM agent.connected)
  [ "$c" = True ] || [ "$c" = true ]
}
t0=$SECONDS
check "the guest boots (Xvfb, the agent)" wait_until $BOOT_WAIT log_has $VM "HOSTVISOR-GUEST: ready"
check "the agent connects ($((SECONDS - t0)) s)" wait_until 120 agent_connected
if ! agent_connected; then
  diag "$("$CTL" log $VM 2>&1 | tail -n 40)"
  finish
  exit 1
fi
check "Xvfb runs in the guest" log_has $VM "HOSTVISOR-GUEST: xvfb up"

# guest COMMAND [SECONDS]: runs a shell command on the guest's serial console and prints its output, taken
# from the serial log between two markers (the console's own output may end before a slow TCG
# guest has answered). The markers are split in the typed line so that its echo never matches.
guest () {
  local n begin end deadline
  # Unique even where the caller runs in a subshell ($(…), a pipeline), which a counter is not.
  n="$$-$(date +%s%N)"
  begin="@@BEGIN-$n@@"
  end="@@END-$n@@"
  printf 'echo "@@BEG""IN-%s@@"; %s; echo "@@E""ND-%s@@"\n' "$n" "$1" "$n" |
    timeout 30 "$CTL" console $VM >/dev/null 2>&1
  deadline=$((SECONDS + ${2:-60}))
  while [ $SECONDS -lt $deadline ]; do
    if "$CTL" log $VM 2>/dev/null | tr -d '\r' >"$HV_TMP/serial.txt" &&
       grep -qxF "$end" "$HV_TMP/serial.txt"; then
      sed -n "/^$begin\$/,/^$end\$/p" "$HV_TMP/serial.txt" | sed '1d;$d'
      return 0
    fi
    sleep 0.5
  done
  echo "(no answer from the guest to: $1)"
  return 1
}

hex_of () { od -An -tx1 -v | tr -d ' \n'; }

# The guest's CLIPBOARD selection, as hex (the serial line must not mangle the bytes).
guest_clipboard_hex () {
  guest 'DISPLAY=:0 xclip -o -selection clipboard 2>/dev/null | od -An -tx1 -v | tr -d " \n"; echo' |
    tail -n 1
}

OUT=$(guest 'echo guest-shell-$((6 * 7))')
check "the guest's console shell answers" grep -qx "guest-shell-42" <<<"$OUT"
diag "$OUT"

# --- host → guest ---------------------------------------------------------------------------------

HOST_TEXT="hello from the host ✓"
HOST_HEX=$(printf '%s' "$HOST_TEXT" | hex_of)
expect_ok "clipboard set (host)" clipboard $VM set "$HOST_TEXT"
t0=$SECONDS
guest_has_host_text () { [ "$(guest_clipboard_hex)" = "$HOST_HEX" ]; }
check "the host's text reads back exactly in the guest with xclip" \
  wait_until 60 guest_has_host_text
diag "host → guest: $((SECONDS - t0)) s; guest read: $(guest_clipboard_hex)"

# --- guest → host ---------------------------------------------------------------------------------

# xclip -i forks and keeps owning the selection in the background.
guest 'printf "guest text 42" | DISPLAY=:0 xclip -i -selection clipboard' >/dev/null
t0=$SECONDS
host_has () { run_ctl clipboard $VM get && [ "$OUT" = "$1" ]; }
check "text copied in the guest reads back with clipboard get" wait_until 60 host_has "guest text 42"
diag "guest → host: $((SECONDS - t0)) s; get: $OUT"

# A PNG copied in the guest: the same bytes come out of `clipboard get` (redirected to a file).
python3 - "$HV_TMP/in.png" <<'PY'
import struct, sys, zlib
w, h = 16, 8
rows = b"".join(b"\0" + b"".join(bytes((x * 16, y * 32, 200)) for x in range(w)) for y in range(h))
def chunk(kind, data):
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
png = (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 2, 0, 0, 0))
       + chunk(b"IDAT", zlib.compress(rows, 9)) + chunk(b"IEND", b""))
open(sys.argv[1], "wb").write(png)
PY
B64=$(base64 -w0 "$HV_TMP/in.png")
guest "echo $B64 | base64 -d >/tmp/in.png && DISPLAY=:0 xclip -i -selection clipboard -t image/png /tmp/in.png" >/dev/null
host_has_png () {
  "$CTL" clipboard $VM get >"$HV_TMP/out.png" 2>/dev/null && cmp -s "$HV_TMP/in.png" "$HV_TMP/out.png"
}
check "a PNG copied in the guest comes out of clipboard get byte for byte" wait_until 60 host_has_png

# A PNG from the host: `clipboard set` takes text only, so through the engine's D-Bus method
# (Vm.SetClipboard, image/png) as the desktop app calls it. dbus-send speaks to the engine's
# peer-to-peer socket (gdbus call insists on a message bus).
if command -v dbus-send >/dev/null 2>&1; then
  BUS="unix:path=$XDG_RUNTIME_DIR/hostvisor/engine.sock"
  VM_PATH=$(dbus-send --peer="$BUS" --print-reply /io/github/hostvisor/Engine \
              io.github.hostvisor.Engine.FindVm string:$VM 2>&1 |
              sed -n 's/^ *object path "\(.*\)"$/\1/p')
  # A different picture from the one above, so that stale content cannot pass.
  python3 - "$HV_TMP/host.png" <<'PY'
import struct, sys, zlib
w, h = 24, 4
rows = b"".join(b"\0" + b"".join(bytes((250, x * 10, y * 60)) for x in range(w)) for y in range(h))
def chunk(kind, data):
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
png = (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 2, 0, 0, 0))
       + chunk(b"IDAT", zlib.compress(rows, 9)) + chunk(b"IEND", b""))
open(sys.argv[1], "wb").write(png)
PY
  BYTES=$(od -An -tu1 -v "$HV_TMP/host.png" | tr -s ' \n' ' ' | sed 's/^ //; s/ $//; s/ /,/g')
  RC=1
  if [ -n "$VM_PATH" ]; then
    OUT=$(dbus-send --peer="$BUS" --print-reply "$VM_PATH" io.github.hostvisor.Vm.SetClipboard \
            string:image/png "array:byte:$BYTES" 2>&1)
    RC=$?
  fi
  check "Vm.SetClipboard takes a PNG (D-Bus)" test $RC -eq 0
  [ $RC -eq 0 ] || diag "path '$VM_PATH': $OUT"
  HOST_PNG_SUM=$(sha256sum <"$HV_TMP/host.png" | cut -d' ' -f1)
  guest_has_png () {
    guest 'DISPLAY=:0 xclip -o -selection clipboard -t image/png 2>/dev/null | sha256sum' |
      grep -q "^$HOST_PNG_SUM "
  }
  check "the host's PNG reads back in the guest with xclip -t image/png" wait_until 60 guest_has_png
  OUT=$(guest 'DISPLAY=:0 xclip -o -selection clipboard -t TARGETS')
  check "…the guest's clipboard offers image/png" grep -qx "image/png" <<<"$OUT"
  diag "targets: $(tr '\n' ' ' <<<"$OUT")"
  "$CTL" clipboard $VM get >"$HV_TMP/get.png" 2>/dev/null
  check "…and clipboard get returns the same PNG" cmp -s "$HV_TMP/host.png" "$HV_TMP/get.png"
else
  TAP_N=$((TAP_N + 1))
  echo "ok $TAP_N # SKIP a PNG from the host: no dbus-send to call Vm.SetClipboard"
fi

# --- mode host-to-guest: the guest's copy stays in the guest --------------------------------------

expect_ok "clipboard mode host-to-guest" modify $VM --clipboard host-to-guest
H2G_TEXT="host value in host-to-guest mode"
expect_ok "clipboard set in host-to-guest mode" clipboard $VM set "$H2G_TEXT"
H2G_HEX=$(printf '%s' "$H2G_TEXT" | hex_of)
guest_has_h2g () { [ "$(guest_clipboard_hex)" = "$H2G_HEX" ]; }
check "…it reaches the guest" wait_until 60 guest_has_h2g
guest 'printf "guest secret 7" | DISPLAY=:0 xclip -i -selection clipboard' >/dev/null
# Make sure the guest's copy happened (so the check below can fail), then give the engine the
# time it takes in mode both (a few seconds, above) and more.
OUT=$(guest 'DISPLAY=:0 xclip -o -selection clipboard; echo')
check "…the guest's own copy is in the guest's clipboard" grep -qx "guest secret 7" <<<"$OUT"
sleep 10
run_ctl clipboard $VM get
check "…but does not reach the host (get keeps the host's value)" test "$OUT" = "$H2G_TEXT"
[ "$OUT" = "$H2G_TEXT" ] || diag "get: exit $RC, stdout: $OUT, stderr: $ERR"

# --- mode guest-to-host: the host's value stays on the host --------------------------------------

expect_ok "clipboard mode guest-to-host" modify $VM --clipboard guest-to-host
guest 'printf "guest text in guest-to-host mode" | DISPLAY=:0 xclip -i -selection clipboard' >/dev/null
check "…a copy in the guest reaches the host" \
  wait_until 60 host_has "guest text in guest-to-host mode"
G2H_HEX=$(printf '%s' "guest text in guest-to-host mode" | hex_of)
expect_ok "clipboard set in guest-to-host mode" clipboard $VM set "host value in guest-to-host mode"
sleep 10
OUT=$(guest_clipboard_hex)
check "…but the host's value does not reach the guest (xclip reads the guest's own)" \
  test "$OUT" = "$G2H_HEX"

# --- mode off --------------------------------------------------------------------------------------

expect_ok "clipboard mode off" modify $VM --clipboard off
expect_fail "…clipboard get refuses" "off" clipboard $VM get
expect_fail "…clipboard set refuses" "off" clipboard $VM set "nope"
diag "off: $ERR"

# --- back to both: the guest's copy crosses again -------------------------------------------------

expect_ok "clipboard mode both again" modify $VM --clipboard both
guest 'printf "guest text again" | DISPLAY=:0 xclip -i -selection clipboard' >/dev/null
check "…a new copy in the guest reaches the host" wait_until 60 host_has "guest text again"

if [ "$TAP_FAILED" -gt 0 ]; then
  diag "the agent's log in the guest:"
  diag "$(guest 'cat /tmp/agent.log' 20)"
fi

# The guest powers off by itself on the ACPI power button (hv-init watches it).
check "the guest watches the power button" log_has $VM "HOSTVISOR-GUEST: power button watched"
expect_ok "stop (ACPI power button)" stop $VM --timeout 90
check "…the guest powered itself off" log_has $VM "power button pressed, powering off"
check "…the VM is off" wait_until 30 state_is $VM poweroff

finish
