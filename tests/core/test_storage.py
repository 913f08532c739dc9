"""Photo storage: uploads checked by their bytes, kept on disk under random keys, attached by
the domains that use them, and purged when nobody did. What an upload becomes (decoded and
written anew) is in tests/core/storage/test_cleaning.py, reading by signed links in
tests/core/storage/test_links.py."""

from __future__ import annotations

import hashlib
import io
import os
from datetime import timedelta

import pytest
import sqlalchemy as sa
from PIL import Image

from backend.core.db import db, transaction, utcnow
from backend.core.errors import InvalidInput
from backend.core.scheduler import collect_jobs
from backend.core.storage.models import StoredFile
from backend.core.storage.services import DiskStorage, attach_photos
from tests.core.storage.pictures import decoded, encoded, halves, jpeg, png, webp
from tests.helpers import assert_error, assert_ok, writes_nothing

PNG, JPEG, WEBP = png(), jpeg(), webp()
GIF = encoded(halves(3, 2), "GIF")


def upload_url(community_id: int) -> str:
    return f"/api/v1/communities/{community_id}/photos"


def as_file(data: bytes, content_type: str = "image/png", name: str = "photo.png") -> dict:
    return {"file": (io.BytesIO(data), name, content_type)}


def files_in(root) -> list:
    return sorted(path for path in root.rglob("*") if path.is_file())


@pytest.fixture
def disk(app, tmp_path, monkeypatch):
    """This test's own storage directory."""
    monkeypatch.setitem(app.config, "STORAGE_DIR", str(tmp_path))
    return tmp_path


@pytest.fixture
def upload(client, auth, disk):
    def send(user_id: int, community_id: int, data: bytes = PNG, **kwargs):
        return client.post(
            upload_url(community_id),
            data=as_file(data, **kwargs),
            content_type="multipart/form-data",
            headers=auth(user_id),
        )

    return send


@pytest.fixture
def uploaded(upload):
    """`uploaded(user, community)` -> the key of a PNG that user uploaded there."""

    def send(user_id: int, community_id: int, data: bytes = PNG) -> str:
        return assert_ok(upload(user_id, community_id, data), 201)["key"]

    return send


# -- uploading


@pytest.mark.parametrize(
    ("data", "content_type", "fmt"),
    [(JPEG, "image/jpeg", "JPEG"), (PNG, "image/png", "PNG"), (WEBP, "image/webp", "WEBP")],
    ids=["jpeg", "png", "webp"],
)
def test_a_resident_uploads_a_photo_of_each_accepted_type(
    app, client, world, upload, disk, data, content_type, fmt
):
    # The client's header says octet-stream: the type comes from the bytes.
    body = assert_ok(
        upload(world.resident, world.a, data, content_type="application/octet-stream"), 201
    )
    key = body["key"]
    assert len(key) == 32 and int(key, 16) >= 0
    assert files_in(disk) == [disk / key[:2] / key[2:4] / key]
    stored = (disk / key[:2] / key[2:4] / key).read_bytes()
    # What is stored is the photo written anew, and the answer describes those bytes.
    assert decoded(stored).format == fmt
    assert body["content_type"] == content_type
    assert body["size"] == len(stored)
    assert (body["width"], body["height"]) == (3, 2)
    assert client.get(body["url"]).data == stored
    with app.app_context():
        row = db.session.scalar(sa.select(StoredFile).where(StoredFile.key == key))
        assert (row.community_id, row.uploaded_by_id) == (world.a, world.resident)
        assert row.attached is False and row.purpose is None
        assert row.sha256 == hashlib.sha256(stored).hexdigest()
        assert (row.size, row.width, row.height) == (len(stored), 3, 2)


@pytest.mark.parametrize("role", ["committee", "grid_worker", "property_staff", "street_admin"])
def test_everyone_serving_the_community_may_upload(world, upload, role):
    assert_ok(upload(world.user_id(role), world.a), 201)


