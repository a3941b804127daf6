# SPDX-License-Identifier: GPL-3.0-or-later
"""png-colours.py FILE MIN: succeed when the PNG has at least MIN distinct colours.
png-colours.py FILE bar: succeed when some pixel row is more than half lit (a text menu's
highlight bar, as GRUB draws it; a BIOS message never fills a row).

Standard library only: decodes 8-bit RGB/RGBA PNGs as QEMU's screendump writes them."""
import struct
import sys
import zlib


def pixels(path):
    data = open(path, "rb").read()
    if data[:8] != b"\x89PNG\r\n\x1a\n":
        raise SystemExit("not a PNG")
    pos, idat, width, height, ctype = 8, b"", 0, 0, 0
    while pos < len(data):
        length, kind = struct.unpack(">I4s", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + length]
        if kind == b"IHDR":
            width, height, depth, ctype = struct.unpack(">IIBB", body[:10])
            if depth != 8 or ctype not in (2, 6):
                raise SystemExit("unsupported PNG layout")
        elif kind == b"IDAT":
            idat += body
        pos += 12 + length
    bpp = 3 if ctype == 2 else 4
    raw = zlib.decompress(idat)
    stride = width * bpp
    prev = bytearray(stride)
    out = []
    for y in range(height):
        f = raw[y * (stride + 1)]
        line = bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
        for i in range(stride):
            a = line[i - bpp] if i >= bpp else 0
            b = prev[i]
            c = prev[i - bpp] if i >= bpp else 0
            if f == 1:
                line[i] = (line[i] + a) & 255
            elif f == 2:
                line[i] = (line[i] + b) & 255
            elif f == 3:
                line[i] = (line[i] + (a + b) // 2) & 255
            elif f == 4:
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                pr = a if pa <= pb and pa <= pc else (b if pb <= pc else c)
                line[i] = (line[i] + pr) & 255
        out.append(bytes(line))
        prev = line
    return out, bpp


def has_bar(rows, bpp):
    for row in rows:
        lit = sum(1 for i in range(0, len(row), bpp) if sum(row[i:i + 3]) > 3 * 96)
        if lit * 2 > len(row) // bpp:
            return True
    return False


def main():
    rows, bpp = pixels(sys.argv[1])
    if sys.argv[2] == "bar":
        sys.exit(0 if has_bar(rows, bpp) else 1)
    colours = set()
    for row in rows[::4]:
        for i in range(0, len(row), bpp * 2):
            colours.add(row[i:i + 3])
    sys.exit(0 if len(colours) >= int(sys.argv[2]) else 1)


main()
