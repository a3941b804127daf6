#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-3.0-or-later
# The guest tools in a real guest (the tiny busybox Linux with the static hostvisor-agent, on
# TCG), driven through hostvisorctl: the agent reports, shares are mounted without any command in
# the guest, files cross both ways, a read-only share refuses writes, a symlink made in the guest
# opens nothing on the host, and the agent comes back after the guest reboots. All that over 9p
# (the pc machine), then over virtiofs (q35): shares added and removed while the guest runs,
# read-only enforced on the host, and no virtiofsd left once the VM is off, killed, or its
# engine was killed and a new one took over.
source "$(dirname "$0")/lib.sh"

BOOT_WAIT=180
AGENT="$HV_BUILDDIR/guest-tools/hostvisor-agent"

if [ ! -x "$AGENT" ]; then
  not_ok "the guest agent is built ($AGENT)"
  finish
  exit 1
fi

printf '#!/bin/sh\nexec /usr/sbin/hostvisor-agent --foreground >/dev/ttyS0 2>&1\n' >"$HV_TMP/extra-init"
chmod +x "$HV_TMP/extra-init"
GUEST_DIR="$HV_BUILDDIR/tests/guest-agent"
if ! "$HV_SRCDIR/tests/guest/make-tiny-guest.sh" "$GUEST_DIR" \
     --extra-file "$AGENT:/usr/sbin/hostvisor-agent" \
     --extra-file "$HV_TMP/extra-init:/hv-extra-init" >"$HV_TMP/guest-build.log" 2>&1; then
  cat "$HV_TMP/guest-build.log" >&2
  not_ok "build the tiny guest with the agent"
  finish
  exit 1
fi
ok "build the tiny guest with the agent"

# Shared folders live on the build tree's disk: 9p's mapped-xattr needs user xattrs.
SHARES=$(mktemp -d "$HV_BUILDDIR/tests/shares.XXXXXX")
trap 'rm -rf "$SHARES"; cleanup' EXIT
mkdir -p "$SHARES/docs" "$SHARES/ro"
echo "host-says-hello" >"$SHARES/docs/hello.txt"
echo "read-only-content" >"$SHARES/ro/keep.txt"

expect_ok "create the VM" create agentvm --no-disk --memory 256 --kernel "$GUEST_DIR/vmlinuz" \
  --initrd "$GUEST_DIR/initrd.img" --cmdline "console=ttyS0 quiet" --clipboard both
expect_ok "share a folder" share agentvm add "$SHARES/docs" --name docs
expect_ok "share a folder read-only" share agentvm add "$SHARES/ro" --name ro --readonly
expect_fail "a missing folder is refused" "not found" share agentvm add "$SHARES/nope"
expect_fail "a bad share name is refused" "name" share agentvm add "$SHARES/docs" --name "../x"
expect_fail "a duplicate share name is refused" "already" share agentvm add "$SHARES/ro" --name docs
expect_fail "the host's root is never shared" "root" share agentvm add / --name all
run_ctl share agentvm list --json
check "share list names both shares" \
  bash -c "grep -q '\"docs\"' <<<'$OUT' && grep -q '\"ro\"' <<<'$OUT'"

expect_ok "start" start agentvm
expect_fail "shares cannot change while it runs" "powered off" share agentvm remove docs

agent_connected () {
  [ "$(vm_field agentvm agent.connected)" = True ] || [ "$(vm_field agentvm agent.connected)" = true ]
}
# share_state NAME [VM]: the status the agent reported for a share.
share_state () {
  run_ctl show "${2:-agentvm}" --json && python3 -c '
import json, sys
for s in json.loads(sys.argv[1])["shares"]:
    if s["name"] == sys.argv[2]:
        print(s["status"] or "")' "$OUT" "$1"
}
mounted () {
  [ "$(share_state docs)" = mounted ] && [ "$(share_state ro)" = mounted ]
}
# guest COMMAND: run a shell command on the guest's serial console, print what it printed.
guest () {
  printf '%s\n' "$1" | timeout 60 "$CTL" console agentvm 2>&1
}

check "the agent connects" wait_until $BOOT_WAIT agent_connected
check "the agent reports its version" test -n "$(vm_field agentvm agent.version)"
check "the agent reports the guest's kernel" wait_until 30 bash -c "[ -n \"\$('$CTL' show agentvm --json | python3 -c 'import json,sys; print(json.load(sys.stdin)[\"agent\"][\"kernel\"])')\" ]"
check "both shares are mounted with no command in the guest" wait_until 60 mounted

