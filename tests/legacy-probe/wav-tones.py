#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""Finds the tones in a WAV file that QEMU's wav audio backend recorded and checks them.

  wav-tones.py FILE.wav HZ:SECONDS [HZ:SECONDS...]
      Each HZ:SECONDS asks for a tone of HZ (within 3 %) lasting at least SECONDS, in the
      order given. Prints the segments found; exits 0 when every tone is there, 1 otherwise.
  wav-tones.py --self-test
      Proves the check can fail: a silent file, a wrong frequency, a too short tone and the
      wrong order are refused, the right tones accepted.

The signal is cut into 20 ms windows; a window is loud when its RMS exceeds 2 % of full scale.
Consecutive loud windows of the same rough frequency (zero crossings) make a segment, whose
frequency is then measured over its whole length from the first to the last rising zero
crossing. Only the standard library.
"""

import array
import math
import os
import struct
import sys
import tempfile
import wave

WINDOW_S = 0.02
RMS_MIN = 0.02 * 32768
TOLERANCE = 0.03


def read_mono(path):
    """(rate, samples of the first channel). QEMU writes the RIFF and data sizes into the
    header only when it closes the file: a copy taken while it runs says 0, so the chunks are
    walked by hand and the data chunk runs to the end of the file."""
    with open(path, 'rb') as f:
        raw = f.read()
    if len(raw) < 12 or raw[0:4] != b'RIFF' or raw[8:12] != b'WAVE':
        raise ValueError('not a RIFF WAVE file')
    pos, fmt = 12, None
    while pos + 8 <= len(raw):
        cid, size = raw[pos:pos + 4], struct.unpack('<I', raw[pos + 4:pos + 8])[0]
        body = pos + 8
        if cid == b'fmt ':
            fmt = struct.unpack('<HHIIHH', raw[body:body + 16])
        elif cid == b'data':
            if fmt is None:
                raise ValueError('data before fmt')
            tag, channels, rate, _, _, bits = fmt
            if tag != 1 or bits != 16 or channels < 1:
                raise ValueError('format %d, %d bits: expected 16-bit PCM' % (tag, bits))
            end = len(raw) if size == 0 else min(len(raw), body + size)
            frames = raw[body:end]
            frames = frames[:len(frames) // (2 * channels) * (2 * channels)]
            data = array.array('h', frames)
            if sys.byteorder == 'big':
                data.byteswap()
            return rate, data[0::channels]
        pos = body + size + (size & 1)
    raise ValueError('no data chunk')


def rising_crossings(samples, start, end, mean):
    out = []
    prev = samples[start] - mean
    for i in range(start + 1, end):
        cur = samples[i] - mean
        if prev < 0 <= cur:
            out.append(i - cur / (cur - prev) if cur != prev else i)
        prev = cur
    return out


def segments(rate, samples):
    """[(start_s, end_s, hz)] of the tones in the signal."""
    win = max(1, int(rate * WINDOW_S))
    rough = []
    for i in range(0, len(samples) - win + 1, win):
        s = samples[i:i + win]
        mean = sum(s) / win
        rms = math.sqrt(sum((x - mean) ** 2 for x in s) / win)
        if rms < RMS_MIN:
            rough.append(None)
            continue
        zc = len(rising_crossings(samples, i, i + win, mean))
        rough.append(zc / WINDOW_S if zc >= 2 else None)
    out = []
    i = 0
    while i < len(rough):
        if rough[i] is None:
            i += 1
            continue
        j = i
        while (j + 1 < len(rough) and rough[j + 1] is not None and
               abs(rough[j + 1] - rough[i]) <= max(0.15 * rough[i], 2 / WINDOW_S)):
            j += 1
        a, b = i * win, (j + 1) * win
        seg = samples[a:b]
        mean = sum(seg) / len(seg)
        zc = rising_crossings(samples, a, b, mean)
        if len(zc) >= 3 and zc[-1] > zc[0]:
            out.append((a / rate, b / rate, (len(zc) - 1) * rate / (zc[-1] - zc[0])))
        i = j + 1
    # A partly filled window at a tone's edge can start a segment of its own: join touching
    # segments of the same frequency.
    merged = []
    for seg in out:
        if (merged and abs(seg[0] - merged[-1][1]) < 1e-9 and
                abs(seg[2] - merged[-1][2]) <= TOLERANCE * seg[2]):
            a, b, hz = merged[-1]
            w = (b - a) / (seg[1] - a)
            merged[-1] = (a, seg[1], hz * w + seg[2] * (1 - w))
        else:
            merged.append(seg)
    return merged


def check(path, wanted):
    """wanted: [(hz, seconds)]. Returns (ok, report lines)."""
    try:
        rate, samples = read_mono(path)
    except (OSError, ValueError, struct.error) as e:
        return False, ['cannot read %s: %s' % (path, e)]
    segs = segments(rate, samples)
    lines = ['%s: %.2f s at %d Hz, %d tone segment(s)' % (path, len(samples) / rate, rate,
                                                           len(segs))]
    for a, b, hz in segs:
        lines.append('  %.2f-%.2f s: %.1f Hz' % (a, b, hz))
    ok = True
    pos = 0
    for hz, secs in wanted:
        found = None
        for k in range(pos, len(segs)):
            a, b, f = segs[k]
            if abs(f - hz) <= TOLERANCE * hz and b - a >= secs:
                found = k
                break
        if found is None:
            lines.append('MISSING: %g Hz for %g s (after the tones before it)' % (hz, secs))
            ok = False
        else:
            lines.append('found: %g Hz as %.1f Hz for %.2f s' %
                         (hz, segs[found][2], segs[found][1] - segs[found][0]))
            pos = found + 1
    return ok, lines


def write_wav(path, rate, parts):
    """parts: [(hz or 0, seconds)] → a 16-bit stereo file of square waves and silence."""
    data = array.array('h')
    for hz, secs in parts:
        for i in range(int(rate * secs)):
            v = 0 if hz == 0 else (12000 if (i * hz * 2 // rate) % 2 == 0 else -12000)
            data.append(v)
            data.append(v)
    if sys.byteorder == 'big':
        data.byteswap()
    with wave.open(path, 'wb') as w:
        w.setnchannels(2)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(data.tobytes())


def self_test():
    wanted = [(500, 0.4), (1000, 0.4)]
    cases = [
        ('silent', [(0, 1.5)], False),
        ('right', [(0, 0.1), (500, 0.5), (0, 0.2), (1000, 0.5), (0, 0.1)], True),
        ('wrong-frequency', [(540, 0.5), (0, 0.2), (1000, 0.5)], False),
        ('too-short', [(500, 0.2), (0, 0.2), (1000, 0.5)], False),
        ('wrong-order', [(1000, 0.5), (0, 0.2), (500, 0.5)], False),
        ('one-missing', [(500, 0.5), (0, 0.7)], False),
    ]
    failures = 0
    with tempfile.TemporaryDirectory() as d:
        for name, parts, expect in cases:
            path = os.path.join(d, name + '.wav')
            write_wav(path, 44100, parts)
            got, lines = check(path, wanted)
            verdict = 'ok' if got == expect else 'WRONG'
            print('%s: %s -> %s (expected %s)' % (verdict, name, got, expect))
            if got != expect:
                failures += 1
                print('\n'.join('  ' + l for l in lines))
        # A copy of a file that QEMU still writes: the header says 0 frames.
        running = os.path.join(d, 'running.wav')
        write_wav(running, 44100, cases[1][1])
        with open(running, 'r+b') as f:
            f.seek(4)
            f.write(b'\0\0\0\0')
            f.seek(40)
            f.write(b'\0\0\0\0')
        got, _ = check(running, wanted)
        print('%s: a header without sizes -> %s (expected True)' % ('ok' if got else 'WRONG', got))
        failures += 0 if got else 1
        empty = os.path.join(d, 'empty.wav')
        open(empty, 'wb').close()
        got, _ = check(empty, wanted)
        print('%s: an empty file -> %s (expected False)' % ('ok' if not got else 'WRONG', got))
        failures += 1 if got else 0
    return failures == 0


def main(argv):
    if len(argv) == 2 and argv[1] == '--self-test':
        return 0 if self_test() else 1
    if len(argv) < 3:
        print(__doc__.strip(), file=sys.stderr)
        return 2
    wanted = []
    for spec in argv[2:]:
        hz, _, secs = spec.partition(':')
        wanted.append((float(hz), float(secs or 0.3)))
    ok, lines = check(argv[1], wanted)
    print('\n'.join(lines))
    return 0 if ok else 1


if __name__ == '__main__':
    sys.exit(main(sys.argv))
