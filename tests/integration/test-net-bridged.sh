#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-3.0-or-later
# The one-time network set-up and bridged adapters, end to end, in a mount and network
# namespace of the test's own (never the host's interfaces or /etc):
#  - a LAN: bridge lan0, a LAN host in a namespace of its own behind a veth, running dnsmasq
#    (--no-daemon --conf-file=/dev/null) as the LAN's DHCP server;
#  - as user nobody: a host-only network "hotest" is created; the engine says the set-up is
#    not done and what to run (`network setup --dry-run --allow-bridge lan0`);
#  - that command run as root (as pkexec would): bridge hv-hotest with 10.77.6.1/24 and its
#    dnsmasq (isolated recipe), lan0 allowed, the helper setuid; a second run changes nothing;
#    a clashing subnet is refused; status says what is there;
#  - as nobody: the engine's view (network setup --status, network interfaces, hotest in
#    "host" mode), hv_network_bridge_open_tap() (hv-tap-probe): clear errors for a missing
#    interface, a bridge not allowed, an interface that is not a bridge; a tap owned by nobody;
#  - nobody's engine starts tiny guests on TCG: one bridged to lan0 gets the LAN's lease and
#    the LAN host pings it and fetches its page; one on host-only "hotest" gets a lease from
#    the set-up's dnsmasq and the host reaches it at that address (the LAN host does not); a
#    VM bridged to a bridge not allowed does not start and the error names it;
#  - with the host forwarding, nothing is routed into or out of the host-only network (the
#    set-up's policy rules; without them, the control, both directions pass);
#  - the setuid helper itself refuses unsafe allow lists; a network whose DHCP server cannot
#    start is rolled back; a network that moves is restarted with its rules moved;
#  - undo removes the bridge, the DHCP server, the rules, the allow list and the setuid bit;
#    the systemd path runs against a stand-in systemctl (unit checked by systemd-analyze).
# A Wi-Fi interface cannot be made here (no mac80211_hwsim): test-netsetup classifies one on
# a fake sysfs tree. Needs root, unshare, setpriv, ip, dnsmasq, qemu-system-x86_64.
if [ "${1:-}" != --inside ]; then
  for tool in unshare setpriv nsenter ip dnsmasq qemu-system-x86_64 python3 ping; do
    if ! command -v "$tool" >/dev/null 2>&1; then
      echo "ok 1 - bridged networking # SKIP no $tool"
      echo "1..1"
      exit 0
    fi
  done
  if [ "$(id -u)" -ne 0 ]; then
    echo "ok 1 - bridged networking # SKIP needs root (namespaces, the set-up, user nobody)"
    echo "1..1"
    exit 0
  fi
  exec unshare --mount --net --propagation private bash "$0" --inside
fi

source "$(dirname "$0")/lib.sh"

NOBODY=65534
BOOT_WAIT=150
SETUP="$HV_TMP/bin/hostvisor-net-setup"   # a copy, executable (configure_file's is not)
PROBE="$HV_BUILDDIR/tests/hv-tap-probe"
CONFDIR=$(sed -n 's/^#define HV_NETSETUP_CONFDIR "\(.*\)"$/\1/p' "$HV_BUILDDIR/hv-build-config.h")
LH_PID=
LAN_DNSMASQ=

net_cleanup () {
  local pid
  for pid in $LAN_DNSMASQ $LH_PID; do
    kill "$pid" 2>/dev/null
  done
  if [ -f "$HV_TMP/state/hotest.pid" ]; then
    kill "$(cat "$HV_TMP/state/hotest.pid")" 2>/dev/null
  fi
  # The helper's tmpfs: a mount point cannot be removed, and the host would keep an empty
  # $HV_TMP/bin (the mount itself ends with this namespace).
  mountpoint -q "$HV_TMP/bin" 2>/dev/null && umount "$HV_TMP/bin"
}
trap 'net_cleanup; cleanup' EXIT

