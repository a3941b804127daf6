#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-3.0-or-later
# The engine where things go wrong: thousands of client calls and start/poweroff cycles
# (fds, threads, memory, runtime files, zombies end where they began), an engine out of
# file descriptors (no spinning, no log flood, connected clients still served), the engine
# killed at every step of a start (no orphan QEMU), hostile files in the library, the
# serial log's cap, the start deadline, two consoles on one VM, and clients arriving just
# as an idle engine exits.
#
# HV_ROBUSTNESS_FULL=1 runs the full sizes (10,000 calls, 200 cycles, 150 idle-exit races)
# instead of CI's short ones.
source "$(dirname "$0")/lib.sh"

PROBE="$HV_BUILDDIR/tests/hv-engine-probe"
if [ -n "${HV_ROBUSTNESS_FULL:-}" ]; then
  N_CALLS=10000 N_CYCLES=200 N_RACES=150
else
  N_CALLS=500 N_CYCLES=12 N_RACES=25
fi
# A short cap, so that a guest passes it a few times in seconds (but not so short that a
# log --follow, polling every 200 ms on a loaded machine, could miss a whole file).
SERIAL_CAP=393216
export HOSTVISOR_SERIAL_LOG_MAX=$SERIAL_CAP

tiny_guest || { echo "Bail out! cannot build the tiny guest"; exit 1; }

# --- helpers ---------------------------------------------------------------------------

fd_count () { ls "/proc/$1/fd" 2>/dev/null | wc -l; }
threads_of () { awk '/^Threads:/ { print $2 }' "/proc/$1/status"; }
rss_kb () { awk '/^VmRSS:/ { print $2 }' "/proc/$1/status"; }
cpu_ticks () { awk '{ print $14 + $15 }' "/proc/$1/stat"; }
qemus_of () { pgrep -f -- "-uuid $1" | wc -l; }
run_entries () { find "$XDG_RUNTIME_DIR/hostvisor" -mindepth 1 | wc -l; }
# Children of PID that are zombies.
zombies_of () {
  local n=0 stat
  for stat in /proc/[0-9]*/stat; do
    read -r _ _ state ppid _ < "$stat" 2>/dev/null || continue
    [ "$ppid" = "$1" ] && [ "$state" = Z ] && n=$((n + 1))
  done
  echo "$n"
}

# Stop the engine (SIGTERM: it powers its VMs off) and wait until it is gone.
engine_stop () {
  local pid
  pid=$(engine_pid)
  [ -n "$pid" ] || return 0
  kill -TERM "$pid" 2>/dev/null
  for _ in $(seq 1 120); do
    kill -0 "$pid" 2>/dev/null || return 0
    sleep 0.25
  done
  return 1
}

engine_start () {
  "$CTL" list >/dev/null 2>&1
  engine_pid
}

vm_dir_of () { echo "$LIBRARY/vms/$1"; }

guest_vm () {
  local name=$1 cmdline=${2:-}
  expect_ok "create $name" create "$name" --kernel "$KERNEL" --initrd "$INITRD" \
    --cmdline "console=ttyS0 $cmdline" --no-disk --memory 128
  LAST_UUID=$OUT
}

# --- 1. fd and memory growth over client calls ----------------------------------------

ENGINE=$(engine_start)
check "an engine runs" test -n "$ENGINE"
"$PROBE" calls 200 >/dev/null   # warm up: caches, thread pools
FDS0=$(fd_count "$ENGINE") RSS0=$(rss_kb "$ENGINE") THR0=$(threads_of "$ENGINE")
run_ctl list
# The probe says "calls N" on stdout: not a TAP line.
quiet_calls () { "$PROBE" calls "$1" >/dev/null; }
check "$N_CALLS client calls" quiet_calls "$N_CALLS"
for _ in $(seq 1 25); do "$CTL" list >/dev/null; done
FDS1=$(fd_count "$ENGINE") RSS1=$(rss_kb "$ENGINE") THR1=$(threads_of "$ENGINE")
diag "engine after $N_CALLS calls: fds $FDS0 -> $FDS1, threads $THR0 -> $THR1, RSS $RSS0 -> $RSS1 KiB"
check "the engine's fds stay flat over $N_CALLS calls" test "$FDS1" -le "$((FDS0 + 1))"
check "the engine's memory stays flat over $N_CALLS calls" test "$RSS1" -le "$((RSS0 + 1024))"
check "the engine's threads stay flat" test "$THR1" -le "$((THR0 + 2))"

