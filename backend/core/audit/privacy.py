"""Personal data of the audit log: what the person did. Kept on erasure, and exported."""

from __future__ import annotations

from backend.core.audit.models import AuditEntry
from backend.core.privacy import PersonalData, Treatment, rows_of, shown

PERSONAL_DATA = [
    PersonalData(
        key="activity",
        models=(AuditEntry,),
        treatment=Treatment.KEEP,
        export=rows_of(AuditEntry.actor_user_id, AuditEntry.at, AuditEntry.id),
        field=shown(AuditEntry, "at action target_type target_id result client_ip"),
        kept=(
            "操作日志依《网络安全法》和等级保护要求留存，且逐条以哈希链相连，删改任何一条都会破坏"
            "整条链；日志只记账号编号，账号注销后不再指向可识别的个人"
        ),
    ),
]
