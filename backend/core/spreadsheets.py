"""What every export guards against: text a spreadsheet would run as a formula (CSV injection),
and characters no file system takes in a download's name."""

from __future__ import annotations

import re

# A cell starting with one of these is a formula to Excel and WPS (OWASP CSV injection).
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
# Characters no file system takes in a name, and control characters.
UNSAFE_IN_NAME = re.compile(r'[\\/:*?"<>|\x00-\x1f\x7f]')


def safe_file_name(name: str, fallback: str) -> str:
    return UNSAFE_IN_NAME.sub("_", name).strip() or fallback
