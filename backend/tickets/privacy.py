"""Personal data of tickets: the problems a person reported or joined, and what they wrote on a
ticket's timeline. Kept on erasure, pointing at the anonymised account."""

from __future__ import annotations

from backend.core.privacy import PHOTOS, PersonalData, Treatment, rows_of, shown
from backend.tickets.models import Open311Key, Ticket, TicketEvent, TicketSupport

PERSONAL_DATA = [
    PersonalData(
        key="tickets",
        models=(Ticket,),
        treatment=Treatment.KEEP,
        export=rows_of(Ticket.reporter_id),
        field=shown(
            Ticket,
            "id community_id category_id status description location_note lat lng photos"
            " anonymous rating created_at",
            photos=PHOTOS,
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
        field=shown(TicketEvent, "ticket_id kind note photos created_at", photos=PHOTOS),
        kept="工单进展是办理过程的记录，属于工单的一部分，随工单保留",
    ),
    PersonalData(
        key="ticket_supports",
        models=(TicketSupport,),
        treatment=Treatment.KEEP,
        export=rows_of(TicketSupport.user_id, TicketSupport.created_at, TicketSupport.ticket_id),
        field=shown(TicketSupport, "ticket_id created_at"),
        kept="附议数计入工单的紧急程度，已计入的附议保留",
    ),
    PersonalData(
        key="open311_keys",
        models=(Open311Key,),
        treatment=Treatment.KEEP,
        kept="接口密钥的签发是街道的履职记录，属于管理档案；经办情况见操作日志",
    ),
]
