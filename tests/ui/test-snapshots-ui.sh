#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-3.0-or-later
# UI test: the Snapshots page, driven through AT-SPI under Xvfb against a real engine. A
# powered-off VM with a new qcow2 disk: through the page two snapshots are taken (the Take
# Snapshot dialog, its name prefilled "Snapshot 1"), renamed in Properties, the first
# restored, the second deleted (asked first); after each step the engine's Vm.Snapshots and
# CurrentSnapshot must say the same as the tree. Then the tiny guest, running: a live snapshot
# (with its thumbnail in the tree) and a restore that asks first. TAP output; screenshots land
# in $HV_ARTIFACTS.
#
# Needs: HV_BUILDDIR, HV_SRCDIR, HV_ARTIFACTS; the packages of ui-lib.sh.

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=ui-lib.sh
source "$here/ui-lib.sh"
export HOSTVISOR_IDLE_EXIT=120
export HOSTVISOR_NO_KVM=1

if ! "$CTL" create snapvm --disk-size 1 --memory 64 >/dev/null; then
  echo "Bail out! could not create the test VM with hostvisorctl"
  exit 1
fi
# A running VM too: the tiny guest (tests/guest) with a qcow2 disk, started by the script.
if tiny_guest && "$CTL" create livevm --disk-size 1 --memory 128 --kernel "$KERNEL" \
     --initrd "$INITRD" --cmdline "console=ttyS0 quiet hv.heartbeat=1" >/dev/null; then
  export HV_LIVE_VM=livevm
else
  echo "# the tiny guest could not be built or created: only the powered-off VM is tested"
fi
run_session "$here/test-snapshots-ui.py"
