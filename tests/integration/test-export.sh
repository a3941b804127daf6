#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-3.0-or-later
# Export (docs/import-export.md, Export) with the tiny guest: an OVA (the descriptor first in
# the tar, a manifest that sha256sum verifies, streamOptimized VMDK that converts back
# identical, the OVF's values), an OVF as files, a snapshot's state, refusals, a cancelled
# export that leaves nothing, and a libvirt export that virt-xml-validate accepts and that a
# real libvirt (qemu:///session) defines and boots: its guest reads the exported disk and
# prints it on the serial port.
#
# libvirt's session daemon serves the user that runs virsh. Run as root, qemu:///session is
# the system socket (which no daemon serves here), so the test runs virsh as user 65534 with
# a home and runtime directory of its own, as a desktop user would.
source "$(dirname "$0")/lib.sh"

BOOT_WAIT=180
# Conversions read 100 MB/s at most (the engine inherits it): the big export and clone below
# last a few seconds, long enough to cancel them.
export HOSTVISOR_EXPORT_RATE_LIMIT=100M HOSTVISOR_CLONE_RATE_LIMIT=100M

if ! tiny_guest; then
  not_ok "build the tiny guest"
  finish
  exit 1
fi
ok "build the tiny guest"

# The guest prints the first 16 bytes of its disk and powers off.
SNIPPET='m=$(dd if=/dev/vda bs=16 count=1 2>/dev/null); echo "HOSTVISOR-GUEST: disk=$m"; sync'
CMDLINE="console=ttyS0 quiet hv.poweroff=1 hv.run64=$(printf '%s' "$SNIPPET" | base64 -w0)"

mark () {
  printf '%s\n' "$2" >"$HV_TMP/mark"
  qemu-io -f qcow2 -c "write -s $HV_TMP/mark 0 16" "$1" >/dev/null
}
ovf_xpath () { xmllint --xpath "$2" "$1" 2>/dev/null; }
# mf_check DIR FILE.mf: every "SHA256(F)= HEX" line verified by sha256sum in DIR.
mf_check () {
  (cd "$1" && sed -nE 's/^SHA256\(([^)]*)\)= ([0-9a-f]{64})$/\2  \1/p' "$2" >"$HV_TMP/sums" &&
    [ "$(wc -l <"$HV_TMP/sums")" -eq "$(wc -l <"$2")" ] && sha256sum --quiet -c "$HV_TMP/sums")
}

# A name that XML must escape (and that never becomes a file name).
NAME='exp <&"> 1'
DISK="$HV_TMP/src.qcow2"
qemu-img create -q -f qcow2 "$DISK" 64M
mark "$DISK" HV-MARK-ORIGINL
expect_ok "create the VM" create "$NAME" --disk "$DISK" --disk-format qcow2 --os debian12 \
  --memory 256 --cpus 2 --kernel "$KERNEL" --initrd "$INITRD" --cmdline "$CMDLINE"
VM_DISK="$DISK"
OUTDIR="$HV_TMP/out"
mkdir -p "$OUTDIR"

# --- OVA
expect_ok "export to an OVA" export "$NAME" "$OUTDIR/exp.ova"
check "the warnings say what is left out (direct kernel boot)" grep -q "warning: Direct kernel boot" <<<"$ERR"
mapfile -t MEMBERS < <(tar tf "$OUTDIR/exp.ova")
check "the tar holds the descriptor first, then the disk, then the manifest" \
  test "${MEMBERS[*]}" = "exp.ovf exp-disk1.vmdk exp.mf"
