"""Schema pieces shared by every domain."""

from __future__ import annotations

from zoneinfo import available_timezones

import marshmallow as ma
from marshmallow import validate


class StrictSchema(ma.Schema):
    """Input schemas refuse unknown fields: a typo must not be silently dropped."""

    class Meta:
        unknown = ma.RAISE


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


def area(**kwargs):
    """Floor area in m², two decimals, as a string in JSON (exact, never a float)."""
    return ma.fields.Decimal(
        places=2,
        as_string=True,
        validate=validate.Range(min=0, min_inclusive=False, max=99999.99),
        metadata={"example": "89.50"},
        **kwargs,
    )


def choice(options, **kwargs):
    return ma.fields.String(validate=validate.OneOf(list(options)), **kwargs)


def ids(**kwargs):
    return ma.fields.List(
        ma.fields.Integer(validate=validate.Range(min=1)),
        validate=validate.Length(max=500),
        **kwargs,
    )


TIMEZONES = sorted(available_timezones())
