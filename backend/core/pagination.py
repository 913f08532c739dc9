"""Paging of SQLAlchemy 2.0 selects for `@blp.paginate(SelectPage)`.

The view returns a `Select`; the page counts it and fetches one slice. Metadata goes to the
`X-Pagination` header, so list bodies stay plain arrays.

flask-smorest bounds `page_size` (each view's `max_page_size`) but not `page`: a page near 2**63
overflowed the driver's OFFSET (500). No list holds more rows than a table's integer ids, so
`page` stops at MAX_PAGE (422 past it); backend/core/docs.py shows the maximum in the OpenAPI
document.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from flask_smorest import Page

from backend.core.db import db
from backend.core.errors import InvalidInput
from backend.core.schemas import MAX_ROW_ID

MAX_PAGE = MAX_ROW_ID


class SelectPage(Page):
    def __init__(self, collection, page_params):
        if page_params.page > MAX_PAGE:
            raise InvalidInput(errors={"query": {"page": [f"页码最大为 {MAX_PAGE}"]}})
        super().__init__(collection, page_params)

    @property
    def select(self) -> sa.Select:
        return self.collection

    @property
    def item_count(self) -> int:
        counted = sa.select(sa.func.count()).select_from(self.select.order_by(None).subquery())
        return db.session.scalar(counted)

    @property
    def items(self) -> list:
        return list(db.session.scalars(self.window()))

    def window(self) -> sa.Select:
        return self.select.offset(self.page_params.first_item).limit(
            self.page_params.page_size
        )


class RowPage(SelectPage):
    """A page of plain rows, as mappings: for selects with no single entity (a UNION)."""

    @property
    def items(self) -> list:
        return list(db.session.execute(self.window()).mappings())


@dataclass(frozen=True)
class Presented:
    """A select and how each of its entities is shown to the caller: for lists whose fields
    depend on who reads them (the rule stays in the service that builds `present`). `prepare`,
    when given, reads once for the whole page what `present` needs of each entity (no query
    per row)."""

    select: sa.Select
    present: Callable[[Any], Any]
    prepare: Callable[[list], None] | None = None


class PresentedPage(SelectPage):
    """A page of a `Presented` select: each entity passed through its `present`."""

    @property
    def select(self) -> sa.Select:
        return self.collection.select

    @property
    def items(self) -> list:
        rows = list(db.session.scalars(self.window()))
        if self.collection.prepare is not None:
            self.collection.prepare(rows)
        return [self.collection.present(row) for row in rows]