@pytest.mark.parametrize(
    "data",
    [GIF, "不是照片".encode(), b"<svg xmlns='http://www.w3.org/2000/svg'/>"],
    ids=["gif", "text", "svg"],
)
def test_other_types_are_refused_whatever_the_header_says(world, upload, counts, disk, data):
    with writes_nothing(counts):
        assert_error(upload(world.resident, world.a, data), 422, "photo_type_not_allowed")
    assert files_in(disk) == []


def test_an_empty_file_is_refused(world, upload, counts, disk):
    with writes_nothing(counts):
        assert_error(upload(world.resident, world.a, b""), 422, "photo_missing")
    assert files_in(disk) == []


def test_a_body_without_the_file_field_is_refused(client, world, auth, counts, disk):
    with writes_nothing(counts):
        response = client.post(
            upload_url(world.a),
            data={"other": "x"},
            content_type="multipart/form-data",
            headers=auth(world.resident),
        )
    assert response.status_code == 422


def test_a_photo_over_the_limit_is_refused(app, world, upload, counts, disk, monkeypatch):
    monkeypatch.setitem(app.config, "MAX_PHOTO_BYTES", 1024)
    with writes_nothing(counts):
        body = assert_error(
            upload(world.resident, world.a, PNG + b"\x00" * 1024), 413, "photo_too_large"
        )
    assert "1 KB" in body["message"]
    assert files_in(disk) == []


def test_a_body_far_over_the_limit_is_refused_before_it_is_read(
    app, world, upload, counts, disk, monkeypatch
):
    monkeypatch.setitem(app.config, "MAX_PHOTO_BYTES", 1024)
    with writes_nothing(counts):
        assert_error(
            upload(world.resident, world.a, PNG + b"\x00" * 100_000), 413, "photo_too_large"
        )
    assert files_in(disk) == []


def test_a_photo_may_be_larger_than_other_request_bodies(app, client, world, auth, disk):
    # 3 MiB of noise: past MAX_CONTENT_LENGTH (2 MiB), within MAX_PHOTO_BYTES (5 MiB); the
    # idempotency hook reads the body before the view, so the photo limit must already apply.
    data = encoded(Image.frombytes("RGB", (1024, 1024), os.urandom(3 * 1024 * 1024)), "PNG")
    assert app.config["MAX_CONTENT_LENGTH"] < len(data) <= app.config["MAX_PHOTO_BYTES"]
    response = client.post(
        upload_url(world.a),
        data=as_file(data),
        content_type="multipart/form-data",
        headers={**auth(world.resident), "Idempotency-Key": "photo-1"},
    )
    assert (assert_ok(response, 201)["width"], response.json["height"]) == (1024, 1024)


def test_other_routes_keep_the_smaller_body_limit(client, world, auth):
    response = client.post(
        "/api/v1/communities",
        data=b"{" + b" " * (3 * 1024 * 1024) + b"}",
        content_type="application/json",
        headers=auth(world.system_admin),
    )
    assert_error(response, 413, "payload_too_large")


def test_another_communitys_users_find_nothing_to_upload_to(world, upload, counts, disk):
    with writes_nothing(counts):
        assert_error(upload(world.resident, world.b), 404, "not_found")
        assert_error(upload(world.outsider, world.a), 404, "not_found")
        assert_error(upload(world.resident, 999999), 404, "community_not_found")
    assert files_in(disk) == []


def test_the_auditor_may_not_upload(world, upload, counts):
    with writes_nothing(counts):
        assert_error(upload(world.auditor, world.a), 403, "forbidden")


def test_uploading_needs_a_sign_in(client, world, counts, disk):
    with writes_nothing(counts):
        response = client.post(
            upload_url(world.a), data=as_file(PNG), content_type="multipart/form-data"
        )
    assert_error(response, 401, "token_missing")
    assert files_in(disk) == []


# -- attaching (what a domain's service calls)


def _row(key: str) -> StoredFile:
    return db.session.scalar(sa.select(StoredFile).where(StoredFile.key == key))


def test_attach_photos_marks_the_keys_in_the_callers_transaction(app, world, uploaded):
    first, second = uploaded(world.resident, world.a), uploaded(world.resident, world.a)
    with app.app_context():
        with transaction():
            keys = attach_photos(
                [second, first, second],
                community_id=world.a,
                uploader_id=world.resident,
                purpose="ticket",
            )
        assert keys == [second, first]
        db.session.expire_all()
        assert {(_row(k).attached, _row(k).purpose) for k in keys} == {(True, "ticket")}


