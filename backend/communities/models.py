"""What a community is made of: buildings, units, households, grids, facilities, and the
organisations serving it. The community itself is a tenant (backend/core/tenancy)."""

from __future__ import annotations

from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, backref, mapped_column, relationship

from backend.core.db import Base, Timestamped
from backend.core.tenancy.models import Community

# The register the complete-community facility items (完整居住社区 1–17) are scored on.
FACILITY_KINDS = {
    "community_service_station": "社区综合服务站",
    "kindergarten": "幼儿园",
    "nursery": "托儿所",
    "elderly_service_station": "老年服务站",
    "health_station": "社区卫生服务站",
    "supermarket": "综合超市",
    "express_point": "快递末端综合服务点",
    "convenience_shop": "便民商业网点",
    "public_toilet": "公共厕所",
    "waste_sorting_point": "垃圾分类收集点",
    "micro_fire_station": "微型消防站",
    "parking": "机动车停车位",
    "ev_charging": "电动车停车及充电设施",
    "accessibility": "无障碍设施",
    "public_activity_space": "公共活动场地",
    "public_green_space": "公共绿地",
    "property_office": "物业用房",
    "fitness_equipment": "健身设施",
    "convenience_store": "便利店",
    "publicity_board": "宣传栏（宣传专栏）",
    "other": "其他",
}

ORGANISATION_KINDS = {
    "property_company": "物业服务企业",
    "design_institute": "设计单位",
    "department": "职能部门",
}