# --- 2. out of file descriptors --------------------------------------------------------

engine_stop
# In the foreground (not --daemon), with few descriptors, its log in a file of our own.
LOW_LOG="$HV_TMP/low-fd-engine.log"
( ulimit -n 40; exec "$HOSTVISORD" --idle-exit=0 ) >"$LOW_LOG" 2>&1 &
LOW_PID=$!
wait_until 20 test -S "$XDG_RUNTIME_DIR/hostvisor/engine.sock"
# A client that connects now and keeps its connection; then a crowd of clients that
# connect and stay use up the engine's descriptors.
mkfifo "$HV_TMP/hold.in" "$HV_TMP/flood.in"
"$PROBE" hold <"$HV_TMP/hold.in" >"$HV_TMP/hold.out" 2>&1 &
HOLD_PID=$!
exec {HOLD_IN}>"$HV_TMP/hold.in"
check "a client connects and stays" wait_until 20 grep -q connected "$HV_TMP/hold.out"
"$PROBE" flood 300 <"$HV_TMP/flood.in" >"$HV_TMP/flood.out" 2>&1 &
FLOOD_PID=$!
exec {FLOOD_IN}>"$HV_TMP/flood.in"
wait_until 20 grep -q opened "$HV_TMP/flood.out"
diag "flood: $(cat "$HV_TMP/flood.out")"
sleep 1
TICKS0=$(cpu_ticks "$LOW_PID") LOG0=$(stat -c %s "$LOW_LOG")
sleep 4
TICKS1=$(cpu_ticks "$LOW_PID") LOG1=$(stat -c %s "$LOW_LOG")
diag "out of fds for 4 s: $((TICKS1 - TICKS0)) CPU ticks, $((LOG1 - LOG0)) log bytes"
check "out of fds, the engine lives" kill -0 "$LOW_PID"
check "out of fds, the engine does not spin (< 0.5 s CPU in 4 s)" \
  test "$((TICKS1 - TICKS0))" -lt 50
check "out of fds, the engine's log does not flood (< 2 KiB in 4 s)" \
  test "$((LOG1 - LOG0))" -lt 2048
check "the engine says it cannot accept clients" grep -q "Cannot accept a client" "$LOW_LOG"
check "the engine logs it once per interval" \
  test "$(grep -c "Cannot accept a client" "$LOW_LOG")" -le 2
echo list >&"$HOLD_IN"
check "a connected client is still served" wait_until 20 grep -q '^listed' "$HV_TMP/hold.out"
diag "held client: $(tail -n 1 "$HV_TMP/hold.out")"
# The flood goes away: new clients get in again.
exec {FLOOD_IN}>&-
wait "$FLOOD_PID" 2>/dev/null
check "new clients are served again" wait_until 30 "$CTL" list
exec {HOLD_IN}>&-
wait "$HOLD_PID" 2>/dev/null
kill -TERM "$LOW_PID"
wait "$LOW_PID" 2>/dev/null

# --- 3. the engine killed at every step of a start -------------------------------------

guest_vm crashy
CRASHY=$LAST_UUID
for point in start:spawned start:pid-written start:qmp-connected start:continued; do
  engine_stop
  run_ctl list
  engine_stop
  # The client's environment is the engine's it starts.
  HOSTVISOR_CRASH_AT=$point "$CTL" start crashy >/dev/null 2>&1
  check "$point: the engine died there" grep -q "crashpoint $point: killing" \
    "$XDG_RUNTIME_DIR/hostvisor/engine.log"
  run_ctl show crashy --json
  check "$point: the next engine shows the VM running" test "$(json_get state)" = running
  check "$point: exactly one QEMU" test "$(qemus_of "$CRASHY")" = 1
  check "$point: that QEMU is the one shown" \
    test "$(json_get pid)" = "$(pgrep -f -- "-uuid $CRASHY" | head -n 1)"
  if wait_until 90 log_has crashy "HOSTVISOR-GUEST: booted"; then
    ok "$point: the guest runs"
  else
    not_ok "$point: the guest runs"
  fi
  expect_ok "$point: poweroff reaches it" poweroff crashy
  check "$point: no QEMU left" test "$(qemus_of "$CRASHY")" = 0
  expect_ok "$point: the VM starts again" start crashy
  expect_ok "$point: …and powers off" poweroff crashy
