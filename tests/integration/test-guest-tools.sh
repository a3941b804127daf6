#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-3.0-or-later
# The guest tools in a real guest (the tiny busybox Linux with the static hostvisor-agent, on
# TCG), driven through hostvisorctl: the agent reports, shares are mounted without any command in
# the guest, files cross both ways, a read-only share refuses writes, a symlink made in the guest
# opens nothing on the host, and the agent comes back after the guest reboots.
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
# share_state NAME: the status the agent reported for a share.
share_state () {
  run_ctl show agentvm --json && python3 -c '
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

finish
