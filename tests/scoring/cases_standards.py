"""Who may read, upload, change and assign the standards (collected by
tests/scoring/route_cases.py).

The measurements and the shipped standards are public to anyone signed in. An uploaded standard
belongs to its region: its admins (the street admin of the street that uploaded it, the system
admin) change and delete it, and to everyone else it does not exist (404), as a region they do
not administer does not when they upload. Which standards a community is assessed on is read by
everyone of the community and chosen by the street.
"""

from __future__ import annotations

from tests.permission_table import MEMBERS, REGION, REGION_ADMINS, SIGNED_IN, SYSTEM, Case

API = "/api/v1"
ONE = f"{API}/standards/<code>"
SHIPPED = "hlj_green_community"
UPLOADED = "street_a_green"


def shipped(world) -> dict:
    return {"code": SHIPPED}


def uploaded_standard(world, code: str = UPLOADED) -> dict:
    """A params function: a standard street a uploaded (its admin did), committed."""
    from backend.core.db import db
    from backend.scoring.models import UploadedStandard
    from tests.scoring.test_standards import small_standard

    document = small_standard(code)
    db.session.add(
        UploadedStandard(
            code=code,
            name=document["name"],
            region_id=world.street_a,
            version=1,
            document={**document, "version": 1},
            uploaded_by_id=world.street_admin,
        )
    )
    db.session.commit()
    return {"code": code}


def _document(code: str) -> dict:
    from tests.scoring.test_standards import small_standard

    return {"document": small_standard(code)}


CASES = {
    ("GET", f"{API}/metrics"): Case(SIGNED_IN, scope=SYSTEM),
    ("GET", f"{API}/standards"): Case(SIGNED_IN, scope=SYSTEM),
    ("GET", ONE): Case(SIGNED_IN, params=shipped, scope=SYSTEM),
    ("PUT", ONE): Case(
        REGION_ADMINS,
        params=uploaded_standard,
        body=lambda w: _document(UPLOADED),
        scope=REGION,
        denied=404,
    ),
    ("DELETE", ONE): Case(
        REGION_ADMINS,
        status=204,
        params=uploaded_standard,
        scope=REGION,
        denied=404,
    ),
    ("POST", f"{API}/regions/<int:region_id>/standards"): Case(
        REGION_ADMINS,
        status=201,
        params=lambda w: {"region_id": w.street_a},
        body=lambda w: _document("street_a_new"),
        scope=REGION,
        denied=404,
    ),
    ("GET", f"{API}/communities/<int:community_id>/standards"): Case(MEMBERS),
    ("PUT", f"{API}/communities/<int:community_id>/standards"): Case(
        REGION_ADMINS, body={"standards": [SHIPPED]}
    ),
}
