#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-3.0-or-later
# `hostvisorctl network list|create|modify|remove` against a real engine, no guests: the
# default network, creating, changing and removing host-only networks, every refusal as one
# clear line, networks.xml written whole, a network a VM names cannot go, a broken
# networks.xml leaves the engine working and the file alone.
source "$(dirname "$0")/lib.sh"

NETS="$LIBRARY/networks.xml"
net_field () {  # NAME KEY: a key of network NAME in `network list --json`
  run_ctl network list --json && python3 -c '
import json, sys
n = {n["name"]: n for n in json.loads(sys.argv[1])}.get(sys.argv[2], {})
v = n.get(sys.argv[3])
print(json.dumps(v) if isinstance(v, (list, bool)) else ("" if v is None else v))' "$OUT" "$1" "$2"
}

expect_ok "network list" network list
check "a new library has hostonly0" grep -q '^hostonly0 ' <<<"$OUT"
ADDR=$(net_field hostonly0 address)
diag "hostonly0: $ADDR"
check "hostonly0 is on a free /24 outside VirtualBox's and libvirt's ranges" python3 -c '
import ipaddress, sys, subprocess
a = ipaddress.ip_address(sys.argv[1])
net = ipaddress.ip_network(sys.argv[1] + "/24", strict=False)
bad = [ipaddress.ip_network("192.168.56.0/21"), ipaddress.ip_network("192.168.122.0/24")]
for line in subprocess.run(["ip", "-4", "-o", "addr", "show"], capture_output=True, text=True).stdout.splitlines():
    bad.append(ipaddress.ip_network(line.split()[3], strict=False))
sys.exit(0 if str(a).endswith(".1") and not any(net.overlaps(b) for b in bad) else 1)' "$ADDR"
check "networks.xml holds it" grep -q 'name="hostonly0"' "$NETS"
check "…and is private" test "$(stat -c %a "$NETS")" = 600
check "it runs isolated without the set-up" test "$(net_field hostonly0 network_mode)" = isolated

expect_ok "create lab with an address and a range" network create lab --address 192.168.57.1/24 \
  --dhcp-range 192.168.57.10-192.168.57.20
check "lab's range" test "$(net_field lab dhcp_start)-$(net_field lab dhcp_end)" = 192.168.57.10-192.168.57.20
expect_ok "create lab2 with the defaults" network create lab2
check "lab2 took another free /24" test "$(net_field lab2 address)" != "$ADDR"
check "lab2's range is .100-.254" bash -c "[[ '$(net_field lab2 dhcp_start)' == *.100 ]]"
expect_ok "turn lab2's DHCP off" network modify lab2 --dhcp off
check "…it is off" test "$(net_field lab2 dhcp)" = false
expect_ok "move lab2 to 10.70.0.1/16" network modify lab2 --address 10.70.0.1/16
check "…and its range moved with it" test "$(net_field lab2 dhcp_start)" = 10.70.0.100
check "networks.xml has it" grep -q 'name="lab2" address="10.70.0.1" prefix="16"' "$NETS"
check "the previous networks.xml is kept" test -f "$NETS.prev"

expect_fail "a bad name" 'Invalid network name "Lab"' network create Lab
expect_fail "a name too long" 'Invalid network name' network create abcdefghijklm
expect_fail "a taken name" 'already exists' network create lab
expect_fail "an overlapping subnet" 'overlaps network "lab"' network create lab3 --address 192.168.57.9/25
expect_fail "a network address" 'network address, not a host' network create lab3 --address 10.9.0.0/24
expect_fail "a range outside" 'not a range of hosts' network create lab3 --address 10.9.0.1/24 \
  --dhcp-range 10.9.1.10-10.9.1.20
expect_fail "--dhcp maybe" '--dhcp takes on or off' network create lab3 --dhcp maybe
check "…is a usage error (status 2)" test "$RC" = 2
expect_fail "a range without a dash" '--dhcp-range takes FIRST-LAST' network modify lab --dhcp-range 10.0.0.1
expect_fail "modify without a change" 'nothing to change' network modify lab
expect_fail "modify a missing network" 'No host-only network named "nosuch"' network modify nosuch --dhcp off
expect_fail "remove a missing network" 'No host-only network named "nosuch"' network remove nosuch
check "nothing was written by the refusals" bash -c "! grep -q 'lab3' '$NETS'"

# A VM whose adapter names lab: lab cannot go, and the list names the VM.
expect_ok "create a VM on lab" create netvm --no-disk
UUID=$OUT
if "$CTL" modify --help 2>&1 | grep -q -- '--nic1-target'; then
  expect_ok "attach its adapter to lab" modify netvm --nic1 host-only --nic1-target lab
  expect_fail "lab cannot be removed while netvm names it" 'in use by "netvm"' network remove lab
  check "lab lists netvm" grep -q "$UUID" <<<"$(net_field lab vms)"
  expect_ok "the adapter back to NAT" modify netvm --nic1 nat
else
  ok "# SKIP hostvisorctl has no --nic1-target yet"
fi
expect_ok "remove lab" network remove lab
check "lab is gone from networks.xml" bash -c "! grep -q 'name=\"lab\"' '$NETS'"

# A broken networks.xml: the engine starts and works; networks cannot change; the file stays.
"$CTL" version >/dev/null 2>&1
pid=$(engine_pid); [ -n "$pid" ] && kill -TERM "$pid"
for _ in $(seq 1 40); do [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null || break; sleep 0.25; done
printf '<networks><host-only name="x"' >"$NETS"
expect_ok "with a broken networks.xml the engine still lists VMs" list
expect_fail "…and refuses network changes, saying why" 'networks.xml is mended or removed' \
  network create fresh
check "…and leaves the file alone" test "$(cat "$NETS")" = '<networks><host-only name="x"'

finish
