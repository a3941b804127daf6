#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-3.0-or-later
# The legacy hardware profiles, proven by the probe floppy of tests/legacy-probe (README.md):
# every profile boots the probe through hostvisorctl on TCG, its report is compared with
# tests/legacy-probe/golden/<profile>.txt, the SB16 DMA tone and the PC speaker tone are found
# at their frequencies in the WAV that QEMU records (HOSTVISOR_AUDIO_WAV_DIR), floppies are
# swapped in A: and B: and CDs in the CD-ROM drive while the probe watches them, and, where
# `hostvisorctl snapshot` exists, a live snapshot is taken and restored while the probe runs.
# Without profiles in hostvisorctl (`profile list` unknown) the probe is checked against plain
# qemu-system-x86_64 with the arguments of the golden files' "#! qemu=" lines instead.
source "$(dirname "$0")/lib.sh"

PROBE_SRC="$HV_SRCDIR/tests/legacy-probe"
PROBE_IMG="$HV_BUILDDIR/tests/legacy-probe/probe.img"
GOLDEN="$PROBE_SRC/golden"
BOOT_WAIT=150      # seconds to the probe's watch: TCG on a loaded 2-core machine
END_WAIT=90
PARALLEL=4         # VMs at once
# HV_LEGACY_PROFILES="dos win98": only these profiles (by hand, while working on one).
wanted_profile () {
  [ -z "${HV_LEGACY_PROFILES:-}" ] || grep -qw -- "$1" <<<"$HV_LEGACY_PROFILES"
}

# A fixed zone 5 h 30 min east of UTC for the engine and QEMU (POSIX TZ, no tzdata needed):
# an RTC in local time and one in UTC then differ by 19800 s.
export TZ=HVT-5:30
TZ_OFFSET=19800

if [ ! -s "$PROBE_IMG" ]; then
  echo "1..0 # SKIP the probe floppy was not built (binutils as/ld/objcopy missing)"
  exit 0
fi
if ! command -v qemu-system-x86_64 >/dev/null; then
  echo "1..0 # SKIP qemu-system-x86_64 is not installed"
  exit 0
fi

if python3 "$PROBE_SRC/wav-tones.py" --self-test >"$HV_TMP/selftest.txt" 2>&1; then
  ok "the tone check refuses silence, a wrong frequency, a short tone and the wrong order"
else
  not_ok "the tone check refuses silence, a wrong frequency, a short tone and the wrong order"
  diag "$(cat "$HV_TMP/selftest.txt")"
fi

DISKS="$HV_TMP/disks"
mkdir -p "$DISKS"
for label in HVWATCH DISK2 DISKA2 HVSTOP; do
  python3 "$PROBE_SRC/make-floppy.py" "$label" "$DISKS/$label.img" || not_ok "make floppy $label"
done
# Two small ISO 9660 CDs with distinct volume ids for the CD swap (the probe reads the
# primary volume descriptor through its own ATAPI driver).
CDS=
if command -v xorriso >/dev/null; then
  CDS=1
  for label in HVCD1 HVCD2; do
    mkdir -p "$DISKS/$label"
    echo "$label" >"$DISKS/$label/README.TXT"
    xorriso -as mkisofs -quiet -V "$label" -o "$DISKS/$label.iso" "$DISKS/$label" >/dev/null 2>&1 ||
      { not_ok "make the ISO $label"; CDS=; }
  done
else
  diag "xorriso is not installed: the CD swaps are skipped"
fi

# golden_directive FILE NAME: the value of a "#! NAME=VALUE" line.
golden_directive () {
  sed -n "s/^#! $2=//p" "$1" | head -n 1
}

# report_of LOG OUT: the lines between the last "HVPROBE begin" and "HVPROBE end" of a
# serial log.
report_of () {
  tr -d '\r' <"$1" | awk '/^HVPROBE begin$/ { cur = ""; inside = 1 }
    inside { cur = cur $0 "\n" } /^HVPROBE end$/ { last = cur; inside = 0 }
    END { printf "%s", last }' >"$2"
}

