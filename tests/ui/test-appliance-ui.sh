#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-3.0-or-later
# UI test: File → Import Appliance… and Export… (docs/import-export.md "In the app"), driven
# through AT-SPI under Xvfb against a real engine; no guest boots. The appliances are made
# here with tests/integration/make-appliance.py: an OVF 2.0 package (its summary: name, OS,
# memory, what is left out; imported under another name), a VirtualBox OVA whose manifest
# lies (the error, nothing left), and an OVA with 24 MiB of random data converted at 4 MB/s
# (cancelled: nothing left). A VM with the same random data is exported to an OVA through
# the Export dialog, cancelled once (no file left) and then done (the tar's members checked),
# then as a libvirt domain (domain.xml in the new folder).
# TAP output; screenshots land in $HV_ARTIFACTS.
#
# Needs: HV_BUILDDIR, HV_SRCDIR, HV_ARTIFACTS; the packages of ui-lib.sh.

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=ui-lib.sh
source "$here/ui-lib.sh"
export HOSTVISOR_IDLE_EXIT=120
export HOSTVISOR_NO_KVM=1
# The engine (started by the first hostvisorctl below) inherits these: 24 MiB of random data
# take about 6 s to import or export, long enough to cancel through the dialog.
export HOSTVISOR_IMPORT_RATE_LIMIT=4M
export HOSTVISOR_EXPORT_RATE_LIMIT=4M
MAKE="python3 $HV_SRCDIR/tests/integration/make-appliance.py"
W="$HV_TMP/work"
mkdir -p "$W/pkg" "$W/out"

bail () { echo "Bail out! $1"; exit 1; }

# The OVF 2.0 package: a 64 MiB VDI, two adapters (one bridged), a floppy and a serial port.
qemu-img create -q -f qcow2 "$W/src.qcow2" 64M || bail "qemu-img create"
qemu-img convert -f qcow2 -O vdi "$W/src.qcow2" "$W/pkg/pkg-disk1.vdi"
$MAKE ovf2 "$W/pkg/pkg.ovf" "$W/pkg/pkg-disk1.vdi" \
  "http://www.virtualbox.org/manual/ch12.html#vdi" --name "OVF Two" || bail "make-appliance ovf2"
# A VirtualBox OVA whose manifest does not match its disk.
qemu-img convert -f qcow2 -O vmdk -o subformat=streamOptimized "$W/src.qcow2" "$W/disk.vmdk"
$MAKE vbox "$W/bad.ova" "$W/disk.vmdk" --manifest-lie --name "Bad One" || bail "make-appliance bad"
# A slow one: 24 MiB of random data (zeros would not count against the rate limit).
head -c 24M /dev/urandom >"$W/rnd.raw"
qemu-img convert -f raw -O vmdk -o subformat=streamOptimized "$W/rnd.raw" "$W/rnd.vmdk"
$MAKE vbox "$W/slow.ova" "$W/rnd.vmdk" --name "Slow One" || bail "make-appliance slow"

# The VM to export, with the same random data on its disk.
"$CTL" create expvm --disk-size 1 --memory 64 >/dev/null || bail "could not create expvm"
DISK=$(vm_field expvm drives.0.path)
qemu-io -f qcow2 -c "write -s $W/rnd.raw 0 24M" "$DISK" >/dev/null || bail "qemu-io write"

export HV_WORK="$W" HV_LIBRARY="$LIBRARY"
run_session "$here/test-appliance-ui.py"
