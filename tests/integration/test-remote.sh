#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-3.0-or-later
# Engines on other hosts over SSH (docs/remote.md): a second "host" in a network namespace
# runs Debian's sshd (its own config, host key and authorized keys, all made here), and
# Hostvisor (this build) is installed there for a second user, hvremote. Through
# `hostvisorctl --connect ssh://hvremote@HOST:PORT` the CLI lists, creates, starts the tiny
# guest, reads its serial log, takes a screenshot, types on its serial console, reads its
# display's RFB greeting over a second ssh (bridge --console), powers it off
# and deletes it; the VM lives in hvremote's library, run by hvremote's engine. Errors: a
# port where no sshd listens, a user without Hostvisor, an engine of another contract
# version, a connection cut during a call, addresses that try to become ssh options.
# Needs root (users, a namespace) and sshd (openssh-server); skips without them.
source "$(dirname "$0")/lib.sh"

BOOT_WAIT=180
# The second host: users, their Hostvisor, the namespace, sshd, keys (remote-host.sh).
source "$(dirname "$0")/remote-host.sh"
remote_host_require

if ! tiny_guest; then
  not_ok "build the tiny guest"
  finish
  exit 1
fi
ok "build the tiny guest"

remote_host_setup

REMOTE="ssh://hvremote@$REMOTE_IP:$PORT"
C=(--connect "$REMOTE")

# --- Every operation as locally ------------------------------------------------------------
expect_ok "--connect list: an empty library" "${C[@]}" list
check "…says so" test "$OUT" = "No virtual machines."
expect_ok "--connect version" "${C[@]}" version
check "…names the remote engine and its contract version" \
  grep -qF "on $REMOTE_IP (contract version 1)" <<<"$OUT"
check "…whose library is hvremote's" \
  grep -qF "Library: $R/home-hvremote/.local/share/hostvisor" <<<"$OUT"

expect_ok "--connect create the tiny VM" "${C[@]}" create tiny --no-disk --memory 256 \
  --kernel "$KERNEL" --initrd "$INITRD" --cmdline "console=ttyS0 quiet hv.heartbeat=1"
UUID=$OUT
check "the VM is in hvremote's library, made by hvremote" \
  test "$(stat -c %U "$R/home-hvremote/.local/share/hostvisor" 2>/dev/null)" = hvremote
run_ctl list
check "…and not in the local user's" test "$OUT" = "No virtual machines."
expect_ok "--connect list --json" "${C[@]}" list --json
check "…shows it" test "$(json_get 0.uuid)" = "$UUID"

expect_ok "--connect start" "${C[@]}" start tiny
check "QEMU runs as hvremote" \
  test "$(pgrep -u hvremote -fc -- "[q]emu-system-x86_64.*-uuid $UUID")" = 1
remote_log_has () {
  "$CTL" "${C[@]}" log tiny 2>/dev/null | grep -qF -- "$1"
}
check "--connect log: the guest's serial marker" wait_until $BOOT_WAIT remote_log_has \
  "HOSTVISOR-GUEST: ready"

expect_ok "--connect screenshot FILE" "${C[@]}" screenshot tiny "$HV_TMP/shot.png"
check "…writes a PNG" python3 -c '
import sys
d = open(sys.argv[1], "rb").read()
sys.exit(0 if d[:8] == b"\x89PNG\r\n\x1a\n" and len(d) > 100 else 1)' "$HV_TMP/shot.png"
"$CTL" "${C[@]}" screenshot "$UUID" - >"$HV_TMP/shot2.png" 2>"$HV_TMP/shot2.err"
check "--connect screenshot - (by UUID) to stdout" cmp -s -n 8 "$HV_TMP/shot.png" "$HV_TMP/shot2.png"

OUT=$(printf 'echo hv-$((6*7))-done\n' | timeout 60 "$CTL" "${C[@]}" console tiny 2>&1)
check "--connect console: a command typed runs in the guest" grep -q "hv-42-done" <<<"$OUT"

OUT=$(timeout 90 "$HV_BUILDDIR/tests/hv-remote-console-probe" "$REMOTE" "$UUID" 2>&1)
check "the VM's display over SSH (bridge --console): its RFB greeting" \
  grep -qE "^RFB 003\.00[378]" <<<"$OUT"
diag "$OUT"
expect_fail "--connect network setup is refused (it changes the host itself)" \
  "done on the host itself" "${C[@]}" network setup