done

# A QEMU whose pid file went missing is found by its UUID, not orphaned.
expect_ok "start for a lost pid file" start crashy
pid=$(vm_field crashy pid)
P=$(engine_pid); kill -KILL "$P"
rm -f "$XDG_RUNTIME_DIR/hostvisor/vms/$CRASHY/qemu.pid"
run_ctl show crashy --json
check "without its pid file, the QEMU is found again" test "$(json_get pid)" = "$pid"
check "…and the VM shows running" test "$(json_get state)" = running
expect_ok "…and poweroff reaches it" poweroff crashy
check "…and no QEMU is left" test "$(qemus_of "$CRASHY")" = 0

# --- 4. the serial log's cap -----------------------------------------------------------

# The guest writes ~1.4 MiB: 16,000 numbered lines.
# fill_script WORD N: a guest shell snippet (base64, for hv.run64) printing N numbered lines.
fill_script () {
  printf 'i=1; while [ $i -le %s ]; do echo "%s $i %s"; i=$((i + 1)); done' "$2" "$1" \
    "$(printf '.%.0s' $(seq 1 65))" | base64 -w0
}
FILL=$(fill_script HV-FILL 16000)
guest_vm chatty "hv.run64=$FILL"
CHATTY_DIR=$(vm_dir_of "$LAST_UUID")
expect_ok "start a guest that writes a lot" start chatty
"$CTL" log chatty --follow >"$HV_TMP/follow.out" 2>&1 &
FOLLOW_PID=$!
if wait_until 240 log_has chatty "HOSTVISOR-GUEST: run exit"; then
  ok "the guest wrote it all"
else
  not_ok "the guest wrote it all"
fi
sleep 1
SIZE0=$(stat -c %s "$CHATTY_DIR/logs/serial.log")
SIZE1=$(stat -c %s "$CHATTY_DIR/logs/serial.log.1" 2>/dev/null || echo 0)
diag "serial.log $SIZE0 bytes, serial.log.1 $SIZE1 bytes (cap $SERIAL_CAP)"
check "serial.log stays under its cap" test "$SIZE0" -le "$SERIAL_CAP"
check "the output before is in serial.log.1, under the cap too" \
  test "$SIZE1" -gt 0 -a "$SIZE1" -le "$SERIAL_CAP"
check "no other serial log piles up" \
  test "$(ls "$CHATTY_DIR/logs" | grep -c '^serial')" = 2
check "serial.log holds the newest output" grep -q "HV-FILL 16000 " "$CHATTY_DIR/logs/serial.log"
kill -INT "$FOLLOW_PID"; wait "$FOLLOW_PID" 2>/dev/null
check "log --follow printed every line across the rotations" python3 - "$HV_TMP/follow.out" <<'EOF'
import re, sys
seen = [int(m) for m in re.findall(rb"HV-FILL (\d+) ", open(sys.argv[1], "rb").read())]
sys.exit(0 if seen == list(range(1, 16001)) else 1)
EOF
expect_ok "poweroff the chatty guest" poweroff chatty
# A second run appends, and the cap still holds.
FILL2=$(fill_script HV-AGAIN 8000)
expect_ok "a second run that writes a lot" modify chatty --cmdline "console=ttyS0 hv.run64=$FILL2"
expect_ok "…starts" start chatty
check "…and writes it all" wait_until 240 grep -q "HV-AGAIN 8000 " "$CHATTY_DIR/logs/serial.log"
check "…still under the cap" test "$(stat -c %s "$CHATTY_DIR/logs/serial.log")" -le "$SERIAL_CAP" \
  -a "$(stat -c %s "$CHATTY_DIR/logs/serial.log.1")" -le "$SERIAL_CAP"
expect_ok "poweroff it again" poweroff chatty

# --- 5. two consoles on one VM ---------------------------------------------------------