OUT=$(guest 'cat /media/hostvisor/docs/hello.txt')
check "a file written on the host is read in the guest" grep -q "host-says-hello" <<<"$OUT"
guest 'echo guest-says-hi > /media/hostvisor/docs/from-guest.txt; sync' >/dev/null
check "a file written in the guest is read on the host" \
  wait_until 10 grep -q "guest-says-hi" "$SHARES/docs/from-guest.txt"

OUT=$(guest 'echo nope > /media/hostvisor/ro/new.txt; echo "write-status=$?"')
check "a read-only share refuses writes" grep -q "write-status=[1-9]" <<<"$OUT"
check "…and nothing was written on the host" test ! -e "$SHARES/ro/new.txt"
OUT=$(guest 'cat /media/hostvisor/ro/keep.txt')
check "…while it can be read" grep -q "read-only-content" <<<"$OUT"

# Escapes: a file beside the shared folder on the host must stay out of reach. A symlink made in
# the guest is stored as data (mapped-xattr), never as a host symlink, and '..' resolves in the
# guest's own tree.
echo "host-secret-$$" >"$SHARES/secret.txt"
OUT=$(guest 'ln -s ../secret.txt /media/hostvisor/docs/escape; ln -s ../../../../../../../../'"$SHARES"'/secret.txt /media/hostvisor/docs/escape2; cat /media/hostvisor/docs/escape /media/hostvisor/docs/escape2; echo done-escape')
check "the guest ran the symlink attempt" grep -q "done-escape" <<<"$OUT"
check "a symlink made in the guest is no symlink on the host" \
  bash -c "[ -e '$SHARES/docs/escape' ] && [ ! -L '$SHARES/docs/escape' ] && [ ! -L '$SHARES/docs/escape2' ]"
no_secret () { grep -q "$2" <<<"$1" && ! grep -q "host-secret-$$" <<<"$1"; }
check "following it does not open the host file beside the share" no_secret "$OUT" done-escape
OUT=$(guest 'cat /media/hostvisor/docs/../secret.txt /media/hostvisor/docs/../../secret.txt; echo done-dotdot')
check "'..' does not leave the share" no_secret "$OUT" done-dotdot

# --- the clipboard, the engine's side (no X11 in this guest)
expect_ok "clipboard set" clipboard agentvm set "from the host ✓"
run_ctl clipboard agentvm get
check "clipboard get returns it" test "$OUT" = "from the host ✓"
expect_ok "clipboard mode off" modify agentvm --clipboard off
expect_fail "…then the clipboard says it is off" "off" clipboard agentvm get
expect_ok "clipboard mode back on" modify agentvm --clipboard both

# --- the guest reboots: the agent comes back and mounts the shares again by itself
BOOTS=$(log_count agentvm "HOSTVISOR-GUEST: ready")
expect_ok "reset the guest" reset agentvm
check "the guest boots again" wait_until $BOOT_WAIT bash -c "[ \$('$CTL' log agentvm | grep -c 'HOSTVISOR-GUEST: ready') -gt $BOOTS ]"
check "the agent reconnects" wait_until 60 agent_connected
OUT=""
reread () { OUT=$(guest 'cat /media/hostvisor/docs/from-guest.txt'); grep -q "guest-says-hi" <<<"$OUT"; }
check "the share is mounted again after the reboot" wait_until 60 reread

# --- the guest tools CD
expect_ok "insert the guest tools CD" guest-tools agentvm insert
check "the CD-ROM holds the guest tools ISO" grep -q "hostvisor-guest-tools.iso" <<<"$(vm_field agentvm drives)"

expect_ok "poweroff" poweroff agentvm

# --- the demo VM of the welcome page: built from this host's kernel with the agent inside
expect_ok "create the demo VM" demo
expect_ok "start the demo VM" start "Demo Linux"
demo_agent () { [ "$(vm_field "Demo Linux" agent.connected)" = True ]; }
check "the demo VM boots and its guest tools connect" wait_until $BOOT_WAIT demo_agent
expect_ok "power the demo VM off" poweroff "Demo Linux"
expect_ok "a share can be removed while powered off" share agentvm remove ro
check "…and is gone" bash -c "! grep -q '\"ro\"' <<<\"\$('$CTL' share agentvm list --json)\""

# --- virtiofs: the same guest on q35, where the "auto" share transport picks virtiofs
VIRTIOFSD=$(for f in /usr/libexec/virtiofsd /usr/lib/qemu/virtiofsd; do
              [ -x "$f" ] && { echo "$f"; break; }; done)