# --- the namespace: its own sysfs, its own set-up directory, a helper that may be setuid ------
chmod 0755 "$HV_TMP"
mount -t sysfs sysfs /sys
ip link set lo up
[ -n "$CONFDIR" ] || { not_ok "HV_NETSETUP_CONFDIR in hv-build-config.h"; finish; exit 1; }
parent=$(dirname "$CONFDIR")
mkdir -m 0755 "$HV_TMP/etc"
[ -d "$parent" ] && cp -a "$parent/." "$HV_TMP/etc/"
rm -rf "${HV_TMP:?}/etc/$(basename "$CONFDIR")"
mount --bind "$HV_TMP/etc" "$parent"
mkdir -m 0755 "$HV_TMP/bin"
mount -t tmpfs -o mode=0755 tmpfs "$HV_TMP/bin"
cp "$HV_BUILDDIR/netsetup/hostvisor-bridge-helper" "$HV_TMP/bin/"
install -m 0755 "$HV_BUILDDIR/netsetup/hostvisor-net-setup" "$SETUP"
export HOSTVISOR_BRIDGE_HELPER="$HV_TMP/bin/hostvisor-bridge-helper"
export HOSTVISOR_NETSETUP_NO_SYSTEMD=1
export HOSTVISOR_NETSETUP_STATEDIR="$HV_TMP/state"

# --- the LAN ------------------------------------------------------------------------------
ip link add lan0 type bridge
ip link set lan0 up
unshare --net sleep 600 &
LH_PID=$!
sleep 0.2
ip link add lh-br type veth peer name lh-host
ip link set lh-host netns "$LH_PID"
ip link set lh-br master lan0 up
lan () { nsenter -t "$LH_PID" -n "$@"; }
lan ip link set lo up
lan ip link set lh-host up
lan ip addr add 10.77.5.1/24 dev lh-host
nsenter -t "$LH_PID" -n dnsmasq --no-daemon --conf-file=/dev/null --port=0 --interface=lh-host --bind-interfaces \
  --dhcp-range=10.77.5.100,10.77.5.150,1h --dhcp-leasefile="$HV_TMP/lan.leases" \
  --pid-file= --log-facility="$HV_TMP/lan-dnsmasq.log" &
LAN_DNSMASQ=$!
ip link add br9 type bridge               # a bridge the set-up does not allow
ip link add vx0 type veth peer name vx1   # neither a bridge nor physical

# --- as nobody, before the set-up: a host-only network, and what the set-up would run --------
as_nobody () { setpriv --reuid=$NOBODY --regid=$NOBODY --clear-groups "$@"; }
chown -R "$NOBODY:$NOBODY" "$XDG_RUNTIME_DIR" "$XDG_DATA_HOME" "$XDG_CONFIG_HOME" "$XDG_CACHE_HOME"
printf '#!/bin/sh\nexec setpriv --reuid=%s --regid=%s --clear-groups %q "$@"\n' \
  "$NOBODY" "$NOBODY" "$HV_BUILDDIR/app/hostvisorctl" >"$HV_TMP/ctl-as-nobody"
chmod 0755 "$HV_TMP/ctl-as-nobody"
CTL="$HV_TMP/ctl-as-nobody"
export HOSTVISOR_NET_SETUP="$SETUP"

expect_fail "network setup: --undo with --status is a usage error" "do not go together" \
  network setup --undo --status
expect_fail "network setup: --status with --allow-bridge is a usage error" "changes nothing" \
  network setup --status --allow-bridge lan0
expect_fail "network setup: a hostile --allow-bridge is refused" "is not a host bridge name" \
  network setup --dry-run --allow-bridge 'lan0,../x'
expect_fail "network setup: an hv- bridge is not for --allow-bridge" "belong to host-only" \
  network setup --dry-run --allow-bridge hv-x
