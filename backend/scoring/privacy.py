"""Personal data of scoring: the judgements an assessor made (with their name, copied onto
each), and who uploaded, assigned, ran or finalised standards and assessments."""

from __future__ import annotations

import sqlalchemy as sa

from backend.core.privacy import ERASED_NAME, Erasure, PersonalData, Treatment, rows_of, shown
from backend.scoring.models import (
    Assessment,
    AssessmentRun,
    CommunityStandard,
    Judgement,
    UploadedStandard,
)


def _anonymise_judgements(erasure: Erasure) -> None:
    erasure.session.execute(
        sa.update(Judgement)
        .where(Judgement.decided_by_id == erasure.user_id)
        .values(decided_by_name=ERASED_NAME)
    )


PERSONAL_DATA = [
    PersonalData(
        key="judgements",
        models=(Judgement,),
        treatment=Treatment.ANONYMISE,
        export=rows_of(Judgement.decided_by_id),
        field=shown(
            Judgement,
            "community_id standard_code period_start period_end item_code status note decided_as"
            " decided_at",
        ),
        forget=_anonymise_judgements,
        kept="评估判定是考核结果的依据，予以保留；判定人姓名改为已注销用户，保留其判定时的身份",
    ),
    PersonalData(
        key="assessment_records",
        models=(UploadedStandard, CommunityStandard, AssessmentRun, Assessment),
        treatment=Treatment.KEEP,
        kept="上传标准、指派标准、运行和确认评估是履职记录，属于考核档案；经办情况见操作日志",
    ),
]
