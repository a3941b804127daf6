#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-3.0-or-later
# OVF/OVA import (docs/import-export.md "Import"). The appliances are made here
# (make-appliance.py), as VirtualBox 7 and OVF 2.0 writers make them, with disks that qemu-img
# converts from a small image marked with a text: an OVA (OVF 1.0, vbox:Machine with EFI and
# a group, a streamOptimized VMDK, a SHA256 manifest) and an OVF 2.0 directory package (a VDI
# on VirtualBox's VirtioSCSI controller, two adapters, a SHA1 manifest). The imported VMs'
# settings are read back with show --json, the disks compared with qemu-img compare, and the
# OVF 2.0 import boots: the tiny guest (a kernel and initrd, so it is given them with modify)
# reads the mark from the imported disk. Hostile appliances are refused, each with its
# message, and leave nothing in the library (no .new-* directory, no VM).
source "$(dirname "$0")/lib.sh"
# A GLib-CRITICAL in the engine (which inherits this) kills it: the test would see.
export G_DEBUG=fatal-criticals

BOOT_WAIT=180
# Converts at 4 MB/s at most (the engine this test starts inherits it): the import of the
# 12 MiB of random data below lasts about 3 s, long enough to watch and cancel it. The other
# disks hold a few bytes: zeros are not counted.
export HOSTVISOR_IMPORT_RATE_LIMIT=4M
MAKE="python3 $HV_SRCDIR/tests/integration/make-appliance.py"
W="$HV_TMP/work"
mkdir -p "$W"

# --- the source image: 64 MiB, a mark at its start
SRC="$W/src.qcow2"
qemu-img create -q -f qcow2 "$SRC" 64M
printf 'HV-MARK-IMPORTD\n' >"$W/mark"
qemu-io -f qcow2 -c "write -s $W/mark 0 16" "$SRC" >/dev/null
qemu-img convert -f qcow2 -O vmdk -o subformat=streamOptimized "$SRC" "$W/disk.vmdk"
qemu-img convert -f qcow2 -O vdi "$SRC" "$W/pkg-disk1.vdi"

# fields VM F1 F2...: the fields of `show VM --json`, joined by "/", with one show and one
# python (each costs a process start, slow on a loaded machine).
fields () {
  local vm=$1
  shift
  "$CTL" show "$vm" --json 2>/dev/null | python3 -c '
import json, sys
d = json.load(sys.stdin)
out = []
for path in sys.argv[1:]:
    v = d
    for k in path.split("."):
        v = v[int(k)] if isinstance(v, list) else v.get(k)
    out.append("" if v is None else str(v))
print("/".join(out))
' "$@"
}
# out_fields F1 F2...: fields of the JSON in $OUT, joined by "/", with one python.
out_fields () {
  python3 -c '
import json, sys
d = json.loads(sys.argv[1])
out = []
for path in sys.argv[2:]:
    v = d
    for k in path.split("."):
        v = v[int(k)] if isinstance(v, list) else v.get(k)
    out.append("" if v is None else str(v))
print("/".join(out))
' "$OUT" "$@"
}
no_leftovers () {
  ! ls -a "$LIBRARY/vms" 2>/dev/null | grep -q '^\.new-'
}
n_vms () {
  "$CTL" list --json 2>/dev/null | python3 -c 'import json,sys; print(len(json.load(sys.stdin)))'
}
export -f n_vms
export CTL

# --- a VirtualBox 7 OVA
$MAKE vbox "$W/tiny.ova" "$W/disk.vmdk" --efi --group /Lab/Imported --name "Tiny VBox"
check "the OVA is ovf, vmdk, mf in this order" \
  test "$(tar tf "$W/tiny.ova" | tr '\n' ' ')" = "tiny.ovf tiny-disk001.vmdk tiny.mf "
expect_ok "import --dry-run --json" import "$W/tiny.ova" --dry-run --json
check "dry run: name, OS from vbox:OSType, memory, CPUs" \
  test "$(out_fields name os os-source memory-mib cpus)" \
  = "Tiny VBox/debian12/vbox:Debian_64/320/2"
check "dry run: EFI firmware, group as folder" \
  test "$(out_fields firmware folder)" = "uefi/Lab/Imported"
check "dry run: the streamOptimized disk on SATA" \
  test "$(out_fields disks.0.format disks.0.bus disks.0.capacity)" \
  = "vmdk/sata/67108864"
check "dry run: an E1000 adapter, a CD drive" \
  test "$(out_fields nics.0.model media.0.kind)" = "e1000/cdrom"
check "a dry run creates nothing" test "$(n_vms)" = 0
ln -s "$W/tiny.ova" "$W/link-to.ova"
expect_ok "the appliance named through a symbolic link" import "$W/link-to.ova" --dry-run --json
check "…is read" test "$(json_get name)" = "Tiny VBox"

