#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-3.0-or-later
# Bad input through hostvisorctl, hostvisor-sdl and the engine's D-Bus face: names that are not
# UTF-8, are UUIDs or hide characters, images that are FIFOs, devices, /proc files or no ISO,
# configs that QEMU would refuse at start, and the command line's own defects (help for groups,
# stop's forced power-off, PNG to a terminal, a closed pipe, no display). Every engine and
# client here runs with fatal criticals, so a GLib-CRITICAL anywhere fails the test.
source "$(dirname "$0")/lib.sh"

export G_DEBUG=fatal-criticals
SDL="$HV_BUILDDIR/app/hostvisor-sdl"
ISO=/usr/lib/grub-rescue/grub-rescue-cdrom.iso
FLOPPY=/usr/lib/grub-rescue/grub-rescue-floppy.img
PYTHON=/usr/bin/python3   # with python3-gi (tools/setup.sh), whatever python3 is first in PATH
KERNEL=$(ls /boot/vmlinuz-* 2>/dev/null | sort -V | tail -n 1)

# vm_count: how many VMs the library lists.
vm_count () {
  run_ctl list --json
  python3 -c 'import json,sys; print(len(json.loads(sys.argv[1])))' "$OUT"
}

# engine_call OBJECT_PATH INTERFACE.METHOD GVARIANT: calls the engine over its socket as any
# client could, without hostvisorctl's own checks; prints "ok VALUES…" or "error: MESSAGE".
engine_call () {
  "$PYTHON" - "$XDG_RUNTIME_DIR/hostvisor/engine.sock" "$@" <<'EOF'
import sys
from gi.repository import Gio, GLib
sock, path, method, args = sys.argv[1:5]
iface, _, name = method.rpartition('.')
conn = Gio.DBusConnection.new_for_address_sync(
    'unix:path=' + sock, Gio.DBusConnectionFlags.AUTHENTICATION_CLIENT, None, None)
try:
    reply = conn.call_sync(None, path, iface, name, GLib.Variant.parse(None, args, None, None),
                           None, Gio.DBusCallFlags.NONE, 60000, None)
    print('ok', *reply.unpack())
except GLib.Error as e:
    Gio.DBusError.strip_remote_error(e)
    print('error:', e.message)
EOF
}
ENGINE_PATH=/io/github/hostvisor/Engine

lacks () {   # lacks TEXT NEEDLE: TEXT does not contain NEEDLE
  ! grep -qF -- "$2" <<<"$1"
}

engine_says () {   # engine_says PATTERN OBJECT_PATH METHOD ARGS: the call fails with PATTERN
  local pattern=$1 reply
  shift
  reply=$(engine_call "$@")
  grep -qE -- "$pattern" <<<"$reply" || { diag "engine: $reply"; return 1; }
}

# --- names
expect_ok "create a VM to compare with" create plain --no-disk
PLAIN_UUID=$OUT
expect_fail "a name that is not UTF-8 is refused, naming the argument" \
  'NAME is not valid UTF-8 \("\\xff\\xfe"\)' create $'\xff\xfe' --no-disk
check "…with status 2, before any engine call" test "$RC" = 2
expect_fail "a name that is a UUID is refused" "is a UUID" create "$PLAIN_UUID" --no-disk
expect_fail "…any UUID, in capitals too" "is a UUID" \
  create 0F0E0D0C-0B0A-4908-8706-050403020100 --no-disk
run_ctl show "$PLAIN_UUID" --json
check "…so a UUID still finds its VM" test "$(json_get name)" = plain
expect_fail "a right-to-left override in a name is refused, shown escaped" \
  'name "abc\\u202egnp.exe" contains an invisible formatting character \(U\+202E\)' \
  create $'abc\u202egnp.exe' --no-disk
check "…the message does not carry the character itself" lacks "$ERR" $'\u202e'
expect_fail "a zero-width space is refused" "U\+200B" create $'zero\u200bwidth' --no-disk
expect_fail "a private-use character is refused" "private-use" create $'icon\ue000' --no-disk
HUGE=$(head -c 10240 /dev/zero | tr '\0' x)
expect_fail "a name of 10 KiB is refused" "longer than 64 characters" create "$HUGE" --no-disk
check "…and not echoed whole" test "${#ERR}" -lt 300
expect_fail "show with a name of 10 KiB says no such VM, briefly" "at most 64 characters" \
  show "$HUGE"
