"""The two wire formats of GeoReport v2, and the documented shape of its JSON.

Open311 answers lists: JSON is a top-level array of objects, XML a root element holding one
element per item (`<services><service>…`), and the fields keep the order the specification
lists. In XML, a missing value is an empty element and booleans are `true`/`false`; in JSON
they are `null` and JSON booleans. ElementTree escapes text (`<`, `&`, `>`), so a description
can never break the document.
"""

from __future__ import annotations

import json
from xml.etree import ElementTree as ET

import marshmallow as ma
from flask import Response

FORMATS = ("json", "xml")
CONTENT_TYPES = {
    "json": "application/json; charset=utf-8",
    "xml": "text/xml; charset=utf-8",
}
# XML names of the items of a nested list (the service definition's attributes and values).
ITEM_NAMES = {"attributes": "attribute", "values": "value"}


def _text(value) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _fill(element: ET.Element, value) -> None:
    if isinstance(value, dict):
        for name, inner in value.items():
            _fill(ET.SubElement(element, name), inner)
    elif isinstance(value, list):
        item = ITEM_NAMES.get(element.tag, "item")
        for inner in value:
            _fill(ET.SubElement(element, item), inner)
    else:
        element.text = _text(value)


def to_xml(root: str, item: str | None, data) -> bytes:
    """`data` under `<root>`: a list as one `<item>` per element, a dict as its fields."""
    element = ET.Element(root)
    if item is None:
        _fill(element, data)
    else:
        for row in data:
            _fill(ET.SubElement(element, item), row)
    return ET.tostring(element, encoding="utf-8", xml_declaration=True)


def render(fmt: str, data, *, root: str, item: str | None, status: int = 200) -> Response:
    """An Open311 answer in `fmt`: JSON as it is, XML under `root` (and `item` per row)."""
    if fmt == "xml":
        body = to_xml(root, item, data)
    else:
        body = json.dumps(data, ensure_ascii=False).encode()
    return Response(body, status=status, content_type=CONTENT_TYPES[fmt])


def render_error(fmt: str, status: int, description: str) -> Response:
    """Open311's error list: `[{"code", "description"}]`, `<errors><error>…</error></errors>`."""
    errors = [{"code": status, "description": description}]
    return render(fmt, errors, root="errors", item="error", status=status)


# ---------------------------------------------------------------- documentation (JSON shapes)


class Open311ErrorSchema(ma.Schema):
    """One Open311 error; the body is a list of them (XML: `<errors><error>…`)."""

    code = ma.fields.Integer(
        validate=ma.validate.Range(min=400, max=599),
        metadata={
            "description": "The HTTP status: 400, 403 or 404 from the views; 405, 413, 429 "
            "or 5xx from around them"
        },
    )
    description = ma.fields.String(metadata={"description": "简体中文说明"})


class Open311ServiceSchema(ma.Schema):
    service_code = ma.fields.String(metadata={"description": "问题类别代码"})
    service_name = ma.fields.String()
    description = ma.fields.String(metadata={"description": "类别名称及本社区的响应、办理时限"})
    metadata = ma.fields.Boolean(metadata={"description": "Always false: no extra attributes"})
    type = ma.fields.String(metadata={"enum": ["realtime"]})
    keywords = ma.fields.String()
    group = ma.fields.String(metadata={"description": "时限类别：紧急、水电气热、一般、复杂"})


class Open311ServiceDefinitionSchema(ma.Schema):
    service_code = ma.fields.String()
    attributes = ma.fields.List(
        ma.fields.Dict(), metadata={"description": "Always empty: no extra attributes"}
    )


class Open311RequestCreatedSchema(ma.Schema):
    service_request_id = ma.fields.String()
    service_notice = ma.fields.String(allow_none=True)
    account_id = ma.fields.String(allow_none=True)


def _nullable_string(description: str | None = None):
    metadata = {"description": description} if description else {}
    return ma.fields.String(allow_none=True, metadata=metadata)


class Open311RequestSchema(ma.Schema):
    """A ticket as the public may see it: no personal data, no precise point."""

    service_request_id = ma.fields.String()
    status = ma.fields.String(metadata={"enum": ["open", "closed"]})
    status_notes = _nullable_string("我们的状态名称；办结时附处理答复，不予受理时附原因")
    service_name = ma.fields.String()
    service_code = ma.fields.String()
    description = ma.fields.String()
    agency_responsible = _nullable_string("处理单位")
    service_notice = _nullable_string()
    requested_datetime = ma.fields.String(metadata={"format": "date-time"})
    updated_datetime = ma.fields.String(metadata={"format": "date-time"})
    expected_datetime = _nullable_string("办理时限")
    address = _nullable_string("楼栋、单元或位置说明")
    address_id = _nullable_string("楼栋编号")
    zipcode = _nullable_string()
    lat = ma.fields.Float(allow_none=True, metadata={"description": "Always null"})
    long = ma.fields.Float(allow_none=True, metadata={"description": "Always null"})
    media_url = _nullable_string("Always null")