expect_ok "import the OVA" import "$W/tiny.ova"
check "show: name, memory, CPUs, OS" \
  test "$(fields "Tiny VBox" memory_mib cpus os)" \
  = "320/2/debian12"
check "show: UEFI, the group's folder" \
  test "$(fields "Tiny VBox" firmware folder)" = "uefi/Lab/Imported"
check "show: the adapter's model" test "$(vm_field "Tiny VBox" nics.0.model)" = e1000
check "show: the disk, qcow2 on SATA, then the CD drive" \
  test "$(fields "Tiny VBox" drives.0.format drives.0.bus drives.1.type)" \
  = "qcow2/sata/cdrom"
DISK=$(vm_field "Tiny VBox" drives.0.path)
check "the imported disk has the source's content" \
  qemu-img compare -q -f qcow2 -F qcow2 "$SRC" "$DISK"
check "…in the VM's own directory, without a backing file" \
  bash -c "[ \"\$(dirname '$DISK')\" = \"$LIBRARY/vms/$(vm_field "Tiny VBox" uuid)\" ] && ! qemu-img info -f qcow2 '$DISK' | grep -q backing"
expect_ok "a second import of the same OVA" import "$W/tiny.ova" --json
check "…gets a unique name" test "$(json_get name)" = "Tiny VBox (2)"
expect_ok "…which can be deleted" delete "Tiny VBox (2)"
expect_fail "--name must be free" "already exists" import "$W/tiny.ova" --name "Tiny VBox"
check "a refused import leaves no directory" no_leftovers

# --- an OVF 2.0 package with a VDI on VirtioSCSI: imported and booted
mkdir -p "$W/pkg"
cp "$W/pkg-disk1.vdi" "$W/pkg/pkg-disk1.vdi"
mkdir -p "$W/isodir"
echo "imported CD" >"$W/isodir/README"
xorriso -as mkisofs -quiet -V IMPORTCD -o "$W/pkg/tools.iso" "$W/isodir" 2>/dev/null
$MAKE ovf2 "$W/pkg/pkg.ovf" "$W/pkg/pkg-disk1.vdi" \
  "http://www.virtualbox.org/manual/ch12.html#vdi" --virtio --name "OVF Two" --iso "$W/pkg/tools.iso"
expect_ok "import the OVF 2.0 package into a folder" import "$W/pkg/pkg.ovf" --folder Lab2 --json
WARNINGS=$(json_get warnings)
check "its warnings name the serial port and the bridged network" \
  test -n "$(grep -F 'serial port' <<<"$WARNINGS" | grep -F 'Bridged')"
check "show: 256 MiB, 1 CPU, BIOS, the folder asked for" \
  test "$(fields "OVF Two" memory_mib cpus firmware folder)" \
  = "256/1/bios/Lab2"
check "show: CIM 96 is Debian" test "$(vm_field "OVF Two" os)" = debian12
check "show: two adapters, virtio-net and e1000" \
  test "$(fields "OVF Two" nics.0.model nics.1.model)" = "virtio-net/e1000"
check "show: the disk on virtio, a CD drive and a floppy drive" \
  test "$(fields "OVF Two" drives.0.bus drives.1.type drives.2.type)" \
  = "virtio/cdrom/floppy"
check "the package's ISO is copied into the VM's directory, in the CD drive" \
  cmp -s "$W/pkg/tools.iso" "$(vm_field "OVF Two" drives.1.path)"

if tiny_guest; then
  SNIPPET='m=$(dd if=/dev/vda bs=16 count=1 2>/dev/null); echo "HOSTVISOR-GUEST: disk=$m"'
  CMDLINE="console=ttyS0 quiet hv.poweroff=1 hv.run64=$(printf '%s' "$SNIPPET" | base64 -w0)"
  expect_ok "give the imported VM the tiny guest's kernel" modify "OVF Two" --kernel "$KERNEL" \
    --initrd "$INITRD" --cmdline "$CMDLINE" --nic-model virtio-net
  expect_ok "start the imported VM" start "OVF Two"
  check "the guest reads the mark from the imported disk" \
    wait_until $BOOT_WAIT log_has "OVF Two" "disk=HV-MARK-IMPORTD"
  check "…and powers off" wait_until 60 state_is "OVF Two" poweroff
else
  not_ok "build the tiny guest"
fi


