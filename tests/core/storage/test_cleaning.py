"""What an upload becomes: decoded and written anew, without EXIF, GPS, XMP or comments, upright,
within the pixel limits; what does not decode is refused and leaves nothing behind."""

from __future__ import annotations

import hashlib
import io
import time

import pytest
import sqlalchemy as sa
from PIL import Image, ImageFile
from PIL.PngImagePlugin import PngInfo

from backend.core.db import db
from backend.core.storage.models import StoredFile
from tests.core.storage.pictures import (
    BLUE,
    MARK,
    RED,
    animation,
    decoded,
    encoded,
    jpeg,
    jpeg_claiming,
    near,
    phone_exif,
    phone_jpeg,
    png,
    png_claiming,
    srgb_profile,
    webp,
)
from tests.core.test_storage import files_in
from tests.helpers import assert_error, assert_ok, writes_nothing


@pytest.fixture
def stored(app, client, world, upload, disk):
    """`stored(data)` -> (the upload's answer, the bytes on disk, what a signed link serves)."""

    def send(data: bytes, user_id: int | None = None):
        body = assert_ok(upload(user_id or world.resident, world.a, data), 201)
        key = body["key"]
        on_disk = (disk / key[:2] / key[2:4] / key).read_bytes()
        served = client.get(body["url"])
        assert served.status_code == 200 and served.data == on_disk
        return body, on_disk

    return send


# -- metadata and orientation


def test_a_phone_jpeg_loses_its_exif_gps_xmp_and_comment_and_stands_upright(app, stored):
    sent = phone_jpeg(40, 20, orientation=6)
    assert decoded(sent).getexif().get_ifd(0x8825), "the photo carries a GPS position"
    body, data = stored(sent)

    image = decoded(data)
    assert image.format == "JPEG"
    assert len(image.getexif()) == 0 and b"Exif" not in data
    assert "xmp" not in image.info and b"xmpmeta" not in data
    assert "comment" not in image.info and MARK.encode() not in data
    assert b"Apple" not in data
    # Orientation 6: the sensor's left edge is the picture's top. Stored turned, tag gone.
    assert image.size == (20, 40) and (body["width"], body["height"]) == (20, 40)
    assert near(image.getpixel((10, 5)), RED) and near(image.getpixel((10, 35)), BLUE)
    with app.app_context():
        row = db.session.scalar(sa.select(StoredFile).where(StoredFile.key == body["key"]))
        assert (row.size, row.sha256) == (len(data), hashlib.sha256(data).hexdigest())
        assert (row.width, row.height) == (20, 40)


@pytest.mark.parametrize("orientation", [3, 8])
def test_other_orientations_are_applied_too(stored, orientation):
    _, data = stored(phone_jpeg(40, 20, orientation=orientation))
    image = decoded(data)
    if orientation == 3:  # upside down: the red half ends on the right
        assert image.size == (40, 20) and near(image.getpixel((35, 10)), RED)
    else:  # 8: the sensor's left edge is the picture's bottom
        assert image.size == (20, 40) and near(image.getpixel((10, 35)), RED)
    assert len(image.getexif()) == 0


def test_png_and_webp_lose_their_exif_and_text(stored):
    exif = phone_exif(orientation=6)
    chunks = PngInfo()
    chunks.add_text("Comment", MARK)
    chunks.add_itxt("XML:com.adobe.xmp", MARK)
    for sent in (
        png(40, 20, exif=exif, pnginfo=chunks),
        webp(40, 20, exif=exif, xmp=MARK.encode()),
    ):
        _, data = stored(sent)
        image = decoded(data)
        assert len(image.getexif()) == 0 and MARK.encode() not in data
        assert b"Exif" not in data and b"eXIf" not in data
        assert image.size == (20, 40), "turned upright"


def test_an_srgb_or_p3_profile_stays_because_it_tells_how_to_show_the_colours(stored):
    profile = srgb_profile()
    _, data = stored(jpeg(8, 8, icc_profile=profile))
    assert decoded(data).info.get("icc_profile") == profile


def test_a_profile_too_large_to_be_a_colour_profile_is_dropped(stored):
    _, data = stored(jpeg(8, 8, icc_profile=MARK.encode() * 5000))
    assert "icc_profile" not in decoded(data).info and MARK.encode() not in data


# -- formats, modes, animations


