"""Every uploaded photo decoded and written anew (Pillow), so that only the picture is kept.

What a phone adds beyond the picture never reaches storage: EXIF with the GPS position, XMP,
comments, maker notes, the depth maps and gain maps some phones append after the image. The
client's bytes are never stored as sent.

What we decided, and why:
- The picture stands upright: the EXIF Orientation is applied to the pixels, and the written file
  has no Orientation left to apply twice.
- A header claiming more than MAX_PHOTO_PIXELS pixels is refused before a single pixel is
  decoded (a 5 MB PNG may declare 30000 x 30000, 2.7 GB once decoded). 50 MP by default, below
  Pillow's own limit (~89 MP): a 48 MP phone photo passes, a bomb does not.
- The longest side is brought down to MAX_SIDE (4096 px), which keeps every detail a phone
  screen or a printed A4 report shows. A JPEG at least twice as large as 3072 px is decoded at
  half (or a quarter...) scale already, by libjpeg's DCT scaling: a 48 MP photo comes out at
  4000 x 3000 for the time and memory of a 12 MP one.
- The same format comes back: JPEG at quality 85, PNG, WebP at quality 85. Animated PNG or WebP
  keep their first frame only: a photo of a problem is a still, and WeChat's check sees one frame.
- Colour modes: a JPEG stays grey or becomes RGB (CMYK and the like, converted plainly); a PNG or
  WebP keeps its transparency. Sixteen-bit grey is scaled to eight bits, not clipped.
- An embedded ICC colour profile stays while it still describes the pixels (not after CMYK is
  turned into RGB): iPhones shoot in Display P3 and say so only there, and without it colours
  come out washed. A profile says how the device renders colour, nothing about the person or the
  place; one past MAX_ICC_BYTES (a display profile is a few KB) is dropped all the same.
"""

from __future__ import annotations

import io
import math
import struct
from dataclasses import dataclass

from PIL import Image, ImageOps

from backend.core.errors import InvalidInput

MAX_SIDE = 4096
DRAFT_SIDE = MAX_SIDE * 3 // 4
MAX_ICC_BYTES = 64 * 1024
QUALITY = 85

# The formats we take, by their first bytes (the client's Content-Type is not trusted).
FORMATS = {"JPEG": "image/jpeg", "PNG": "image/png", "WEBP": "image/webp"}

# What Pillow's decoders raise on a damaged or hostile file, short of a bug of ours.
DECODING_ERRORS = (
    OSError,
    SyntaxError,
    ValueError,
    EOFError,
    IndexError,
    TypeError,
    struct.error,
    Image.DecompressionBombError,
)


@dataclass(frozen=True)
class CleanPhoto:
    data: bytes
    content_type: str
    width: int
    height: int


def sniff_format(data: bytes) -> str | None:
    """The photo's format read from its first bytes."""
    if data.startswith(b"\xff\xd8\xff"):
        return "JPEG"
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "PNG"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "WEBP"
    return None


def unreadable() -> InvalidInput:
    return InvalidInput("照片已损坏或无法识别，请重新拍摄或选择", code="photo_unreadable")


def too_many_pixels(max_pixels: int) -> InvalidInput:
    return InvalidInput(
        f"照片像素过多（最多 {max_pixels / 1_000_000:.3g} 百万像素），请压缩后再上传",
        code="photo_too_many_pixels",
    )


def clean_photo(data: bytes, *, max_pixels: int) -> CleanPhoto:
    """The photo in `data` decoded and written anew, or the reason it is refused.

    Outcomes: the clean bytes with their type and size; 422 `photo_type_not_allowed` (not JPEG,
    PNG or WebP by its bytes), `photo_too_many_pixels` (refused from the header, undecoded),
    `photo_unreadable` (it does not decode, e.g. JPEG's first bytes with garbage after).
    """
    fmt = sniff_format(data)
    if fmt is None:
        raise InvalidInput("仅支持 JPEG、PNG 或 WebP 格式的照片", code="photo_type_not_allowed")
    try:
        image = Image.open(io.BytesIO(data), formats=[fmt])
    except Image.DecompressionBombError:
        raise too_many_pixels(max_pixels) from None
    except DECODING_ERRORS:
        raise unreadable() from None
    with image:
        width, height = image.size
        if width * height > max_pixels:
            raise too_many_pixels(max_pixels)
        try:
            return _rewrite(image, fmt)
        except DECODING_ERRORS:
            raise unreadable() from None


def _rewrite(image: Image.Image, fmt: str) -> CleanPhoto:
    if fmt == "JPEG" and max(image.size) > MAX_SIDE:
        # The smallest DCT scale keeping the longest side at least DRAFT_SIDE.
        scale = DRAFT_SIDE / max(image.size)
        image.draft(image.mode, (math.ceil(image.width * scale), math.ceil(image.height * scale)))
    image.load()  # the first frame, for an animation
    icc = image.info.get("icc_profile")
    if image.mode == "CMYK" or not icc or len(icc) > MAX_ICC_BYTES:
        icc = None
    ImageOps.exif_transpose(image, in_place=True)
    image = _normalised_mode(image, fmt)
    if max(image.size) > MAX_SIDE:
        image.thumbnail((MAX_SIDE, MAX_SIDE), Image.Resampling.LANCZOS)
    # Nothing read from the upload is written back but the pixels (and the profile, above).
    image.info = {}
    options: dict = {"icc_profile": icc} if icc else {}
    if fmt in ("JPEG", "WEBP"):
        options["quality"] = QUALITY
    out = io.BytesIO()
    image.save(out, format=fmt, **options)
    return CleanPhoto(out.getvalue(), FORMATS[fmt], image.width, image.height)


def _normalised_mode(image: Image.Image, fmt: str) -> Image.Image:
    """L or RGB for JPEG; L, LA, RGB or RGBA for PNG; RGB or RGBA for WebP."""
    mode = image.mode
    if mode.startswith("I"):  # sixteen-bit grey: scaled down, not clipped at 255
        image = image.convert("I").point(lambda value: value * (1 / 257)).convert("L")
        mode = "L"
    grey = mode in ("1", "L", "LA", "La")
    alpha = fmt != "JPEG" and (
        mode in ("LA", "La", "RGBA", "RGBa", "PA") or "transparency" in image.info
    )
    colour = not grey or fmt == "WEBP"  # WebP holds colour only
    wanted = {(False, False): "L", (False, True): "LA", (True, False): "RGB", (True, True): "RGBA"}[
        colour, alpha
    ]
    return image if mode == wanted else image.convert(wanted)
