#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-3.0-or-later
# UI test: networking in the app, driven through AT-SPI under Xvfb against a real engine.
# In the Network Manager (main menu) a host-only network is created; in Settings → Network
# adapter 2 is enabled and attached to it, its type and MAC address changed, and on the NAT
# adapter a port forward added in the Port Forwarding dialog (its fields checked as they are
# typed); then the engine's config (hostvisorctl show --json) must have all of it. No guest
# boots. TAP output; screenshots land in $HV_ARTIFACTS.
#
# Needs: HV_BUILDDIR, HV_SRCDIR, HV_ARTIFACTS; the packages of ui-lib.sh.

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=ui-lib.sh
source "$here/ui-lib.sh"
export HOSTVISOR_IDLE_EXIT=120

if ! "$CTL" create netvm --no-disk --memory 64 >/dev/null; then
  echo "Bail out! could not create the test VM with hostvisorctl"
  exit 1
fi
run_session "$here/test-network-ui.py"