class Building(Base, Timestamped):
    not_found = ("未找到该楼栋", "building_not_found")
    __tablename__ = "buildings"
    __table_args__ = (
        sa.UniqueConstraint("community_id", "name"),
        sa.CheckConstraint("floor_area IS NULL OR floor_area >= 0", name="area_not_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    community_id: Mapped[int] = mapped_column(sa.ForeignKey("communities.id"), index=True)
    name: Mapped[str] = mapped_column(sa.String(50))
    floors: Mapped[int | None]
    built_year: Mapped[int | None]
    # Gross floor area (建筑面积, m²): the base of "物业用房 ≥ 2‰ of the building area".
    floor_area: Mapped[Decimal | None]

    # `community.buildings` (a community's detail lists them), declared from this side: the
    # tenancy kernel knows nothing of what a community is made of.
    community: Mapped[Community] = relationship(
        viewonly=True,
        backref=backref("buildings", viewonly=True, order_by="Building.id", lazy="select"),
    )
    units: Mapped[list[Unit]] = relationship(
        back_populates="building",
        # natural order: 2单元 before 10单元
        order_by="(func.length(Unit.name), Unit.name)",
        cascade="all, delete-orphan",
        lazy="selectin",
    )


class Unit(Base, Timestamped):
    not_found = ("未找到该单元", "unit_not_found")
    __tablename__ = "units"
    __table_args__ = (sa.UniqueConstraint("building_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    community_id: Mapped[int] = mapped_column(sa.ForeignKey("communities.id"), index=True)
    building_id: Mapped[int] = mapped_column(
        sa.ForeignKey("buildings.id"), index=True, info={"counted_as": "个单元"}
    )
    name: Mapped[str] = mapped_column(sa.String(50))

    building: Mapped[Building] = relationship(back_populates="units")


class Household(Base, Timestamped):
    """One 户: a room of a unit, with the exclusive floor area that counts in owners' decisions."""

    not_found = ("未找到该房屋", "household_not_found")
    __tablename__ = "households"
    __table_args__ = (
        sa.UniqueConstraint("unit_id", "room"),
        sa.CheckConstraint("exclusive_area IS NULL OR exclusive_area > 0", name="area_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    community_id: Mapped[int] = mapped_column(sa.ForeignKey("communities.id"), index=True)
    building_id: Mapped[int] = mapped_column(
        sa.ForeignKey("buildings.id"), index=True, info={"counted_as": "户房屋"}
    )
    unit_id: Mapped[int] = mapped_column(
        sa.ForeignKey("units.id"), index=True, info={"counted_as": "户房屋"}
    )
    room: Mapped[str] = mapped_column(sa.String(20))
    exclusive_area: Mapped[Decimal | None]
    # Who holds the title, as the committee's register names them (e.g. a certificate number).
    # Households sharing a ref are one owner by head (judicial interpretation: all units of one
    # owner, and a developer's unsold units, count once); a co-owned unit is still one ref.
    owner_ref: Mapped[str | None] = mapped_column(sa.String(64), index=True)

    unit: Mapped[Unit] = relationship(lazy="joined", innerjoin=True)
    building: Mapped[Building] = relationship(lazy="joined", innerjoin=True)


grid_buildings = sa.Table(
    "grid_buildings",
    Base.metadata,
    sa.Column("grid_id", sa.ForeignKey("grids.id", ondelete="CASCADE"), primary_key=True),
    sa.Column(
        "building_id",
        sa.ForeignKey("buildings.id"),
        primary_key=True,
        info={"counted_as": "个网格"},
    ),
)


class GridWorker(Base):
    """A grid worker (a user holding the grid_worker role in the community) assigned to a grid."""

    __tablename__ = "grid_workers"

    grid_id: Mapped[int] = mapped_column(
        sa.ForeignKey("grids.id", ondelete="CASCADE"), primary_key=True
    )
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"), primary_key=True, index=True)


class Grid(Base, Timestamped):
    """A 网格: the buildings one or more grid workers patrol."""

    not_found = ("未找到该网格", "grid_not_found")
    __tablename__ = "grids"
    __table_args__ = (sa.UniqueConstraint("community_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    community_id: Mapped[int] = mapped_column(sa.ForeignKey("communities.id"), index=True)
    name: Mapped[str] = mapped_column(sa.String(50))

    buildings: Mapped[list[Building]] = relationship(
        secondary=grid_buildings, order_by="Building.name"
    )
    workers: Mapped[list[GridWorker]] = relationship(
        cascade="all, delete-orphan", order_by="GridWorker.user_id"
    )

    @property
    def worker_ids(self) -> list[int]:
        return [worker.user_id for worker in self.workers]


class Facility(Base, Timestamped):
    not_found = ("未找到该设施", "facility_not_found")
    __tablename__ = "facilities"
    __table_args__ = (
        sa.CheckConstraint("floor_area IS NULL OR floor_area >= 0", name="area_not_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    community_id: Mapped[int] = mapped_column(sa.ForeignKey("communities.id"), index=True)
    kind: Mapped[str] = mapped_column(sa.String(40), index=True)
    name: Mapped[str] = mapped_column(sa.String(100))
    floor_area: Mapped[Decimal | None]
    notes: Mapped[str | None] = mapped_column(sa.String(500))


class Organisation(Base, Timestamped):
    """A property company, design institute or department that serves communities."""

    __tablename__ = "organisations"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(sa.String(32), unique=True)
    name: Mapped[str] = mapped_column(sa.String(100))
    kind: Mapped[str] = mapped_column(sa.String(32))


class ServiceArea(Base, Timestamped):
    """An organisation serves a community: all of it, or the buildings listed."""

    __tablename__ = "service_areas"
    __table_args__ = (sa.UniqueConstraint("organisation_id", "community_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(sa.ForeignKey("organisations.id"), index=True)
    community_id: Mapped[int] = mapped_column(sa.ForeignKey("communities.id"), index=True)

    organisation: Mapped[Organisation] = relationship(lazy="joined", innerjoin=True)
    buildings: Mapped[list[Building]] = relationship(
        secondary="service_area_buildings", order_by="Building.name"
    )


service_area_buildings = sa.Table(
    "service_area_buildings",
    Base.metadata,
    sa.Column(
        "service_area_id", sa.ForeignKey("service_areas.id", ondelete="CASCADE"), primary_key=True
    ),
    sa.Column(
        "building_id",
        sa.ForeignKey("buildings.id"),
        primary_key=True,
        info={"counted_as": "个物业服务范围"},
    ),
)
