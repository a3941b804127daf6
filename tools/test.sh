#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-3.0-or-later
# Set up, build and run every test (unit tests and real-QEMU tests on TCG).
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
builddir=${HOSTVISOR_BUILDDIR:-$here/build}
"$here/tools/setup.sh"

# Real guests on TCG are slow on a small machine; give them room.
exec meson test -C "$builddir" --print-errorlogs --timeout-multiplier "${HOSTVISOR_TIMEOUT_MULTIPLIER:-3}" "$@"
