#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""golden-from-report.py SERIAL.log: prints the lines of a probe report that are fixed for
the hardware, to start or refresh a golden file (tests/legacy-probe/golden/<profile>.txt).

Left out, because they change from run to run or with the host: the time (rtc.time), the
speed loop, the SB16 tone's tick count, the E820 details, the NE2000's PROM and MAC (the
test compares the MAC with the VM's own), the CPUID ECX word (its hypervisor bit follows the
accelerator), the boot drive, and the media watch's per-disk lines. Review the result by hand:
a golden line is a claim about the profile's hardware.
"""

import re
import sys

VARIABLE = re.compile(r'^(rtc\.time|speed\.|tone\.sb16\.ticks|mem\.e820_|ne2k\.(prom|mac)|'
                      r'cpu\.features_ecx|boot\.drive|media\.(a|b|polls)=|'
                      r'probe\.version)')


def main(argv):
    if len(argv) != 2:
        print(__doc__.strip(), file=sys.stderr)
        return 2
    inside = False
    for line in open(argv[1], errors='replace'):
        line = line.rstrip('\r\n')
        if line == 'HVPROBE begin':
            inside = True
            continue
        if line == 'HVPROBE end':
            break
        if inside and '=' in line and not VARIABLE.match(line):
            print(line)
    return 0


if __name__ == '__main__':
    sys.exit(main(sys.argv))