check "…in a short line" test "${#ERR}" -lt 300
expect_fail "an argument of 10 KiB is quoted short" "unexpected argument" list "$HUGE"
check "…in a short line" test "${#ERR}" -lt 300
check "no VM was made by the refused names" test "$(vm_count)" = 1
check "the engine refuses a UUID name from any client" \
  engine_says "is a UUID" $ENGINE_PATH io.github.hostvisor.Engine.CreateVm \
  "('$PLAIN_UUID', {'no-disk': <true>})"

# A name from before the rules (or a hand-edited config) still works and prints escaped.
expect_ok "create a VM to rename by hand" create legacy --no-disk
LEGACY_DIR=$LIBRARY/vms/$OUT
ENGINE=$(engine_pid)
kill -TERM "$ENGINE"
wait_until 10 bash -c "! kill -0 $ENGINE"
sed -i 's|<name>legacy</name>|<name>abc\&#x202E;gnp.exe</name>|' "$LEGACY_DIR/vm.xml"
run_ctl list
check "list shows the old name with the override escaped" grep -qF 'abc\u202egnp.exe' <<<"$OUT"
check "…and never the override itself" lacks "$OUT" $'\u202e'
run_ctl list --json
check "JSON keeps the name as it is" \
  python3 -c 'import json,sys; sys.exit(0 if any(v["name"] == "abc\u202egnp.exe" for v in json.loads(sys.argv[1])) else 1)' "$OUT"
expect_ok "the VM with the old name can be changed" modify $'abc\u202egnp.exe' --memory 256
expect_ok "…and renamed" modify $'abc\u202egnp.exe' --name legacy
expect_fail "…but not back to the old name" "formatting character" modify legacy \
  --name $'abc\u202egnp.exe'

# --- images: nothing but files that can be the image
mkfifo "$HV_TMP/fifo.iso"
printf 'not an ISO\n' >"$HV_TMP/notes.iso"
: >"$HV_TMP/empty.img"
mkdir -p "$HV_TMP/share"
expect_fail "a text file is no ISO, and the message says what it holds" \
  "ISO .*notes.iso is not a CD/DVD image.*it holds text" create isotext --iso "$HV_TMP/notes.iso"
expect_fail "an ISO that is a FIFO is refused without hanging" "is a FIFO" \
  create isofifo --iso "$HV_TMP/fifo.iso"
expect_fail "a floppy that is a character device is refused" "character device" \
  create fddev --floppy /dev/zero
expect_fail "a kernel in /proc is refused" "in /proc" create kproc --kernel /proc/self/environ
expect_fail "an initrd that is a FIFO is refused" "FIFO" \
  create ifif --kernel "$KERNEL" --initrd "$HV_TMP/fifo.iso"
expect_fail "a disk that is a FIFO is refused" "not a regular file or a block device" \
  create dfif --disk "$HV_TMP/fifo.iso" --disk-format raw
expect_fail "an empty floppy image is refused" "is empty" create fdempty --floppy "$HV_TMP/empty.img"
expect_fail "a CD image given as a floppy is named" "give it as an ISO" create fdcd --floppy "$ISO"
expect_ok "a real ISO and a floppy image pass" create media --iso "$ISO" --floppy "$FLOPPY" --no-disk
expect_fail "modify refuses a FIFO as the ISO" "is a FIFO" modify media --iso "$HV_TMP/fifo.iso"
expect_fail "media insert refuses a FIFO" "is a FIFO" media insert media "$HV_TMP/fifo.iso"
expect_fail "media insert refuses a text file" "not a CD/DVD image" media insert media "$HV_TMP/notes.iso"
expect_fail "share add refuses a file" "not a folder" share add media "$HV_TMP/notes.iso"
expect_fail "share add refuses /proc" "in /proc" share add media /proc/self --name p
check "the ISO in the config is still the good one" grep -qF "$ISO" <<<"$(vm_field media drives)"
MEDIA_PATH=$(engine_call $ENGINE_PATH io.github.hostvisor.Engine.FindVm "('media',)" | cut -d' ' -f2)
check "the engine refuses a FIFO ISO from any client (CreateVm)" \
  engine_says "is a FIFO" $ENGINE_PATH io.github.hostvisor.Engine.CreateVm \
  "('viadbus', {'iso': <'$HV_TMP/fifo.iso'>, 'no-disk': <true>})"
check "…a text file as ISO (Modify)" engine_says "not a CD/DVD image" "$MEDIA_PATH" \
  io.github.hostvisor.Vm.Modify "({'iso': <'$HV_TMP/notes.iso'>},)"