expect_ok "create host-only network hotest" network create hotest --address 10.77.6.1/24 \
  --dhcp-range 10.77.6.100-10.77.6.150
expect_ok "network setup --status before the set-up" network setup --status --json
check "not done; hotest lacks its bridge" \
  test "$(json_get done) $(json_get missing | grep -c '"hotest"')" = "False 1"
expect_ok "network setup --dry-run --allow-bridge lan0" network setup --dry-run --allow-bridge lan0
command=$OUT
diag "$command"
check "the set-up command: pkexec, hotest's address and range, lan0" \
  grep -q "^pkexec $SETUP setup .*--network hotest 10.77.6.1/24 10.77.6.100-10.77.6.150 .*--bridge lan0$" <<<"$command"

# --- the set-up, as root (what pkexec runs) ---------------------------------------------------
# A network whose DHCP server cannot start (its port taken) leaves nothing of itself behind.
python3 -c 'import socket, time
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(("0.0.0.0", 67)); time.sleep(30)' &
blocker=$!
sleep 0.5
out=$("$SETUP" setup --network dfail 10.77.10.1/24 10.77.10.100-10.77.10.150 2>&1)
rc=$?
kill "$blocker"; wait "$blocker" 2>/dev/null
if [ $rc -ne 0 ] && grep -q 'network dfail: .*did not start (see above); nothing of it is kept' <<<"$out" &&
   [ ! -e /sys/class/net/hv-dfail ] && [ ! -e "$CONFDIR/networks/dfail.conf" ] &&
   ! grep -qx hv-dfail "$CONFDIR/bridges.allow" 2>/dev/null && ! ip rule show | grep -q 10.77.10.0; then
  ok "a network whose DHCP server cannot start: an error, nothing of it kept"
else
  not_ok "a network whose DHCP server cannot start: an error, nothing of it kept"; diag "exit $rc: $out"
fi

read -r -a setup_argv <<<"${command#pkexec }"
if out=$("${setup_argv[@]}" 2>&1); then ok "set-up as root"; else not_ok "set-up as root"; diag "$out"; fi
check "the helper is setuid root" \
  test "$(stat -c '%u %a' "$HOSTVISOR_BRIDGE_HELPER")" = "0 4755"
in_allow_list () { grep -qx "$1" "$CONFDIR/bridges.allow"; }
check "the allow list has lan0" in_allow_list lan0
check "the allow list has hv-hotest" in_allow_list hv-hotest
check "the allow list is root's, 0644" test "$(stat -c '%u %a' "$CONFDIR/bridges.allow")" = "0 644"
check "hv-hotest is a bridge" test -d /sys/class/net/hv-hotest/bridge
check "hv-hotest holds 10.77.6.1/24" grep -q 'inet 10.77.6.1/24' <<<"$(ip -4 addr show hv-hotest)"
dnsmasq_pid=$(cat "$HV_TMP/state/hotest.pid" 2>/dev/null)
check "its dnsmasq runs" grep -qx dnsmasq "/proc/${dnsmasq_pid:-0}/comm"
conf=$(cat "$CONFDIR/networks/hotest.dnsmasq" 2>/dev/null)
check "its dnsmasq is bound to hv-hotest alone" grep -qx 'interface=hv-hotest' <<<"$conf"
check "its dnsmasq gives no default route" grep -qx 'dhcp-option=3' <<<"$conf"
check "its dnsmasq asks no upstream DNS" grep -qx 'no-resolv' <<<"$conf"
allow_before=$(cat "$CONFDIR/bridges.allow")
if out=$("${setup_argv[@]}" 2>&1); then ok "set-up again"; else not_ok "set-up again"; diag "$out"; fi
check "set-up again kept the same dnsmasq" test "$(cat "$HV_TMP/state/hotest.pid")" = "${dnsmasq_pid:-none}"
check "set-up again kept the same allow list" \
  test "$(cat "$CONFDIR/bridges.allow")" = "${allow_before:-none}"
