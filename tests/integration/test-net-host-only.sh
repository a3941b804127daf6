#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-3.0-or-later
# Host-only networks without the one-time set-up ("isolated": they run inside the engine's
# own namespace), with real guests (the tiny busybox Linux on TCG): two VMs get DHCP leases
# from dnsmasq in the network's range, reach each other and the host's address on the
# network, have no default route and reach nothing else; the host fetches a page from each
# guest's httpd through forwarded ports on 127.0.0.1; a VM on a second host-only network,
# even with an address in the first one's subnet, reaches neither. Nothing is left after.
source "$(dirname "$0")/lib.sh"

BOOT_WAIT=240

# The adapter options and port-forward command come from the "nic" work; without them (this
# branch alone) there is nothing to test yet.
if ! "$CTL" modify --help 2>&1 | grep -q -- '--nic1-target' ||
   ! "$CTL" port-forward --help >/dev/null 2>&1; then
  ok "# SKIP hostvisorctl has no --nic1-target or port-forward yet"
  finish
  exit 0
fi

if ! unshare --user --map-root-user --net true 2>/dev/null; then
  ok "# SKIP this host does not let users make user namespaces"
  finish
  exit 0
fi
if ! tiny_guest; then
  not_ok "build the tiny guest"
  finish
  exit 1
fi
ok "build the tiny guest"

expect_ok "create host-only network ho1" network create ho1 --address 10.61.0.1/24 \
  --dhcp-range 10.61.0.100-10.61.0.120
expect_ok "create host-only network ho2" network create ho2 --address 10.62.0.1/24
run_ctl network list --json
check "ho1 runs isolated (no set-up)" python3 -c '
import json, sys
n = {n["name"]: n for n in json.loads(sys.argv[1])}["ho1"]
sys.exit(0 if n["network_mode"] == "isolated" and n["dhcp_start"] == "10.61.0.100" else 1)' "$OUT"

make_vm () {
  expect_ok "create $1" create "$1" --no-disk --memory 256 --kernel "$KERNEL" --initrd "$INITRD" \
    --cmdline "console=ttyS0 quiet hv.dhcp=1 hv.httpd=1"
  expect_ok "attach $1 to host-only network $2" modify "$1" --nic1 host-only --nic1-target "$2"
}
make_vm ha ho1
make_vm hb ho1
make_vm hc ho2

host_links () { ip -o link show | awk -F': ' '{print $2}' | sort; }
BEFORE=$(host_links)

for vm in ha hb hc; do "$CTL" start "$vm" >"$HV_TMP/start-$vm.log" 2>&1 & done
wait
lease_of () { "$CTL" log "$1" 2>/dev/null | sed -n 's|.*HOSTVISOR-GUEST: lease eth0 \([0-9.]*\)/.*|\1|p' | tail -n1; }
has_lease () { [ -n "$(lease_of "$1")" ]; }
for vm in ha hb hc; do
  check "$vm gets a DHCP lease" wait_until "$BOOT_WAIT" has_lease "$vm"