# compare_golden GOLDEN REPORT: every key=value line of the golden file is in the report;
# prints what differs.
compare_golden () {
  python3 - "$1" "$2" <<'EOF'
import sys
golden = [l.rstrip('\n') for l in open(sys.argv[1]) if l.strip() and not l.startswith('#')]
report = {}
for l in open(sys.argv[2]):
    k, sep, v = l.rstrip('\n').partition('=')
    if sep:
        report.setdefault(k, v)
bad = 0
for l in golden:
    k, _, v = l.partition('=')
    if report.get(k) != v:
        print('%s: expected %r, the probe says %r' % (k, v, report.get(k)))
        bad += 1
sys.exit(1 if bad else 0)
EOF
}

# rtc_check REPORT BASE WHEN: the probe's RTC (rtc.time) is the host's time at WHEN (epoch s)
# in BASE (localtime: TZ above; utc), within 5 minutes.
rtc_check () {
  python3 - "$1" "$2" "$3" "$TZ_OFFSET" <<'EOF'
import calendar, sys, time
rep, base, when, off = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
t = [l.split('=', 1)[1].strip() for l in open(rep) if l.startswith('rtc.time=')]
if not t:
    print('no rtc.time in the report'); sys.exit(1)
guest = calendar.timegm(time.strptime(t[0], '%Y-%m-%dT%H:%M:%S'))
want = when + (off if base == 'localtime' else 0)
print('rtc.time=%s, %s expects %s' % (t[0], base, time.strftime('%Y-%m-%dT%H:%M:%S', time.gmtime(want))))
sys.exit(0 if abs(guest - want) <= 300 else 1)
EOF
}