out=$("$SETUP" status 2>&1)
check "status lists the network" \
  grep -q 'network: hotest 10.77.6.1/24 10.77.6.100-10.77.6.150 bridge hv-hotest up' <<<"$out"
check "status lists lan0" grep -qx 'allowed: lan0' <<<"$out"
check "status: the helper is setuid root" grep -q 'setuid root' <<<"$out"
out=$("$SETUP" setup --network other 10.77.6.9/24 none 2>&1)
rc=$?
if [ $rc -ne 0 ] && grep -q 'other: 10.77.6.9/24 overlaps 10.77.6.1/24 on hv-hotest' <<<"$out" &&
   [ ! -e /sys/class/net/hv-other ] && [ ! -e "$CONFDIR/networks/other.conf" ]; then
  ok "a subnet the host has already is refused, nothing made"
else
  not_ok "a subnet the host has already is refused, nothing made"; diag "exit $rc: $out"
fi
out=$("$SETUP" setup --network xa 10.77.8.1/24 none --network xb 10.77.8.129/25 none 2>&1)
rc=$?
if [ $rc -ne 0 ] && grep -q 'xb: 10.77.8.129/25 overlaps network xa' <<<"$out" &&
   [ ! -e /sys/class/net/hv-xa ] && [ ! -e "$CONFDIR/networks/xa.conf" ]; then
  ok "two networks that overlap each other are refused, nothing made"
else
  not_ok "two networks that overlap each other are refused, nothing made"; diag "exit $rc: $out"
fi

# --- as user nobody, after the set-up ----------------------------------------------------
setup_seen () {
  run_ctl network setup --status --json &&
    test "$(json_get done) $(json_get bridges | grep -o '"hv-hotest", "lan0"') $(json_get missing)" \
         = 'True "hv-hotest", "lan0" []'
}
# The engine notices within seconds (a file monitor, and a refresh every 3 s).
check "the engine says the set-up is done, hv-hotest and lan0 allowed, nothing missing" \
  wait_until 10 setup_seen
expect_ok "network setup --status as nobody" network setup --status
expect_ok "network interfaces as nobody" network interfaces --json
ifaces=$OUT
iface_field () {
  python3 -c 'import json,sys
for i in json.loads(sys.argv[1]):
    if i["name"] == sys.argv[2]: print(i[sys.argv[3]])' "$ifaces" "$1" "$2"
}
check "lan0: a bridge, allowed" test "$(iface_field lan0 kind) $(iface_field lan0 allowed)" = "bridge True"
check "br9: a bridge, not allowed" test "$(iface_field br9 kind) $(iface_field br9 allowed)" = "bridge False"
check "br9: says how to allow it" grep -q 'allow-bridge br9' <<<"$(iface_field br9 reason)"
check "vx0: other, not allowed" test "$(iface_field vx0 kind) $(iface_field vx0 allowed)" = "other False"

# probe_fails DESCRIPTION NAME PATTERN
probe_fails () {
  local out
  if out=$(as_nobody "$PROBE" "$2" 2>&1); then
    not_ok "$1"; diag "it worked: $out"
  elif grep -qE -- "$3" <<<"$out"; then ok "$1"
  else not_ok "$1"; diag "$out"; fi
}
probe_fails "a missing interface: a clear error naming it" nope0 "There is no host interface nope0"
probe_fails "a bridge not allowed: a clear error naming it" br9 \
  "Cannot attach to br9: Bridge br9 is not allowed .*--allow-bridge br9"
