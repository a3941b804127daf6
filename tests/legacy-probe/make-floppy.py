#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""make-floppy.py LABEL OUT.img: an empty FAT12 1.44 MB floppy whose volume label is LABEL.

The probe's media watch (README.md) reads the label at offset 0x2B of a disk's boot sector:
"HVWATCH" in B: starts the watch, "HVSTOP" in either drive ends it. Same layout as
`mkfs.fat -n LABEL -C OUT 1440`, without needing dosfstools.
"""

import struct
import sys


def main(argv):
    if len(argv) != 3:
        print(__doc__.strip(), file=sys.stderr)
        return 2
    label = argv[1].upper()
    if not label or len(label) > 11 or not all(0x20 < ord(c) < 0x7F for c in label):
        print('make-floppy.py: the label must be 1-11 printable characters', file=sys.stderr)
        return 2
    label = label.ljust(11).encode('ascii')
    image = bytearray(1474560)
    boot = struct.pack('<3s8sHBHBHHBHHHLLBBBL11s8s',
                       b'\xEB\x3C\x90', b'HVDISK  ', 512, 1, 1, 2, 224, 2880, 0xF0, 9, 18, 2,
                       0, 0, 0, 0, 0x29, 0x12345678, label, b'FAT12   ')
    image[0:len(boot)] = boot
    # Not bootable: INT 18h ("no bootable disk") if a BIOS ever runs it.
    image[0x3E:0x40] = b'\xCD\x18'
    image[510:512] = b'\x55\xAA'
    for fat in (1, 10):
        image[fat * 512:fat * 512 + 3] = b'\xF0\xFF\xFF'
    root = 19 * 512
    image[root:root + 11] = label
    image[root + 11] = 0x08
    with open(argv[2], 'wb') as f:
        f.write(image)
    return 0


if __name__ == '__main__':
    sys.exit(main(sys.argv))