guest_vm talky
expect_ok "start a guest for two consoles" start talky
wait_until 90 log_has talky "HOSTVISOR-GUEST: ready"
check "two consoles at once both work and share the guest" python3 - "$CTL" talky <<'EOF'
import os, pty, select, sys, time

ctl, vm = sys.argv[1], sys.argv[2]
consoles = []
for _ in range(2):
    pid, fd = pty.fork()
    if pid == 0:
        os.execv(ctl, [ctl, "console", vm])
    consoles.append([pid, fd, b""])

def pump(seconds, until):
    end = time.time() + seconds
    while time.time() < end and not until():
        r, _, _ = select.select([c[1] for c in consoles], [], [], 0.2)
        for c in consoles:
            if c[1] in r:
                try:
                    c[2] += os.read(c[1], 65536)
                except OSError:
                    pass

pump(20, lambda: all(b"Ctrl-]" in c[2] for c in consoles))
os.write(consoles[0][1], b"echo ONE$((40+2))\r")
pump(30, lambda: all(b"ONE42" in c[2] for c in consoles))
os.write(consoles[1][1], b"echo TWO$((40+3))\r")
pump(30, lambda: all(b"TWO43" in c[2] for c in consoles))
ok = all(b"ONE42" in c[2] and b"TWO43" in c[2] for c in consoles)
for c in consoles:
    os.write(c[1], b"\x1d")
codes = []
for c in consoles:
    _, status = os.waitpid(c[0], 0)
    codes.append(os.waitstatus_to_exitcode(status))
if not ok or codes != [0, 0]:
    for i, c in enumerate(consoles):
        sys.stderr.write("console %d (exit %s): %r\n" % (i, codes[i] if i < len(codes) else "?", c[2][-400:]))
sys.exit(0 if ok and codes == [0, 0] else 1)
EOF
expect_ok "poweroff the two-console guest" poweroff talky

# --- 6. the start deadline, and media that are not regular files ------------------------

engine_stop
SLOW="$HV_TMP/slow-qemu"
REAL_QEMU=$(command -v qemu-system-x86_64)
# A QEMU that never comes up for a VM (as one blocked opening a FIFO would), but answers
# the engine's probes.
cat >"$SLOW" <<EOF
#!/bin/sh
case " \$* " in *" -uuid "*) exec sleep 987 ;; esac
exec "$REAL_QEMU" "\$@"
EOF
chmod +x "$SLOW"
expect_ok "create a VM for the start deadline" create slow --no-disk
SLOW_UUID=$OUT
engine_stop
SECONDS_BEFORE=$SECONDS
HOSTVISOR_QEMU="$SLOW" HOSTVISOR_START_TIMEOUT=3 run_ctl start slow
ELAPSED=$((SECONDS - SECONDS_BEFORE))
check "a start that does not come up fails" test "$RC" -ne 0
check "…after its deadline (${ELAPSED} s)" test "$ELAPSED" -lt 30
check "…saying why" grep -q "did not start within 3 s" <<<"$ERR"
diag "start: $ERR"
run_ctl show slow --json
check "…and the VM is powered off" test "$(json_get state)" = poweroff
check "…with the reason" grep -q "did not start within 3 s" <<<"$(json_get state_reason)"
check "…in vm.log too" grep -q "did not start within 3 s" "$(vm_dir_of "$SLOW_UUID")/logs/vm.log"
check "…and nothing of it is left running" test "$(pgrep -fc 'sleep 987')" = 0
engine_stop

# A config edited by hand to name a FIFO as the ISO, or as the kernel.
mkfifo "$HV_TMP/fifo.iso" "$HV_TMP/fifo-kernel"
expect_ok "create a VM for a FIFO ISO" create fifoiso --no-disk
FIFO_UUID=$OUT
engine_stop
sed -i "s|\(<drive type=\"cdrom\" bus=\"ide\" format=\"raw\"\) readonly=|\1 path=\"$HV_TMP/fifo.iso\" readonly=|" \
  "$(vm_dir_of "$FIFO_UUID")/vm.xml"
