"""Guards on the schemas every view reads and answers with, walked from the app's views (nested
schemas, lists and dicts followed): what the schemas promise holds for each new field."""

from __future__ import annotations

import re

import marshmallow as ma
import pytest

from backend.core.schemas import DecimalString, StorableTextSchema, StrictSchema

# Inputs that are not StrictSchema, so neither refuse unknown fields nor NUL and lone
# surrogates. WeChat's own query arguments: the WeChat push part of issue 16 owns them.
# What another party sends us with parameters of its own: WeChat's push adds some (openid), and
# refusing them would only make it push again. Its text is refused all the same.
IGNORES_UNKNOWN = {"PushQuerySchema", "PushVerifyQuerySchema"}


def _views(app):
    for endpoint, function in app.view_functions.items():
        view_class = getattr(function, "view_class", None)
        if view_class is None:
            yield endpoint, function
            continue
        for method in view_class.methods or ():
            yield f"{method} {endpoint}", getattr(view_class, method.lower())


def _schema(schema) -> ma.Schema:
    return schema() if isinstance(schema, type) else schema


def _inputs(app):
    for name, view in _views(app):
        for argument in getattr(view, "_apidoc", {}).get("arguments", {}).get("parameters", []):
            yield name, _schema(argument["schema"])


def _outputs(app):
    for name, view in _views(app):
        responses = getattr(view, "_apidoc", {}).get("response", {}).get("responses", {})
        for documented in responses.values():
            for response in documented:
                if isinstance(response, dict) and isinstance(
                    response.get("schema"), ma.Schema | type
                ):
                    yield name, _schema(response["schema"])


def _fields(schema: ma.Schema):
    """Every field of a schema and of what it nests, lists and maps (a stack, no recursion)."""
    pending, seen = list(schema.fields.values()), set()
    while pending:
        field = pending.pop()
        if id(field) in seen:
            continue
        seen.add(id(field))
        yield field
        if isinstance(field, ma.fields.Nested) and isinstance(field.schema, ma.Schema):
            pending.extend(field.schema.fields.values())
        for inner in ("inner", "value_field", "key_field"):
            if getattr(field, inner, None) is not None:
                pending.append(getattr(field, inner))


def test_every_input_refuses_unknown_fields_and_text_no_database_can_keep(app):
    loose = {
        f"{name}: {type(schema).__name__}"
        for name, schema in _inputs(app)
        if isinstance(schema, ma.Schema)
        and not isinstance(
            schema,
            StorableTextSchema if type(schema).__name__ in IGNORES_UNKNOWN else StrictSchema,
        )
        # flask-smorest's own, for page and page_size: integers only.
        and type(schema).__name__ != "PaginationParametersSchema"
    }
    assert loose == set()


@pytest.mark.parametrize("walk", [_inputs, _outputs], ids=["inputs", "outputs"])
def test_every_decimal_is_a_decimal_string(app, walk):
    """A JSON number would round an area or a score; a Decimal field dumping strings while the
    document says number broke the schema (the scoring totals, found by the fuzzer)."""
    plain = {
        f"{name}: {type(schema).__name__}.{field.name}"
        for name, schema in walk(app)
        for field in _fields(schema)
        if isinstance(field, ma.fields.Decimal) and not isinstance(field, DecimalString)
    }
    assert plain == set()


def test_scores_are_sent_as_the_decimal_strings_the_document_describes(client, world, auth):
    from tests.core.test_bad_input import SPEC

    documented = SPEC["components"]["schemas"]["StandardSummary"]["properties"]["max_points"]
    assert (documented["type"], documented["format"]) == ("string", "decimal")
    standards = client.get("/api/v1/standards", headers=auth(world.committee)).get_json()
    assert standards
    for standard in standards:
        for name in ("max_points", "passing_points"):
            assert isinstance(standard[name], str)
            assert re.fullmatch(documented["pattern"], standard[name]), standard[name]