# --- progress and cancel, from a D-Bus client: ApplianceProgress rises, CancelImport stops
# qemu-img and the import leaves nothing
if /usr/bin/python3 -c 'from gi.repository import Gio' 2>/dev/null; then
  head -c 12M /dev/urandom >"$W/rnd.raw"
  qemu-img convert -f raw -O vmdk -o subformat=streamOptimized "$W/rnd.raw" "$W/rnd.vmdk"
  $MAKE vbox "$W/cancel.ova" "$W/rnd.vmdk" --name "Cancelled"
  cp "$W/cancel.ova" "$W/whole.ova"
  cat >"$HV_TMP/cancel.py" <<'PY'
import sys
from gi.repository import Gio, GLib
address, path, cancel = sys.argv[1], sys.argv[2], sys.argv[3] == "cancel"
conn = Gio.DBusConnection.new_for_address_sync(
    address, Gio.DBusConnectionFlags.AUTHENTICATION_CLIENT, None, None)
loop = GLib.MainLoop()
seen = []
state = {"cancelled": False, "result": None}

def on_progress(c, sender, obj, iface, signal, params):
    p, fraction = params.unpack()
    if p != path:
        return
    seen.append(round(fraction, 3))
    if cancel and fraction > 0.05 and not state["cancelled"]:
        state["cancelled"] = True
        conn.call_sync(None, "/io/github/hostvisor/Engine", "io.github.hostvisor.Engine",
                       "CancelImport", GLib.Variant("(s)", (path,)), None, 0, -1, None)

def on_done(c, res):
    try:
        state["result"] = "ok " + c.call_finish(res).unpack()[0]
    except GLib.Error as e:
        state["result"] = "error " + e.message
    loop.quit()

conn.signal_subscribe(None, "io.github.hostvisor.Engine", "ApplianceProgress", None, None,
                      Gio.DBusSignalFlags.NONE, on_progress)
conn.call(None, "/io/github/hostvisor/Engine", "io.github.hostvisor.Engine", "ImportAppliance",
          GLib.Variant("(sa{sv})", (path, {})), None, 0, -1, None, on_done)
GLib.timeout_add_seconds(120, loop.quit)
loop.run()
print(state["result"])
print("progress", *seen)
PY
  ADDR="unix:path=$XDG_RUNTIME_DIR/hostvisor/engine.sock"
  BEFORE=$(n_vms)
  /usr/bin/python3 "$HV_TMP/cancel.py" "$ADDR" "$W/cancel.ova" cancel >"$HV_TMP/cancel.log" 2>&1
  check "CancelImport: the import fails as cancelled" grep -q '^error .*The import was cancelled' "$HV_TMP/cancel.log"
  check "…after progress between 0 and 1" \
    awk '$1 == "progress" { for (i = 2; i <= NF; i++) if ($i > 0 && $i < 1) mid = 1 } END { exit !mid }' "$HV_TMP/cancel.log"
  check "…no VM, no directory left" bash -c "[ \"\$(n_vms)\" = $BEFORE ] && ! ls -a '$LIBRARY/vms' | grep -q '^\\.new-'"
  check "…and no qemu-img left running" bash -c "! pgrep -f '[q]emu-img convert.*cancel.ova' >/dev/null"
  diag "$(cut -c 1-300 "$HV_TMP/cancel.log")"
  /usr/bin/python3 "$HV_TMP/cancel.py" "$ADDR" "$W/whole.ova" watch >"$HV_TMP/whole.log" 2>&1
  check "an import watched to its end: ApplianceProgress -1 (checking), rising, then 1" \
    awk '$1 == "ok" { done = 1 } $1 == "progress" { if ($2 != -1) bad = 1; last = -1;
         for (i = 2; i <= NF; i++) { if ($i < last) bad = 1; last = $i; if ($i > 0 && $i < 1) mid = 1 }
         if (last != 1) bad = 1 } END { exit !(done && mid && !bad) }' "$HV_TMP/whole.log"
  diag "$(cut -c 1-300 "$HV_TMP/whole.log")"
  check "…its disk has the random data" \
    qemu-img compare -q -f raw -F qcow2 "$W/rnd.raw" "$(vm_field Cancelled drives.0.path)"
  expect_ok "…and it can be deleted" delete Cancelled

  # The engine killed during an import: qemu-img dies with it, the next engine removes the
  # half-made directory.
  "$CTL" import "$W/whole.ova" --name Killed >/dev/null 2>&1 &
  IMPORT=$!
  if wait_until 20 bash -c "ls -a '$LIBRARY/vms' | grep -q '^\.new-'"; then
    kill -KILL "$(engine_pid)"
    wait $IMPORT
    check "the import fails with the engine" test $? -ne 0
    expect_ok "a new engine starts" list
    check "…it removed the half-made VM directory" no_leftovers
    check "…no VM named Killed" bash -c "! '$CTL' show Killed >/dev/null 2>&1"
    check "…and qemu-img died with the old engine" \
      wait_until 10 bash -c "! pgrep -f '[q]emu-img convert.*whole.ova' >/dev/null"
  else
    not_ok "the import's directory appears"
    wait $IMPORT
  fi