probe_fails "not a bridge: a clear error naming it" vx0 "Cannot attach to vx0: vx0 is neither a bridge"
probe_fails "a hostile name" "../x" "is not a host interface name"
out=$(as_nobody "$PROBE" lan0 -- sh -c 'ip -d link show "$HV_TAP"' 2>&1)
check "a tap on lan0" grep -q 'master lan0' <<<"$out"
check "the tap is owned by nobody" grep -q 'user nobody' <<<"$out"
# The setuid helper trusts its allow list only when root alone can change it: the engine says
# so first, and the helper itself (run directly by nobody, as a user could) refuses too.
cat >"$HV_TMP/run-helper.py" <<'EOF'
import socket, subprocess, sys
a, b = socket.socketpair()
p = subprocess.run([sys.argv[1], sys.argv[2], str(b.fileno())], pass_fds=[b.fileno()],
                   stderr=subprocess.PIPE, text=True)
print(p.returncode, p.stderr.strip())
EOF
helper_refuses () {
  local out
  out=$(as_nobody /usr/bin/python3 "$HV_TMP/run-helper.py" "$HOSTVISOR_BRIDGE_HELPER" lan0 2>&1)
  if grep -qE -- "$2" <<<"$out"; then ok "$1"; else not_ok "$1"; diag "$out"; fi
}
helper_refuses "the setuid helper attaches nobody's tap to lan0 (the control)" "^0 $"
chmod 0664 "$CONFDIR/bridges.allow"
probe_fails "a group-writable allow list: the engine says it is not safe" lan0 \
  "bridges.allow is not safe .*run hostvisorctl network setup again"
helper_refuses "a group-writable allow list: the helper refuses it" \
  "^5 .*bridges.allow must be owned by root and writable by root alone"
chmod 0644 "$CONFDIR/bridges.allow"
chown "$NOBODY" "$CONFDIR/bridges.allow"
helper_refuses "an allow list not owned by root: the helper refuses it" "^5 .*must be owned by root"
chown 0 "$CONFDIR/bridges.allow"
mv "$CONFDIR/bridges.allow" "$CONFDIR/real.allow"
ln -s real.allow "$CONFDIR/bridges.allow"
helper_refuses "an allow list that is a symlink: the helper refuses it" "^5 .*bridges.allow"
rm "$CONFDIR/bridges.allow"
mv "$CONFDIR/real.allow" "$CONFDIR/bridges.allow"
printf 'lan0\n../etc\n' >"$CONFDIR/bridges.allow"
helper_refuses "an allow list with a line that is not a name: refused as a whole" \
  "^5 .*not an interface name"
printf '%s\n' "$allow_before" >"$CONFDIR/bridges.allow"
chmod 0775 "$CONFDIR"
helper_refuses "a group-writable set-up directory: the helper refuses it" "^5 .*must be owned by root"
chmod 0755 "$CONFDIR"
helper_refuses "all restored: the helper attaches again" "^0 $"
no_tap_on_lan0 () { ! ip -o link show master lan0 | grep -q hvtap; }
check "the tap went away with its last fd" no_tap_on_lan0

# --- the engine, as nobody: a bridged VM on the LAN, a host-only VM in "host" mode ----------
if ! tiny_guest; then
  not_ok "build the tiny guest"
  finish
  exit 1