def test_attach_photos_does_not_commit_for_the_caller(app, world, uploaded):
    key = uploaded(world.resident, world.a)
    with app.app_context():
        attach_photos([key], community_id=world.a, uploader_id=None, purpose="ticket")
        db.session.rollback()
        assert _row(key).attached is False


def test_attach_photos_refuses_unknown_foreign_and_others_keys(app, world, uploaded, counts):
    mine = uploaded(world.resident, world.a)
    committees = uploaded(world.committee, world.a)
    foreign = uploaded(world.outsider, world.b)
    unknown = "0" * 32
    with app.app_context(), writes_nothing(counts):
        with pytest.raises(InvalidInput) as refused:
            attach_photos(
                [mine, foreign, unknown, committees, "x"],
                community_id=world.a,
                uploader_id=world.resident,
                purpose="ticket",
            )
        db.session.rollback()
    assert refused.value.code == "photo_unknown"
    assert refused.value.errors == {"photos": [foreign, unknown, committees, "x"]}
    assert refused.value.status == 422
    with app.app_context():
        assert _row(mine).attached is False


def test_attach_photos_without_an_uploader_takes_any_key_of_the_community(app, world, uploaded):
    committees = uploaded(world.committee, world.a)
    with app.app_context(), transaction():
        keys = attach_photos(
            [committees], community_id=world.a, uploader_id=None, purpose="ticket_timeline"
        )
    assert keys == [committees]


def test_a_key_attached_again_keeps_its_first_purpose(app, world, uploaded):
    key = uploaded(world.resident, world.a)
    with app.app_context():
        for purpose in ("ticket", "ticket_timeline"):
            with transaction():
                attach_photos([key], community_id=world.a, uploader_id=None, purpose=purpose)
        assert _row(key).purpose == "ticket"


def test_attaching_nothing_is_nothing(app):
    with app.app_context():
        assert attach_photos([], community_id=1, uploader_id=None, purpose="ticket") == []


# -- the purge


def _age(key: str, hours: float) -> None:
    with transaction():
        _row(key).created_at = utcnow() - timedelta(hours=hours)


def test_the_daily_job_purges_old_unattached_files_only(app, world, uploaded, disk):
    (job,) = [job for job in collect_jobs() if job.name == "storage.purge_unattached"]
    assert timedelta(**job.every) == timedelta(days=1)
    abandoned = uploaded(world.resident, world.a)
    used = uploaded(world.resident, world.a)
    fresh = uploaded(world.resident, world.a)
    with app.app_context():
        _age(abandoned, 25)
        _age(used, 25)
        with transaction():
            attach_photos([used], community_id=world.a, uploader_id=None, purpose="ticket")
        _age(fresh, 23)
        assert job.run() == 1
        db.session.expire_all()
        assert _row(abandoned) is None
        assert _row(used) is not None and _row(fresh) is not None
    assert [path.name for path in files_in(disk)] == sorted([used, fresh])


# -- the disk backend


def test_disk_storage_keeps_files_under_random_keys(tmp_path):
    store = DiskStorage(tmp_path)
    first, second = store.save(b"one", "image/png"), store.save(b"two", "image/png")
    assert first != second
    assert store.open(first) == b"one"
    assert (tmp_path / first[:2] / first[2:4] / first).is_file()
    assert [p.name for p in files_in(tmp_path)] == sorted([first, second])  # no temporary left
    store.delete(first)
    store.delete(first)  # already gone: not an error
    with pytest.raises(FileNotFoundError):
        store.open(first)


@pytest.mark.parametrize("key", ["../../etc/passwd", "/etc/passwd", "ab", "G" * 32])
def test_disk_storage_refuses_keys_it_did_not_make(tmp_path, key):
    store = DiskStorage(tmp_path / "root")
    with pytest.raises(FileNotFoundError):
        store.open(key)
    store.delete(key)
