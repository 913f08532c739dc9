"""Subscribe-message data fitted to WeChat's rules before sending.

A template key's type is its name without the trailing digits (`thing1` is a thing). Free text
(thing, phrase, name) is cut to fit; structured values (numbers, times, amounts...) are never
guessed at: one that does not fit raises TemplateDataInvalid naming the key, since a message with
a wrong date is worse than no message.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from backend.core.wechat.client import TemplateDataInvalid

ELLIPSIS = "…"
CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]+")
KEY = re.compile(r"^([a-z_]+?)(\d+)$")
CHINESE = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff]")

_DATE = r"\d{4}(?:年\d{1,2}月\d{1,2}日|[-/.]\d{1,2}[-/.]\d{1,2})"
_TIME = r"(?:[01]?\d|2[0-3]):[0-5]\d(?::[0-5]\d)?"
_DATE_POINT = rf"{_DATE}(?:\s*{_TIME})?"
_TIME_POINT = rf"(?:{_DATE}\s*)?{_TIME}"
_ANY_POINT = rf"(?:{_DATE_POINT}|{_TIME})"

# Structured types: the pattern a whole value must match (after newlines become spaces).
PATTERNS = {
    "number": re.compile(r"^(?=(?:\D*\d){1,32}\D*$)\d+(?:\.\d+)?$"),
    "letter": re.compile(r"^[A-Za-z]{1,32}$"),
    "symbol": re.compile(r"^[!-/:-@\[-`{-~]{1,5}$"),
    "character_string": re.compile(r"^[!-~]{1,32}$"),
    "time": re.compile(rf"^{_TIME_POINT}(?:\s*~\s*{_ANY_POINT})?$"),
    "date": re.compile(rf"^{_DATE_POINT}(?:\s*~\s*{_ANY_POINT})?$"),
    "amount": re.compile(r"^(?=(?:\D*\d){1,10}\D*$)[¥￥$€£]?\d+(?:\.\d+)?元?$"),
    "phone_number": re.compile(r"^[0-9+\-()#*]{1,17}$"),
    "car_number": re.compile(
        r"^(?=.{2,8}$)[\u4e00-\u9fffA-Za-z0-9][A-Za-z0-9]*[\u4e00-\u9fffA-Za-z0-9]$"
    ),
}
# What may be dropped from a structured value without changing it ("京A·12345", "138 0000 0000").
REMOVABLE = {"phone_number": re.compile(r"\s+"), "car_number": re.compile(r"[\s·.\-]+")}


def _cut(value: str, limit: int) -> str:
    return value if len(value) <= limit else value[: limit - 1] + ELLIPSIS


def _thing(value: str) -> str:
    return _cut(value, 20)


def _phrase(value: str) -> str:
    return "".join(CHINESE.findall(value))[:5]


def _name(value: str) -> str:
    # Either only Chinese characters (10) or only letters and symbols (20), never a mix.
    if CHINESE.search(value):
        return "".join(CHINESE.findall(value))[:10]
    return value[:20]


FREE_TEXT: dict[str, Callable[[str], str]] = {"thing": _thing, "phrase": _phrase, "name": _name}


def fit_template_data(data: dict[str, str]) -> dict[str, str]:
    """`data` with every value made valid for its key's type, or TemplateDataInvalid naming
    every key that cannot be."""
    fitted: dict[str, str] = {}
    problems: dict[str, list[str]] = {}
    for key, raw in data.items():
        match = KEY.match(key)
        kind = match.group(1) if match else None
        value = CONTROL.sub(" ", str(raw)).strip()
        if kind in FREE_TEXT:
            value = FREE_TEXT[kind](value).strip()
        elif kind in PATTERNS:
            if kind in REMOVABLE:
                value = REMOVABLE[kind].sub("", value)
            if not PATTERNS[kind].match(value):
                problems[key] = [f"not a valid {kind} value"]
                continue
        else:
            problems[key] = ["unknown template field type"]
            continue
        if not value:
            problems[key] = ["empty after fitting"]
            continue
        fitted[key] = value
    if problems:
        raise TemplateDataInvalid(errors={"data": problems})
    return fitted