X="$HV_TMP/x"
mkdir -p "$X"
tar xf "$OUTDIR/exp.ova" -C "$X"
check "the manifest's SHA256 lines verify" mf_check "$X" exp.mf
check "the VMDK is streamOptimized" bash -c "qemu-img info -f vmdk '$X/exp-disk1.vmdk' | grep -q 'create type: streamOptimized'"
check "…and converts back identical to the disk" qemu-img compare -q -f vmdk -F qcow2 "$X/exp-disk1.vmdk" "$VM_DISK"
check "the OVF is well-formed" xmllint --noout --nonet "$X/exp.ovf"
OVF="$X/exp.ovf"
check "OVF: version 1.0" test "$(ovf_xpath "$OVF" "string(/*[local-name()='Envelope']/@*[local-name()='version'])")" = 1.0
check "OVF: the name, escaped and read back" test "$(ovf_xpath "$OVF" "string(//*[local-name()='VirtualSystem']/*[local-name()='Name'])")" = "$NAME"
check "OVF: 256 MB of memory" test "$(ovf_xpath "$OVF" "string(//*[local-name()='Item'][*[local-name()='ResourceType']='4']/*[local-name()='VirtualQuantity'])")" = 256
check "OVF: 2 CPUs" test "$(ovf_xpath "$OVF" "string(//*[local-name()='Item'][*[local-name()='ResourceType']='3']/*[local-name()='VirtualQuantity'])")" = 2
check "OVF: Debian 64-bit (CIM 96, vbox:OSType Debian_64)" test "$(ovf_xpath "$OVF" "concat(//*[local-name()='OperatingSystemSection']/@*[local-name()='id'],' ',//*[local-name()='OSType'])")" = "96 Debian_64"
check "OVF: the disk's capacity in bytes" test "$(ovf_xpath "$OVF" "string(//*[local-name()='Disk']/@*[local-name()='capacity'])")" = 67108864
check "OVF: the file's size" test "$(ovf_xpath "$OVF" "string(//*[local-name()='File']/@*[local-name()='size'])")" = "$(stat -c %s "$X/exp-disk1.vmdk")"
check "OVF: one E1000 on the NAT network" test "$(ovf_xpath "$OVF" "concat(//*[local-name()='Item'][*[local-name()='ResourceType']='10']/*[local-name()='ResourceSubType'],' ',//*[local-name()='Item'][*[local-name()='ResourceType']='10']/*[local-name()='Connection'])")" = "E1000 NAT"
check "OVF: the disk item names the disk" test "$(ovf_xpath "$OVF" "string(//*[local-name()='Item'][*[local-name()='ResourceType']='17']/*[local-name()='HostResource'])")" = "ovf:/disk/vmdisk1"

# --- OVF as files
expect_ok "export to an OVF" export "$NAME" "$OUTDIR/files.ovf"
check "the descriptor, the disk and the manifest lie beside each other" \
  test -f "$OUTDIR/files.ovf" -a -f "$OUTDIR/files-disk1.vmdk" -a -f "$OUTDIR/files.mf"
check "…and the manifest verifies" mf_check "$OUTDIR" files.mf
expect_fail "an OVF over an existing one is refused" "exists" export "$NAME" "$OUTDIR/files.ovf"
expect_fail "an OVA over an existing file is refused" "exists" export "$NAME" "$OUTDIR/exp.ova"
expect_fail "a target that is not .ova, .ovf or --libvirt is refused" "FILE.ova" export "$NAME" "$OUTDIR/x.zip"
expect_fail "a missing directory is refused" "not a directory" export "$NAME" "$OUTDIR/no/such.ova"
expect_fail "an unknown snapshot is refused" "no snapshot" export "$NAME" "$OUTDIR/s.ova" --snapshot nosuch
expect_fail "an OVF file name the manifest cannot name is refused" "only letters" export "$NAME" "$OUTDIR/a b.ovf"
(cd "$OUTDIR" && "$CTL" export "$NAME" rel.ova >/dev/null 2>&1)
check "a relative target is the current directory's" test -s "$OUTDIR/rel.ova"
# The D-Bus contract's refusals, from a client that hostvisorctl is not.
if /usr/bin/python3 -c 'from gi.repository import Gio' 2>/dev/null; then
  cat >"$HV_TMP/refuse.py" <<'PY'
import sys
from gi.repository import Gio, GLib
address, path, out = sys.argv[1:4]
conn = Gio.DBusConnection.new_for_address_sync(
    address, Gio.DBusConnectionFlags.AUTHENTICATION_CLIENT, None, None)
cases = [("zip", out + "/a.zip", {}), ("ova", "relative.ova", {}),
         ("ova", out + "/b.ova", {"bogus": GLib.Variant("s", "x")}),
         ("ova", out + "/c.ova", {"snapshot": GLib.Variant("b", True)})]
for fmt, target, options in cases:
    try:
        conn.call_sync(None, path, "io.github.hostvisor.Vm", "Export",
                       GLib.Variant("(ssa{sv})", (fmt, target, options)), None, 0, -1, None)
        print("accepted", fmt, target)
    except GLib.Error as e:
        print("refused", Gio.DBusError.get_remote_error(e))
PY
  /usr/bin/python3 "$HV_TMP/refuse.py" "unix:path=$XDG_RUNTIME_DIR/hostvisor/engine.sock" \
    "/io/github/hostvisor/vm/$(vm_field "$NAME" uuid | tr - _)" "$OUTDIR" >"$HV_TMP/refuse.out" 2>&1
  check "D-Bus: an unknown format, a relative path, an unknown option and a mistyped one are InvalidArgument" \
    test "$(grep -c '^refused io.github.hostvisor.Error.InvalidArgument$' "$HV_TMP/refuse.out")" = 4
  diag "$(cat "$HV_TMP/refuse.out")"
else
  ok "# SKIP no python3-gi for the D-Bus client"
fi

# --- a snapshot's state
expect_ok "take a snapshot (powered off)" snapshot take "$NAME" before
mark "$VM_DISK" HV-MARK-CHANGED
expect_ok "export the snapshot" export "$NAME" "$OUTDIR/snap.ova" --snapshot before
mkdir -p "$HV_TMP/s"
tar xf "$OUTDIR/snap.ova" -C "$HV_TMP/s"
qemu-img convert -f vmdk -O raw "$HV_TMP/s/snap-disk1.vmdk" "$HV_TMP/s/raw" 2>/dev/null
check "its disk holds the snapshot's data, not the current state's" \
  test "$(head -c 15 "$HV_TMP/s/raw")" = HV-MARK-ORIGINL
check "…and its manifest verifies" mf_check "$HV_TMP/s" snap.mf
check "no work directory is left anywhere" bash -c "! ls -a '$OUTDIR' | grep -q '^\.hv-export-'"

# --- while the VM runs: its current state is refused, a snapshot is read beside QEMU (-U)
expect_ok "start the VM" start "$NAME"
expect_fail "the current state of a running VM is refused" "is running" export "$NAME" "$OUTDIR/run.ova"
expect_ok "a snapshot exports while the VM runs" export "$NAME" "$OUTDIR/run.ova" --snapshot before
mkdir -p "$HV_TMP/r"
tar xf "$OUTDIR/run.ova" -C "$HV_TMP/r"
qemu-img convert -f vmdk -O raw "$HV_TMP/r/run-disk1.vmdk" "$HV_TMP/r/raw" 2>/dev/null
check "…with the snapshot's data" test "$(head -c 15 "$HV_TMP/r/raw")" = HV-MARK-ORIGINL
check "the guest reads the current disk" wait_until $BOOT_WAIT log_has "$NAME" "disk=HV-MARK-CHANGED"
check "…and powers off" wait_until 60 state_is "$NAME" poweroff

# --- cancel: nothing is left at the path
BIG="$HV_TMP/big.qcow2"
qemu-img create -q -f qcow2 "$BIG" 1G
qemu-io -f qcow2 -c "write -P 0x5a 0 400M" "$BIG" >/dev/null
expect_ok "a VM with a bigger disk" create big --disk "$BIG" --disk-format qcow2
"$CTL" export big "$OUTDIR/big.ova" >"$HV_TMP/big.out" 2>&1 &
EXPORT=$!
if wait_until 30 bash -c "[ \"\$('$CTL' show big --json | python3 -c 'import json,sys; print(json.load(sys.stdin).get(\"operation\") or \"\")')\" = export ]"; then
  ok "the export shows as the VM's operation"
  expect_fail "a second export waits" "busy" export big "$OUTDIR/big2.ova"
  expect_ok "cancel it" cancel big
else
  not_ok "the export shows as the VM's operation"
fi
wait $EXPORT
RC_EXPORT=$?
check "the cancelled export fails, saying so" bash -c "[ $RC_EXPORT -ne 0 ] && grep -q cancelled '$HV_TMP/big.out'"
diag "$(cat "$HV_TMP/big.out")"
check "nothing is left at the path" test ! -e "$OUTDIR/big.ova"
check "…nor beside it" bash -c "! ls -a '$OUTDIR' | grep -q '^\.hv-export-'"
expect_fail "cancel with nothing running" "No operation" cancel big
# The engine killed during an export: the next engine removes the work directory it left.
pid=$(engine_pid)
kill -KILL "$pid" 2>/dev/null
wait_until 10 bash -c "! kill -0 $pid 2>/dev/null"
HOSTVISOR_CRASH_AT=export:working "$CTL" export big "$OUTDIR/killed.ova" >/dev/null 2>&1
check "export:working: the engine died there" \
  grep -q "crashpoint export:working: killing" "$XDG_RUNTIME_DIR/hostvisor/engine.log"
check "…its work directory is beside the target" bash -c "ls -a '$OUTDIR' | grep -q '^\.hv-export-'"
expect_ok "a new engine" list
check "…which removed it" bash -c "! ls -a '$OUTDIR' | grep -q '^\.hv-export-'"
check "…and nothing is at the path" test ! -e "$OUTDIR/killed.ova"
# On a terminal hostvisorctl shows the progress on stderr.
if command -v script >/dev/null; then
  script -qec "'$CTL' export big '$OUTDIR/tty.ova'" /dev/null >"$HV_TMP/tty.out" 2>&1
  check "on a terminal: the progress while exporting, up through the middle" \
    bash -c "grep -aoE 'Exporting… *[0-9]+%' '$HV_TMP/tty.out' | grep -oE '[0-9]+' | awk '\$1 > 10 && \$1 < 90 { mid = 1 } END { exit !mid }'"
  check "…and the OVA is written" test -s "$OUTDIR/tty.ova"
  rm -f "$OUTDIR/tty.ova"
else
  ok "# SKIP no script(1) for a terminal"
fi
# CancelOperation stops a clone too.
"$CTL" clone big bigclone >"$HV_TMP/clone.out" 2>&1 &
CLONE=$!
if wait_until 30 bash -c "[ \"\$('$CTL' show big --json | python3 -c 'import json,sys; print(json.load(sys.stdin).get(\"operation\") or \"\")')\" = clone ]"; then
  expect_ok "cancel a clone" cancel big
else
  not_ok "the clone shows as the VM's operation"
fi
wait $CLONE
RC_CLONE=$?
check "the cancelled clone fails" test $RC_CLONE -ne 0
check "…and leaves no VM" bash -c "! '$CTL' show bigclone >/dev/null 2>&1"
diag "$(cat "$HV_TMP/clone.out")"
expect_ok "delete the big VM" delete big

# --- libvirt
LV_ROOT=$(mktemp -d /tmp/hvlv.XXXXXX)
chmod 0755 "$LV_ROOT"
LV="$LV_ROOT/vm"
expect_ok "export to a libvirt directory" export "$NAME" --libvirt "$LV"
check "domain.xml, the disk, kernel and initrd are there" \
  test -f "$LV/domain.xml" -a -f "$LV/disk1.qcow2" -a -f "$LV/vmlinuz" -a -f "$LV/initrd.img"
check "virt-xml-validate accepts the domain" virt-xml-validate "$LV/domain.xml" domain
check "the domain is TCG ('qemu'), as the VM runs here" test "$(xmllint --xpath 'string(/domain/@type)' "$LV/domain.xml")" = qemu
check "the machine is the VM's pinned type" test "$(xmllint --xpath 'string(/domain/os/type/@machine)' "$LV/domain.xml")" = "$(vm_field "$NAME" machine_type)"
check "the name is the VM's" test "$(xmllint --xpath 'string(/domain/name)' "$LV/domain.xml")" = "$NAME"
check "the disk is a qcow2 copy of the current state" qemu-img compare -q -f qcow2 -F qcow2 "$LV/disk1.qcow2" "$VM_DISK"
expect_fail "a libvirt export into an existing directory is refused" "exists" export "$NAME" --libvirt "$LV"
# A linked clone: its disk is an overlay on a base the engine made; the export holds both.
expect_ok "a linked clone of the snapshot" clone "$NAME" linked --linked --snapshot before
expect_ok "export the linked clone to libvirt" export linked --libvirt "$LV_ROOT/linked"
check "…its disk has no backing file" bash -c "! qemu-img info -f qcow2 '$LV_ROOT/linked/disk1.qcow2' | grep -q backing"
qemu-img convert -f qcow2 -O raw "$LV_ROOT/linked/disk1.qcow2" "$HV_TMP/linked.raw" 2>/dev/null
check "…and the base's data" test "$(head -c 15 "$HV_TMP/linked.raw")" = HV-MARK-ORIGINL
rm -f "$HV_TMP/linked.raw"

# --- a UEFI q35 VM with a CD-ROM, a sound card, another adapter model and CPU model: no boot,
# the writers' other paths (validated, and defined by libvirt below)
UDISK="$HV_TMP/uefi.qcow2"
qemu-img create -q -f qcow2 "$UDISK" 32M
mkdir -p "$HV_TMP/cd" && echo hello >"$HV_TMP/cd/readme.txt"
xorriso -as mkisofs -quiet -o "$HV_TMP/cd.iso" "$HV_TMP/cd" >/dev/null 2>&1
expect_ok "create a UEFI q35 VM" create uefi --firmware uefi --machine q35 --disk "$UDISK" \
  --disk-format qcow2 --iso "$HV_TMP/cd.iso" --nic-model rtl8139 --sound hda --cpu-model pentium3 \
  --os win10 --memory 512
expect_ok "export it to an OVF" export uefi "$OUTDIR/uefi.ovf"
check "the warnings name UEFI, the sound card, the CD's medium and the adapter model" bash -c \
  "grep -q 'UEFI' <<<\"\$1\" && grep -q 'sound card' <<<\"\$1\" && grep -q \"CD-ROM's medium\" <<<\"\$1\" && grep -q 'rtl8139 model is exported as an E1000' <<<\"\$1\"" _ "$ERR"
UOVF="$OUTDIR/uefi.ovf"
check "OVF: VMware's firmware=efi" test "$(ovf_xpath "$UOVF" "string(//*[local-name()='Config'][@*[local-name()='key']='firmware']/@*[local-name()='value'])")" = efi
check "OVF: the disk and the CD-ROM on a SATA (AHCI) controller" test "$(ovf_xpath "$UOVF" "count(//*[local-name()='Item'][*[local-name()='ResourceType']='17' or *[local-name()='ResourceType']='15'][*[local-name()='Parent']=//*[local-name()='Item'][*[local-name()='ResourceSubType']='AHCI']/*[local-name()='InstanceID']])")" = 2
check "OVF: Windows 10 (vbox:OSType Windows10_64)" test "$(ovf_xpath "$UOVF" "string(//*[local-name()='OSType'])")" = Windows10_64
ULV="$LV_ROOT/uefi"
expect_ok "export it to libvirt" export uefi --libvirt "$ULV"
check "virt-xml-validate accepts that domain too" virt-xml-validate "$ULV/domain.xml" domain
check "…with Debian's OVMF as loader and nvram template" test "$(xmllint --xpath 'concat(/domain/os/loader,":",/domain/os/nvram/@template)' "$ULV/domain.xml")" = /usr/share/OVMF/OVMF_CODE_4M.fd:/usr/share/OVMF/OVMF_VARS_4M.fd
check "…an empty SATA CD-ROM, the rtl8139, ich9 sound and the CPU model" test \
  "$(xmllint --xpath 'concat(count(/domain/devices/disk[@device="cdrom"][not(source)][target/@bus="sata"]),":",/domain/devices/interface/model/@type,":",/domain/devices/sound/@model,":",/domain/cpu/model)' "$ULV/domain.xml")" = 1:rtl8139:ich9:pentium3

VIRSH_URI=qemu:///session
virsh_run () {
  if [ "$(id -u)" -eq 0 ]; then
    setpriv --reuid=65534 --regid=65534 --clear-groups env -i PATH=/usr/sbin:/usr/bin:/bin \
      HOME="$LV_ROOT/home" XDG_RUNTIME_DIR="$LV_ROOT/run" XDG_CONFIG_HOME="$LV_ROOT/home/.config" \
      XDG_CACHE_HOME="$LV_ROOT/home/.cache" virsh -q -c "$VIRSH_URI" "$@"
  else
    virsh -q -c "$VIRSH_URI" "$@"
  fi
}
domain_off () { virsh_run domstate hvexport | grep -q 'shut off'; }
libvirt_cleanup () {
  virsh_run destroy hvexport >/dev/null 2>&1
  virsh_run undefine --nvram hvexport >/dev/null 2>&1
  # The session daemon that virsh started for this test's user: its pid files.
  for f in "$LV_ROOT"/run/libvirt/*.pid; do
    [ -f "$f" ] && kill -TERM "$(cat "$f")" 2>/dev/null
  done
  rm -rf "$LV_ROOT"
}
if ! command -v virsh >/dev/null || ! command -v setpriv >/dev/null; then
  ok "# SKIP no virsh: libvirt-clients and libvirt-daemon-driver-qemu are not installed"
else
  mkdir -p "$LV_ROOT/home" "$LV_ROOT/run"
  chmod 0700 "$LV_ROOT/run"
  [ "$(id -u)" -eq 0 ] && chown -R 65534:65534 "$LV_ROOT/home" "$LV_ROOT/run" "$LV"
  # The serial port into a file (a pty has no reader here); a short name for virsh.
  python3 - "$LV/domain.xml" "$LV_ROOT/domain.xml" "$LV_ROOT/serial.log" <<'PY'
import sys, xml.etree.ElementTree as ET
tree = ET.parse(sys.argv[1])
root = tree.getroot()
root.find("name").text = "hvexport"
devices = root.find("devices")
for tag in ("serial", "console"):
    for e in devices.findall(tag):
        devices.remove(e)
serial = ET.SubElement(devices, "serial", type="file")
ET.SubElement(serial, "source", path=sys.argv[3])
ET.SubElement(serial, "target", port="0")
tree.write(sys.argv[2])
PY
  [ "$(id -u)" -eq 0 ] && chown 65534:65534 "$LV_ROOT" "$LV_ROOT/domain.xml"
  trap 'libvirt_cleanup; cleanup' EXIT
  if virsh_run define "$LV_ROOT/domain.xml" >"$HV_TMP/virsh.out" 2>&1; then
    ok "virsh define takes the exported domain"
    if virsh_run start hvexport >>"$HV_TMP/virsh.out" 2>&1; then
      ok "virsh start runs it"
      check "the guest boots under libvirt and reads the exported disk" \
        wait_until $BOOT_WAIT grep -q "HOSTVISOR-GUEST: disk=HV-MARK-CHANGED" "$LV_ROOT/serial.log"
      check "…and powers off" wait_until 60 domain_off
    else
      not_ok "virsh start runs it"
    fi
  else
    not_ok "virsh define takes the exported domain"
  fi
  if [ "$(id -u)" -eq 0 ]; then chown -R 65534:65534 "$ULV"; fi
  if virsh_run define "$ULV/domain.xml" >"$HV_TMP/virsh.out" 2>&1; then
    ok "virsh define takes the UEFI domain"
    virsh_run undefine --nvram uefi >/dev/null 2>&1
  else
    not_ok "virsh define takes the UEFI domain"
  fi
  diag "$(cat "$HV_TMP/virsh.out")"
fi

finish
