"""What accounts measure for scoring: the residents verified in each community.

A state, not a flow, like the register's measurements: counted as it stands when the measurement
runs, whatever the period. One set-based query over all the communities asked for.
"""

from __future__ import annotations

import sqlalchemy as sa

from backend.accounts.models import Membership
from backend.communities.metrics import REGISTER_WORDS
from backend.core.auth import Role
from backend.core.db import db
from backend.core.metrics import Communities, Metric, Period, Value, values_by_community


def verified_residents(community_ids: Communities, period: Period) -> dict[int, Value]:
    rows = db.session.execute(
        sa.select(Membership.community_id, sa.func.count(sa.distinct(Membership.user_id)))
        .where(
            Membership.community_id.in_(community_ids),
            Membership.role == Role.RESIDENT,
            Membership.status == "verified",
        )
        .group_by(Membership.community_id)
    )
    return values_by_community(community_ids, 0, rows)


METRICS = [
    Metric(
        name="verified_residents",
        title="已认证居民人数",
        unit="人",
        definition=(
            "在本社区持有“已认证”居民身份（居委会审核通过，或凭入户邀请码认证）的用户人数；"
            "同一人认证了本社区多处房屋只计 1 人。待审核、被驳回、已撤销（含搬离、注销账号）"
            "和已撤回的申请不计；居委会、网格员等工作人员身份不计。" + REGISTER_WORDS
        ),
        compute=verified_residents,
    ),
]