check "…a FIFO in InsertMedia" engine_says "is a FIFO" "$MEDIA_PATH" \
  io.github.hostvisor.Vm.InsertMedia "('cdrom', '$HV_TMP/fifo.iso')"
check "…/dev/zero as a floppy in InsertMedia" engine_says "character device" "$MEDIA_PATH" \
  io.github.hostvisor.Vm.InsertMedia "('floppy', '/dev/zero')"
check "…a file as a shared folder in AddShare" engine_says "not a folder" "$MEDIA_PATH" \
  io.github.hostvisor.Vm.AddShare "('x', '$HV_TMP/notes.iso', false)"
check "no VM was made by the refused images" test "$(vm_count)" = 3

# Paths that are not UTF-8 cannot travel over D-Bus: say so, and which option.
BADNAME=$'\xff.iso'
cp "$ISO" "$HV_TMP/$BADNAME"
expect_fail "an ISO whose file name is not UTF-8 is refused, with advice" \
  'file name of --iso is not valid UTF-8.*rename the file or link it under a UTF-8 name' \
  create badpath --iso "$HV_TMP/$BADNAME"
expect_fail "…in media insert too" "file name IMAGE is not valid UTF-8" \
  media insert media "$HV_TMP/$BADNAME"
check "…and nothing was created" test "$(vm_count)" = 3

# --- what QEMU would refuse at start is refused at create and modify
expect_fail "create: ne2k_isa on q35, with the argv builder's message" \
  "ne2k_isa model needs the pc machine" create isaq35 --machine q35 --nic-model ne2k_isa --no-disk
expect_ok "ne2k_isa on pc is fine" create isapc --machine pc --nic-model ne2k_isa --no-disk
expect_fail "modify: moving it to q35 is refused" "ne2k_isa model needs the pc machine" \
  modify isapc --machine q35
check "…and the config is unchanged" test "$(vm_field isapc machine)" = pc

# --- the OS list
expect_fail "an unknown OS points to os-list" '"hostvisorctl os-list" lists the known ids' \
  create osbad --os nosuchos
check "…and not to osinfo-query" lacks "$ERR" osinfo-query
expect_ok "os-list debian" os-list debian
check "…lists debian12" grep -qE '^debian12 +Debian 12' <<<"$OUT"
check "…and no Windows" lacks "$OUT" Windows
run_ctl os-list --json
check "os-list --json is an array of id, name, vendor" python3 -c '
import json, sys
oses = json.loads(sys.argv[1])
sys.exit(0 if len(oses) > 100 and all(set(o) == {"id", "name", "vendor"} for o in oses) else 1)' "$OUT"
expect_fail "modify checks the OS too" "Unknown OS" modify plain --os nosuchos

# --- help for every group, and the docs for every command
lists_group () {   # lists_group GROUP ARGS...: hostvisorctl ARGS prints GROUP's commands
  local group=$1
  shift
  run_ctl "$@"
  [ "$RC" = 0 ] && grep -q "^  $group [a-z]" <<<"$OUT" && [ -z "$ERR" ]
}
for group in media clipboard share guest-tools folder; do
  check "help $group lists its commands" lists_group "$group" help "$group"
  check "$group --help too" lists_group "$group" "$group" --help
done
expect_fail "a group without a verb names the verbs" "share: missing one of: add, list, remove" share
run_ctl --help
for command in $(sed -n 's/^  \([a-z-]*\) .*/\1/p' <<<"$OUT" | sort -u | grep -vx help); do
  check "docs/cli.md documents $command" grep -qE "^### (.*, )?$command(,.*)?\$" "$HV_SRCDIR/docs/cli.md"
done

# --- a closed pipe ends quietly
SERIAL_LOG=$(vm_field plain serial_log)
mkdir -p "$(dirname "$SERIAL_LOG")"
head -c 2000000 /dev/zero | tr '\0' 'x' | fold -w 79 >"$SERIAL_LOG"
"$CTL" log plain 2>"$HV_TMP/log-pipe.err" | head -c 10 >/dev/null
LOG_STATUS=${PIPESTATUS[0]}
check "log | head: status 0" test "$LOG_STATUS" = 0
check "…and no 'Broken pipe' message" test ! -s "$HV_TMP/log-pipe.err"
diag "$(cat "$HV_TMP/log-pipe.err")"

# --- the demo VM, built with criticals fatal in the engine
expect_ok "demo: the demo VM is made without a GLib-CRITICAL" demo
check "…it is listed" test "$(vm_field "Demo Linux" name)" = "Demo Linux"
expect_ok "…and can be deleted" delete "Demo Linux"

