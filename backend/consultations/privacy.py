"""Personal data of consultations: the ballots, needs, supports, comments and reports a person
made, and the records committee members kept. All of it stays on erasure, pointing at the
anonymised account: it is the consultation's record, and what was counted stays counted."""

from __future__ import annotations

import marshmallow as ma

from backend.consultations.models import (
    Ballot,
    BallotHistory,
    Comment,
    CommentReport,
    Consultation,
    JointMeeting,
    Need,
    NeedSupport,
)
from backend.core.privacy import PersonalData, Treatment, records, rows_of

F = ma.fields

PERSONAL_DATA = [
    PersonalData(
        key="ballots",
        models=(Ballot, BallotHistory),
        treatment=Treatment.KEEP,
        export=rows_of(Ballot.cast_by_id),
        field=records(
            "ExportBallot",
            consultation_id=F.Integer(),
            channel=F.String(),
            decision=F.String(allow_none=True),
            revision=F.Integer(),
            cast_at=F.DateTime(),
        ),
        kept=(
            "选票是表决结果的依据，须留存以备核验计票和公示（《民法典》第二百七十八条）；"
            "选票只记账号编号，注销后不再关联可识别的个人"
        ),
    ),
    PersonalData(
        key="needs",
        models=(Need,),
        treatment=Treatment.KEEP,
        export=rows_of(Need.author_id),
        field=records(
            "ExportNeed",
            id=F.Integer(),
            consultation_id=F.Integer(),
            title=F.String(),
            description=F.String(),
            need_class=F.String(),
            photos=F.List(F.String()),
            status=F.String(),
            created_at=F.DateTime(),
        ),
        kept="征集到的需求是议事过程的记录（含审核决定），作者显示为已注销用户",
    ),
    PersonalData(
        key="need_supports",
        models=(NeedSupport,),
        treatment=Treatment.KEEP,
        export=rows_of(NeedSupport.user_id, NeedSupport.created_at, NeedSupport.need_id),
        field=records("ExportNeedSupport", need_id=F.Integer(), created_at=F.DateTime()),
        kept="支持数决定需求能否进入表决，已计入的支持保留",
    ),
    PersonalData(
        key="comments",
        models=(Comment,),
        treatment=Treatment.KEEP,
        export=rows_of(Comment.author_id),
        field=records(
            "ExportComment",
            id=F.Integer(),
            consultation_id=F.Integer(),
            need_id=F.Integer(allow_none=True),
            body=F.String(),
            status=F.String(),
            created_at=F.DateTime(),
        ),
        kept="评论是议事过程的记录，其他人的回复依附于它，作者显示为已注销用户",
    ),
    PersonalData(
        key="comment_reports",
        models=(CommentReport,),
        treatment=Treatment.KEEP,
        export=rows_of(CommentReport.reporter_id, CommentReport.created_at),
        field=records(
            "ExportCommentReport",
            comment_id=F.Integer(),
            reason=F.String(),
            created_at=F.DateTime(),
        ),
        kept="举报是内容处置的依据，举报数决定评论是否转人工审核，予以保留",
    ),
    PersonalData(
        key="consultation_records",
        models=(Consultation, JointMeeting),
        treatment=Treatment.KEEP,
        kept="居委会发起议事、记录会议是履职记录，属于社区档案；经办情况见操作日志",
    ),
]
