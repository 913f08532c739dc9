"""Personal data of consultations: the ballots, needs, supports, comments and reports a person
made, and the records committee members kept. All of it stays on erasure, pointing at the
anonymised account: it is the consultation's record, and what was counted stays counted."""

from __future__ import annotations

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
from backend.core.privacy import PHOTOS, PersonalData, Treatment, rows_of, shown

PERSONAL_DATA = [
    PersonalData(
        key="ballots",
        models=(Ballot, BallotHistory),
        treatment=Treatment.KEEP,
        export=rows_of(Ballot.cast_by_id),
        field=shown(Ballot, "consultation_id channel decision revision cast_at"),
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
        field=shown(
            Need,
            "id consultation_id title description need_class photos status created_at",
            photos=PHOTOS,
        ),
        kept="征集到的需求是议事过程的记录（含审核决定），作者显示为已注销用户",
    ),
    PersonalData(
        key="need_supports",
        models=(NeedSupport,),
        treatment=Treatment.KEEP,
        export=rows_of(NeedSupport.user_id, NeedSupport.created_at, NeedSupport.need_id),
        field=shown(NeedSupport, "need_id created_at"),
        kept="支持数决定需求能否进入表决，已计入的支持保留",
    ),
    PersonalData(
        key="comments",
        models=(Comment,),
        treatment=Treatment.KEEP,
        export=rows_of(Comment.author_id),
        field=shown(Comment, "id consultation_id need_id body status created_at"),
        kept="评论是议事过程的记录，其他人的回复依附于它，作者显示为已注销用户",
    ),
    PersonalData(
        key="comment_reports",
        models=(CommentReport,),
        treatment=Treatment.KEEP,
        export=rows_of(CommentReport.reporter_id, CommentReport.created_at),
        field=shown(CommentReport, "comment_id reason created_at"),
        kept="举报是内容处置的依据，举报数决定评论是否转人工审核，予以保留",
    ),
    PersonalData(
        key="consultation_records",
        models=(Consultation, JointMeeting),
        treatment=Treatment.KEEP,
        kept="居委会发起议事、记录会议是履职记录，属于社区档案；经办情况见操作日志",
    ),
]
