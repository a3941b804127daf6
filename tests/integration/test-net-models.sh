#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-3.0-or-later
# Every network adapter model with a real guest (the tiny busybox Linux of tests/guest, on TCG):
# one VM per model, all booting at once, each on NAT; the guest's own driver binds to the card
# and gets a DHCP lease from QEMU's user-mode stack. ne2k_isa (on the pc machine) has no driver
# in Debian's amd64 kernel (no ISA "ne" module), so there the guest reads the card itself: it
# answers at I/O port 0x300 and its station address PROM holds the VM's MAC.
source "$(dirname "$0")/lib.sh"

BOOT_WAIT=420   # seconds: seven TCG guests share two cores

if ! tiny_guest; then
  not_ok "build the tiny guest"
  finish
  exit 1
fi
ok "build the tiny guest"

# model → the driver the guest binds to it ("8139cp|8139too": either claims an RTL8139C+)
declare -A DRIVER=(
  [virtio-net]="virtio_net"
  [e1000]="e1000"
  [e1000e]="e1000e"
  [rtl8139]="8139cp|8139too"
  [pcnet]="pcnet32"
  [ne2k_pci]="ne2k-pci"
)
MODELS=(virtio-net e1000 e1000e rtl8139 pcnet ne2k_pci ne2k_isa)

vm_name () { echo "m-${1//_/-}"; }

for model in "${MODELS[@]}"; do
  vm=$(vm_name "$model")
  expect_ok "create $vm ($model on the pc machine)" create "$vm" --no-disk --memory 96 \
    --machine pc --nic-model "$model" --kernel "$KERNEL" --initrd "$INITRD" \
    --cmdline "console=ttyS0 quiet hv.dhcp=1"
done

# Started one after the other (each Start returns once QEMU runs), booting side by side.
for model in "${MODELS[@]}"; do
  expect_ok "start $(vm_name "$model")" start "$(vm_name "$model")"
done

for model in "${MODELS[@]}"; do
  vm=$(vm_name "$model")
  [ "$model" = ne2k_isa ] && continue
  if wait_until $BOOT_WAIT log_has "$vm" "HOSTVISOR-GUEST: lease eth0 10.0.2.15/24"; then
    ok "$model: the guest gets a DHCP lease"
  else
    not_ok "$model: the guest gets a DHCP lease"
    diag "$("$CTL" log "$vm" | grep HOSTVISOR | tail -n 8)"
  fi
  mac=$(vm_field "$vm" adapters.0.mac)
  line=$("$CTL" log "$vm" | tr -d '\r' | grep "HOSTVISOR-GUEST: netdev eth0 ")
  if grep -qE "netdev eth0 $mac (${DRIVER[$model]})\$" <<<"$line"; then
    ok "$model: eth0 has the VM's MAC and the ${DRIVER[$model]} driver"
  else
    not_ok "$model: eth0 has the VM's MAC and the ${DRIVER[$model]} driver"
    diag "expected $mac ${DRIVER[$model]}, got: $line"
  fi
done

# ne2k_isa: the card at 0x300, read through /dev/port. After its reset the interrupt status
# register (0x307) has the reset bit; a remote DMA read of 12 bytes from address 0 gives the
# station PROM, each byte twice (the 8-bit NE2000's layout).
vm=$(vm_name ne2k_isa)
check "ne2k_isa: the guest boots" wait_until $BOOT_WAIT log_has "$vm" "HOSTVISOR-GUEST: ready"
PROBE='w () { printf "\\$(printf %o $2)" | dd of=/dev/port bs=1 seek=$(($1)) conv=notrunc 2>/dev/null; }
r () { dd if=/dev/port bs=1 skip=$(($1)) count=1 2>/dev/null | hexdump -v -e "1/1 \"%02x\""; }
echo "isr=$(r 0x307)"
w 0x300 0x21; w 0x30e 0x48; w 0x30a 12; w 0x30b 0; w 0x308 0; w 0x309 0; w 0x300 0x0a
prom=""; i=0; while [ $i -lt 12 ]; do prom="$prom$(r 0x310)"; i=$((i + 1)); done
echo "prom=$prom"'
OUT=$(printf '%s\n' "$PROBE" | timeout 90 "$CTL" console "$vm" 2>&1 | tr -d '\r')
mac=$(vm_field "$vm" adapters.0.mac)
doubled=$(sed 's/://g; s/../&&/g' <<<"$mac")
check "ne2k_isa: the card answers at 0x300 (reset bit in its status register)" \
  grep -q '^isr=8' <<<"$OUT"
check "ne2k_isa: its station PROM holds the VM's MAC" grep -q "^prom=$doubled\$" <<<"$OUT"
diag "$(grep -E '^(isr|prom)=' <<<"$OUT"), MAC $mac"

for model in "${MODELS[@]}"; do
  expect_ok "power off $(vm_name "$model")" poweroff "$(vm_name "$model")"
done

finish
