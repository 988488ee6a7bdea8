#!/usr/bin/python3
"""Makes image-module test fixtures with PIL (the reference UI's image library).

usage: make_fixtures.py KIND OUT_DIR [ARGS...]
  exif_jpeg OUT             rotated.jpg: 40x20 left half red, EXIF Orientation=6, Make "upres-test"
  bomb_png OUT              bomb.png: 20000x20000 1-bit PNG (small on disk)
  gif OUT                   frames.gif: two frames, first red, second blue;
                            transparent.gif: left half transparent
  bmp OUT                   image.bmp: 7x5 RGB gradient, and image_rgb.bin with its raw bytes
  cmyk_jpeg OUT             cmyk.jpg: 8x8 CMYK JPEG of pure cyan
  user_comment_jpeg OUT     piexif_style.jpg: UserComment "UNICODE\\0" + UTF-16BE, as the reference UI writes
  png_text OUT              text.png: tEXt, zTXt and iTXt chunks, read back by PIL later
  icc OUT                   profile.icc: an sRGB profile built by littlecms (PIL ImageCms)
  read_png_text OUT FILE    FILE's text chunks as PIL reads them, to OUT/pil_text.bin as key\0value\0...
  read_png OUT FILE         FILE as PIL reads it: its samples as uint16 little-endian to
                            OUT/pil_samples.bin, the text chunks to OUT/pil_text.bin (as read_png_text),
                            the ICC profile and EXIF block (empty when absent) to OUT/pil_icc.bin, pil_exif.bin
  read_user_comment OUT FILE  FILE's EXIF UserComment decoded as the reference UI's piexif does,
                            to OUT/pil_comment.txt (UTF-8)
  resize OUT SOURCE W H...  PIL Image.resize of SOURCE (RGB) to each WxH with LANCZOS, BICUBIC and
                            NEAREST, saved as {filter}_{w}x{h}.png
"""
import struct
import sys
import zlib

from PIL import Image, PngImagePlugin


def exif_jpeg(out):
    im = Image.new("RGB", (40, 20), (0, 0, 255))
    im.paste((255, 0, 0), (0, 0, 20, 20))
    exif = Image.Exif()
    exif[0x0112] = 6
    exif[0x010F] = "upres-test"
    im.save(f"{out}/rotated.jpg", quality=95, exif=exif.tobytes())


def bomb_png(out):
    # A complete, valid 1-bit PNG written chunk by chunk (PIL would take seconds to build it).
    width = height = 20000
    row = b"\x00" + b"\xaa" * (width // 8)
    packer = zlib.compressobj(9)
    idat = b"".join(packer.compress(row) for _ in range(height)) + packer.flush()

    def chunk(kind, body):
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    with open(f"{out}/bomb.png", "wb") as f:
        f.write(b"\x89PNG\r\n\x1a\n")
        f.write(chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)))
        f.write(chunk(b"IDAT", idat) + chunk(b"IEND", b""))


def gif(out):
    first = Image.new("RGB", (16, 8), (255, 0, 0))
    second = Image.new("RGB", (16, 8), (0, 0, 255))
    first.save(f"{out}/frames.gif", save_all=True, append_images=[second], duration=100)
    holes = Image.new("P", (16, 8), 1)
    holes.putpalette([0, 0, 0, 0, 255, 0] + [0] * 762)
    holes.paste(0, (0, 0, 8, 8))
    holes.save(f"{out}/transparent.gif", transparency=0)


def bmp(out):
    im = Image.new("RGB", (7, 5))
    im.putdata([(x * 30, y * 50, 200 - x * 10 - y * 5) for y in range(5) for x in range(7)])
    im.save(f"{out}/image.bmp")
    with open(f"{out}/image_rgb.bin", "wb") as f:
        f.write(im.tobytes())


def cmyk_jpeg(out):
    Image.new("CMYK", (8, 8), (255, 0, 0, 0)).save(f"{out}/cmyk.jpg", quality=95)


def user_comment_jpeg(out):
    text = "Steps: 20, Prompt: \"caf\u00e9 \u2713\""
    comment = b"UNICODE\x00" + text.encode("utf_16_be")
    # piexif.dump layout: big-endian TIFF, IFD0 with only the Exif IFD pointer.
    ifd0 = struct.pack(">H", 1) + struct.pack(">HHII", 0x8769, 4, 1, 26) + struct.pack(">I", 0)
    exif_ifd = struct.pack(">H", 1) + struct.pack(">HHII", 0x9286, 7, len(comment), 44)
    exif_ifd += struct.pack(">I", 0)
    tiff = b"MM\x00\x2a" + struct.pack(">I", 8) + ifd0 + exif_ifd + comment
    Image.new("RGB", (8, 8), (10, 200, 30)).save(f"{out}/piexif_style.jpg", exif=b"Exif\x00\x00" + tiff)
    with open(f"{out}/piexif_style.txt", "wb") as f:
        f.write(text.encode("utf-8"))


def png_text(out):
    info = PngImagePlugin.PngInfo()
    info.add_text("parameters", "Steps: 20, Sampler: Euler a")
    info.add_text("latin", "caf\u00e9")
    info.add_text("unicode", "check \u2713 done")
    info.add_text("packed", "z" * 200, zip=True)
    info.add_itxt("packed_itxt", "\u00fcber " * 50, zip=True)
    Image.new("RGB", (4, 4), (1, 2, 3)).save(f"{out}/text.png", pnginfo=info)


def icc(out):
    from PIL import ImageCms
    with open(f"{out}/profile.icc", "wb") as f:
        f.write(ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes())


def read_png_text(out, path):
    im = Image.open(path)
    im.load()
    with open(f"{out}/pil_text.bin", "wb") as f:
        for key, value in im.text.items():
            f.write(key.encode("utf-8") + b"\0" + str(value).encode("utf-8") + b"\0")


def read_png(out, path):
    import numpy
    im = Image.open(path)
    im.load()
    with open(f"{out}/pil_samples.bin", "wb") as f:
        f.write(numpy.asarray(im).astype("<u2").tobytes())
    read_png_text(out, path)
    with open(f"{out}/pil_icc.bin", "wb") as f:
        f.write(im.info.get("icc_profile") or b"")
    with open(f"{out}/pil_exif.bin", "wb") as f:
        f.write(im.info.get("exif") or b"")


def read_user_comment(out, path):
    raw = Image.open(path).getexif().get_ifd(0x8769)[0x9286]
    prefix, body = raw[:8], raw[8:]
    # piexif.helper.UserComment.load
    text = body.decode("utf_16_be") if prefix == b"UNICODE\x00" else body.decode("ascii")
    with open(f"{out}/pil_comment.txt", "wb") as f:
        f.write(text.encode("utf-8"))


def resize(out, source, sizes):
    im = Image.open(source).convert("RGB")
    filters = {"lanczos": Image.LANCZOS, "bicubic": Image.BICUBIC, "nearest": Image.NEAREST}
    for w, h in zip(sizes[0::2], sizes[1::2]):
        for name, f in filters.items():
            im.resize((int(w), int(h)), f).save(f"{out}/{name}_{w}x{h}.png")


if __name__ == "__main__":
    kind, out = sys.argv[1], sys.argv[2]
    if kind == "resize":
        resize(out, sys.argv[3], sys.argv[4:])
    elif kind == "read_user_comment":
        read_user_comment(out, sys.argv[3])
    elif kind == "read_png":
        read_png(out, sys.argv[3])
    elif kind == "read_png_text":
        read_png_text(out, sys.argv[3])
    else:
        globals()[kind](out)