fi
mkdir -m 0755 "$HV_TMP/guest"
cp "$KERNEL" "$INITRD" "$HV_TMP/guest/"
make_vm () {
  expect_ok "create $1" create "$1" --no-disk --memory 256 --kernel "$HV_TMP/guest/vmlinuz" \
    --initrd "$HV_TMP/guest/initrd.img" --cmdline "console=ttyS0 quiet hv.dhcp=1 hv.httpd=1"
  expect_ok "attach $1's adapter 1: $2 $3" modify "$1" --nic1 "$2" --nic1-target "$3"
}
make_vm brvm bridged lan0
make_vm hovm host-only hotest
make_vm badvm bridged br9
run_ctl network list --json
hotest_mode () { python3 -c '
import json, sys
print({n["name"]: n for n in json.loads(sys.argv[1])}["hotest"]["network_mode"])' "$OUT"; }
check "host-only network hotest runs in host mode after the set-up" test "$(hotest_mode)" = host
expect_fail "a VM bridged to a bridge not allowed does not start, naming it" \
  "br9.*not allowed.*--allow-bridge br9" start badvm
# (wait for these two only: the LAN's dnsmasq and host run in the background too)
pids=()
for vm in brvm hovm; do "$CTL" start "$vm" >"$HV_TMP/start-$vm.log" 2>&1 & pids+=($!); done
wait "${pids[@]}"
for vm in brvm hovm; do
  check "$vm started" state_is "$vm" running
done
FETCH='import sys, urllib.request
print(urllib.request.urlopen(sys.argv[1], timeout=10).read().decode())'
lease_of () { "$CTL" log "$1" 2>/dev/null | sed -n 's|.*HOSTVISOR-GUEST: lease eth0 \([0-9.]*\)/.*|\1|p' | tail -n1; }
has_lease () { [ -n "$(lease_of "$1")" ]; }
wait_until "$BOOT_WAIT" has_lease brvm
wait_until 30 has_lease hovm
ip_a=$(lease_of brvm)
ip_b=$(lease_of hovm)
diag "leases: brvm $ip_a, hovm $ip_b"

if [[ $ip_a == 10.77.5.* ]]; then ok "the bridged VM got the LAN's lease ($ip_a)"
else not_ok "the bridged VM got the LAN's lease"; diag "$(cat "$HV_TMP/start-brvm.log"; "$CTL" log brvm | tail -n 15)"; fi
check "the LAN's DHCP server leased it to the VM's MAC" \
  grep -q "$(vm_field brvm adapters.0.mac) $ip_a" "$HV_TMP/lan.leases"
check "the LAN host pings the bridged VM" quiet lan ping -c 1 -W 5 "$ip_a"
check "the LAN host fetches the bridged VM's page" \
  grep -q "hostvisor tiny guest page" <<<"$(lan python3 -c "$FETCH" "http://$ip_a/")"

if [[ $ip_b == 10.77.6.* ]]; then ok "the host-only VM got a lease from the set-up's dnsmasq ($ip_b)"
else not_ok "the host-only VM got a lease from the set-up's dnsmasq"; diag "$(cat "$HV_TMP/start-hovm.log"; "$CTL" log hovm | tail -n 15)"; fi
check "the lease is in the set-up's lease file" \
  grep -q "$(vm_field hovm adapters.0.mac) $ip_b" "$HV_TMP/state/hotest.leases"
check "the host pings the host-only VM at its leased address" quiet ping -c 1 -W 5 "$ip_b"
check "the host fetches the host-only VM's page at its leased address" \
  grep -q "hostvisor tiny guest page" <<<"$(python3 -c "$FETCH" "http://$ip_b/")"
lan_cannot_reach () { [ -n "$ip_b" ] && ! lan ping -c 1 -W 1 "$ip_b" >/dev/null 2>&1; }
check "the LAN host does not reach the host-only VM" lan_cannot_reach
# The host routes nothing into or out of the host-only network, even when it forwards (the
# set-up's policy rules): the LAN host routes 10.77.6.0/24 through the host, the guest routes
# everything through the host; neither gets through. Without the rules (the control) both do.
# (the input stays open a while: the console ends a second after the input and the guest are
# quiet, and a ping that gets no answer is quiet)
guest () { { printf '%s\n' "$2"; sleep "${3:-1}"; } | timeout 60 "$CTL" console "$1" 2>&1; }
guest_reach () {
  guest hovm "ping -c 2 -W 2 $1 >/dev/null 2>&1 && echo reach-\$((40+2)) || echo none-\$((40+2))" 6 |
    grep -oE 'reach-42|none-42' | head -n1
}
echo 1 >/proc/sys/net/ipv4/ip_forward
ip addr add 10.77.5.254/24 dev lan0
lan ip route add 10.77.6.0/24 via 10.77.5.254
guest hovm "ip route add default via 10.77.6.1" >/dev/null
check "with the host forwarding, the LAN host still does not reach the host-only VM" lan_cannot_reach
check "…and the host-only VM does not reach the LAN host" test "$(guest_reach 10.77.5.1)" = none-42
check "the host-only VM still reaches the host" test "$(guest_reach 10.77.6.1)" = reach-42
ip rule del pref 3391 to 10.77.6.0/24 prohibit
ip rule del pref 3391 iif hv-hotest prohibit
check "control: without the set-up's rules the LAN host reaches the host-only VM" \
  quiet lan ping -c 1 -W 5 "$ip_b"
check "control: …and the host-only VM the LAN host" test "$(guest_reach 10.77.5.1)" = reach-42
"$SETUP" up hotest >/dev/null 2>&1
check "the set-up's up puts the rules back" lan_cannot_reach
echo 0 >/proc/sys/net/ipv4/ip_forward

addresses_shown () { run_ctl show hovm --json && grep -q "\"$ip_b\"" <<<"$(json_get adapters.0.addresses)"; }
check "show --json gives the host-mode VM's leased address (the set-up's lease file)" \
  wait_until 10 addresses_shown
taps_on () { ip -o link show master "$1" | grep -c hvtap; }
check "one tap of nobody's on lan0 while brvm runs" test "$(taps_on lan0)" = 1

pids=()
for vm in brvm hovm; do "$CTL" poweroff "$vm" >/dev/null 2>&1 & pids+=($!); done
wait "${pids[@]}"
for vm in brvm hovm; do
  check "$vm powered off" wait_until 60 state_is "$vm" poweroff
done
check "no tap is left on lan0 or hv-hotest" test "$(taps_on lan0)$(taps_on hv-hotest)" = 00

# --- a network that moves: the set-up again with other settings restarts it -------------------
old_pid=$(cat "$HV_TMP/state/hotest.pid")
if out=$("$SETUP" setup --network hotest 10.77.11.1/24 10.77.11.100-10.77.11.150 2>&1); then
  ok "set-up with hotest moved to 10.77.11.1/24"
else
  not_ok "set-up with hotest moved to 10.77.11.1/24"; diag "$out"
fi
check "hv-hotest holds 10.77.11.1/24 alone" \
  test "$(ip -4 -o addr show hv-hotest | awk '{print $4}')" = 10.77.11.1/24
check "its dnsmasq was restarted" test "$(cat "$HV_TMP/state/hotest.pid")" != "$old_pid"
check "its dnsmasq serves the new range" \
  grep -qx 'dhcp-range=10.77.11.100,10.77.11.150,255.255.255.0,1h' "$CONFDIR/networks/hotest.dnsmasq"
moved_rules () { ip rule show | grep -q '10.77.11.0/24' && ! ip rule show | grep -q '10.77.6.0/24'; }
check "the isolation rules moved with it" moved_rules

# --- undo ------------------------------------------------------------------------------------
if out=$("$SETUP" undo 2>&1); then ok "undo"; else not_ok "undo"; diag "$out"; fi
check "undo: hv-hotest is gone" test ! -e /sys/class/net/hv-hotest
gone () { ! kill -0 "$1" 2>/dev/null; }
check "undo: its dnsmasq is gone" gone "${dnsmasq_pid:-0}"
check "undo: the allow list and the network files are gone" test ! -e "$CONFDIR"
check "undo: the helper is no longer setuid" test "$(stat -c '%a' "$HOSTVISOR_BRIDGE_HELPER")" = 755
check "undo: lan0 itself is untouched" test -d /sys/class/net/lan0/bridge
no_rules () { ! ip rule show | grep -qE '^339[01]:' && ! ip -6 rule show | grep -qE '^339[01]:'; }
check "undo: the isolation rules are gone" no_rules
expect_ok "network setup --status after undo" network setup --status --json
check "the engine says the set-up is not done" test "$(json_get done)" = False
probe_fails "after undo, lan0: the set-up is not done" lan0 "set-up is not done"
if out=$("$SETUP" undo 2>&1); then ok "undo again is harmless"; else not_ok "undo again"; diag "$out"; fi

# --- with systemd: the service unit and the systemctl calls (systemctl is a stand-in here, in
# this mount namespace only; /run and /etc/systemd/system are the test's own too) ---------------
mount -t tmpfs tmpfs /run
mkdir -p /run/systemd/system "$HV_TMP/units"
if [ -d /etc/systemd/system ]; then mount --bind "$HV_TMP/units" /etc/systemd/system
else mkdir -p "$HV_TMP/etc-systemd/system"; fi
UNITDIR=/etc/systemd/system
printf '#!/bin/sh\necho "$*" >>%q\n' "$HV_TMP/systemctl.log" >"$HV_TMP/bin/systemctl"
chmod 0755 "$HV_TMP/bin/systemctl"
touch "$HV_TMP/systemctl.log"
if [ -e /usr/bin/systemctl ] && mount --bind "$HV_TMP/bin/systemctl" /usr/bin/systemctl &&
   [ -d /etc/systemd/system ] && [ "$(findmnt -no TARGET /etc/systemd/system)" = /etc/systemd/system ]; then
  if out=$(HOSTVISOR_NETSETUP_NO_SYSTEMD=0 "$SETUP" setup --network sdnet 10.77.9.1/24 none 2>&1)
  then ok "set-up with systemd"; else not_ok "set-up with systemd"; diag "$out"; fi
  unit=$(cat "$UNITDIR/hostvisor-network@.service" 2>/dev/null)
  check "the template unit runs dnsmasq on the network's config" \
    grep -q "^ExecStart=/usr/sbin/dnsmasq --keep-in-foreground --conf-file=$CONFDIR/networks/%i.dnsmasq" <<<"$unit"
  check "the unit makes the bridge first and removes it after" \
    grep -qx "ExecStartPre=.*hostvisor-net-setup up %i" <<<"$unit"
  check "the unit removes the bridge after" grep -qx "ExecStopPost=.*hostvisor-net-setup down %i" <<<"$unit"
  check "systemd reloaded, then the service enabled and started" \
    test "$(cat "$HV_TMP/systemctl.log")" = "daemon-reload
enable --now hostvisor-network@sdnet.service"
  if command -v systemd-analyze >/dev/null; then
    mkdir -p "$HV_TMP/verify"
    cp "$UNITDIR/hostvisor-network@.service" "$HV_TMP/verify/"
    ln -s hostvisor-network@.service "$HV_TMP/verify/hostvisor-network@sdnet.service"
    # (the installed programs it names need not exist here)
    out=$(systemd-analyze verify "$HV_TMP/verify/hostvisor-network@sdnet.service" 2>&1 |
          grep -v 'hostvisor-net-setup is not executable')
    check "systemd-analyze verify finds nothing else wrong with the unit" test -z "$out"
    [ -z "$out" ] || diag "$out"
  fi
  : >"$HV_TMP/systemctl.log"
  if out=$(HOSTVISOR_NETSETUP_NO_SYSTEMD=0 "$SETUP" undo 2>&1); then ok "undo with systemd"
  else not_ok "undo with systemd"; diag "$out"; fi
  check "undo stopped and disabled the service, then reloaded systemd" \
    test "$(cat "$HV_TMP/systemctl.log")" = "disable --now hostvisor-network@sdnet.service
daemon-reload"
  check "undo removed the unit" test ! -e "$UNITDIR/hostvisor-network@.service"
  umount /usr/bin/systemctl
else
  ok "set-up with systemd # SKIP cannot stand in for systemctl here"
fi
findmnt -no TARGET /etc/systemd/system >/dev/null 2>&1 && umount /etc/systemd/system
umount /run

finish
