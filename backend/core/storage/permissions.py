"""Who may store files for a community. Reading needs no policy: a signed link is the
permission, handed out by the domain that let its reader see the photo (see links.py)."""

from backend.core.permissions import EVERY_MEMBER, Policy

policy = Policy(
    "storage",
    {
        # Everyone who works or lives there may attach a photo to something.
        "storage.upload": EVERY_MEMBER,
    },
)
