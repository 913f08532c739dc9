"""How personal identifiers are shown: masked, the way Chinese apps and banks show them."""

from __future__ import annotations


def mask_phone(phone: str | None) -> str | None:
    """`13800000000` -> `138****0000`: enough for the owner to recognise their number, not
    enough for anyone else to call it. Numbers of other lengths keep at most 3 + 4 digits."""
    if not phone:
        return None
    digits = phone.strip()
    if len(digits) >= 8:
        return f"{digits[:3]}****{digits[-4:]}"
    return "*" * max(len(digits) - 2, 2) + digits[-2:]
