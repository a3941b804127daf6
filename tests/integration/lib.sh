#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-3.0-or-later
# Shared helpers for the integration tests: TAP output, an isolated user environment
# (own XDG directories, so the tests never touch the real library or engine), and
# waiting with a deadline.
#
# Needs: HV_BUILDDIR (meson's build root), HV_SRCDIR (the source root).

set -uo pipefail

: "${HV_BUILDDIR:?HV_BUILDDIR must be set}"
: "${HV_SRCDIR:?HV_SRCDIR must be set}"

CTL="$HV_BUILDDIR/app/hostvisorctl"
export HOSTVISORD="$HV_BUILDDIR/app/hostvisord"
export HOSTVISOR_SCHEMA_DIR="$HV_SRCDIR/resources"
# Tests run on TCG even where /dev/kvm exists, so results do not depend on the host. A test
# about acceleration sets HV_KVM_AUTO=1 before sourcing this file: its engine then decides
# itself (the KVM test guest, as for a user).
if [ -n "${HV_KVM_AUTO:-}" ]; then
  unset HOSTVISOR_NO_KVM
else
  export HOSTVISOR_NO_KVM=1
fi
# An engine left behind by a failed test goes away by itself.
export HOSTVISOR_IDLE_EXIT=20

# Short paths: UNIX socket paths are limited to 107 bytes.
HV_TMP=$(mktemp -d /tmp/hvt.XXXXXX)
export XDG_RUNTIME_DIR="$HV_TMP/run"
export XDG_DATA_HOME="$HV_TMP/data"
export XDG_CONFIG_HOME="$HV_TMP/config"
export XDG_CACHE_HOME="$HV_TMP/cache"
export XDG_STATE_HOME="$HV_TMP/state"
mkdir -p "$XDG_RUNTIME_DIR" "$XDG_DATA_HOME" "$XDG_CONFIG_HOME" "$XDG_CACHE_HOME" "$XDG_STATE_HOME"
chmod 0700 "$XDG_RUNTIME_DIR"
LIBRARY="$XDG_DATA_HOME/hostvisor"

TAP_N=0
TAP_FAILED=0

ok () {
  TAP_N=$((TAP_N + 1))
  echo "ok $TAP_N - $*"
}

not_ok () {
  TAP_N=$((TAP_N + 1))
  TAP_FAILED=$((TAP_FAILED + 1))
  echo "not ok $TAP_N - $*"
}

diag () {
  sed 's/^/# /' <<<"$*"
}

# check DESCRIPTION COMMAND...: ok when the command succeeds.
check () {
  local what=$1
  shift
  if "$@"; then ok "$what"; else not_ok "$what"; fi
}

# quiet CMD...: CMD with its stdout dropped (output that is not TAP, e.g. ping's, would be
# taken for a broken test line).
quiet () {
  "$@" >/dev/null
}

# run_ctl ARGS...: runs hostvisorctl, leaving stdout in $OUT, stderr in $ERR, status in $RC.
run_ctl () {
  OUT=$("$CTL" "$@" 2>"$HV_TMP/stderr")
  RC=$?
  ERR=$(cat "$HV_TMP/stderr")
}

# expect_ok DESCRIPTION ARGS...
expect_ok () {
  local what=$1
  shift
  run_ctl "$@"
  if [ "$RC" -eq 0 ]; then ok "$what"; else not_ok "$what"; diag "exit $RC: $ERR"; fi
}

# expect_fail DESCRIPTION PATTERN ARGS...: non-zero exit, exactly one line on stderr that
# matches PATTERN (grep -E).
expect_fail () {
  local what=$1 pattern=$2
  shift 2
  run_ctl "$@"
  if [ "$RC" -ne 0 ] && [ "$(printf '%s\n' "$ERR" | wc -l)" -eq 1 ] &&
     grep -qE -- "$pattern" <<<"$ERR"; then
    ok "$what"
  else
    not_ok "$what"
    diag "exit $RC, stderr: $ERR"
  fi
}

# json_get FIELD: read a field of the JSON object in $OUT (dotted path, list index as number).
json_get () {
  python3 -c '
import json, sys
v = json.loads(sys.argv[1])
for k in sys.argv[2].split("."):
    v = v[int(k)] if isinstance(v, list) else v.get(k)
print("" if v is None else (json.dumps(v) if isinstance(v, (dict, list)) else v))
' "$OUT" "$1"
}

# vm_field VM FIELD: a field of `show VM --json`.
vm_field () {
  run_ctl show "$1" --json && json_get "$2"
}

# wait_until SECONDS COMMAND...: polls every 0.5 s until the command succeeds.
wait_until () {
  local deadline=$((SECONDS + $1))
  shift
  while [ $SECONDS -lt $deadline ]; do
    if "$@" >/dev/null 2>&1; then return 0; fi
    sleep 0.5
  done
  "$@" >/dev/null 2>&1
}

state_is () {
  [ "$(vm_field "$1" state)" = "$2" ]
}

# log_has VM TEXT: the guest's serial log contains TEXT.
log_has () {
  "$CTL" log "$1" 2>/dev/null | grep -qF -- "$2"
}

log_count () {
  "$CTL" log "$1" 2>/dev/null | grep -cF -- "$2"
}

engine_pid () {
  local sock="$XDG_RUNTIME_DIR/hostvisor/engine.lock"
  # The engine holds a lock on engine.lock; fuser names the holder.
  fuser "$sock" 2>/dev/null | tr -s ' ' '\n' | grep -E '^[0-9]+$' | head -n 1
}

# Build (or reuse) the tiny guest of tests/guest in the build tree.
tiny_guest () {
  GUEST_DIR="$HV_BUILDDIR/tests/guest"
  "$HV_SRCDIR/tests/guest/make-tiny-guest.sh" "$GUEST_DIR" "$@" >"$HV_TMP/guest-build.log" 2>&1 ||
    { cat "$HV_TMP/guest-build.log" >&2; return 1; }
  KERNEL="$GUEST_DIR/vmlinuz"
  INITRD="$GUEST_DIR/initrd.img"
}

cleanup () {
  local pid
  # Power off whatever the test left running, then stop the engine: no QEMU may outlive us.
  if [ -S "$XDG_RUNTIME_DIR/hostvisor/engine.sock" ]; then
    pid=$(engine_pid)
    [ -n "$pid" ] && kill -TERM "$pid" 2>/dev/null
    for _ in $(seq 1 40); do
      [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null || break
      sleep 0.25
    done
  fi
  # Anything still running under our runtime directory is a leak: kill it and say so.
  for f in "$XDG_RUNTIME_DIR"/hostvisor/vms/*/qemu.pid; do
    [ -f "$f" ] || continue
    pid=$(cat "$f")
    if kill -0 "$pid" 2>/dev/null && grep -q qemu "/proc/$pid/comm" 2>/dev/null; then
      echo "# leaked QEMU $pid" >&2
      kill -KILL "$pid" 2>/dev/null
    fi
  done
  if [ -n "${HV_KEEP_TMP:-}" ]; then echo "# kept $HV_TMP"; else rm -rf "$HV_TMP"; fi
}
trap cleanup EXIT

finish () {
  echo "1..$TAP_N"
  [ "$TAP_FAILED" -eq 0 ]
}