check "the config names the FIFO" grep -q fifo.iso "$(vm_dir_of "$FIFO_UUID")/vm.xml"
OUT=$(timeout 60 "$CTL" start fifoiso 2>&1); RC=$?
check "a FIFO as the ISO is refused at start, at once" test "$RC" -ne 0 -a "$RC" -ne 124
check "…as not a regular file" grep -q "ISO is not a regular file: .*fifo.iso (it is a FIFO)" <<<"$OUT"
diag "start: $OUT"
check "…and the VM stays powered off" test "$(vm_field fifoiso state)" = poweroff
expect_ok "create a VM for a FIFO kernel" create fifokernel --no-disk --kernel "$KERNEL"
FIFOK_UUID=$OUT
engine_stop
sed -i "s|<kernel path=\"[^\"]*\"|<kernel path=\"$HV_TMP/fifo-kernel\"|" "$(vm_dir_of "$FIFOK_UUID")/vm.xml"
OUT=$(timeout 60 "$CTL" start fifokernel 2>&1); RC=$?
check "a kernel that is a FIFO is not 'not found' but 'not a regular file'" \
  grep -q "Kernel is not a regular file: .*fifo-kernel (it is a FIFO)" <<<"$OUT"
diag "start: $OUT"

# --- 7. hostile files in the library ---------------------------------------------------

engine_stop
GOOD_XML=$(vm_dir_of "$SLOW_UUID")/vm.xml
OUTSIDE="$HV_TMP/outside"
mkdir -p "$OUTSIDE"
# hostile UUID NAME: a VM directory for the case, its config written by the caller.
hostile () {
  HOSTILE_UUID=$1
  HOSTILE_DIR=$(vm_dir_of "$1")
  mkdir -p "$HOSTILE_DIR"
}
# A copy of a good config with this UUID, so that reading it through a link would "work".
good_config () {
  sed "s|<uuid>[^<]*</uuid>|<uuid>$1</uuid>|; s|<name>[^<]*</name>|<name>$2</name>|" "$GOOD_XML"
}

U_LINK=11111111-1111-4111-8111-000000000001
hostile $U_LINK; good_config $U_LINK secret >"$OUTSIDE/secret.xml"
ln -s "$OUTSIDE/secret.xml" "$HOSTILE_DIR/vm.xml"
U_FIFO=11111111-1111-4111-8111-000000000002
hostile $U_FIFO; mkfifo "$HOSTILE_DIR/vm.xml"
U_HUGE=11111111-1111-4111-8111-000000000003
hostile $U_HUGE; good_config $U_HUGE huge >"$HOSTILE_DIR/vm.xml"; truncate -s 100M "$HOSTILE_DIR/vm.xml"
U_DEEP=11111111-1111-4111-8111-000000000004
hostile $U_DEEP
{
  echo '<?xml version="1.0"?>'
  printf '<hostvisor-vm version="1">'
  printf '<a>%.0s' $(seq 1 20000)
  printf '</a>%.0s' $(seq 1 20000)
  echo '</hostvisor-vm>'
} >"$HOSTILE_DIR/vm.xml"
U_LAUGH=11111111-1111-4111-8111-000000000005
hostile $U_LAUGH
cat >"$HOSTILE_DIR/vm.xml" <<'EOF'
<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
<!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">]>
<hostvisor-vm version="1"><name>&lol4;</name></hostvisor-vm>
EOF
U_XXE=11111111-1111-4111-8111-000000000006
hostile $U_XXE
cat >"$HOSTILE_DIR/vm.xml" <<'EOF'
<?xml version="1.0"?>
<!DOCTYPE vm [<!ENTITY secret SYSTEM "file:///etc/passwd">]>
<hostvisor-vm version="1"><name>&secret;</name></hostvisor-vm>
EOF
U_DANGLING=11111111-1111-4111-8111-000000000007
hostile $U_DANGLING; ln -s "$OUTSIDE/nothing.xml" "$HOSTILE_DIR/vm.xml"
U_LOOP=11111111-1111-4111-8111-000000000008
hostile $U_LOOP; ln -s vm.xml "$HOSTILE_DIR/vm.xml"
U_DIRLINK=11111111-1111-4111-8111-000000000009
mkdir -p "$OUTSIDE/vmdir"; good_config $U_DIRLINK dirlinked >"$OUTSIDE/vmdir/vm.xml"
ln -s "$OUTSIDE/vmdir" "$(vm_dir_of $U_DIRLINK)"
U_DIRDANGLING=11111111-1111-4111-8111-00000000000a
ln -s "$OUTSIDE/gone" "$(vm_dir_of $U_DIRDANGLING)"
SECRET_SUM=$(sha256sum "$OUTSIDE/secret.xml" "$OUTSIDE/vmdir/vm.xml")