# --- Errors ----------------------------------------------------------------------------------
expect_fail "a port where nothing listens: ssh's reason" \
  "^hostvisorctl: cannot reach $REMOTE_IP over SSH: .*(refused|Connection)" \
  --connect "ssh://hvremote@$REMOTE_IP:$((PORT + 1))" list
expect_fail "a user without Hostvisor: not installed" \
  "^hostvisorctl: Hostvisor is not installed on $REMOTE_IP" \
  --connect "ssh://hvnoeng@$REMOTE_IP:$PORT" list
expect_fail "an engine of another contract version is refused, naming both" \
  "contract version 999 and this client version 1" \
  --connect "ssh://hvoldver@$REMOTE_IP:$PORT" list
expect_fail "a connection cut during a call: lost" \
  "^hostvisorctl: lost the connection to the engine on $REMOTE_IP" \
  --connect "ssh://hvcut@$REMOTE_IP:$PORT" list
expect_fail "a host that would be an ssh option is refused (usage)" "begins with a letter" \
  --connect "ssh://-oProxyCommand=touch" list
check "…with exit status 2" test "$RC" -eq 2
expect_fail "a user that would be an option is refused" "user name" \
  --connect "ssh://-oProxyCommand=x@$REMOTE_IP" list
expect_fail "only ssh:// addresses" "must begin with ssh://" --connect "tcp://$REMOTE_IP" list
OUT=$(printf 'x' | "$CTL" bridge 2>&1)
check "bridge refuses what is not a D-Bus client" grep -q "not a D-Bus client" <<<"$OUT"

# --- The end ---------------------------------------------------------------------------------
expect_ok "--connect poweroff" "${C[@]}" poweroff tiny
check "…QEMU is gone" wait_until 30 bash -c "! pgrep -u hvremote -f -- '[q]emu-system-x86_64.*-uuid $UUID'"
# A reader that has had enough (`log | head`) ends it quietly, as locally: 2 MB of log, so that
# ssh really finds its stdout closed.
run_ctl "${C[@]}" show tiny --json
SERIAL_LOG=$(json_get serial_log)
head -c 2000000 /dev/zero | tr '\0' 'x' | fold -w 79 >"$SERIAL_LOG"
chown hvremote: "$SERIAL_LOG"
"$CTL" "${C[@]}" log tiny 2>"$HV_TMP/log-pipe.err" | head -c 10 >/dev/null
LOG_STATUS=${PIPESTATUS[0]}
check "--connect log | head: status 0" test "$LOG_STATUS" = 0
check "…and nothing on stderr" test ! -s "$HV_TMP/log-pipe.err"
diag "$(cat "$HV_TMP/log-pipe.err")"
expect_ok "--connect delete" "${C[@]}" delete tiny
expect_ok "--connect list after delete" "${C[@]}" list
check "…is empty again" test "$OUT" = "No virtual machines."
if ! grep -q "Accepted publickey for hvremote" "$HV_TMP/sshd.log"; then
  diag "sshd's log: $(tail -n 20 "$HV_TMP/sshd.log")"
fi

# --- The SDL viewer over SSH, and log --follow ended by Ctrl-C ----------------------------
# hostvisor-sdl --connect shows a VM of the second host in a window (its display through a
# second ssh: bridge --console there; never TCP), says why when the connection ends or cannot
# be made; a `log --follow` whose local client is interrupted ends on the remote host too.
SDL="$HV_BUILDDIR/app/hostvisor-sdl"
SDL_BLOCK_START=$SECONDS
expect_ok "--connect create a VM for the viewer" "${C[@]}" create sdlvm --no-disk --memory 128 \
  --kernel "$KERNEL" --initrd "$INITRD" --cmdline "console=ttyS0 quiet"
SDL_UUID=$OUT
expect_ok "--connect start it" "${C[@]}" start sdlvm
# Booted, its screen stays as it is (the viewer's window can be compared with a screenshot),
# and it writes nothing more to its serial port (for log --follow below).
sdl_log_ready () {
  "$CTL" "${C[@]}" log sdlvm 2>/dev/null | grep -qF "HOSTVISOR-GUEST: ready"
}
check "the viewer's VM booted" wait_until $BOOT_WAIT sdl_log_ready

XVFB=""
if command -v Xvfb >/dev/null; then
  Xvfb -displayfd 3 -nolisten tcp -screen 0 1024x768x24 3>"$HV_TMP/display" >/dev/null 2>&1 &
  XVFB=$!
  wait_until 20 test -s "$HV_TMP/display"
  XDISPLAY=:$(cat "$HV_TMP/display")
