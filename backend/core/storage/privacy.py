"""Personal data of file storage: the photos the person uploaded."""

from __future__ import annotations

import marshmallow as ma
import sqlalchemy as sa

from backend.core.privacy import Erasure, PersonalData, Treatment, rows_of, shown
from backend.core.storage.links import photo_url
from backend.core.storage.models import StoredFile
from backend.core.storage.services import remove_bytes

F = ma.fields


def _forget_photos(erasure: Erasure) -> None:
    """Unattached uploads go, rows now and bytes once the erasure is committed."""
    keys = erasure.session.scalars(
        sa.delete(StoredFile)
        .where(StoredFile.uploaded_by_id == erasure.user_id, StoredFile.attached.is_(False))
        .returning(StoredFile.key)
        .execution_options(synchronize_session=False)
    ).all()
    if keys:
        erasure.after_commit(lambda: remove_bytes(keys))


PERSONAL_DATA = [
    PersonalData(
        key="photos",
        models=(StoredFile,),
        treatment=Treatment.DELETE,
        export=rows_of(StoredFile.uploaded_by_id),
        field=shown(
            StoredFile,
            "key url content_type size width height created_at attached purpose",
            url=F.Function(lambda row: photo_url(row.key)),
            size=F.Integer(metadata={"description": "Bytes"}),
            purpose=F.String(
                allow_none=True, metadata={"description": "What it is attached to, e.g. ticket"}
            ),
        ),
        forget=_forget_photos,
        kept=(
            "未被使用的照片连同文件一并删除；已附在工单、评估等记录上的照片是该记录的凭证，"
            "随记录保留，上传者显示为已注销用户"
        ),
    ),
]
