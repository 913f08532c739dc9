"""Photos for the tests, made with Pillow as a phone or a hostile client would send them: with
EXIF (GPS position, orientation), XMP, comments, colour profiles, animations, odd colour modes,
and headers that claim far more pixels than the file holds."""

from __future__ import annotations

import io
import struct
import zlib

from PIL import Image, ImageCms

RED, BLUE = (255, 0, 0), (0, 0, 255)
# Where the photo was taken: Tian'anmen, as a phone writes it (degrees, minutes, seconds).
GPS = {1: "N", 2: (39.0, 54.0, 26.0), 3: "E", 4: (116.0, 23.0, 29.0)}
ORIENTATION, MAKE, GPS_IFD = 0x0112, 0x010F, 0x8825
MARK = "gongzhi-test-mark"  # written into comments, XMP and text chunks: must not survive


def halves(width: int, height: int, mode: str = "RGB") -> Image.Image:
    """Left half red, right half blue, as the sensor stored it; with an alpha channel, the
    top-left pixel is transparent."""
    image = Image.new("RGB", (width, height), RED)
    image.paste(BLUE, (width // 2, 0, width, height))
    image = image.convert(mode)
    if "A" in mode:
        image.putpixel((0, 0), (0,) * len(mode))
    return image


def phone_exif(orientation: int = 1) -> Image.Exif:
    exif = Image.Exif()
    exif[MAKE] = "Apple"
    exif[ORIENTATION] = orientation
    exif.get_ifd(GPS_IFD).update(GPS)
    return exif


def encoded(image: Image.Image, fmt: str, **options) -> bytes:
    out = io.BytesIO()
    image.save(out, format=fmt, **options)
    return out.getvalue()


def phone_jpeg(width: int = 40, height: int = 20, *, orientation: int = 6, **options) -> bytes:
    """A JPEG as a phone writes it: EXIF with GPS and an orientation, XMP, a comment."""
    xmp = f'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF>{MARK}</rdf:RDF></x:xmpmeta>'.encode()
    return encoded(
        halves(width, height),
        "JPEG",
        quality=95,
        exif=phone_exif(orientation),
        xmp=xmp,
        comment=MARK,
        **options,
    )


def jpeg(width: int = 3, height: int = 2, mode: str = "RGB", **options) -> bytes:
    return encoded(halves(width, height, mode), "JPEG", **options)


def png(width: int = 3, height: int = 2, mode: str = "RGB", **options) -> bytes:
    return encoded(halves(width, height, mode), "PNG", **options)


def webp(width: int = 3, height: int = 2, mode: str = "RGB", **options) -> bytes:
    return encoded(halves(width, height, mode), "WEBP", **options)


def srgb_profile() -> bytes:
    return ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()


def animation(fmt: str) -> bytes:
    """Two frames, red then blue (APNG for PNG, animated WebP)."""
    first, second = Image.new("RGB", (8, 8), RED), Image.new("RGB", (8, 8), BLUE)
    return encoded(first, fmt, save_all=True, append_images=[second], duration=100, loop=0)


def png_claiming(width: int, height: int) -> bytes:
    """A PNG of a few hundred bytes whose header declares `width` x `height` (a bomb: the
    pixels it would decode to are all zero and compress to nothing)."""

    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    pixels = zlib.compress(b"\x00" * 4096)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", pixels) + chunk(
        b"IEND", b""
    )


def jpeg_claiming(width: int, height: int) -> bytes:
    """A real small JPEG whose frame header is rewritten to declare `width` x `height`."""
    data = bytearray(jpeg(16, 16))
    frame = data.index(b"\xff\xc0")
    data[frame + 5 : frame + 9] = struct.pack(">HH", height, width)
    return bytes(data)


def decoded(data: bytes) -> Image.Image:
    image = Image.open(io.BytesIO(data))
    image.load()
    return image


def near(pixel, colour, tolerance: int = 40) -> bool:
    return all(abs(a - b) <= tolerance for a, b in zip(pixel, colour, strict=False))