@pytest.mark.parametrize(
    ("sent", "fmt", "mode"),
    [
        (png(40, 20), "PNG", "RGB"),
        (png(40, 20, mode="RGBA"), "PNG", "RGBA"),
        (png(40, 20, mode="L"), "PNG", "L"),
        (webp(40, 20), "WEBP", "RGB"),
        (webp(40, 20, mode="RGBA", lossless=True), "WEBP", "RGBA"),
        (jpeg(40, 20, mode="L"), "JPEG", "L"),
        (jpeg(40, 20, mode="CMYK"), "JPEG", "RGB"),
    ],
    ids=["png", "png-alpha", "png-grey", "webp", "webp-alpha", "jpeg-grey", "jpeg-cmyk"],
)
def test_each_format_comes_back_as_itself_with_its_picture(stored, sent, fmt, mode):
    body, data = stored(sent)
    image = decoded(data)
    assert (image.format, image.mode, image.size) == (fmt, mode, (40, 20))
    assert body["content_type"] == f"image/{fmt.lower()}"
    left, right = image.convert("RGB").getpixel((5, 10)), image.convert("RGB").getpixel((35, 10))
    if "A" in mode:
        assert image.getpixel((0, 0))[-1] == 0, "still transparent"
    if mode == "L":
        assert left != right
    else:
        assert near(left, RED) and near(right, BLUE)


def test_a_palette_png_keeps_its_transparency(stored):
    image = Image.new("P", (4, 4), 0)
    image.putpalette([255, 0, 0, 0, 0, 255])
    image.putpixel((3, 3), 1)
    _, data = stored(encoded(image, "PNG", transparency=1))
    clean = decoded(data)
    assert clean.mode == "RGBA"
    assert clean.getpixel((0, 0)) == (255, 0, 0, 255) and clean.getpixel((3, 3))[3] == 0


def test_sixteen_bit_grey_is_scaled_not_clipped(stored):
    image = Image.new("I;16", (2, 1))
    image.putpixel((0, 0), 30000)
    image.putpixel((1, 0), 65535)
    _, data = stored(encoded(image, "PNG"))
    clean = decoded(data)
    assert clean.mode == "L"
    assert abs(clean.getpixel((0, 0)) - 30000 / 257) <= 1 and clean.getpixel((1, 0)) == 255


@pytest.mark.parametrize("fmt", ["PNG", "WEBP"])
def test_an_animation_keeps_its_first_frame(stored, fmt):
    _, data = stored(animation(fmt))
    image = Image.open(io.BytesIO(data))
    assert not getattr(image, "is_animated", False) and getattr(image, "n_frames", 1) == 1
    assert near(image.convert("RGB").getpixel((4, 4)), RED)


def test_the_longest_side_is_brought_down_to_4096(stored):
    body, data = stored(jpeg(6000, 3000, quality=50))
    assert decoded(data).size == (4096, 2048) == (body["width"], body["height"])
    _, data = stored(png(5000, 10))
    assert decoded(data).size == (4096, 8)


def test_a_jpeg_twice_the_size_is_decoded_at_half_scale(stored, decoding):
    _, data = stored(jpeg(8000, 4000, quality=50))
    assert decoded(data).size == (4000, 2000)
    assert decoding[0] == (4000, 2000), "libjpeg decoded half the pixels, not all of them"


# -- refused, and nothing written


@pytest.mark.parametrize(
    "data",
    [
        b"\xff\xd8\xff\xe0" + b"garbage after the magic bytes " * 40,
        jpeg(64, 64)[:300],
        b"\x89PNG\r\n\x1a\n" + b"\x00" * 200,
        png(64, 64)[:-40] + b"\x00" * 40,
        b"RIFF\x00\x01\x00\x00WEBPVP8 " + b"\x17" * 200,
    ],
    ids=["jpeg-garbage", "jpeg-truncated", "png-garbage", "png-damaged", "webp-garbage"],
)
def test_what_does_not_decode_is_refused_and_leaves_nothing(world, upload, counts, disk, data):
    with writes_nothing(counts):
        body = assert_error(upload(world.resident, world.a, data), 422, "photo_unreadable")
    assert "无法识别" in body["message"]
    assert files_in(disk) == []


@pytest.fixture
def decoding(monkeypatch):
    """Records every decoding of pixels (Pillow's ImageFile.load)."""
    calls = []
    load = ImageFile.ImageFile.load

    def spy(self):
        calls.append(self.size)
        return load(self)

    monkeypatch.setattr(ImageFile.ImageFile, "load", spy)
    return calls


@pytest.mark.parametrize(
    "data",
    [png_claiming(30000, 30000), png_claiming(8000, 8000), jpeg_claiming(60000, 60000)],
    ids=["png-30000-square", "png-64-megapixels", "jpeg-60000-square"],
)
def test_a_decompression_bomb_is_refused_from_its_header_without_decoding(
    world, upload, counts, disk, decoding, data
):
    assert len(data) < 2000
    started = time.perf_counter()
    with writes_nothing(counts):
        body = assert_error(upload(world.resident, world.a, data), 422, "photo_too_many_pixels")
    assert time.perf_counter() - started < 2
    assert decoding == [], "not one pixel decoded"
    assert "50 百万像素" in body["message"]
    assert files_in(disk) == []


def test_the_pixel_limit_is_a_setting(app, world, upload, monkeypatch):
    monkeypatch.setitem(app.config, "MAX_PHOTO_PIXELS", 100)
    assert_error(upload(world.resident, world.a, jpeg(11, 10)), 422, "photo_too_many_pixels")
    assert_ok(upload(world.resident, world.a, jpeg(10, 10)), 201)