done
A=$(lease_of ha); B=$(lease_of hb); C=$(lease_of hc)
diag "leases: ha $A, hb $B, hc $C"
in_range () { python3 -c '
import ipaddress, sys
a = ipaddress.ip_address(sys.argv[1])
sys.exit(0 if ipaddress.ip_address(sys.argv[2]) <= a <= ipaddress.ip_address(sys.argv[3]) else 1)' "$@"; }
check "ha's lease is in ho1's range" in_range "$A" 10.61.0.100 10.61.0.120
check "hb's lease is in ho1's range" in_range "$B" 10.61.0.100 10.61.0.120
check "ha and hb have different leases" test "$A" != "$B"
check "hc's lease is on ho2" in_range "$C" 10.62.0.100 10.62.0.254
check "nothing new in the host's network namespace" test "$(host_links)" = "$BEFORE"
# The engine reads dnsmasq's leases: show --json gives each adapter's leased address.
knows_lease () {
  run_ctl show "$1" --json && python3 -c '
import json, sys
a = json.loads(sys.argv[1])["adapters"][0]
sys.exit(0 if any(x.split("/")[0] == sys.argv[2] for x in a.get("addresses", [])) else 1)' "$OUT" "$2"
}
check "show --json has ha's leased address" wait_until 20 knows_lease ha "$A"
check "show --json has hc's leased address" wait_until 20 knows_lease hc "$C"

# guest VM COMMAND: runs COMMAND on VM's serial console and prints what came back. The input
# stays open until the command's end marker is back (the console ends once its input has ended
# and the guest is quiet for a second, and ping is quiet between packets).
guest () {
  local out="$HV_TMP/console-$1.out"
  : >"$out"
  { printf '%s; echo end-$((40+2))\n' "$2"
    for _ in $(seq 1 300); do grep -q end-42 "$out" && break; sleep 0.2; done
  } | timeout 90 "$CTL" console "$1" >"$out" 2>&1
  cat "$out"
}
reach () {
  guest "$1" "ping -c 3 -W 3 $2 >/dev/null 2>&1 && echo reach-\$((40+2)) || echo none-\$((40+2))" |
    grep -oE 'reach-42|none-42' | head -n1
}
check "ha reaches hb" test "$(reach ha "$B")" = reach-42
check "hb reaches ha" test "$(reach hb "$A")" = reach-42
check "ha reaches the host's address on ho1" test "$(reach ha 10.61.0.1)" = reach-42
ROUTES=$(guest ha 'ip route; echo routes-$((40+2))')
check "ha's routes come back" grep -q routes-42 <<<"$ROUTES"
check "ha has no default route (dnsmasq gives no router)" bash -c '! grep -q "^default" <<<"$1"' _ "$ROUTES"
check "ha reaches nothing else (ho2's address)" test "$(reach ha 10.62.0.1)" = none-42
# hc takes an address in ho1's subnet too: still nothing of ho1 answers it.
guest hc "ip addr add 10.61.0.200/24 dev eth0" >/dev/null
check "hc on ho2 reaches neither ha nor hb" test "$(reach hc "$A")$(reach hc "$B")" = none-42none-42
check "hc reaches its own network's host address (the control)" test "$(reach hc 10.62.0.1)" = reach-42

# The host reaches each guest's web page through a forwarded port on 127.0.0.1.
free_port () { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
PA=$(free_port); PB=$(free_port)
expect_ok "forward a port to ha's httpd" port-forward ha add --nic 1 --proto tcp \
  --host-port "$PA" --guest-port 80 --rule-name web
expect_ok "forward a port to hb's httpd" port-forward hb add --nic 1 --proto tcp \
  --host-port "$PB" --guest-port 80 --rule-name web
fetch () { python3 -c '
import sys, urllib.request
print(urllib.request.urlopen("http://127.0.0.1:%s/" % sys.argv[1], timeout=20).read().decode())' "$1" 2>&1; }
check "the host fetches ha's page through its forward" grep -q "hostvisor tiny guest page" <<<"$(fetch "$PA")"
check "the host fetches hb's page through its forward" grep -q "hostvisor tiny guest page" <<<"$(fetch "$PB")"
expect_fail "a taken host port is a clear error naming port and rule" "$PA.*\"clash\"|\"clash\".*$PA" \
  port-forward hb add --nic 1 --proto tcp --host-port "$PA" --guest-port 80 --rule-name clash
expect_ok "remove ha's forward" port-forward ha remove --nic 1 --rule-name web
check "…and the port is closed" bash -c "! python3 -c 'import socket; socket.create_connection((\"127.0.0.1\", $PA), 3)' 2>/dev/null"

expect_fail "a network in use cannot be removed" "in use" network remove ho1
expect_fail "a network that is up cannot be changed" "is up" network modify ho1 --dhcp off

ENGINE=$(engine_pid)
holders () { pgrep -P "$ENGINE" -x hostvisor-netns | wc -l; }
check "one holder per network" test "$(holders)" = 2

# The engine dies (SIGKILL): each holder and its dnsmasq go with it (no orphans), while the
# guests keep running and the next engine takes them over.
OLD_HOLDERS=$(pgrep -P "$ENGINE" -x hostvisor-netns | tr '\n' ' ')
OLD_DNSMASQ=$(for h in $OLD_HOLDERS; do pgrep -P "$h" -x dnsmasq; done | tr '\n' ' ')
check "each host-only network has its dnsmasq" test "$(wc -w <<<"$OLD_DNSMASQ")" = 2
gone () {
  local p
  for p in "$@"; do
    [ -e "/proc/$p" ] && ! grep -qE '^[0-9]+ \(.*\) Z' "/proc/$p/stat" 2>/dev/null && return 1
  done
  return 0
}
kill -KILL "$ENGINE"
# shellcheck disable=SC2086
check "a killed engine leaves no holder and no dnsmasq" wait_until 10 gone $OLD_HOLDERS $OLD_DNSMASQ
check "the guests keep running under a new engine" wait_until 60 state_is ha running
ENGINE=$(engine_pid)
run_ctl network list --json
check "the new engine counts ho1 up (its VMs run)" python3 -c '
import json, sys
n = {n["name"]: n for n in json.loads(sys.argv[1])}["ho1"]
sys.exit(0 if n["state"] == "up" else 1)' "$OUT"
for vm in ha hb hc; do "$CTL" poweroff "$vm" >/dev/null 2>&1 & done
wait
for vm in ha hb hc; do
  check "$vm powered off" wait_until 60 state_is "$vm" poweroff
done
check "no holder is left" wait_until 20 test "$(holders)" = 0
check "no dnsmasq is left" test "$(pgrep -f "dnsmasq .*--conf-file=$XDG_RUNTIME_DIR" | wc -l)" = 0
check "the host's namespace is as before" test "$(host_links)" = "$BEFORE"
expect_ok "a network that is down can be changed" network modify ho1 --dhcp off

finish
