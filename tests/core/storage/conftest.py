"""The upload fixtures of tests/core/test_storage.py, for the storage tests kept here."""

from tests.core.test_storage import disk, upload, uploaded  # noqa: F401
