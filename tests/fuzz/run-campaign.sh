#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-3.0-or-later
#
# run-campaign.sh TARGET SECONDS [JOBS]
#
# One libFuzzer campaign: builds the clang build directory (build-fuzz/ at the source root, or
# $HV_FUZZ_BUILDDIR) with ASan + UBSan and coverage on all the code (not only the target file),
# runs fuzz-TARGET for SECONDS on JOBS processes (default 1) over a working copy of
# tests/fuzz/corpus/TARGET, and prints the figures: executions, coverage (edges and features),
# corpus size, crashes, leaks, timeouts, and one line for each distinct finding. A finding does
# not end the campaign (libFuzzer's fork mode). What a run finds stays in the work directory
# ($HV_FUZZ_WORKDIR, default build-fuzz/campaign-TARGET): corpus/ (to merge back with
# `fuzz-TARGET -merge=1 tests/fuzz/corpus/TARGET WORK/corpus`), artifacts/ (crash-*, leak-*,
# timeout-*, each replayable with `fuzz-TARGET FILE`) and fuzz.log.
#
# TARGET: agent-frame, agent-messages, config, qmp or cli-options. A CPU-hour is
# `run-campaign.sh TARGET 3600` (or 1800 with 2 jobs). Exit status: 0 when nothing was found.
set -euo pipefail

usage () { echo "usage: $0 TARGET SECONDS [JOBS]" >&2; exit 2; }
[ $# -ge 2 ] || usage
target=$1
seconds=$2
jobs=${3:-1}
case $target in agent-frame|agent-messages|config|qmp|cli-options) ;; *) usage ;; esac
[[ $seconds =~ ^[0-9]+$ && $jobs =~ ^[1-9][0-9]*$ ]] || usage

src=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
build=${HV_FUZZ_BUILDDIR:-$src/build-fuzz}
work=${HV_FUZZ_WORKDIR:-$build/campaign-$target}

if [ ! -f "$build/build.ninja" ]; then
  command -v clang >/dev/null || { echo "$0: clang is needed (apt-get install clang)" >&2; exit 1; }
  # fuzzer-no-link instruments every file for coverage; only the fuzz targets link libFuzzer.
  setup_log=$(mktemp)
  wipe=()
  [ -d "$build/meson-private" ] && wipe=(--wipe)
  CC=clang CFLAGS="-fsanitize=fuzzer-no-link -fno-omit-frame-pointer" \
    meson setup "${wipe[@]}" "$build" "$src" -Db_sanitize=address,undefined \
    -Db_lundef=false -Dbuildtype=debugoptimized >"$setup_log" 2>&1 ||
    { cat "$setup_log" >&2; rm -f "$setup_log"; exit 1; }
  rm -f "$setup_log"
fi
ninja -C "$build" "tests/fuzz-$target" >/dev/null
binary=$build/tests/fuzz-$target

mkdir -p "$work/corpus" "$work/artifacts"
cp -n "$src/tests/fuzz/corpus/$target/"* "$work/corpus/" 2>/dev/null || true
export HOSTVISOR_SCHEMA_DIR=$src/resources
# GLib criticals abort() through the targets' own log handler (fuzz-glib.h).
# Leaks are reported (and fail the run) as they would under CI's ASan.
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}

max_len=4096
[ "$target" = agent-frame ] && max_len=70000
[ "$target" = config ] && max_len=16384

start=$(date +%s)
set +e
# Fork mode with -ignore_*: a crash is kept in artifacts/ and the campaign goes on, so that a
# known, unfixed bug does not end an hour's run in its first second.
(cd "$work" && "$binary" -fork="$jobs" -ignore_crashes=1 -ignore_timeouts=1 -ignore_ooms=1 \
   -max_total_time="$seconds" -max_len=$max_len -timeout=10 -rss_limit_mb=4096 \
   -artifact_prefix="$work/artifacts/" corpus >"$work/fuzz.log" 2>&1)
status=$?
set -e
elapsed=$(( $(date +%s) - start ))

# The last status line: "#EXECS: cov: N ft: N corp: N exec/s N oom/timeout/crash: a/b/c ..."
last=$(grep -E '^#[0-9]+: cov:' "$work/fuzz.log" | tail -n 1)
execs=$(sed -n 's/^#\([0-9]*\):.*/\1/p' <<<"$last")
cov=$(sed -n 's/.* cov: \([0-9]*\).*/\1/p' <<<"$last")
ft=$(sed -n 's/.* ft: \([0-9]*\).*/\1/p' <<<"$last")
crashes=$(find "$work/artifacts" -name 'crash-*' | wc -l)
leaks=$(find "$work/artifacts" \( -name 'leak-*' -o -name 'oom-*' \) | wc -l)
timeouts=$(find "$work/artifacts" \( -name 'timeout-*' -o -name 'slow-unit-*' \) | wc -l)

printf '%-16s %8s %5s %14s %8s %8s %7s %6s %8s %7s\n' target seconds jobs executions \
  cov ft corpus crash leak/oom timeout
printf '%-16s %8s %5s %14s %8s %8s %7s %6s %8s %7s\n' "$target" "$elapsed" "$jobs" \
  "${execs:-?}" "${cov:-?}" "${ft:-?}" "$(find "$work/corpus" -type f | wc -l)" "$crashes" \
  "$leaks" "$timeouts"

# What each finding is: its first line of complaint, once per distinct complaint.
if [ $((crashes + leaks + timeouts)) -gt 0 ]; then
  echo "distinct findings (replay one with: $binary FILE):"
  mkdir -p "$work/replay"
  for f in "$work"/artifacts/*; do
    why=$("$binary" -runs=1 -artifact_prefix="$work/replay/" "$f" 2>&1 | sed 's/==[0-9]*==//' |
          grep -m1 -E 'check failed|ERROR: [A-Za-z]+Sanitizer|runtime error|GLib|CRITICAL' ||
          true)
    printf '%s\t%s\n' "${why:-(no message)}" "${f##*/}"
  done | sort -t "$(printf '\t')" -k1,1 -u | sed 's/^/  /'
  rm -rf "$work/replay"
fi
echo "log and findings: $work"
[ $((crashes + leaks + timeouts)) -eq 0 ] && [ $status -eq 0 ]