# --- a running VM: PNG to a terminal, the SDL viewer, stop's forced power-off
# A kernel without an initramfs panics once it finds no root file system: it never reacts to
# the ACPI power button.
expect_ok "create a VM that ignores the power button" \
  create deaf --kernel "$KERNEL" --cmdline "console=ttyS0" --no-disk --memory 128
expect_ok "start it" start deaf

"$PYTHON" - "$CTL" deaf >"$HV_TMP/pty.out" 2>&1 <<'EOF'
import os, pty, select, subprocess, sys
master, slave = pty.openpty()
proc = subprocess.run([sys.argv[1], 'screenshot', sys.argv[2], '-'], stdout=slave,
                      stderr=subprocess.PIPE, timeout=120)
os.close(slave)
written = b''
while select.select([master], [], [], 0.5)[0]:
    try:
        chunk = os.read(master, 65536)
    except OSError:
        break
    if not chunk:
        break
    written += chunk
print('status', proc.returncode)
print('stderr', proc.stderr.decode(errors='replace').strip())
print('written', len(written))
EOF
check "screenshot - refuses a terminal with status 2" grep -qx "status 2" "$HV_TMP/pty.out"
check "…saying why" grep -q "refusing to write PNG data to a terminal" "$HV_TMP/pty.out"
check "…and writes nothing to it" grep -qx "written 0" "$HV_TMP/pty.out"
diag "$(cat "$HV_TMP/pty.out")"
"$CTL" screenshot deaf - >"$HV_TMP/shot.png" 2>/dev/null
check "screenshot - into a file still works" \
  bash -c "head -c 8 '$HV_TMP/shot.png' | od -An -c | grep -q 'P   N   G'"

SECONDS_BEFORE=$SECONDS
env -u DISPLAY -u WAYLAND_DISPLAY -u SDL_VIDEODRIVER timeout 60 "$SDL" deaf \
  >"$HV_TMP/sdl.out" 2>&1
SDL_STATUS=$?
check "hostvisor-sdl without a display fails at once" \
  bash -c "[ $SDL_STATUS -ne 0 ] && [ $SDL_STATUS -ne 124 ] && [ $((SECONDS - SECONDS_BEFORE)) -lt 30 ]"
check "…saying so" grep -q "no display: set DISPLAY or WAYLAND_DISPLAY" "$HV_TMP/sdl.out"

if command -v Xvfb >/dev/null; then
  Xvfb -displayfd 3 -nolisten tcp -screen 0 800x600x24 3>"$HV_TMP/display" >/dev/null 2>&1 &
  XVFB=$!
  wait_until 20 test -s "$HV_TMP/display"
  XDISPLAY=:$(cat "$HV_TMP/display")
  # No session bus to find: libdbus would autolaunch one for SDL, unless the viewer stops it.
  env -u DBUS_SESSION_BUS_ADDRESS -u WAYLAND_DISPLAY -u SDL_VIDEODRIVER DISPLAY="$XDISPLAY" \
    timeout 8 "$SDL" deaf >"$HV_TMP/sdl-x.out" 2>&1
  check "hostvisor-sdl shows the console on a display (until it is ended)" test $? = 124
  sleep 1
  leftovers=""
  for pid in $(pgrep -x dbus-daemon) $(pgrep -x dbus-launch); do
    if tr '\0' '\n' <"/proc/$pid/environ" 2>/dev/null | grep -qx "DISPLAY=$XDISPLAY"; then
      leftovers+=" $pid"
    fi
  done
  check "…and leaves no session bus daemon behind" test -z "$leftovers"
  [ -n "$leftovers" ] && kill $leftovers 2>/dev/null
  kill "$XVFB" 2>/dev/null
  wait "$XVFB" 2>/dev/null
else
  ok "# SKIP hostvisor-sdl and the session bus: no Xvfb"
fi

run_ctl stop deaf --timeout 2
check "stop: a guest that ignores the power button ends with status 3" test "$RC" = 3
check "…saying it was powered off" \
  grep -q 'VM "deaf" did not shut down within 2 s; it was powered off' <<<"$ERR"
check "…in one line on stderr" test "$(printf '%s\n' "$ERR" | wc -l)" = 1
check "…and it is off" state_is deaf poweroff

# --- nothing critical happened in the engine (with G_DEBUG=fatal-criticals it would have died)
check "the engine logged no GLib-CRITICAL" \
  bash -c "! grep -q CRITICAL '$XDG_RUNTIME_DIR/hostvisor/engine.log'"

finish
