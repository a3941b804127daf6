#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-3.0-or-later
# virtiofs shares when the engine is not root, as for every real user: the engine, QEMU and
# virtiofsd run as user 65534 (nobody), virtiofsd inside a user namespace in which that user
# is root. A real guest (the tiny busybox Linux with the agent, on TCG) mounts the shares by
# itself, files cross both ways, a read-only share refuses writes even after the guest
# remounts it, nothing outside the folder is reachable, a share comes and goes while the
# guest runs, and no virtiofsd is left after power-off. Needs root (to become nobody).
source "$(dirname "$0")/lib.sh"

BOOT_WAIT=180
NOBODY=65534
AGENT="$HV_BUILDDIR/guest-tools/hostvisor-agent"
VIRTIOFSD=$(for f in /usr/libexec/virtiofsd /usr/lib/qemu/virtiofsd; do
              [ -x "$f" ] && { echo "$f"; break; }; done)

if [ "$(id -u)" -ne 0 ] || ! command -v setpriv >/dev/null; then
  ok "unprivileged virtiofs # SKIP needs root and setpriv to run the engine as user $NOBODY"
  finish
  exit 0
fi
if [ -z "$VIRTIOFSD" ]; then
  ok "unprivileged virtiofs # SKIP no virtiofsd on this host"
  finish
  exit 0
fi
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

# Everything of this test belongs to nobody: its XDG directories, the folders it shares.
VFS="$HV_TMP/vfs"
mkdir -p "$VFS/docs" "$VFS/ro" "$VFS/hot"
echo "nobody-says-hello" >"$VFS/docs/hello.txt"
echo "nobody-read-only" >"$VFS/ro/keep.txt"
echo "nobody-hot" >"$VFS/hot/hot.txt"
echo "secret-$$" >"$VFS/secret.txt"
chown -R "$NOBODY:$NOBODY" "$HV_TMP"
chmod 0755 "$HV_TMP"
# lib.sh runs $CTL: make that hostvisorctl as nobody (the engine it starts is nobody's too).
printf '#!/bin/sh\nexec setpriv --reuid=%s --regid=%s --clear-groups %q "$@"\n' \
  "$NOBODY" "$NOBODY" "$HV_BUILDDIR/app/hostvisorctl" >"$HV_TMP/ctl-as-nobody"
chmod 0755 "$HV_TMP/ctl-as-nobody"
CTL="$HV_TMP/ctl-as-nobody"

vfsd_count () {
  pgrep -u "$NOBODY" -f -- "virtiofsd .*source=${1:-$VFS/}" | wc -l
}
no_vfsd () { [ "$(vfsd_count)" -eq 0 ]; }
share_state () {
  run_ctl show uvm --json && python3 -c '
import json, sys
for s in json.loads(sys.argv[1])["shares"]:
    if s["name"] == sys.argv[2]:
        print(s["status"] or "")' "$OUT" "$1"
}
mounted () { [ "$(share_state docs)" = mounted ] && [ "$(share_state ro)" = mounted ]; }
agent_connected () { [ "$(vm_field uvm agent.connected)" = True ]; }
guest () { printf '%s\n' "$1" | timeout 60 "$CTL" console uvm 2>&1; }

expect_ok "create a q35 VM as user $NOBODY" create uvm --no-disk --machine q35 --memory 256 \
  --kernel "$GUEST_DIR/vmlinuz" --initrd "$GUEST_DIR/initrd.img" --cmdline "console=ttyS0 quiet"
expect_ok "share a folder" share uvm add "$VFS/docs" --name docs
expect_ok "share a folder read-only" share uvm add "$VFS/ro" --name ro --readonly
expect_ok "start" start uvm
check "the engine runs as user $NOBODY" test "$(stat -c %u "/proc/$(engine_pid)")" -eq "$NOBODY"
check "the VM shares over virtiofs" test "$(vm_field uvm active_share_transport)" = virtiofs
check "its virtiofsds run as user $NOBODY" test "$(vfsd_count)" -ge 2
VFSD=$(pgrep -u "$NOBODY" -f -- "virtiofsd .*source=$VFS/docs " | head -n 1)
check "…in a user namespace of their own" \
  test "$(readlink "/proc/$VFSD/ns/user")" != "$(readlink /proc/self/ns/user)"
check "the agent connects" wait_until $BOOT_WAIT agent_connected
check "both shares are mounted with no command in the guest" wait_until 60 mounted

OUT=$(guest 'cat /media/hostvisor/docs/hello.txt')
check "a file written on the host is read in the guest" grep -q "nobody-says-hello" <<<"$OUT"
guest 'echo from-the-guest > /media/hostvisor/docs/guest.txt; sync' >/dev/null
check "a file written in the guest is read on the host" \
  wait_until 10 grep -q "from-the-guest" "$VFS/docs/guest.txt"
check "…and belongs to the user on the host" test "$(stat -c %u "$VFS/docs/guest.txt")" -eq "$NOBODY"
OUT=$(guest 'echo no > /media/hostvisor/ro/a.txt; echo "w1=$?"; mount -o remount,rw /media/hostvisor/ro; echo no > /media/hostvisor/ro/b.txt; echo "w2=$?"')
check "a read-only share refuses writes, also after the guest remounts it" \
  bash -c 'grep -q "w1=[1-9]" <<<"$1" && grep -q "w2=[1-9]" <<<"$1"' _ "$OUT"
check "…and nothing was written on the host" test ! -e "$VFS/ro/a.txt" -a ! -e "$VFS/ro/b.txt"
OUT=$(guest 'ln -s ../secret.txt /media/hostvisor/docs/esc; cat /media/hostvisor/docs/esc /media/hostvisor/docs/../secret.txt; echo done-escape')
check "a symlink or '..' from the guest does not leave the share" \
  bash -c "grep -q done-escape <<<\"\$1\" && ! grep -q 'secret-$$' <<<\"\$1\"" _ "$OUT"

expect_ok "share a folder while the VM runs" share uvm add "$VFS/hot" --name hot
hot_mounted () { [ "$(share_state hot)" = mounted ]; }
check "…the guest mounts it" wait_until 60 hot_mounted
OUT=$(guest 'cat /media/hostvisor/hot/hot.txt')
check "…and reads it" grep -q "nobody-hot" <<<"$OUT"
expect_ok "stop sharing it while the VM runs" share uvm remove hot
check "…its virtiofsd has ended" test "$(vfsd_count "$VFS/hot ")" -eq 0

expect_ok "power off" poweroff uvm
check "no virtiofsd is left" wait_until 10 no_vfsd

finish