# check_report PROFILE REPORT WAV MAC WHEN: the golden lines, the RTC, the NE2000's MAC and
# the tones.
check_report () {
  local p=$1 report=$2 wav=$3 mac=$4 when=$5 g="$GOLDEN/$1.txt" out tones base
  if out=$(compare_golden "$g" "$report" 2>&1); then
    ok "$p: the probe's report matches golden/$p.txt"
  else
    not_ok "$p: the probe's report matches golden/$p.txt"
    diag "$out"
  fi
  base=$(golden_directive "$g" rtc)
  if [ -n "$base" ]; then
    if out=$(rtc_check "$report" "$base" "$when" 2>&1); then
      ok "$p: the RTC runs in $base"
    else
      not_ok "$p: the RTC runs in $base"
      diag "$out"
    fi
  fi
  if grep -qx 'ne2k.present=1' "$report" && [ -n "$mac" ]; then
    check "$p: the NE2000's PROM holds the VM's MAC ($mac)" \
      grep -qix "ne2k.mac=$mac" "$report"
  fi
  tones=$(golden_directive "$g" tones)
  if [ -n "$tones" ] && [ "$tones" != none ]; then
    # shellcheck disable=SC2086
    if out=$(python3 "$PROBE_SRC/wav-tones.py" "$wav" ${tones//,/ } 2>&1); then
      ok "$p: the WAV holds the tones $tones (Hz:s)"
    else
      not_ok "$p: the WAV holds the tones $tones (Hz:s)"
    fi
    diag "$out"
  fi
}

# speed_check LABEL SHIFT REPORT: under -icount shift=SHIFT the guest runs 2^-SHIFT
# instructions per ns of its clock, so the probe's 3-instruction loop runs
# 65536 / 1193182 s * 1e9 / 2^SHIFT / 3 times per BIOS tick (less the tick's interrupt
# handler: within 2 %). Deterministic, whatever the host's load.
speed_check () {
  local label=$1 shift=$2 loops want
  loops=$(sed -n 's/^speed.loops_per_tick=\([0-9]*\)$/\1/p' "$3" | head -n 1)
  want=$(( 65536 * 1000000000 / 1193182 / (1 << shift) / 3 ))
  if [ -n "$loops" ] && [ $(( loops * 100 )) -ge $(( want * 98 )) ] &&
     [ $(( loops * 100 )) -le $(( want * 102 )) ]; then
    ok "$label: icount shift=$shift runs $loops loops per tick (expected $want)"
  else
    not_ok "$label: icount shift=$shift runs ${loops:-no} loops per tick (expected $want)"
  fi
}

# --- the floppy swap, the same for both ways of running the probe: $1 = a function that puts
# an image into a drive (drive a|b|cd, image; "" ejects), $2 = a function that says whether
# the serial log has a text (at least N times: an optional third argument).
swap_floppies () {
  local p=$1 insert=$2 has=$3 snap=$4
  if ! wait_until "$BOOT_WAIT" "$has" "$p" "media.watch=1"; then
    not_ok "$p: the probe reaches its media watch"
    return 1
  fi
  ok "$p: the probe reaches its media watch"
  "$insert" "$p" b "$DISKS/DISK2.img"
  check "$p: a disk swapped into B: is seen by the probe" \
    wait_until 30 "$has" "$p" "media.b=label:DISK2 "
  "$insert" "$p" a "$DISKS/DISKA2.img"
  check "$p: a disk swapped into A: is seen by the probe" \
    wait_until 30 "$has" "$p" "media.a=label:DISKA2 "
  "$insert" "$p" b ""
  check "$p: B: ejected is seen empty by the probe" wait_until 30 "$has" "$p" "media.b=empty "
  if [ -n "$CDS" ]; then
    # The CD-ROM drive (ide.1 unit 0), by ATAPI: the probe's first look finds it empty.
    check "$p: the probe finds the empty CD-ROM drive by ATAPI" \
      wait_until 30 "$has" "$p" "media.cd=none ua:0 "
    "$insert" "$p" cd "$DISKS/HVCD1.iso"
    check "$p: a CD inserted is seen by the probe (volume id HVCD1)" \
      wait_until 30 "$has" "$p" "media.cd=label:HVCD1 "
    "$insert" "$p" cd "$DISKS/HVCD2.iso"
    check "$p: a CD swapped in is seen by the probe (volume id HVCD2)" \
      wait_until 30 "$has" "$p" "media.cd=label:HVCD2 "
    "$insert" "$p" cd ""
    check "$p: the CD ejected is seen gone by the probe" \
      wait_until 30 "$has" "$p" "media.cd=none " 2
  fi
  [ -n "$snap" ] && "$snap" "$p"
  "$insert" "$p" b "$DISKS/HVSTOP.img"
  check "$p: the probe sees the last disk and ends" wait_until "$END_WAIT" "$has" "$p" "HVPROBE end"
}

check_swap_report () {
  local p=$1 report=$2 lines bad
  # Every change the probe saw after its first look at each drive (DISK2, DISKA2, the empty
  # B:, HVSTOP) came with the controller's disk change line set; no false alarm on the polls
  # in between (media.dskchg_false=0 is a golden line).
  lines=$(grep -E '^media\.[ab]=' "$report" | tail -n +3)
  bad=$(grep -vc ' dskchg:1 ' <<<"$lines")
  if [ "$(wc -l <<<"$lines")" -eq 4 ] && [ "$bad" -eq 0 ]; then
    ok "$p: each of the 4 changes came with the disk change line set"
  else
    not_ok "$p: each of the 4 changes came with the disk change line set"
    diag "$lines"
  fi
  [ -n "$CDS" ] || return 0
  # The CD drive, in order: empty, HVCD1 and HVCD2 each announced by UNIT ATTENTION (medium
  # may have changed), empty again after the eject; nothing else (no state seen twice).
  lines=$(grep -E '^media\.cd=' "$report" | sed 's/ sum:[0-9A-F]*//; s/ t:[0-9]*$//')
  if [ "$lines" = "$(printf '%s\n' 'media.cd=none ua:0' 'media.cd=label:HVCD1 ua:1' \
                       'media.cd=label:HVCD2 ua:1' 'media.cd=none ua:0')" ]; then
    ok "$p: the CD drive went empty, HVCD1, HVCD2, empty (UNIT ATTENTION on each insert)"
  else
    not_ok "$p: the CD drive went empty, HVCD1, HVCD2, empty (UNIT ATTENTION on each insert)"
    diag "$lines"
  fi
  diag "$p: $(grep -E '^media\.cd_timeouts=' "$report")"
}

# ---------------------------------------------------------------------------------------
# The engine reads its test hooks when it starts: before the first hostvisorctl call.
export HOSTVISOR_AUDIO_WAV_DIR="$HV_TMP/wav"
export HOSTVISOR_TEST_DEBUG_EXIT=1
mkdir -p "$HOSTVISOR_AUDIO_WAV_DIR"
# HV_LEGACY_PLAIN_QEMU=1: the plain QEMU check even where hostvisorctl has profiles.
if [ -z "${HV_LEGACY_PLAIN_QEMU:-}" ] &&
   "$CTL" profile list --json >"$HV_TMP/profiles.json" 2>"$HV_TMP/profiles.err"; then
  MODE=hostvisorctl
else
  MODE=qemu
  if [ -n "${HV_LEGACY_PLAIN_QEMU:-}" ]; then
    diag "HV_LEGACY_PLAIN_QEMU is set:"
  else
    diag "hostvisorctl has no profiles ($(head -n 1 "$HV_TMP/profiles.err")):"
  fi
  diag "checking the probe against plain QEMU with the golden files' #! qemu= arguments"
fi

if [ "$MODE" = hostvisorctl ]; then
  mapfile -t PROFILES < <(python3 -c '
import json, sys
v = json.load(open(sys.argv[1]))
for p in v:
    print(p["name"] if isinstance(p, dict) else p)
' "$HV_TMP/profiles.json" | while read -r p; do wanted_profile "$p" && echo "$p"; done)
  check "hostvisorctl lists profiles (${PROFILES[*]})" test "${#PROFILES[@]}" -ge 1
  SNAPSHOTS=
  if "$CTL" help snapshot >/dev/null 2>&1; then
    SNAPSHOTS=1
  else
    diag "hostvisorctl has no snapshot command: the snapshot round trips are skipped"
  fi

  ctl_insert () {
    local drive=floppy
    [ "$2" = b ] && drive=floppy-b
    [ "$2" = cd ] && drive=cdrom
    if [ -z "$3" ]; then
      run_ctl media eject "vm-$1" --drive "$drive"
      [ "$RC" -eq 0 ] || diag "media eject $drive: $ERR"
      return
    fi
    cp "$3" "$HV_TMP/vm-$1/$(basename "$3")"
    run_ctl media insert "vm-$1" "$HV_TMP/vm-$1/$(basename "$3")" --drive "$drive"
    [ "$RC" -eq 0 ] || diag "media insert $drive: $ERR"
  }
  ctl_has () { [ "$(log_count "vm-$1" "$2")" -ge "${3:-1}" ]; }
  ctl_snapshot () {
    local p=$1 uuid
    # A restore starts a new QEMU, which starts the WAV afresh: keep the tones played so far.
    uuid=$(vm_field "vm-$p" uuid)
    cp "$HOSTVISOR_AUDIO_WAV_DIR/$uuid.wav" "$HV_TMP/$p.tones.wav"
    expect_ok "$p: a live snapshot while the probe watches" snapshot take "vm-$p" watching
    expect_ok "$p: …restored at once" snapshot restore "vm-$p" watching --force
    check "$p: …the VM runs on after the restore" wait_until 30 state_is "vm-$p" running
  }

  run_profile () {
    local p=$1 dir="$HV_TMP/vm-$1" disk=(--no-disk)
    mkdir -p "$dir"
    cp "$PROBE_IMG" "$dir/probe.img"
    cp "$DISKS/HVWATCH.img" "$dir/HVWATCH.img"
    # A live snapshot needs a qcow2 disk for the machine's state.
    [ -n "$SNAPSHOTS" ] && disk=(--disk-size 1)
    expect_ok "$p: create a VM of the profile with the probe in A:" \
      create "vm-$p" --profile "$p" --floppy "$dir/probe.img" --floppy-b "$dir/HVWATCH.img" \
      "${disk[@]}"
    expect_ok "$p: start it" start "vm-$p"
  }

  not_running () { ! state_is "$1" running; }

  # Start them PARALLEL at a time; the probe waits in its media watch (up to 300 s) until the
  # test has swapped its floppies.
  declare -A WHEN
  BATCH=()
  i=0
  for p in "${PROFILES[@]}"; do
    if [ ! -f "$GOLDEN/$p.txt" ]; then
      not_ok "$p: golden/$p.txt exists"
      continue
    fi
    BATCH+=("$p")
    run_profile "$p"
    i=$((i + 1))
    if [ $((i % PARALLEL)) -eq 0 ] || [ "$i" -eq "${#PROFILES[@]}" ]; then
      for q in "${BATCH[@]}"; do
        swap_floppies "$q" ctl_insert ctl_has "${SNAPSHOTS:+ctl_snapshot}"
        WHEN[$q]=$(date +%s)
      done
      for q in "${BATCH[@]}"; do
        check "$q: the probe ends the VM through isa-debug-exit" wait_until 30 not_running "vm-$q"
        run_ctl show "vm-$q" --json
        mac=$(json_get nics.0.mac)
        uuid=$(json_get uuid)
        report_of "$(json_get serial_log)" "$HV_TMP/$q.report"
        wav="$HOSTVISOR_AUDIO_WAV_DIR/$uuid.wav"
        [ -f "$HV_TMP/$q.tones.wav" ] && wav="$HV_TMP/$q.tones.wav"
        check_report "$q" "$HV_TMP/$q.report" "$wav" "$mac" "${WHEN[$q]}"
        check_swap_report "$q" "$HV_TMP/$q.report"
        if [ -n "$SNAPSHOTS" ]; then
          # The restored guest went on with its watch: the probe booted once.
          check "$q: the probe ran on from the restored snapshot (one boot)" \
            test "$(log_count "vm-$q" "HVPROBE begin")" = 1
        fi
      done
      BATCH=()
    fi
  done

  # The CPU speed limit: one dos VM under the 486 preset, then changed to pentium while off
  # (the VM keeps icount, only the shift changes). No HVWATCH disk: the probe runs through.
  if wanted_profile dos; then
    mkdir -p "$HV_TMP/speed"
    cp "$PROBE_IMG" "$HV_TMP/speed/probe.img"
    expect_ok "speed: create a dos VM limited to a 486" \
      create speed --profile dos --floppy "$HV_TMP/speed/probe.img" --no-disk --cpu-limit 486
    n=0
    for preset in 486 pentium; do
      if [ "$preset" != 486 ]; then
        expect_ok "speed: switch the limit to $preset" modify speed --cpu-limit "$preset"
      fi
      shift_n=$(vm_field speed cpu_limit_shift)
      n=$((n + 1))
      expect_ok "speed: start ($preset, icount shift ${shift_n:-none})" start speed
      if wait_until "$BOOT_WAIT" bash -c "[ \"\$(\"$CTL\" log speed | grep -c '^HVPROBE end')\" -ge $n ]"; then
        ok "speed: the probe runs under the $preset limit"
      else
        not_ok "speed: the probe runs under the $preset limit"
      fi
      wait_until 30 not_running speed
      report_of "$(vm_field speed serial_log)" "$HV_TMP/speed/report-$preset"
      if [[ "$shift_n" =~ ^[0-9]+$ ]]; then
        speed_check "speed ($preset)" "$shift_n" "$HV_TMP/speed/report-$preset"
      else
        not_ok "speed: show --json gives the VM's icount shift (cpu_limit_shift: '$shift_n')"
      fi
    done
  fi
else
  # Plain QEMU: the argv of each golden file's "#! qemu=" line, an HMP monitor for the swaps.
  declare -A QPID
  hmp () {
    python3 - "$HV_TMP/q-$1/qmp.sock" "$2" <<'EOF'
import json, socket, sys
s = socket.socket(socket.AF_UNIX)
s.connect(sys.argv[1])
f = s.makefile('rw')
f.readline()
for cmd in ({'execute': 'qmp_capabilities'},
            {'execute': 'human-monitor-command', 'arguments': {'command-line': sys.argv[2]}}):
    f.write(json.dumps(cmd) + '\n'); f.flush()
    while True:
        r = json.loads(f.readline())
        if 'return' in r or 'error' in r:
            break
if 'error' in r or r.get('return'):
    print(r); sys.exit(1)
EOF
  }
  q_insert () {
    local unit=0
    [ "$2" = b ] && unit=1
    if [ "$2" = cd ]; then
      if [ -z "$3" ]; then
        hmp "$1" "eject -f cd0" || diag "eject cd0 failed"
      else
        hmp "$1" "change cd0 $3 raw" || diag "change cd0 failed"
      fi
      return
    fi
    if [ -z "$3" ]; then
      hmp "$1" "eject floppy$unit" || diag "eject floppy$unit failed"
      return
    fi
    cp "$3" "$HV_TMP/q-$1/$(basename "$3")"
    hmp "$1" "change floppy$unit $HV_TMP/q-$1/$(basename "$3") raw" || diag "change floppy$unit failed"
  }
  q_has () { [ "$(grep -cF -- "$2" "$HV_TMP/q-$1/serial.log" 2>/dev/null)" -ge "${3:-1}" ]; }

  q_start () {
    local p=$1 d="$HV_TMP/q-$1" args
    args=$(golden_directive "$GOLDEN/$p.txt" qemu)
    mkdir -p "$d"
    cp "$PROBE_IMG" "$d/probe.img"
    cp "$DISKS/HVWATCH.img" "$d/HVWATCH.img"
    # shellcheck disable=SC2086
    qemu-system-x86_64 $args -audiodev "wav,id=a0,path=$d/audio.wav" \
      -device isa-debug-exit,iobase=0xf4,iosize=0x04 \
      -drive "if=floppy,index=0,format=raw,file=$d/probe.img" \
      -drive "if=floppy,index=1,format=raw,file=$d/HVWATCH.img" \
      -drive if=none,id=cd0,media=cdrom -device ide-cd,bus=ide.1,unit=0,drive=cd0 \
      -serial "file:$d/serial.log" -display none -qmp "unix:$d/qmp.sock,server=on,wait=off" \
      >"$d/qemu.out" 2>&1 &
    QPID[$p]=$!
  }

  PROFILES=()
  for g in "$GOLDEN"/*.txt; do
    p=$(basename "$g" .txt)
    [ -n "$(golden_directive "$g" qemu)" ] && wanted_profile "$p" && PROFILES+=("$p")
  done
  for ((i = 0; i < ${#PROFILES[@]}; i += PARALLEL)); do
    BATCH=("${PROFILES[@]:i:PARALLEL}")
    declare -A WHEN
    for p in "${BATCH[@]}"; do q_start "$p"; done
    for p in "${BATCH[@]}"; do
      swap_floppies "$p" q_insert q_has ""
      WHEN[$p]=$(date +%s)
    done
    for p in "${BATCH[@]}"; do
      d="$HV_TMP/q-$p"
      check "$p: the probe ends QEMU through isa-debug-exit" \
        wait_until 30 bash -c "! kill -0 ${QPID[$p]} 2>/dev/null"
      wait "${QPID[$p]}"
      rc=$?
      check "$p: …with its exit status (1 = (0 << 1) | 1)" test "$rc" = 1
      report_of "$d/serial.log" "$d/report"
      mac=$(sed -n 's/.*ne2k_isa.*mac=\([0-9a-fA-F:]*\).*/\1/p' <<<"$(golden_directive "$GOLDEN/$p.txt" qemu)")
      check_report "$p" "$d/report" "$d/audio.wav" "$mac" "${WHEN[$p]}"
      check_swap_report "$p" "$d/report"
    done
  done

  # The CPU speed limit: the dos machine under two icount shifts (no media watch: a B: disk
  # without the HVWATCH label).
  if wanted_profile dos; then
    for shift in 5 7; do
      d="$HV_TMP/q-speed-$shift"
      mkdir -p "$d"
      cp "$PROBE_IMG" "$d/probe.img"
      cp "$DISKS/DISK2.img" "$d/DISK2.img"
      # shellcheck disable=SC2046
      timeout 120 qemu-system-x86_64 $(golden_directive "$GOLDEN/dos.txt" qemu) \
        -icount "shift=$shift,align=on" -audiodev none,id=a0 \
        -device isa-debug-exit,iobase=0xf4,iosize=0x04 \
        -drive "if=floppy,index=0,format=raw,file=$d/probe.img" \
        -drive "if=floppy,index=1,format=raw,file=$d/DISK2.img" \
        -serial "file:$d/serial.log" -display none >"$d/qemu.out" 2>&1
      report_of "$d/serial.log" "$d/report"
      speed_check "dos" "$shift" "$d/report"
    done
  fi
fi

finish
