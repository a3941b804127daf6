#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-3.0-or-later
# UI test: the window survives a library that keeps changing under it. With several folders
# open and a VM selected, VMs are renamed over and over (hostvisorctl modify --name, and the
# app's own Rename), so that their rows jump from the top of their folder to the bottom, and
# moved between folders, while the test checks through AT-SPI that the app lives and the
# sidebar shows the right names in the right folders. This once crashed the app after 2 to 4
# renames (row handlers outliving their rows).
#
# Usage: test-window-renames.sh [--valgrind] [--renames N]
#   --valgrind   run the app under valgrind's memcheck (GLib's and GTK's suppressions and
#                valgrind.supp, G_SLICE=always-malloc, no GL) and fail on any invalid read,
#                write or free; a few minutes, so the CI run goes without it (suite 'slow'
#                has it: meson test --suite slow test-window-renames-valgrind).
#   --renames N  how many renames (default 100).
#
# Needs: HV_BUILDDIR, HV_SRCDIR, HV_ARTIFACTS; the packages of ui-lib.sh; valgrind for
# --valgrind.

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
export HV_RENAMES=100
export HV_VALGRIND=
while [ $# -gt 0 ]; do
  case $1 in
    --valgrind) HV_VALGRIND=1 ;;
    --renames) HV_RENAMES=$2; shift ;;
    *) echo "Bail out! unknown option $1"; exit 1 ;;
  esac
  shift
done

if [ -n "$HV_VALGRIND" ] && ! command -v valgrind >/dev/null; then
  echo "1..0 # SKIP valgrind is not installed"
  exit 0
fi

# shellcheck source=ui-lib.sh
source "$here/ui-lib.sh"
# The app keeps the engine busy; no idle exit while the test runs.
export HOSTVISOR_IDLE_EXIT=120

# The library: folders nested and side by side, VMs in each and at the top level.
setup_ok=1
for spec in a1:Alpha a2:Alpha a3:Alpha b1:Beta b2:Beta i1:Beta/Inner i2:Beta/Inner g1:Gamma \
            t1: t2:; do
  name=${spec%%:*}
  folder=${spec#*:}
  "$CTL" create "$name" ${folder:+--folder "$folder"} --no-disk --memory 64 >/dev/null ||
    setup_ok=0
done
"$CTL" folder create Empty >/dev/null || setup_ok=0
if [ "$setup_ok" -ne 1 ]; then
  echo "Bail out! could not create the test library with hostvisorctl"
  exit 1
fi

if [ -n "$HV_VALGRIND" ]; then
  # GLib 2.74's slice allocator hides frees from memcheck; the GL renderer would run Mesa's
  # llvmpipe under it for ever. The engine is already running (hostvisorctl started it), so
  # only the app runs under valgrind.
  export G_SLICE=always-malloc GSK_RENDERER=cairo GDK_DEBUG=gl-disable
  export HV_VALGRIND_LOG="$HV_ARTIFACTS/test-window-renames-valgrind.log"
  export HV_APP_WRAPPER="valgrind --tool=memcheck --error-limit=no --num-callers=30 \
--suppressions=/usr/share/glib-2.0/valgrind/glib.supp \
--suppressions=/usr/share/gtk-4.0/valgrind/gtk.supp --suppressions=$here/valgrind.supp \
--log-file=$HV_VALGRIND_LOG"
fi

run_session "$here/test-window-renames.py"