fi
# viewer OUTFILE ARGS…: hostvisor-sdl on the Xvfb display, in the background (its pid: $VIEWER).
viewer () {
  local out=$1
  shift
  env -u DBUS_SESSION_BUS_ADDRESS -u WAYLAND_DISPLAY -u SDL_VIDEODRIVER DISPLAY="$XDISPLAY" \
    G_MESSAGES_DEBUG=all "$SDL" "$@" >"$out" 2>&1 &
  VIEWER=$!
}
# ended_within SECONDS PID: the process is gone by then; its exit status in $VIEWER_RC.
ended_within () {
  wait_until "$1" bash -c "! kill -0 $2 2>/dev/null"
  local r=$?
  wait "$2" 2>/dev/null
  VIEWER_RC=$?
  return $r
}

if [ -n "$XVFB" ]; then
  viewer "$HV_TMP/sdl-1.out" --connect "$REMOTE" sdlvm
  check "hostvisor-sdl --connect: the remote VM's display, a first frame" \
    wait_until 90 grep -qF "first frame of sdlvm on $REMOTE_IP:" "$HV_TMP/sdl-1.out"
  check "…through bridge --console on the remote host" \
    quiet pgrep -u hvremote -f -- "hostvisorctl bridge --console $SDL_UUID"
  check "…and no TCP connection of the viewer's" \
    bash -c "! ss -tanp 2>/dev/null | grep -qF 'pid=$VIEWER,'"
  WID=$(DISPLAY="$XDISPLAY" xwininfo -root -tree 2>/dev/null |
        awk -v title="\"sdlvm on $REMOTE_IP — Hostvisor\":" 'index($0, title) { print $1; exit }')
  check "…in a window titled with the VM and its host" test -n "$WID"
  if [ -n "$WID" ] && command -v import >/dev/null; then
    import -display "$XDISPLAY" -window "$WID" "PNG24:$HV_TMP/sdl-window.png" 2>/dev/null
    "$CTL" "${C[@]}" screenshot sdlvm "$HV_TMP/sdl-shot.png" 2>/dev/null
    # The window (the guest's size, unscaled) against the remote screenshot, pixel by pixel
    # (png-colours.py decodes both; its blinking text cursor may differ).
    check "…that shows the guest's screen: the remote screenshot's pixels, 99 % or more" \
      python3 -c '
import sys
src = open(sys.argv[1]).read().rsplit("\nmain()", 1)[0]
exec(src)
(a, abpp), (b, bbpp) = pixels(sys.argv[2]), pixels(sys.argv[3])
if len(a) != len(b) or len(a[0]) // abpp != len(b[0]) // bbpp:
    sys.exit("sizes differ")
w, same = len(a[0]) // abpp, 0
for ra, rb in zip(a, b):
    same += sum(1 for x in range(w) if ra[x * abpp:x * abpp + 3] == rb[x * bbpp:x * bbpp + 3])
lit = sum(1 for r in b for x in range(w) if sum(r[x * bbpp:x * bbpp + 3]) > 0)
print(f"# {same} of {w * len(a)} pixels the same; {lit} lit in the screenshot")
sys.exit(0 if lit > 0 and same >= 0.99 * w * len(a) else 1)' \
      "$(dirname "$0")/png-colours.py" "$HV_TMP/sdl-window.png" "$HV_TMP/sdl-shot.png"
  else
    ok "# SKIP the window's pixels: no ImageMagick (import)"
  fi
  # The D-Bus bridge of the viewer's connection (the only --connect client now) ends there.
  pkill -TERM -u hvremote -fx ".*/hostvisorctl bridge"
  check "the connection lost: the viewer ends" ended_within 30 "$VIEWER"
  check "…with status 1" test "$VIEWER_RC" = 1
  check "…saying why" grep -qE "^hostvisor-sdl: lost the connection to (the engine on )?$REMOTE_IP" \
    "$HV_TMP/sdl-1.out"
  diag "$(grep -v -e DEBUG -e '^$' "$HV_TMP/sdl-1.out" | tail -n 3)"
  check "…and its console's ssh ends there too" \
    wait_until 15 bash -c "! pgrep -u hvremote -f -- 'hostvisorctl bridge --console $SDL_UUID'"
else
  ok "# SKIP hostvisor-sdl --connect: no Xvfb"
fi