if [ -z "$VIRTIOFSD" ]; then
  ok "virtiofs # SKIP no virtiofsd on this host"
  finish
  exit $?
fi

VFS=$(mktemp -d "$HV_TMP/vfs.XXXXXX")
mkdir -p "$VFS/docs" "$VFS/ro" "$VFS/hot"
echo "vfs-host-hello" >"$VFS/docs/hello.txt"
echo "vfs-read-only" >"$VFS/ro/keep.txt"
echo "vfs-hot-plugged" >"$VFS/hot/hot.txt"
echo "vfs-secret-$$" >"$VFS/secret.txt"

# vfsd_count [DIR]: the virtiofsd processes serving DIR (default: any folder of this test).
vfsd_count () {
  pgrep -f -- "virtiofsd .*source=${1:-$VFS/}" | wc -l
}
no_vfsd () { [ "$(vfsd_count)" -eq 0 ]; }
vguest () {
  printf '%s\n' "$1" | timeout 60 "$CTL" console vfsvm 2>&1
}
vfs_mounted () {
  [ "$(share_state docs vfsvm)" = mounted ] && [ "$(share_state ro vfsvm)" = mounted ]
}
vfs_agent () { [ "$(vm_field vfsvm agent.connected)" = True ]; }

expect_ok "create a q35 VM" create vfsvm --no-disk --machine q35 --memory 256 \
  --kernel "$GUEST_DIR/vmlinuz" --initrd "$GUEST_DIR/initrd.img" --cmdline "console=ttyS0 quiet"
expect_ok "virtiofs: share a folder" share vfsvm add "$VFS/docs" --name docs
expect_ok "virtiofs: share a folder read-only" share vfsvm add "$VFS/ro" --name ro --readonly
check "its share transport is auto" test "$(vm_field vfsvm share_transport)" = auto
expect_ok "virtiofs: start" start vfsvm
check "the running VM shares over virtiofs" test "$(vm_field vfsvm active_share_transport)" = virtiofs
check "…and may change its shares while it runs" test "$(vm_field vfsvm can_change_shares)" = True
check "one sandboxed virtiofsd per share runs" test "$(vfsd_count "$VFS/docs ")" -ge 1 -a \
  "$(vfsd_count "$VFS/ro ")" -ge 1
check "virtiofs: the agent connects" wait_until $BOOT_WAIT vfs_agent
check "virtiofs: both shares are mounted with no command in the guest" wait_until 60 vfs_mounted
OUT=$(vguest 'grep -c "hvshare. /media/hostvisor/.* virtiofs" /proc/mounts')
check "…as virtiofs" grep -q "^2" <<<"$OUT"

OUT=$(vguest 'cat /media/hostvisor/docs/hello.txt')
check "virtiofs: a file written on the host is read in the guest" grep -q "vfs-host-hello" <<<"$OUT"
vguest 'echo vfs-guest-says-hi > /media/hostvisor/docs/from-guest.txt; sync' >/dev/null
check "virtiofs: a file written in the guest is read on the host" \
  wait_until 10 grep -q "vfs-guest-says-hi" "$VFS/docs/from-guest.txt"

# Read-only is the host's: guest root remounting the share read-write changes nothing.
OUT=$(vguest 'echo no > /media/hostvisor/ro/new.txt; echo "w1=$?"; mount -o remount,rw /media/hostvisor/ro; echo no > /media/hostvisor/ro/new2.txt; echo "w2=$?"')
check "virtiofs: a read-only share refuses writes" grep -q "w1=[1-9]" <<<"$OUT"
check "…even after the guest remounts it read-write" grep -q "w2=[1-9]" <<<"$OUT"
check "…and nothing was written on the host" test ! -e "$VFS/ro/new.txt" -a ! -e "$VFS/ro/new2.txt"
OUT=$(vguest 'cat /media/hostvisor/ro/keep.txt')
check "virtiofs: the read-only share can be read" grep -q "vfs-read-only" <<<"$OUT"

# Escapes: virtiofsd serves the folder from inside its own root (pivot_root), so a symlink the
# guest made (a real symlink on the host, here) and '..' resolve inside the share.
OUT=$(vguest 'ln -s ../secret.txt /media/hostvisor/docs/esc; ln -s '"$VFS"'/secret.txt /media/hostvisor/docs/esc2; cat /media/hostvisor/docs/esc /media/hostvisor/docs/esc2; echo done-vfs-escape')
check "virtiofs: a symlink made in the guest does not reach the host file beside the share" \
  bash -c "grep -q done-vfs-escape <<<\"\$1\" && ! grep -q 'vfs-secret-$$' <<<\"\$1\"" _ "$OUT"
