"""What the community register measures for scoring: households, property service coverage, the buildings' gross floor area, and the facility register by kind.

All of these are a state, not a flow: they are counted on the register as it stands when the
measurement runs, whatever the period (the committee keeps one register, not its history). Each
value is one set-based query over all the communities asked for.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import ROUND_HALF_UP, Decimal

import sqlalchemy as sa

from backend.communities.models import (
    FACILITY_KINDS,
    Building,
    Facility,
    Household,
    Organisation,
    ServiceArea,
    service_area_buildings,
)
from backend.core.db import db
from backend.core.metrics import (
    Communities,
    Evidence,
    EvidenceByCommunity,
    Metric,
    Period,
    Value,
    evidence_by_community,
    first_per_community,
    values_by_community,
)

CENT = Decimal("0.01")
ZERO_AREA = Decimal("0.00")
# Every kind of the register but the catch-all: a standard item names a kind it asks for.
MEASURED_FACILITY_KINDS = {kind: label for kind, label in FACILITY_KINDS.items() if kind != "other"}


def _area_words(area: Decimal | None) -> str:
    return "面积未登记" if area is None else f"{area:.2f} 平方米"


# ---------------------------------------------------------------- households and residents


def households(community_ids: Communities, period: Period) -> dict[int, Value]:
    rows = db.session.execute(
        sa.select(Household.community_id, sa.func.count(Household.id))
        .where(Household.community_id.in_(community_ids))
        .group_by(Household.community_id)
    )
    return values_by_community(community_ids, 0, rows)


# ---------------------------------------------------------------- property service coverage


def _property_companies(query: sa.Select, community_ids: Sequence[int]) -> sa.Select:
    """`query` (over service areas) limited to property companies serving `community_ids`."""
    return query.join(Organisation, Organisation.id == ServiceArea.organisation_id).where(
        ServiceArea.community_id.in_(community_ids), Organisation.kind == "property_company"
    )


def _served_buildings(community_ids: Sequence[int]) -> sa.Select:
    """Ids of the buildings a property company serves: every building of a community that a
    company serves whole (no buildings listed), and the buildings listed by the others."""
    listed = sa.select(service_area_buildings.c.building_id).where(
        service_area_buildings.c.service_area_id == ServiceArea.id
    )
    whole = _property_companies(
        sa.select(Building.id).join(ServiceArea, ServiceArea.community_id == Building.community_id),
        community_ids,
    ).where(~listed.exists())
    named = _property_companies(
        sa.select(service_area_buildings.c.building_id).join(
            ServiceArea, ServiceArea.id == service_area_buildings.c.service_area_id
        ),
        community_ids,
    )
    return sa.union(whole, named)


def property_service_coverage(community_ids: Communities, period: Period) -> dict[int, Value]:
    # One household is served once, however many companies serve its building: the test is
    # whether its building is among the served ones, not a join per company.
    served = Household.building_id.in_(_served_buildings(community_ids))
    rows = db.session.execute(
        sa.select(
            Household.community_id,
            sa.func.count(Household.id),
            sa.func.count(Household.id).filter(served),
        )
        .where(Household.community_id.in_(community_ids))
        .group_by(Household.community_id)
    )
    return values_by_community(
        community_ids,
        None,
        (
            (
                community_id,
                (Decimal(served_count) * 100 / Decimal(total)).quantize(CENT, ROUND_HALF_UP),
            )
            for community_id, total, served_count in rows
        ),
    )


def property_service_evidence(community_ids: Communities, period: Period) -> EvidenceByCommunity:
    listed = (
        sa.select(sa.func.count())
        .select_from(service_area_buildings)
        .where(service_area_buildings.c.service_area_id == ServiceArea.id)
        .scalar_subquery()
    )
    query = _property_companies(
        sa.select(ServiceArea.community_id, Organisation.id, Organisation.name, listed),
        community_ids,
    )
    rows = db.session.execute(first_per_community(query, [Organisation.name, Organisation.id]))
    return evidence_by_community(
        community_ids,
        (
            (
                community_id,
                Evidence(
                    "organisation",
                    organisation_id,
                    f"{name}（{f'{buildings} 栋楼' if buildings else '全社区'}）",
                ),
            )
            for community_id, organisation_id, name, buildings in rows
        ),
    )


# ---------------------------------------------------------------- building floor area


def building_floor_area(community_ids: Communities, period: Period) -> dict[int, Value]:
    rows = db.session.execute(
        sa.select(
            Building.community_id,
            sa.func.sum(Building.floor_area),
            sa.func.count(Building.id),
            sa.func.count(Building.floor_area),
        )
        .where(Building.community_id.in_(community_ids))
        .group_by(Building.community_id)
    )
    # One building without its area makes the total unknown: a partial sum would understate
    # the base of a per-mille requirement and pass it wrongly.
    return values_by_community(
        community_ids,
        None,
        (
            (community_id, Decimal(total).quantize(CENT) if recorded == buildings else None)
            for community_id, total, buildings, recorded in rows
        ),
    )


def building_floor_area_evidence(
    community_ids: Communities, period: Period
) -> EvidenceByCommunity:
    # Buildings without an area first: they are what keeps the total unknown.
    query = sa.select(Building.community_id, Building.id, Building.name, Building.floor_area).where(
        Building.community_id.in_(community_ids)
    )
    rows = db.session.execute(
        first_per_community(
            query, [Building.floor_area.is_not(None), sa.func.length(Building.name), Building.name]
        )
    )
    return evidence_by_community(
        community_ids,
        (
            (community_id, Evidence("building", id_, f"{name}（{_area_words(area)}）"))
            for community_id, id_, name, area in rows
        ),
    )


# ---------------------------------------------------------------- the facility register


def facility_area(kind: str):
    def compute(community_ids: Communities, period: Period) -> dict[int, Value]:
        rows = db.session.execute(
            sa.select(Facility.community_id, sa.func.sum(Facility.floor_area))
            .where(Facility.community_id.in_(community_ids), Facility.kind == kind)
            .group_by(Facility.community_id)
        )
        return values_by_community(
            community_ids,
            ZERO_AREA,
            (
                (community_id, ZERO_AREA if total is None else Decimal(total).quantize(CENT))
                for community_id, total in rows
            ),
        )

    return compute


def facility_count(kind: str):
    def compute(community_ids: Communities, period: Period) -> dict[int, Value]:
        rows = db.session.execute(
            sa.select(Facility.community_id, sa.func.count(Facility.id))
            .where(Facility.community_id.in_(community_ids), Facility.kind == kind)
            .group_by(Facility.community_id)
        )
        return values_by_community(community_ids, 0, rows)

    return compute


def facility_evidence(kind: str):
    def evidence(community_ids: Communities, period: Period) -> EvidenceByCommunity:
        query = sa.select(
            Facility.community_id, Facility.id, Facility.name, Facility.floor_area
        ).where(Facility.community_id.in_(community_ids), Facility.kind == kind)
        rows = db.session.execute(first_per_community(query, [Facility.name, Facility.id]))
        return evidence_by_community(
            community_ids,
            (
                (community_id, Evidence("facility", id_, f"{name}（{_area_words(area)}）"))
                for community_id, id_, name, area in rows
            ),
        )

    return evidence


REGISTER_WORDS = "按计算时登记册的现状统计（是存量，不是统计期内的增量），与统计期无关。"

METRICS = [
    Metric(
        name="households",
        title="登记户数",
        unit="户",
        definition=(
            "社区房屋登记册中登记的房屋（户）数量，每个楼栋—单元—房号计 1 户，不论是否有居民认证。"
            + REGISTER_WORDS
        ),
        compute=households,
    ),
    Metric(
        name="property_service_coverage",
        title="物业服务覆盖率",
        unit="%",
        definition=(
            "由物业服务企业服务的楼栋内的登记户数 ÷ 社区全部登记户数 × 100%。物业服务企业指类型"
            "为“物业服务企业”、且为本社区登记了服务范围的单位：服务范围未列楼栋的，服务全社区；"
            "列了楼栋的，只服务所列楼栋。同一楼栋有两家以上企业服务的，其中每户只计 1 次。"
            "四舍五入保留两位小数；社区没有登记户时无数值。" + REGISTER_WORDS
        ),
        compute=property_service_coverage,
        evidence=property_service_evidence,
    ),
    Metric(
        name="building_floor_area",
        title="楼栋总建筑面积",
        unit="平方米",
        definition=(
            "社区登记的全部楼栋的建筑面积之和（平方米，保留两位小数），即“物业用房不低于物业总"
            "建筑面积 2‰”的计算基数。社区没有登记楼栋，或有任一楼栋未登记建筑面积时，无数值"
            "（不以部分楼栋之和代替）。" + REGISTER_WORDS
        ),
        compute=building_floor_area,
        evidence=building_floor_area_evidence,
    ),
    *(
        metric
        for kind, label in MEASURED_FACILITY_KINDS.items()
        for metric in (
            Metric(
                name=f"facility_area_{kind}",
                title=f"{label}面积合计",
                unit="平方米",
                definition=(
                    f"社区设施登记册中类型为“{label}”的设施登记面积之和（平方米，保留两位小数）；"
                    "未登记面积的设施按 0 计入，没有该类设施时为 0。" + REGISTER_WORDS
                ),
                compute=facility_area(kind),
                evidence=facility_evidence(kind),
            ),
            Metric(
                name=f"facility_count_{kind}",
                title=f"{label}数量",
                unit="处",
                definition=(
                    f"社区设施登记册中类型为“{label}”的设施数量，每条登记计 1 处，不论是否登记了"
                    "面积；没有该类设施时为 0。" + REGISTER_WORDS
                ),
                compute=facility_count(kind),
                evidence=facility_evidence(kind),
            ),
        )
    ),
]
