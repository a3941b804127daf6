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

finish
