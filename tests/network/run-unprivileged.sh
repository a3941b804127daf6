#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-3.0-or-later
# Runs a test program as user 65534 (nobody), as a real user runs the engine: the engine's
# networks need no privilege. Needs root (to become nobody) and setpriv; skips otherwise.
set -u
if [ "$(id -u)" -ne 0 ] || ! command -v setpriv >/dev/null; then
  echo "1..0 # SKIP needs root and setpriv to run as user 65534"
  exit 0
fi
exec setpriv --reuid=65534 --regid=65534 --clear-groups "$@"
