"""The roll a vote is counted on: the households in scope, snapshotted when voting opens."""

from __future__ import annotations

from decimal import Decimal

import sqlalchemy as sa

from backend.communities.models import Household
from backend.consultations.models import Consultation, ConsultationElector
from backend.consultations.services.common import eligible_resident_count, households_in_scope
from backend.core.db import db
from backend.core.errors import Conflict

# How many households an error names at most (the committee fixes the register, then retries).
LISTED = 50


def check_areas_known(consultation: Consultation) -> None:
    """An owners' decision counts areas: every household in scope needs its exclusive area.

    Outcome: 409 `household_area_missing` naming the households without one.
    """
    missing = db.session.scalars(
        sa.select(Household.id)
        .where(Household.id.in_(households_in_scope(consultation)))
        .where(Household.exclusive_area.is_(None))
        .order_by(Household.id)
        .limit(LISTED)
    ).all()
    if missing:
        raise Conflict(
            "范围内有房屋未登记专有部分面积，无法进行业主共同决定，请先补全房屋登记",
            code="household_area_missing",
            errors={"household_ids": list(missing)},
        )


def snapshot_electorate(consultation: Consultation) -> int:
    """Write the roll in one INSERT … SELECT and return how many households it holds.

    Owners by head: households sharing an `owner_ref` get one `owner_no` (dense_rank), a
    household without a ref is an owner of its own.
    """
    owner = sa.func.coalesce(
        Household.owner_ref, sa.literal("#") + sa.cast(Household.id, sa.String)
    )
    source = sa.select(
        sa.literal(consultation.id),
        Household.id,
        Household.building_id,
        Household.unit_id,
        sa.func.dense_rank().over(order_by=owner),
        sa.func.count().over(partition_by=owner) > 1,
        Household.exclusive_area,
    ).where(Household.id.in_(households_in_scope(consultation)))
    db.session.execute(
        sa.insert(ConsultationElector).from_select(
            [
                "consultation_id",
                "household_id",
                "building_id",
                "unit_id",
                "owner_no",
                "shared_owner",
                "area",
            ],
            source,
        )
    )
    if consultation.ballot_per == "resident":
        consultation.eligible_residents = eligible_resident_count(consultation)
    households, heads, area = db.session.execute(
        sa.select(
            sa.func.count(),
            sa.func.count(sa.distinct(ConsultationElector.owner_no)),
            sa.func.coalesce(sa.func.sum(ConsultationElector.area), 0),
        ).where(ConsultationElector.consultation_id == consultation.id)
    ).one()
    consultation.roll_households, consultation.roll_heads = households, heads
    consultation.roll_area = Decimal(area)
    return households
