"""The registry of personal data: what each package holds about a person, how it shows it in the
person's export and how it forgets it when they erase their account (PIPL arts. 45 and 47).

Each package holding personal data lists it in `privacy.py` as `PERSONAL_DATA = [PersonalData(...)]`,
like its jobs and metrics; `registry()` collects them from `PACKAGES`. A registration names the
models it answers for (a test fails on a table with a user column no registration names), the
piece of the export it adds under its `key`, and how erasure treats its rows:

- `DELETE`: the rows go;
- `ANONYMISE`: the rows stay, nothing left on them says who the person was;
- `KEEP`: the rows stay as they are (the user row they point at is anonymised), for the reason
  `kept`, in Chinese, which a keeping registration must state.

A registration that deletes or anonymises some rows and keeps others says why in `kept` too.

The export shows a person's rows with `rows_of(Model.user_column)` and documents them with
`shown(Model, "column column …")`, typed from the model, so the export cannot say a column is
other than it is.

Order, explicit: exported in `PACKAGES` order; forgotten in the reverse (`forgetting_order`),
since the upper layers' records refer to the lower layers' (a ticket to its photos), except the
package the caller names `last`: the account itself (accounts) is blanked once every other
package has forgotten what it holds.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from datetime import datetime
from enum import StrEnum
from importlib import import_module
from importlib.util import find_spec
from typing import Any

import marshmallow as ma
import sqlalchemy as sa
from sqlalchemy.orm import Session

from backend.core.db import db
from backend.core.schemas import DecimalString
from backend.packages import PACKAGES

# What is left of a name on a record that outlives the account.
ERASED_NAME = "已注销用户"


class Treatment(StrEnum):
    DELETE = "delete"
    ANONYMISE = "anonymise"
    KEEP = "keep"


@dataclass
class Erasure:
    """One account being forgotten, inside the erasure's transaction.

    Effects outside the database (a file's bytes) wait for the commit: `after_commit(effect)`;
    a rolled back erasure leaves them in place.
    """

    user_id: int
    at: datetime
    session: Session
    _after_commit: list[Callable[[], None]] = field(default_factory=list)

    def after_commit(self, effect: Callable[[], None]) -> None:
        self._after_commit.append(effect)


@dataclass(frozen=True)
class PersonalData:
    """One kind of personal data a package holds.

    `export(user_id)` returns the person's rows, dumped by `field` (which also documents them in
    the export's schema); both are None for data that is not shown (a work record kept for the
    community, already told in the person's activity). `forget(erasure)` runs in the erasure's
    transaction; None when the rows are kept as they are.
    """

    key: str
    models: tuple[type, ...]
    treatment: Treatment
    export: Callable[[int], Any] | None = None
    # Or what builds it once every model is mapped (`shown`).
    field: ma.fields.Field | Callable[[], ma.fields.Field] | None = None
    forget: Callable[[Erasure], None] | None = None
    kept: str | None = None
    # Set by `registry()`: the package that registered it.
    package: str = ""

    def __post_init__(self):
        if (self.export is None) != (self.field is None):
            raise ValueError(f"{self.key}: an export needs its field, and a field its export")
        if self.treatment is Treatment.KEEP and not self.kept:
            raise ValueError(f"{self.key}: kept data must say why (kept)")
        if self.treatment is not Treatment.KEEP and self.forget is None:
            raise ValueError(f"{self.key}: {self.treatment} needs a forget")


def registry(packages: Iterable[str] | None = None) -> list[PersonalData]:
    """Every package's registrations, in `PACKAGES` order (packages default to the app's)."""
    if packages is None:
        packages = PACKAGES
    registrations: list[PersonalData] = []
    keys: set[str] = set()
    for package in packages:
        module_name = f"backend.{package}.privacy"
        if find_spec(module_name) is None:
            continue
        for registration in import_module(module_name).PERSONAL_DATA:
            if registration.key in keys:
                raise ValueError(f"two registrations of personal data are named {registration.key}")
            keys.add(registration.key)
            registrations.append(replace(registration, package=package))
    return registrations


def forgetting_order(registrations: list[PersonalData], last: str = "") -> list[PersonalData]:
    """Upper layers first, then the package `last` (see the module's docstring)."""
    upper_first = list(reversed(registrations))
    return [r for r in upper_first if r.package != last] + [
        r for r in upper_first if r.package == last
    ]


def export(user_id: int, registrations: list[PersonalData] | None = None) -> dict[str, Any]:
    """Each registration's piece of the person's export, by key (rows, for `export_fields`)."""
    if registrations is None:
        registrations = registry()
    return {r.key: r.export(user_id) for r in registrations if r.export is not None}


def export_fields(registrations: list[PersonalData] | None = None) -> dict[str, ma.fields.Field]:
    """The fields that dump and document each piece, for the export's schema."""
    if registrations is None:
        registrations = registry()
    return {
        r.key: copy.deepcopy(r.field) if isinstance(r.field, ma.fields.Field) else r.field()
        for r in registrations
        if r.field is not None
    }


def forget(
    erasure: Erasure, *, last: str = "", registrations: list[PersonalData] | None = None
) -> None:
    """Every registration forgets the person, in `forgetting_order`, in the caller's transaction.
    The caller runs `erasure`'s after-commit effects once it has committed (`finish`)."""
    if registrations is None:
        registrations = registry()
    for registration in forgetting_order(registrations, last):
        if registration.forget is not None:
            registration.forget(erasure)


def finish(erasure: Erasure) -> None:
    """The effects that waited for the commit (a failing one is the effect's to log)."""
    for effect in erasure._after_commit:
        effect()


# -- helpers for the registrations

# A JSON column of photos: the keys of the stored files.
PHOTOS = ma.fields.List(ma.fields.String())


# The export's field for a column, by the column's type (the first that matches).
_FIELD_BY_TYPE: tuple[tuple[type, Callable[..., ma.fields.Field]], ...] = (
    (sa.Boolean, ma.fields.Boolean),
    (sa.Integer, ma.fields.Integer),
    (sa.Numeric, DecimalString),
    (sa.DateTime, ma.fields.DateTime),
    (sa.Date, ma.fields.Date),
    (sa.String, ma.fields.String),
)


def _column_type(column: sa.Column) -> sa.types.TypeEngine:
    kind = column.type
    # A foreign key column written without a type takes the type of the column it points at.
    if isinstance(kind, sa.types.NullType) and column.foreign_keys:
        kind = next(iter(column.foreign_keys)).column.type
    if isinstance(kind, sa.types.TypeDecorator):
        kind = kind.impl_instance
    return kind


def shown(model: type, names: str, **fields: ma.fields.Field) -> Callable[[], ma.fields.Field]:
    """The export's list of a person's `model` rows with the columns `names` (space-separated),
    each typed as the model maps it and nullable where the column is, documented as the schema
    `Export<Model>`. `fields` give what a column's type cannot say (what a JSON column holds, a
    description) or a value that is no column; each must be one of `names`.

    Built when the export's schema is, once every model is mapped: a foreign key column takes
    its type from the table it points at."""
    unnamed = set(fields) - set(names.split())
    if unnamed:
        raise ValueError(f"{model.__name__}: {sorted(unnamed)} are not among the names shown")

    def build() -> ma.fields.Field:
        columns = sa.inspect(model).columns
        built: dict[str, ma.fields.Field] = {}
        for name in names.split():
            if name in fields:
                # A copy: one field object may serve several registrations (PHOTOS).
                built[name] = copy.deepcopy(fields[name])
                continue
            column = columns[name]
            kind = _column_type(column)
            make = next((make for base, make in _FIELD_BY_TYPE if isinstance(kind, base)), None)
            if make is None:
                raise ValueError(f"{model.__name__}.{name}: say how the export shows a {kind}")
            built[name] = make(allow_none=True) if column.nullable else make()
        schema = ma.Schema.from_dict(built, name=f"Export{model.__name__}")
        return ma.fields.List(ma.fields.Nested(schema))

    return build


def rows_of(column, *order_by) -> Callable[[int], list]:
    """The rows whose `column` (a user id) is the person's, oldest first (or by `order_by`)."""
    model = column.class_

    def load(user_id: int) -> list:
        order = order_by or tuple(model.__mapper__.primary_key)
        return list(db.session.scalars(sa.select(model).where(column == user_id).order_by(*order)))

    return load


def delete_rows(*columns) -> Callable[[Erasure], None]:
    """Forget by deleting the rows whose `column` is the person's, for each column in turn."""

    def forget_rows(erasure: Erasure) -> None:
        for column in columns:
            erasure.session.execute(sa.delete(column.class_).where(column == erasure.user_id))

    return forget_rows