OUT=$(timeout 60 "$CTL" list --json 2>&1); RC=$?
check "list with hostile files answers" test "$RC" -eq 0
LIST_JSON=$OUT
# expect_inaccessible UUID FRAGMENT WHAT
expect_inaccessible () {
  local got
  got=$(python3 - "$LIST_JSON" "$1" <<'EOF'
import json, sys
for vm in json.loads(sys.argv[1]):
    if vm["uuid"] == sys.argv[2]:
        print(vm["state"] + "|" + vm["config_error"])
EOF
)
  if [[ "$got" == inaccessible\|*"$2"* ]] && [ "$(wc -l <<<"$got")" -eq 1 ]; then
    ok "$3: listed inaccessible with the reason"
  else
    not_ok "$3: listed inaccessible with the reason"
    diag "got: $got"
  fi
}
expect_inaccessible $U_LINK "is a symbolic link" "vm.xml a link to a file outside"
expect_inaccessible $U_FIFO "is not a regular file (it is a FIFO)" "vm.xml a FIFO"
expect_inaccessible $U_HUGE "the file is too large" "vm.xml of 100 MB"
expect_inaccessible $U_DEEP "nested too deeply" "vm.xml deeply nested"
expect_inaccessible $U_LAUGH "DTDs are not allowed" "billion laughs"
expect_inaccessible $U_XXE "DTDs are not allowed" "an external entity"
expect_inaccessible $U_DANGLING "is a symbolic link" "vm.xml a dangling link"
expect_inaccessible $U_LOOP "is a symbolic link" "vm.xml a looping link"
expect_inaccessible $U_DIRLINK "directory that is a symbolic link" "the VM's directory a link"
expect_inaccessible $U_DIRDANGLING "directory that is a symbolic link" "the VM's directory a dangling link"
check "the name behind a link is never shown" bash -c "! grep -q -e secret -e dirlinked <<<'$LIST_JSON'"
expect_fail "an inaccessible VM cannot be modified" "inaccessible" modify $U_LINK --memory 64
expect_fail "an inaccessible VM cannot be started" "cannot be started" start $U_DIRLINK
expect_ok "folder changes save the library around them" folder create Hostile
expect_ok "deleting a VM whose directory is a link" delete $U_DIRLINK
check "…removes only the link" test ! -e "$(vm_dir_of $U_DIRLINK)" -a -f "$OUTSIDE/vmdir/vm.xml"
check "the files behind the links are unchanged" \
  test "$(sha256sum "$OUTSIDE/secret.xml" "$OUTSIDE/vmdir/vm.xml")" = "$SECRET_SUM"
check "vm.xml is still the link it was" test -L "$(vm_dir_of $U_LINK)/vm.xml"
for u in $U_LINK $U_FIFO $U_HUGE $U_DEEP $U_LAUGH $U_XXE $U_DANGLING $U_LOOP $U_DIRDANGLING; do
  "$CTL" delete "$u" >/dev/null 2>&1
done
check "hostile VMs can be deleted" test "$(ls "$LIBRARY/vms" | grep -c '^11111111')" = 0

# library.ini as a link: not read through, not overwritten.
engine_stop
INI="$LIBRARY/library.ini"
printf '[library]\nversion=1\nfolders=Secret;\n' >"$OUTSIDE/library.ini"
INI_SUM=$(sha256sum "$OUTSIDE/library.ini")
mv "$INI" "$HV_TMP/library.ini.saved"
ln -s "$OUTSIDE/library.ini" "$INI"
run_ctl folder list
check "library.ini behind a link is not read" bash -c "! grep -q Secret <<<'$OUT'"
expect_fail "a folder change refuses to replace the link" "symbolic link" folder create Other
check "…and the file behind it is unchanged" test "$(sha256sum "$OUTSIDE/library.ini")" = "$INI_SUM"
engine_stop
rm "$INI"
mv "$HV_TMP/library.ini.saved" "$INI"

