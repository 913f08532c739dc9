"""Who may store files for a community. Reading needs no policy: any signed-in user who holds
a key may read it (see services.py)."""

from backend.core.permissions import EVERY_MEMBER, Policy

policy = Policy(
    "storage",
    {
        # Everyone who works or lives there may attach a photo to something.
        "storage.upload": EVERY_MEMBER,
    },
)
