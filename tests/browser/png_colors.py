"""Counts pixels of given colours in a PNG (8-bit RGB or RGBA, not interlaced): enough to see
that a screenshot shows what the page should have drawn. Standard library only.
Usage: png_colors.py FILE RRGGBB[:MIN] ...   exits 1 unless each colour has at least MIN pixels."""
import struct
import sys
import zlib


def pixels(path):
    data = open(path, "rb").read()
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    pos, idat, width, height, ctype = 8, b"", 0, 0, 0
    while pos < len(data):
        n, kind = struct.unpack(">I4s", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + n]
        if kind == b"IHDR":
            width, height, depth, ctype, _, _, interlace = struct.unpack(">IIBBBBB", body)
            assert depth == 8 and ctype in (2, 6) and interlace == 0, "unsupported PNG layout"
        elif kind == b"IDAT":
            idat += body
        pos += 12 + n
    bpp = 4 if ctype == 6 else 3
    raw, stride, prev, out = zlib.decompress(idat), width * bpp, bytearray(width * bpp), []
    for y in range(height):
        f, line = raw[y * (stride + 1)], bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
        for i in range(stride):
            a = line[i - bpp] if i >= bpp else 0
            b, c = prev[i], prev[i - bpp] if i >= bpp else 0
            if f == 1: line[i] = (line[i] + a) & 255
            elif f == 2: line[i] = (line[i] + b) & 255
            elif f == 3: line[i] = (line[i] + (a + b) // 2) & 255
            elif f == 4:
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                line[i] = (line[i] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
        out.append(line)
        prev = line
    return width, height, bpp, out


def main():
    width, height, bpp, rows = pixels(sys.argv[1])
    ok = True
    for spec in sys.argv[2:]:
        colour, _, least = spec.partition(":")
        want = tuple(int(colour[i:i + 2], 16) for i in (0, 2, 4))
        n = sum(1 for row in rows for x in range(0, width * bpp, bpp)
                if all(abs(row[x + k] - want[k]) <= 12 for k in range(3)))
        print(f"  #{colour}: {n} pixels (want at least {least or 1})")
        ok = ok and n >= int(least or 1)
    print(f"  screenshot {width}x{height}")
    sys.exit(0 if ok else 1)


main()