# --- 8. what interrupted saves left, loose modes ----------------------------------------

SLOW_DIR=$(vm_dir_of "$SLOW_UUID")
touch "$SLOW_DIR/.vm.xml.Ab3dE9" "$SLOW_DIR/.vm.xml.Ab3dE9-prev" "$LIBRARY/.library.ini.zZ9yY8" \
  "$SLOW_DIR/keep.txt" "$SLOW_DIR/.vm.xml.notours"
chmod 0755 "$LIBRARY" "$LIBRARY/vms" "$SLOW_DIR" "$SLOW_DIR/logs"
run_ctl list
check "temporaries of interrupted saves are removed at load" \
  test ! -e "$SLOW_DIR/.vm.xml.Ab3dE9" -a ! -e "$SLOW_DIR/.vm.xml.Ab3dE9-prev" \
       -a ! -e "$LIBRARY/.library.ini.zZ9yY8"
check "…and nothing else" test -e "$SLOW_DIR/keep.txt" -a -e "$SLOW_DIR/.vm.xml.notours"
check "loose library directories are made private" \
  test "$(stat -c %a "$LIBRARY" "$LIBRARY/vms" "$SLOW_DIR" "$SLOW_DIR/logs" | sort -u)" = 700

# --- 9. start/poweroff cycles ----------------------------------------------------------

expect_ok "create a VM for cycles" create cycler --no-disk --memory 32
CYCLER=$OUT
ENGINE=$(engine_pid)
for _ in 1 2; do "$CTL" start cycler >/dev/null; "$CTL" poweroff cycler >/dev/null; done
FDS0=$(fd_count "$ENGINE") RSS0=$(rss_kb "$ENGINE") THR0=$(threads_of "$ENGINE") RUN0=$(run_entries)
FAILED_CYCLES=0
for _ in $(seq 1 "$N_CYCLES"); do
  "$CTL" start cycler >/dev/null 2>&1 && "$CTL" poweroff cycler >/dev/null 2>&1 ||
    FAILED_CYCLES=$((FAILED_CYCLES + 1))
done
sleep 1
FDS1=$(fd_count "$ENGINE") RSS1=$(rss_kb "$ENGINE") THR1=$(threads_of "$ENGINE") RUN1=$(run_entries)
diag "after $N_CYCLES start/poweroff cycles: fds $FDS0 -> $FDS1, threads $THR0 -> $THR1," \
  "RSS $RSS0 -> $RSS1 KiB, runtime entries $RUN0 -> $RUN1"
check "$N_CYCLES start/poweroff cycles" test "$FAILED_CYCLES" = 0
check "cycles: the engine's fds end where they began" test "$FDS1" -le "$FDS0"
check "cycles: its threads too" test "$THR1" -le "$((THR0 + 2))"
check "cycles: its memory too" test "$RSS1" -le "$((RSS0 + 2048))"
check "cycles: the runtime directory too" test "$RUN1" -le "$RUN0"
check "cycles: no zombie" test "$(zombies_of "$ENGINE")" = 0
check "cycles: no QEMU left" test "$(qemus_of "$CYCLER")" = 0

# --- 10. clients arriving as the engine idles out --------------------------------------

engine_stop
export HOSTVISOR_IDLE_EXIT=1
# A client connected, slow to say hello, while the idle timeout passes: it is served, by
# the engine it connected to.
ENGINE=$(engine_start)
OUT=$("$PROBE" slow 3 2>&1)
check "a client that connected is served even when the idle timeout passes meanwhile" \
  grep -q '^listed' <<<"$OUT"
diag "slow client: $OUT"
check "…by the engine it connected to" test "$(engine_pid)" = "$ENGINE"
RACE_FAILS=0
for i in $(seq 1 "$N_RACES"); do
  if ! OUT=$("$CTL" list 2>&1); then
    RACE_FAILS=$((RACE_FAILS + 1))
    diag "list $i: $OUT"
  fi
  # Around the idle timeout, so that some lists meet an engine that is exiting.
  sleep "$(python3 -c 'import random; print(round(random.uniform(0.9, 1.3), 2))')"
