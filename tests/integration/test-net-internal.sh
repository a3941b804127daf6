#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-3.0-or-later
# Internal networks with real guests (the tiny busybox Linux on TCG): two VMs with static
# addresses on internal network "lab" ping each other; a VM on internal network "other", with
# an address in the same subnet, reaches neither; nothing of either network appears in the
# host's network namespace; when the VMs stop, the networks' holders are gone. Runs as
# whoever runs the suite: internal networks need no privilege.
source "$(dirname "$0")/lib.sh"

BOOT_WAIT=240

# The adapter options come from the "nic" work; without them (this branch alone) there is
# nothing to test yet.
if ! "$CTL" modify --help 2>&1 | grep -q -- '--nic1-target'; then
  ok "# SKIP hostvisorctl has no --nic1-target yet"
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

# make_vm NAME ADDRESS NETWORK: a VM whose first adapter is on internal NETWORK, with ADDRESS.
make_vm () {
  local setup
  setup=$(printf 'ip addr add %s/24 dev eth0\nip link set eth0 up\n' "$2" | base64 -w0)
  expect_ok "create $1" create "$1" --no-disk --memory 256 --kernel "$KERNEL" --initrd "$INITRD" \
    --cmdline "console=ttyS0 quiet hv.run64=$setup"
  expect_ok "attach $1 to internal network \"$3\"" modify "$1" --nic1 internal --nic1-target "$3"
}
make_vm ia 10.50.0.1 lab
make_vm ib 10.50.0.2 lab
make_vm ic 10.50.0.3 other

host_links () { ip -o link show | awk -F': ' '{print $2}' | sort; }
BEFORE=$(host_links)

# All three boot at once.
for vm in ia ib ic; do "$CTL" start "$vm" >"$HV_TMP/start-$vm.log" 2>&1 & done
wait
for vm in ia ib ic; do
  check "$vm boots" wait_until "$BOOT_WAIT" log_has "$vm" "HOSTVISOR-GUEST: ready"
done

ENGINE=$(engine_pid)
holders () { pgrep -P "$ENGINE" -x hostvisor-netns | wc -l; }
check "one namespace holder per internal network" test "$(holders)" = 2
check "nothing new in the host's network namespace" test "$(host_links)" = "$BEFORE"
run_ctl network list --json
check "network list shows lab up with its two VMs" python3 -c '
import json, sys
nets = {n["name"]: n for n in json.loads(sys.argv[1])}
lab, other = nets["lab"], nets["other"]
sys.exit(0 if lab["kind"] == "internal" and lab["state"] == "up" and len(lab["vms"]) == 2
         and other["state"] == "up" and len(other["vms"]) == 1 else 1)' "$OUT"

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
# reach FROM ADDRESS: "yes" when FROM gets an answer to ping from ADDRESS.
reach () {
  guest "$1" "ping -c 3 -W 3 $2 >/dev/null 2>&1 && echo reach-\$((40+2)) || echo none-\$((40+2))" |
    grep -oE 'reach-42|none-42' | head -n1
}
check "ia pings ib on lab" test "$(reach ia 10.50.0.2)" = reach-42
check "ib pings ia on lab" test "$(reach ib 10.50.0.1)" = reach-42
check "ic on other reaches neither" test "$(reach ic 10.50.0.1)$(reach ic 10.50.0.2)" = none-42none-42
check "ib still reaches ia (the control)" test "$(reach ib 10.50.0.1)" = reach-42

for vm in ia ib ic; do "$CTL" poweroff "$vm" >/dev/null 2>&1 & done
wait
for vm in ia ib ic; do
  check "$vm powered off" wait_until 60 state_is "$vm" poweroff
done
check "no namespace holder is left" wait_until 20 test "$(holders)" = 0
check "the host's namespace is as before" test "$(host_links)" = "$BEFORE"
run_ctl network list --json
check "the internal networks are down" python3 -c '
import json, sys
sys.exit(0 if all(n["state"] == "down" for n in json.loads(sys.argv[1])) else 1)' "$OUT"

finish
