"""Personal data of tickets: the problems a person reported or joined, and what they wrote on a
ticket's timeline. Kept on erasure, pointing at the anonymised account."""

from __future__ import annotations

import marshmallow as ma

from backend.core.privacy import PersonalData, Treatment, records, rows_of
from backend.tickets.models import Open311Key, Ticket, TicketEvent, TicketSupport

F = ma.fields

PERSONAL_DATA = [
    PersonalData(
        key="tickets",
        models=(Ticket,),
        treatment=Treatment.KEEP,
        export=rows_of(Ticket.reporter_id),
        field=records(
            "ExportTicket",
            id=F.Integer(),
            community_id=F.Integer(),
            category_id=F.Integer(),
            status=F.String(),
            description=F.String(),
            location_note=F.String(allow_none=True),
            lat=F.Decimal(as_string=True, allow_none=True),
            lng=F.Decimal(as_string=True, allow_none=True),
            photos=F.List(F.String()),
            anonymous=F.Boolean(),
            rating=F.Integer(allow_none=True),
            created_at=F.DateTime(),
        ),
        kept=(
            "工单是社区处理问题的记录，办理时限、督办和考核都以它为据，予以保留；"
            "报告人显示为已注销用户"
        ),
    ),
    PersonalData(
        key="ticket_events",
        models=(TicketEvent,),
        treatment=Treatment.KEEP,
        export=rows_of(TicketEvent.actor_id),
        field=records(
            "ExportTicketEvent",
            ticket_id=F.Integer(),
            kind=F.String(),
            note=F.String(allow_none=True),
            photos=F.List(F.String()),
            created_at=F.DateTime(),
        ),
        kept="工单进展是办理过程的记录，属于工单的一部分，随工单保留",
    ),
    PersonalData(
        key="ticket_supports",
        models=(TicketSupport,),
        treatment=Treatment.KEEP,
        export=rows_of(TicketSupport.user_id, TicketSupport.created_at, TicketSupport.ticket_id),
        field=records("ExportTicketSupport", ticket_id=F.Integer(), created_at=F.DateTime()),
        kept="附议数计入工单的紧急程度，已计入的附议保留",
    ),
    PersonalData(
        key="open311_keys",
        models=(Open311Key,),
        treatment=Treatment.KEEP,
        kept="接口密钥的签发是街道的履职记录，属于管理档案；经办情况见操作日志",
    ),
]