done
check "$N_RACES lists spaced around the idle exit all succeed" test "$RACE_FAILS" = 0
check "the engine did idle out in between" \
  test "$(grep -c "No clients and no running VMs: exiting" "$XDG_RUNTIME_DIR/hostvisor/engine.log")" -ge 2
export HOSTVISOR_IDLE_EXIT=20

# --- 11. a full disk -------------------------------------------------------------------

SMALL="$HV_TMP/small"
mkdir -p "$SMALL"
if [ "$(id -u)" = 0 ] && mount -t tmpfs -o size=64k tmpfs "$SMALL" 2>/dev/null; then
  engine_stop
  export HOSTVISOR_LIBRARY="$SMALL/lib"
  FULL_ERR=""
  for i in $(seq 1 60); do
    if ! "$CTL" create "full$i" --no-disk >/dev/null 2>"$HV_TMP/full.err"; then
      FULL_ERR=$(cat "$HV_TMP/full.err")
      break
    fi
  done
  diag "create on a full disk: $FULL_ERR"
  check "a full disk fails create, naming the config it could not write" \
    grep -qE "Cannot write $SMALL/lib/vms/[0-9a-f-]{36}/vm.xml: No space left on device" \
    <<<"$FULL_ERR"
  expect_fail "…and modify, naming vm.xml" "Cannot write .*/vm.xml: No space left on device" \
    modify full1 --name "a much longer name than it had before"
  expect_fail "…and folder changes, naming library.ini" \
    "Cannot write .*/library.ini: No space left on device" folder create Full
  run_ctl list --json
  check "every config is whole" python3 -c '
import json, sys
vms = json.loads(sys.argv[1])
sys.exit(0 if vms and all(vm["state"] == "poweroff" for vm in vms) else 1)' "$OUT"
  check "no temporary file is left" \
    test "$(find "$SMALL" -name '.vm.xml.*' -o -name '.library.ini.*' -o -name '.new-*' | wc -l)" = 0
  engine_stop
  unset HOSTVISOR_LIBRARY
  umount "$SMALL"
else
  ok "# SKIP a full disk needs root to mount a small tmpfs"
fi


# --- 12. two engines on one library ----------------------------------------------------
# Two sessions may have different runtime directories for one library (an ssh login without
# XDG_RUNTIME_DIR, where GLib uses ~/.cache): the library's own lock keeps a second engine out.

ENGINE=$(engine_start)
RUN2="$HV_TMP/run2"
mkdir -p "$RUN2" && chmod 0700 "$RUN2"
OUT=$(XDG_RUNTIME_DIR="$RUN2" timeout 60 "$HOSTVISORD" 2>&1)
RC=$?
check "a second engine on the same library (another runtime directory) refuses, status 4" \
  test "$RC" = 4
check "…naming the process that holds the library" \
  grep -qF "Another engine (process $ENGINE) is already using the library $LIBRARY;" <<<"$OUT"
diag "$OUT"
check "…without a socket of its own" test ! -e "$RUN2/hostvisor/engine.sock"
check "the library's lock holds the first engine's pid" \
  test "$(cat "$LIBRARY/engine.lock")" = "$ENGINE"
SECONDS_BEFORE=$SECONDS
OUT=$(XDG_RUNTIME_DIR="$RUN2" "$CTL" list 2>&1)
RC=$?
check "a client of that session says why at once (no retries)" \
  bash -c "[ $RC -ne 0 ] && [ $((SECONDS - SECONDS_BEFORE)) -lt 8 ]"
check "…the engine cannot start: another has the library" \
  grep -qF "The engine cannot start: Another engine (process $ENGINE)" <<<"$OUT"
diag "$OUT"
expect_ok "the first engine keeps serving" list
check "…the same engine" test "$(engine_pid)" = "$ENGINE"
engine_stop
OUT=$(XDG_RUNTIME_DIR="$RUN2" "$CTL" list 2>&1)
check "once it stopped, an engine of the other runtime directory runs on the library" \
  test $? = 0
ENGINE2=$(XDG_RUNTIME_DIR="$RUN2" engine_pid)
check "…and holds its lock" test -n "$ENGINE2" -a "$(cat "$LIBRARY/engine.lock")" = "$ENGINE2"
[ -n "$ENGINE2" ] && kill -TERM "$ENGINE2" 2>/dev/null

finish