OUT=$(vguest 'cat /media/hostvisor/docs/../secret.txt /media/hostvisor/docs/../../secret.txt; echo done-vfs-dotdot')
check "virtiofs: '..' does not leave the share" \
  bash -c "grep -q done-vfs-dotdot <<<\"\$1\" && ! grep -q 'vfs-secret-$$' <<<\"\$1\"" _ "$OUT"

# Hot-plug: a folder added while the guest runs appears in it, one removed disappears.
expect_ok "virtiofs: share a folder while the VM runs" share vfsvm add "$VFS/hot" --name hot
hot_mounted () { [ "$(share_state hot vfsvm)" = mounted ]; }
check "…the guest tools mount it by themselves" wait_until 60 hot_mounted
OUT=$(vguest 'cat /media/hostvisor/hot/hot.txt')
check "…and the guest reads it" grep -q "vfs-hot-plugged" <<<"$OUT"
expect_ok "virtiofs: stop sharing it while the VM runs" share vfsvm remove hot
OUT=$(vguest 'grep -c " /media/hostvisor/hot " /proc/mounts; ls /media/hostvisor')
check "…it is unmounted in the guest" bash -c "grep -q '^0' <<<\"\$1\" && ! grep -q '^hot\$' <<<\"\$1\"" _ "$OUT"
check "…gone from the VM's shares" bash -c "! grep -q '\"hot\"' <<<\"\$('$CTL' share vfsvm list --json)\""
check "…and its virtiofsd has ended" test "$(vfsd_count "$VFS/hot ")" -eq 0
check "…while the other shares stay mounted" vfs_mounted

# A killed engine: the guest keeps its shares, the next engine takes over their virtiofsds.
ENGINE=$(engine_pid)
kill -KILL "$ENGINE" 2>/dev/null
check "virtiofs: the engine is killed" wait_until 10 bash -c "! kill -0 $ENGINE"
check "…the shares' virtiofsds keep serving the guest" test "$(vfsd_count)" -ge 2
check "…a new engine finds the VM running" wait_until 30 state_is vfsvm running
check "…with its shares mounted" wait_until 60 vfs_mounted
OUT=$(vguest 'cat /media/hostvisor/docs/hello.txt')
check "…and readable" grep -q "vfs-host-hello" <<<"$OUT"
expect_ok "…and it adds a share to the running VM" share vfsvm add "$VFS/hot" --name hot2
hot2_mounted () { [ "$(share_state hot2 vfsvm)" = mounted ]; }
check "…which the guest mounts" wait_until 60 hot2_mounted

expect_ok "virtiofs: power off" poweroff vfsvm
check "…no virtiofsd is left" wait_until 10 no_vfsd
check "…and the VM keeps the share added while it ran" grep -q '"hot2"' <<<"$("$CTL" share vfsvm list --json)"

expect_ok "virtiofs: start again" start vfsvm
check "…its virtiofsds run" test "$(vfsd_count)" -ge 3
QEMU_PID=$(vm_field vfsvm pid)
kill -KILL "$QEMU_PID"
check "virtiofs: QEMU killed: the VM is aborted" wait_until 30 state_is vfsvm aborted
check "…and no virtiofsd is left" wait_until 10 no_vfsd

# A virtiofsd that cannot run: the same VM falls back to 9p and says why in its log.
ENGINE=$(engine_pid)
kill -TERM "$ENGINE" 2>/dev/null
check "the engine stops" wait_until 20 bash -c "! kill -0 $ENGINE"
export HOSTVISOR_VIRTIOFSD=/bin/false
expect_ok "start with a virtiofsd that cannot run" start vfsvm
check "…the shares use 9p" test "$(vm_field vfsvm active_share_transport)" = 9p
check "…so they cannot change while it runs" test "$(vm_field vfsvm can_change_shares)" = False
expect_fail "…and adding one is refused, naming 9p" "9p" share vfsvm add "$VFS/hot" --name hot3
check "…the VM's log says why" grep -q "virtiofsd (/bin/false) cannot run here: virtiofsd exited" \
  "$(vm_field vfsvm log)"
expect_ok "…power off" poweroff vfsvm
unset HOSTVISOR_VIRTIOFSD

finish