# log --follow: the guest is quiet once ready (no heartbeat), so a remote `log --follow` that
# only noticed its reader gone when writing would stay.
remote_follows () {
  pgrep -u hvremote -f -- "hostvisorctl log $SDL_UUID --follow" >/dev/null
}
# A non-interactive shell starts background jobs with SIGINT ignored: undo that.
env --default-signal=INT "$CTL" "${C[@]}" log sdlvm --follow >"$HV_TMP/follow.out" 2>&1 &
FOLLOW=$!
check "--connect log --follow runs there" wait_until 30 remote_follows
check "…and prints the log here" wait_until 30 grep -qF "HOSTVISOR-GUEST: ready" "$HV_TMP/follow.out"
kill -INT "$FOLLOW"
check "SIGINT ends the local client" ended_within 10 "$FOLLOW"
check "…and the remote log --follow within 5 s, though the guest writes nothing" \
  wait_until 5 bash -c "! pgrep -u hvremote -f -- 'hostvisorctl log'"

if [ -n "$XVFB" ]; then
  viewer "$HV_TMP/sdl-2.out" --connect "$REMOTE" "$SDL_UUID"
  check "hostvisor-sdl --connect by UUID: a first frame" \
    wait_until 60 grep -qF "first frame of sdlvm on $REMOTE_IP:" "$HV_TMP/sdl-2.out"
  expect_ok "--connect poweroff while the viewer shows it" "${C[@]}" poweroff sdlvm
  check "…the viewer ends" ended_within 30 "$VIEWER"
  check "…with status 0, saying so" \
    bash -c "[ $VIEWER_RC = 0 ] && grep -qF '\"sdlvm\" powered off.' '$HV_TMP/sdl-2.out'"

  # Errors: one line each, status 1 (2 for an address that is not one).
  sdl_fails () {   # sdl_fails DESCRIPTION STATUS PATTERN ARGS…
    local what=$1 status=$2 pattern=$3
    shift 3
    OUT=$(env DISPLAY="$XDISPLAY" timeout 60 "$SDL" "$@" 2>&1)
    RC=$?
    if [ "$RC" = "$status" ] && [ "$(wc -l <<<"$OUT")" = 1 ] && grep -qE -- "$pattern" <<<"$OUT"
    then ok "$what"; else not_ok "$what"; diag "exit $RC: $OUT"; fi
  }
  sdl_fails "hostvisor-sdl --connect: a VM that is not running, how to start it there" 1 \
    "\"sdlvm on $REMOTE_IP\" is not running \(poweroff\); start it with: hostvisorctl --connect '$REMOTE' start 'sdlvm'" \
    --connect "$REMOTE" sdlvm
  sdl_fails "…a port where nothing listens: ssh's reason" 1 \
    "^hostvisor-sdl: cannot reach $REMOTE_IP over SSH: .*(refused|Connection)" \
    --connect "ssh://hvremote@$REMOTE_IP:$((PORT + 1))" sdlvm
  sdl_fails "…a user without Hostvisor: not installed" 1 \
    "^hostvisor-sdl: Hostvisor is not installed on $REMOTE_IP" \
    --connect "ssh://hvnoeng@$REMOTE_IP:$PORT" sdlvm
  sdl_fails "…an engine of another contract version, naming both" 1 \
    "^hostvisor-sdl: the engine on $REMOTE_IP has contract version 999 and this client version 1" \
    --connect "ssh://hvoldver@$REMOTE_IP:$PORT" sdlvm
  sdl_fails "…an address that would be an ssh option: usage, status 2" 2 "begins with a letter" \
    --connect "ssh://-oProxyCommand=touch" sdlvm
  sdl_fails "…a VM that is not there" 1 "^hostvisor-sdl: No VM named \"nosuch\"" \
    --connect "$REMOTE" nosuch
  kill "$XVFB" 2>/dev/null
  wait "$XVFB" 2>/dev/null
else
  expect_ok "--connect poweroff" "${C[@]}" poweroff sdlvm
fi
OUT=$(env -u DISPLAY -u WAYLAND_DISPLAY -u SDL_VIDEODRIVER "$SDL" --connect "ssh://-x" sdlvm 2>&1)
check "hostvisor-sdl: an address that is not one is a usage error (2) even without a display" \
  test $? = 2
expect_ok "--connect delete the viewer's VM" "${C[@]}" delete sdlvm
diag "the viewer and log --follow over SSH took $((SECONDS - SDL_BLOCK_START)) s"

finish