else
  ok "# SKIP no python3-gi for the D-Bus client that cancels an import"
fi

# On a terminal hostvisorctl shows the progress on stderr, then the UUID.
if command -v script >/dev/null && [ -f "$W/whole.ova" ]; then
  script -qec "'$CTL' import '$W/whole.ova' --name Tty" /dev/null >"$HV_TMP/tty.out" 2>&1
  check "on a terminal: progress while importing" grep -q 'Importing… *[0-9]*%' "$HV_TMP/tty.out"
  check "…then the new VM's UUID" \
    test "$(grep -oE '[0-9a-f-]{36}' "$HV_TMP/tty.out" | tail -n 1)" = "$(vm_field Tty uuid)"
  expect_ok "delete that VM" delete Tty
else
  ok "# SKIP no script(1) for a terminal"
fi
expect_ok "the dry run's text names what is left out" import "$W/pkg/pkg.ovf" --dry-run
check "…the serial port" grep -q '^Left out: *The serial port' <<<"$OUT"

# --- hostile appliances: each refused with its message, nothing left behind
BEFORE=$(n_vms)
refused () {   # refused DESCRIPTION PATTERN FILE
  expect_fail "$1" "$2" import "$3"
  check "…nothing left in the library" bash -c "[ \"\$(n_vms)\" = $BEFORE ] && ! ls -a '$LIBRARY/vms' | grep -q '^\\.new-'"
}
printf 'x' >"$W/x"
$MAKE tar "$W/climb.ova" "../climb.ovf=$W/x"
refused "a member that climbs out (../)" 'climbs out of the archive' "$W/climb.ova"
$MAKE tar "$W/abs.ova" "/tmp/abs.ovf=$W/x"
refused "a member with an absolute name" 'absolute name' "$W/abs.ova"
$MAKE tar "$W/link.ova" "link.ovf@/etc/passwd"
refused "a symbolic link member" 'is a link' "$W/link.ova"
$MAKE tar "$W/lie.ova" "lie.ovf=$W/x!1000000"
refused "a size that the archive does not hold" 'declares 1000000 bytes' "$W/lie.ova"
$MAKE vbox "$W/ent.ova" "$W/disk.vmdk" --doctype
refused "a DOCTYPE with an entity" 'DOCTYPE|DTD' "$W/ent.ova"
$MAKE vbox "$W/mf.ova" "$W/disk.vmdk" --manifest-lie
refused "a manifest mismatch" 'SHA256 checksum of "mf-disk001.vmdk" does not match' "$W/mf.ova"

# A VMDK descriptor whose extent is a file outside the package.
mkdir -p "$W/ext"
cat >"$W/ext/ext-disk1.vmdk" <<'VMDK'
# Disk DescriptorFile
version=1
CID=fffffffe
parentCID=ffffffff
createType="monolithicFlat"

# Extent description
RW 2048 FLAT "/etc/passwd" 0
VMDK
$MAKE ovf2 "$W/ext/ext.ovf" "$W/ext/ext-disk1.vmdk" \
  "http://www.vmware.com/interfaces/specifications/vmdk.html#monolithicFlat"
refused "a VMDK descriptor with an extent outside" 'VMDK descriptor that names its data' "$W/ext/ext.ovf"

# A sparse VMDK delta whose parent is outside.
mkdir -p "$W/par"
qemu-img create -q -f vmdk "$W/base.vmdk" 64M
qemu-img create -q -f vmdk -b "$W/base.vmdk" -F vmdk "$W/par/par-disk1.vmdk"
$MAKE ovf2 "$W/par/par.ovf" "$W/par/par-disk1.vmdk" \
  "http://www.vmware.com/interfaces/specifications/vmdk.html#sparse"
refused "a VMDK that names a parent" 'names a parent image' "$W/par/par.ovf"

# A qcow2 with a backing file.
mkdir -p "$W/bq"
qemu-img create -q -f qcow2 -b "$SRC" -F qcow2 "$W/bq/bq-disk1.qcow2"
$MAKE ovf2 "$W/bq/bq.ovf" "$W/bq/bq-disk1.qcow2" "http://www.qemu.org/qcow2"
refused "a qcow2 with a backing file" 'names a backing file' "$W/bq/bq.ovf"

# A disk file that is a symbolic link in a directory package.
mkdir -p "$W/sl"
cp "$W/pkg/pkg.ovf" "$W/sl/sl.ovf"
ln -s "$W/pkg/pkg-disk1.vdi" "$W/sl/pkg-disk1.vdi"
refused "a symbolic link in a directory package" 'is a symbolic link' "$W/sl/sl.ovf"

finish
