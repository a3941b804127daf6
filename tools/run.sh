#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-3.0-or-later
# Set up, build and start Hostvisor. Until the desktop app exists this starts the engine
# and shows the VM library through the command line; arguments are passed to hostvisorctl.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
builddir=${HOSTVISOR_BUILDDIR:-$here/build}
"$here/tools/setup.sh"

if [ -x "$builddir/app/hostvisor" ] && [ $# -eq 0 ]; then
  exec "$builddir/app/hostvisor"
fi

ctl="$builddir/app/hostvisorctl"
if [ $# -gt 0 ]; then
  exec "$ctl" "$@"
fi
"$ctl" list
echo
echo "Hostvisor's engine is running. Try:"
echo "  $ctl create demo --kernel /boot/vmlinuz-\$(uname -r) --no-disk --memory 256"
echo "  $ctl --help"
