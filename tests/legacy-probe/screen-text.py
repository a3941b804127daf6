# SPDX-License-Identifier: GPL-3.0-or-later
"""screen-text.py SCREEN.png [TEXT...]: reads the text of a VGA text-mode screenshot (80x25
cells, as QEMU draws text mode: 720x400 with 9-dot or 640x400 with 8-dot cells).

Prints the screen's 25 lines. With TEXT arguments, succeeds only when each TEXT is found
(whitespace runs count as one space) on the screen; a TEXT that starts with '^' must begin a
line (leading blanks aside), one that starts with '$' must begin the screen's last line that
is not blank.

A real reading of the pixels, not of the guest's memory: every cell's 8x16 dots are matched
with the 8x16 font of the VGA BIOS the guest runs (SeaBIOS's vgabios, which loads that font
into the card in text mode, and QEMU draws each cell from the card's font). A cell of one
colour is a space; one whose dots are no glyph of the font (the blinking cursor over a
letter, a graphics mode) reads '?'. Standard library only."""
import re
import struct
import sys
import zlib

FONT_ROMS = ("/usr/share/seabios/vgabios-stdvga.bin", "/usr/share/seabios/vgabios-isavga.bin",
             "/usr/share/qemu/vgabios-stdvga.bin")
# The font's glyph 1 (the smiley) locates the 256-glyph table in the ROM.
SMILEY = bytes([0, 0, 0x7E, 0x81, 0xA5, 0x81, 0x81, 0xBD, 0x99, 0x81, 0x81, 0x7E, 0, 0, 0, 0])


def png_rows(path):
    """The rows of an 8-bit RGB or RGBA PNG (as QEMU's screendump writes), and its bytes per
    pixel."""
    data = open(path, "rb").read()
    if data[:8] != b"\x89PNG\r\n\x1a\n":
        raise SystemExit("%s: not a PNG" % path)
    pos, idat, width, height, ctype = 8, b"", 0, 0, 0
    while pos + 8 <= len(data):
        length, kind = struct.unpack(">I4s", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + length]
        if kind == b"IHDR":
            width, height, depth, ctype, _, _, interlace = struct.unpack(">IIBBBBB", body[:13])
            if depth != 8 or ctype not in (2, 6) or interlace:
                raise SystemExit("%s: unsupported PNG layout" % path)
        elif kind == b"IDAT":
            idat += body
        pos += 12 + length
    bpp = 3 if ctype == 2 else 4
    raw = zlib.decompress(idat)
    stride = width * bpp
    prev = bytearray(stride)
    rows = []
    for y in range(height):
        kind = raw[y * (stride + 1)]
        line = bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
        for i in range(stride):
            a = line[i - bpp] if i >= bpp else 0
            b = prev[i]
            c = prev[i - bpp] if i >= bpp else 0
            if kind == 1:
                line[i] = (line[i] + a) & 255
            elif kind == 2:
                line[i] = (line[i] + b) & 255
            elif kind == 3:
                line[i] = (line[i] + (a + b) // 2) & 255
            elif kind == 4:
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                line[i] = (line[i] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
        rows.append(bytes(line))
        prev = line
    return rows, bpp


def load_font():
    for rom in FONT_ROMS:
        try:
            data = open(rom, "rb").read()
        except OSError:
            continue
        at = data.find(SMILEY)
        if at >= 16 and data[at - 16:at] == bytes(16) and at - 16 + 4096 <= len(data):
            base = at - 16
            glyphs = {}
            # Printable ASCII first, so that a bitmap shared with another code (rare) reads
            # as the ASCII letter.
            for code in list(range(32, 127)) + list(range(0, 32)) + list(range(127, 256)):
                g = data[base + 16 * code:base + 16 * code + 16]
                glyphs.setdefault(g, code)
            return glyphs
    raise SystemExit("no VGA BIOS font found (%s)" % ", ".join(FONT_ROMS))


def read_screen(path):
    rows, bpp = png_rows(path)
    height = len(rows)
    width = len(rows[0]) // bpp
    if height != 400 or width not in (720, 640):
        raise SystemExit("%s: %dx%d is not an 80x25 text-mode screen" % (path, width, height))
    cw = width // 80
    glyphs = load_font()
    lines = []
    for cy in range(25):
        line = []
        for cx in range(80):
            dots = []
            for y in range(16):
                row = rows[cy * 16 + y]
                for x in range(8):
                    i = (cx * cw + x) * bpp
                    dots.append(bytes(row[i:i + 3]))
            colours = sorted(set(dots), key=dots.count, reverse=True)
            if len(colours) == 1:
                line.append(" ")
                continue
            ch = "?"
            if len(colours) == 2:
                # Either colour may be the foreground (a highlight bar inverts them).
                for fg in (colours[1], colours[0]):
                    g = bytes(sum(0x80 >> x for x in range(8) if dots[y * 8 + x] == fg)
                              for y in range(16))
                    code = glyphs.get(g)
                    if code is not None and 32 <= code < 127:
                        ch = chr(code)
                        break
                    if code is not None and ch == "?":
                        ch = " "   # a box-drawing or other non-ASCII glyph
            line.append(ch)
        lines.append("".join(line).rstrip())
    return lines


def main():
    if len(sys.argv) < 2:
        raise SystemExit(__doc__)
    lines = read_screen(sys.argv[1])
    print("\n".join(lines))
    flat = [re.sub(r"\s+", " ", l).strip() for l in lines]

    def found(text):
        text = re.sub(r"\s+", " ", text)
        if text.startswith("$"):
            last = [l for l in flat if l]
            return bool(last) and last[-1].startswith(text[1:].strip())
        if text.startswith("^"):
            return any(l.startswith(text[1:].strip()) for l in flat)
        return any(text in l for l in flat)

    missing = [t for t in sys.argv[2:] if not found(t)]
    for t in missing:
        print("not on the screen: %r" % t, file=sys.stderr)
    sys.exit(1 if missing else 0)


if __name__ == "__main__":
    main()
