"""The problem categories every community starts with (DOMAIN.md, from the seeds), as data.

Read by the migration that seeds `ticket_categories` and by the test world; communities then
override deadlines and handlers per category (`CategorySetting`). `deadline_class` names a class
of `sla.DEADLINE_CLASSES`; `handler_kind` "property" routes to the property company serving the
building, "organisation" waits for the community to name one (gas, heating, urban management).
"""

from __future__ import annotations

# code, name, deadline class, handler kind
CATEGORIES: tuple[tuple[str, str, str, str], ...] = (
    ("water_supply", "供水", "utilities", "property"),
    ("drainage", "排水", "utilities", "property"),
    ("power", "供电", "utilities", "property"),
    ("telecom", "弱电", "general", "property"),
    ("roads", "道路", "general", "property"),
    ("gas", "供气", "utilities", "organisation"),
    ("heating", "供热", "utilities", "organisation"),
    ("fire_lane", "消防/生命通道", "urgent", "property"),
    ("waste_sorting", "生活垃圾分类", "general", "property"),
    ("waterlogging", "内涝积水", "urgent", "property"),
    ("parking", "停车秩序", "general", "property"),
    ("noise", "噪声扰民", "general", "property"),
    ("lighting", "照明", "general", "property"),
    ("greenery", "绿化", "general", "property"),
    ("illegal_building", "私搭乱建", "complex", "organisation"),
    ("accessibility", "无障碍/适老化", "complex", "property"),
    ("ev_charging", "充电设施", "general", "property"),
    ("elevator", "电梯", "urgent", "property"),
    ("security", "安防", "general", "property"),
    ("property_service", "物业服务", "general", "property"),
)


def category_rows() -> list[dict]:
    return [
        {
            "code": code,
            "name": name,
            "deadline_class": deadline_class,
            "handler_kind": handler_kind,
            "public": True,
            "position": position,
        }
        for position, (code, name, deadline_class, handler_kind) in enumerate(CATEGORIES)
    ]


def ensure_categories(session) -> int:
    """Insert the categories that are missing (by code); returns how many. The migration seeds
    them; this restores them where the tables were emptied (tests, a demo on a wiped database)."""
    import sqlalchemy as sa

    from backend.tickets.models import TicketCategory

    known = set(session.scalars(sa.select(TicketCategory.code)))
    missing = [row for row in category_rows() if row["code"] not in known]
    if missing:
        session.execute(sa.insert(TicketCategory), missing)
    return len(missing)
