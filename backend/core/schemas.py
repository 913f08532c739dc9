"""Schema pieces shared by every domain."""

from __future__ import annotations

import re
from collections.abc import Mapping
from decimal import Decimal
from zoneinfo import available_timezones

import marshmallow as ma
from marshmallow import validate

# A NUL, which PostgreSQL's text cannot hold, or a lone surrogate (a JSON escape such as
# "\ud800"), which no UTF-8 encoder accepts: no string of the input may hold one.
UNSTORABLE = re.compile("[\x00\ud800-\udfff]")
UNSTORABLE_MESSAGE = "不能包含空字符或无效的 Unicode 字符"


class StorableTextSchema(ma.Schema):
    """An input refusing text no database could keep (UNSTORABLE), in any string of it: values,
    keys, lists, nested objects, query strings. Inputs are StrictSchema; this alone is for what
    another party sends us with parameters of its own (WeChat's push)."""

    @ma.pre_load
    def _refuse_unstorable_text(self, data, **kwargs):
        if isinstance(data, Mapping):
            errors = {
                shown(name): [UNSTORABLE_MESSAGE]
                for name, value in data.items()
                if holds_unstorable(name) or holds_unstorable(value)
            }
            if errors:
                raise ma.ValidationError(errors)
        return data


class StrictSchema(StorableTextSchema):
    """Input schemas refuse unknown fields (a typo must not be silently dropped) and text no
    database could keep (StorableTextSchema)."""

    class Meta:
        unknown = ma.RAISE


def holds_unstorable(value) -> bool:
    """Whether a string anywhere in a JSON-like value (keys included) holds a NUL or a lone
    surrogate. A walk with a stack, not recursion: the input's depth is the sender's choice."""
    pending = [value]
    while pending:
        item = pending.pop()
        if isinstance(item, str):
            if UNSTORABLE.search(item):
                return True
        elif isinstance(item, Mapping):
            pending.extend(item.keys())
            pending.extend(item.values())
        elif isinstance(item, list | tuple):
            pending.extend(item)
    return False


def shown(name):
    """A field name as it may be echoed in an error: a lone surrogate would break the answer."""
    if isinstance(name, str):
        return name.encode("utf-8", "backslashreplace").decode("utf-8")
    return name


def text(max_length: int, *, required: bool = False, allow_none: bool = False, **kwargs):
    """A trimmed, bounded, non-blank string (oversized text is refused, not cut)."""
    return TrimmedString(
        required=required,
        allow_none=allow_none,
        validate=validate.Length(min=1, max=max_length),
        **kwargs,
    )


class TrimmedString(ma.fields.String):
    def _deserialize(self, value, attr, data, **kwargs):
        return super()._deserialize(value, attr, data, **kwargs).strip()


class DecimalString(ma.fields.Decimal):
    """An exact decimal, a string in JSON ("12.50"): never a float, which would round it.

    Documented as a string of format `decimal` with its pattern (registered in create_app), so
    clients keep it exact too and know it is not a JSON number.
    """

    PATTERN = r"^-?[0-9]+(\.[0-9]+)?$"

    def __init__(self, **kwargs):
        kwargs["metadata"] = {"pattern": self.PATTERN, **kwargs.get("metadata", {})}
        super().__init__(as_string=True, **kwargs)


class Area(DecimalString):
    """Floor area in m², exact to two decimals, a string in JSON ("89.50"): never a float."""

    MAX = Decimal("99999.99")

    def __init__(self, **kwargs):
        kwargs["metadata"] = {"example": "89.50", **kwargs.get("metadata", {})}
        super().__init__(places=2, **kwargs)

    def _deserialize(self, value, attr, data, **kwargs):
        if isinstance(value, bool):
            raise self.make_error("invalid")
        area = super()._deserialize(value, attr, data, **kwargs)
        if area is not None and Decimal(str(value).strip()) != area:
            # Areas decide legal thresholds: a third decimal is refused, never rounded away.
            raise ma.ValidationError("must have at most two decimals.")
        if area is not None and not Decimal(0) < area <= self.MAX:
            raise ma.ValidationError(f"must be more than 0 and at most {self.MAX} m².")
        return area


def area(**kwargs) -> Area:
    return Area(**kwargs)


def choice(options, **kwargs):
    return ma.fields.String(validate=validate.OneOf(list(options)), **kwargs)


# The databases' integer range: a larger id would overflow the driver before it could simply
# be not found.
MAX_ROW_ID = 2**31 - 1


def row_id(**kwargs):
    """The id of a row: a positive integer within the databases' integer range."""
    return ma.fields.Integer(validate=validate.Range(min=1, max=MAX_ROW_ID), **kwargs)


def ids(**kwargs):
    return ma.fields.List(
        ma.fields.Integer(validate=validate.Range(min=1, max=MAX_ROW_ID)),
        validate=validate.Length(max=500),
        **kwargs,
    )


def zone_name(**kwargs):
    """An IANA time zone name such as Asia/Shanghai (the community's local time)."""
    return ma.fields.String(
        validate=_known_timezone, metadata={"example": "Asia/Shanghai"}, **kwargs
    )


_TIMEZONES = frozenset(available_timezones())


def _known_timezone(value: str) -> None:
    if value not in _TIMEZONES:
        raise ma.ValidationError("not a known time zone (IANA name such as Asia/Shanghai).")


def https_url(**kwargs):
    """A link users' phones open: https only (the mini-program refuses anything else)."""
    return ma.fields.String(
        validate=[validate.Length(max=1024), validate.URL(schemes={"https"})],
        metadata={"example": "https://files.example.cn/a.jpg"},
        **kwargs,
    )


def photo_urls(**kwargs):
    """Up to nine photos, the most a WeChat image picker hands over at once."""
    return ma.fields.List(https_url(), validate=validate.Length(max=9), **kwargs)


class DocumentSchema(StrictSchema):
    """A document linked to a record: a title and where to read it."""

    title = text(100, required=True)
    url = https_url(required=True)
