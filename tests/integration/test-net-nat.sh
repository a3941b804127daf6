#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-3.0-or-later
# NAT networking with a real guest (the tiny busybox Linux of tests/guest, on TCG): the guest's
# DHCP lease from QEMU's user-mode stack, a server on the host's loopback reached through the
# NAT gateway 10.0.2.2, port forwards (one stored before the start and applied at it, one whose
# host port is taken and that does not keep the VM from starting, one added and removed while
# the VM runs, one refused while running because its port is taken), and the cable pulled and
# plugged in again while the guest watches its link. Only loopback traffic.
source "$(dirname "$0")/lib.sh"

BOOT_WAIT=240   # seconds; TCG on a loaded 2-core machine can be slow

if ! tiny_guest; then
  not_ok "build the tiny guest"
  finish
  exit 1
fi
ok "build the tiny guest"

# free_port: a TCP port on 127.0.0.1 that nothing listens on now.
free_port () {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# guest COMMAND: run a shell command on the guest's serial console; prints what it printed
# between markers, so that the echo of the command line itself is left out.
# The console ends once the input has ended and the guest has been quiet for a second: a
# command must not sleep that long without printing. Tried again when the shell missed it (it
# may still be starting right after boot).
guest () {
  local out try
  for try in 1 2 3; do
    out=$(printf 'echo HV-BEGIN; %s; echo HV-END\n' "$1" |
            timeout 90 "$CTL" console natvm 2>&1 | tr -d '\r' |
            sed -n '/^HV-BEGIN$/,/^HV-END$/p')
    if grep -qx HV-END <<<"$out"; then break; fi
    sleep 2
  done
  grep -qx HV-END <<<"$out" || echo "# the guest did not answer on its console" >&2
  printf '%s\n' "$out"
}

# carrier_watch: eth0's carrier, printed every 0.3 s for 3 s (the last line is the latest).
CARRIER_WATCH='for i in 1 2 3 4 5 6 7 8 9 10; do cat /sys/class/net/eth0/carrier; usleep 300000; done'

# fetch PORT: the page the guest's httpd serves, through a forwarded host port.
fetch () {
  curl -s --max-time 10 "http://127.0.0.1:$1/index.html"
}

forward_status () {
  run_ctl port-forward list natvm --json &&
    python3 -c '
import json, sys
for rule in json.loads(sys.argv[1]):
    if rule["name"] == sys.argv[2]:
        print(rule["status"] or "")
' "$OUT" "$1"
}

forward_names () {
  run_ctl port-forward list natvm --json &&
    python3 -c 'import json, sys; print(" ".join(r["name"] for r in json.loads(sys.argv[1])))' "$OUT"
}

# A web server on the host's loopback, for the guest to reach through the NAT gateway.
WWW="$HV_TMP/www"
mkdir -p "$WWW"
echo "page from the host $RANDOM$RANDOM" > "$WWW/host.txt"
HOST_PORT=$(free_port)
python3 -m http.server --bind 127.0.0.1 --directory "$WWW" "$HOST_PORT" >/dev/null 2>&1 &
HTTP_PID=$!
# A port someone else holds: a listening socket kept open for the whole test.
python3 -c '
import socket, sys, time
s = socket.socket(); s.bind(("127.0.0.1", 0)); s.listen(1)
print(s.getsockname()[1], flush=True)
time.sleep(3600)
' > "$HV_TMP/busy-port" &
BUSY_PID=$!
trap 'kill $HTTP_PID $BUSY_PID 2>/dev/null; cleanup' EXIT
wait_until 10 test -s "$HV_TMP/busy-port"
BUSY_PORT=$(cat "$HV_TMP/busy-port")
PRE_PORT=$(free_port)

expect_ok "create a VM with a NAT adapter" create natvm --no-disk --memory 128 \
  --kernel "$KERNEL" --initrd "$INITRD" --cmdline "console=ttyS0 quiet hv.dhcp=1 hv.httpd=1"
check "its adapter 1 is NAT" test "$(vm_field natvm adapters.0.mode)" = nat

# --- rules stored before the start
expect_ok "a port forward added while the VM is off is stored" \
  port-forward add natvm --rule-name pre --host-port "$PRE_PORT" --guest-port 80
expect_ok "a rule whose host port is taken can be stored while the VM is off" \
  port-forward add natvm --rule-name taken --host-port "$BUSY_PORT" --guest-port 80
check "the config has both rules" test "$(forward_names)" = "pre taken"
expect_fail "a rule name twice on one adapter is refused" "already has a port forward named \"pre\"" \
  port-forward add natvm --rule-name pre --host-port "$(free_port)" --guest-port 81
expect_fail "a bad rule name is refused before the engine is asked" "not a port forward name" \
  port-forward add natvm --rule-name "no spaces" --host-port 2000 --guest-port 81
expect_fail "a port below the unprivileged limit is refused" "host port 80 is below" \
  port-forward add natvm --rule-name low --host-port 80 --guest-port 80
expect_fail "an adapter that does not exist is refused" "has no adapter 3" \
  port-forward add natvm --nic 3 --rule-name x --host-port "$(free_port)" --guest-port 80

# --- adapters while the VM is off: a second one, unique MACs, a tap adapter that cannot attach
expect_ok "a second adapter is added, bridged to a bridge that does not exist" \
  modify natvm --nic2 bridged --nic2-target hvnobr0 --nic2-model e1000
check "it is adapter 2, enabled, with its own MAC" \
  test "$(vm_field natvm adapters.1.enabled)/$(vm_field natvm adapters.1.target)" = "True/hvnobr0"
MAC1=$(vm_field natvm adapters.0.mac)
check "adapter 2 got another MAC than adapter 1" test "$(vm_field natvm adapters.1.mac)" != "$MAC1"
expect_ok "another VM" create other --no-disk --memory 64
expect_fail "a MAC address another VM has is refused, naming that VM" \
  "MAC address $MAC1 is already used by VM \"natvm\"" modify other --nic1-mac "$MAC1"
expect_ok "--nic1-mac auto gives a new address" modify other --nic1-mac auto
expect_fail "a bridged adapter without a target is refused" "it needs a target" \
  modify other --nic1 bridged
expect_fail "a start whose adapter cannot attach fails, naming the adapter" \
  "Adapter 2 \(bridged \"hvnobr0\"\) cannot be connected" start natvm
check "…and leaves the VM powered off" state_is natvm poweroff
expect_ok "adapter 2 is disabled (its settings kept)" modify natvm --nic2-enabled off
check "…still bridged to hvnobr0" test "$(vm_field natvm adapters.1.mode)/$(vm_field natvm adapters.1.enabled)" = "bridged/False"

# --- start: the taken port does not keep it from starting
expect_ok "the VM starts although one rule's host port is taken" start natvm
check "state is running" state_is natvm running
check "the rule stored before the start is active" test "$(forward_status pre)" = active
STATUS=$(forward_status taken)
check "the rule with the taken port has its reason as status" \
  grep -q "host port $BUSY_PORT (tcp on 127.0.0.1) is in use" <<<"$STATUS"
diag "status of \"taken\": $STATUS"
check "show --json: link up" test "$(vm_field natvm adapters.0.link)" = up

check "the guest gets a DHCP lease from QEMU's NAT" \
  wait_until $BOOT_WAIT log_has natvm "HOSTVISOR-GUEST: lease eth0 10.0.2.15/24"
check "the guest's httpd runs" wait_until 60 log_has natvm "HOSTVISOR-GUEST: httpd on 80"

# --- the guest reaches the host's loopback through the gateway 10.0.2.2
OUT=$(guest "wget -q -O - http://10.0.2.2:$HOST_PORT/host.txt")
check "the guest fetches a page from a server on the host's loopback via 10.0.2.2" \
  grep -qF "$(cat "$WWW/host.txt")" <<<"$OUT"
diag "$OUT"

# --- the rule applied at start works
check "the host fetches the guest's page through the rule applied at start" \
  wait_until 60 bash -c "curl -s --max-time 10 http://127.0.0.1:$PRE_PORT/index.html | grep -q 'hostvisor tiny guest page'"

# --- a rule added while the VM runs
LIVE_PORT=$(free_port)
check "nothing answers on the new rule's port before it exists" bash -c "! curl -s --max-time 5 http://127.0.0.1:$LIVE_PORT/"
expect_ok "a port forward is added while the VM runs" \
  port-forward add natvm --rule-name web --host-port "$LIVE_PORT" --guest-port 80 --json
check "add --json prints the rule with status active" test "$(json_get status)" = active
check "the host fetches the guest's page through it at once" \
  bash -c "curl -s --max-time 10 http://127.0.0.1:$LIVE_PORT/index.html | grep -q 'hostvisor tiny guest page'"
check "the rule is in the config" grep -q '<forward name="web"' <<<"$("$CTL" show natvm --json >/dev/null; cat "$LIBRARY"/vms/*/vm.xml)"

# --- the engine killed while the VM runs: the next one knows the rules and the link again
ENGINE=$(engine_pid)
check "the engine's pid is known" test -n "$ENGINE"
kill -KILL "$ENGINE"
wait_until 10 bash -c "! kill -0 $ENGINE"
check "a new engine shows the live rule active again" test "$(forward_status web)" = active
check "…and the failed rule with its reason" grep -q "is in use" <<<"$(forward_status taken)"
check "…and the link up" test "$(vm_field natvm adapters.0.link)" = up
check "the forward still works" \
  bash -c "curl -s --max-time 10 http://127.0.0.1:$LIVE_PORT/index.html | grep -q 'hostvisor tiny guest page'"

# --- removing it stops it
expect_ok "the live rule is removed" port-forward remove natvm --rule-name web
check "the host no longer reaches the guest on that port" \
  bash -c "! curl -s --max-time 5 http://127.0.0.1:$LIVE_PORT/index.html"
check "the removed rule is gone from the config" test "$(forward_names)" = "pre taken"
expect_ok "a rule that never took effect is removed too" port-forward remove natvm --rule-name taken
check "…and is gone" test "$(forward_names)" = "pre"

# --- a rule whose host port is taken, while running: clear error, nothing stored
expect_fail "a taken host port is refused, naming the port and the rule" \
  "Port forward \"web2\".*host port $BUSY_PORT .*is in use" \
  port-forward add natvm --rule-name web2 --host-port "$BUSY_PORT" --guest-port 80
check "the refused rule is not in the config" test "$(forward_names)" = "pre"

# --- the cable, while running
OUT=$(guest "cat /sys/class/net/eth0/carrier")
check "the guest's eth0 has carrier" grep -qx 1 <<<"$OUT"
expect_ok "the cable is pulled while running" modify natvm --nic1-cable off
check "show: link down" test "$(vm_field natvm adapters.0.link)" = down
check "show: cable off in the config" test "$(vm_field natvm adapters.0.cable)" = False
OUT=$(guest "$CARRIER_WATCH")
check "the guest sees its link go down" test "$(grep -x '[01]' <<<"$OUT" | tail -n 1)" = 0
expect_ok "the cable is plugged in again" modify natvm --nic1-cable on
OUT=$(guest "$CARRIER_WATCH")
check "the guest sees its link come back" test "$(grep -x '[01]' <<<"$OUT" | tail -n 1)" = 1
check "show: link up again" test "$(vm_field natvm adapters.0.link)" = up
expect_fail "other adapter settings are refused while running, saying so" \
  "Cannot change nic1-model while the VM is running" modify natvm --nic1-model e1000

expect_ok "power off" poweroff natvm
check "after power off the link is unknown" test "$(vm_field natvm adapters.0.link)" = ""
check "the kept rule stays in the config" test "$(forward_names)" = "pre"

# --- the cable unplugged at start: the guest starts without carrier
expect_ok "the cable is unplugged while off" modify natvm --nic1-cable off
expect_ok "start with the cable unplugged" start natvm
check "show: link down from the start" test "$(vm_field natvm adapters.0.link)" = down
# The serial log keeps the first boot: wait for the second "ready".
check "the guest boots" wait_until $BOOT_WAIT \
  bash -c "[ \$('$CTL' log natvm | grep -c 'HOSTVISOR-GUEST: ready') -ge 2 ]"
OUT=$(guest "$CARRIER_WATCH")
check "the guest's eth0 has no carrier" test "$(grep -x '[01]' <<<"$OUT" | tail -n 1)" = 0
diag "$OUT"
expect_ok "power off again" poweroff natvm

finish
