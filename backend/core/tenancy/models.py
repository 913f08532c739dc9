"""The tenants: regions (province › city › district › street) and the communities below them.

What a community is made of (buildings, households, grids, facilities) lives in the communities
package, which points here; nothing here knows of it.
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from backend.core.db import Base, Timestamped

REGION_LEVELS = ("province", "city", "district", "street")


class Region(Base, Timestamped):
    """A node of province › city › district › street."""

    __tablename__ = "regions"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(sa.String(32), unique=True)
    name: Mapped[str] = mapped_column(sa.String(100))
    level: Mapped[str] = mapped_column(sa.String(16))
    parent_id: Mapped[int | None] = mapped_column(sa.ForeignKey("regions.id"), index=True)
    # "/1/4/9/": ancestry checks (is this street inside that district?) are a prefix test.
    path: Mapped[str] = mapped_column(sa.String(255), index=True, default="")

    parent: Mapped[Region | None] = relationship(remote_side="Region.id")


class Community(Base, Timestamped):
    __tablename__ = "communities"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(sa.String(32), unique=True)
    name: Mapped[str] = mapped_column(sa.String(100), index=True)
    region_id: Mapped[int] = mapped_column(sa.ForeignKey("regions.id"), index=True)
    timezone: Mapped[str] = mapped_column(sa.String(64), default="Asia/Shanghai")
    address: Mapped[str | None] = mapped_column(sa.String(255))

    region: Mapped[Region] = relationship(lazy="joined", innerjoin=True)

    @property
    def region_path(self) -> str:
        return self.region.path

    @property
    def street_name(self) -> str:
        return self.region.name
