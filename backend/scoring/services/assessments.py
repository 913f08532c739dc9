"""Assessments: running a standard over communities and a period, keeping the snapshot, reading it.

A run is set-based: every measurement the standard reads is computed once for a batch of
communities (one query per measurement and time zone), the judgements of the batch are read in
one query, the items are evaluated in memory (`evaluation.py`) and the snapshots inserted in one
statement. The run keeps the standard's text and the measurements' definitions once for all its
assessments. A community has at most one draft per standard and period, which the next run
replaces; a finalised assessment never changes.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from backend.core.audit import services as audit
from backend.core.auth import Actor
from backend.core.db import db, transaction, utcnow
from backend.core.errors import Conflict, NotFound
from backend.core.metrics import Communities, Period, registry
from backend.core.tenancy.models import Community
from backend.core.tenancy.scoping import within_region
from backend.scoring import evaluation
from backend.scoring.evaluation import Measurements
from backend.scoring.models import (
    DRAFT,
    FINAL,
    Assessment,
    AssessmentRun,
    CommunityStandard,
    Judgement,
)
from backend.scoring.permissions import policy
from backend.scoring.services.common import (
    DEFAULT_STANDARDS,
    Found,
    community_for,
    local_today,
    period_dict,
    period_of,
    previous,
    sees_drafts,
    standard_for,
    standard_or_404,
)
from backend.scoring.services.presenting import present, present_preview, present_summary
from backend.scoring.standard.nodes import Standard

log = logging.getLogger(__name__)

# Communities evaluated and written together: bounds the IN lists and the memory of a city run.
BATCH = 1000


@dataclass(frozen=True)
class RunReport:
    run_id: int
    communities: int
    meeting: int
    seconds: float


# ---------------------------------------------------------------- evaluating


def communities_with_zones(community_ids: Sequence[int]) -> Communities:
    """The communities with their time zones, read once for every measurement of a run."""
    zones = dict(
        db.session.execute(
            sa.select(Community.id, Community.timezone).where(Community.id.in_(community_ids))
        ).all()
    )
    return Communities({community_id: zones.get(community_id) for community_id in community_ids})


def measure(standard: Standard, period: Period, community_ids: Sequence[int]) -> Measurements:
    """Every (measurement, period) the standard reads, for all `community_ids` at once."""
    metrics = registry()
    community_ids = communities_with_zones(community_ids)
    values, evidence = {}, {}
    shown = standard.evidence_needed()
    for name, period_key in sorted(standard.metrics_needed()):
        metric = metrics[name]
        measured_over = period if period_key == "assessment" else previous(period)
        values[(name, period_key)] = metric.compute(community_ids, measured_over)
        if metric.evidence is not None and (name, period_key) in shown:
            evidence[(name, period_key)] = metric.evidence(community_ids, measured_over)
    return Measurements(values, evidence)


def definitions(standard: Standard) -> dict:
    metrics = registry()
    return {
        name: {
            "title": metrics[name].title,
            "unit": metrics[name].unit,
            "definition": metrics[name].definition,
        }
        for name, _period in sorted(standard.metrics_needed())
    }


def judgements_of(
    standard: Standard, period: Period, community_ids: Sequence[int]
) -> dict[tuple[int, str], dict]:
    rows = db.session.scalars(
        sa.select(Judgement).where(
            Judgement.community_id.in_(community_ids),
            Judgement.standard_code == standard.code,
            Judgement.period_start == period.start,
            Judgement.period_end == period.end,
        )
    )
    return {(row.community_id, row.item_code): judgement_dict(row) for row in rows}


def judgement_dict(row: Judgement) -> dict:
    return {
        "status": row.status,
        "note": row.note,
        "photos": list(row.photos or []),
        "documents": list(row.documents or []),
        "decided_by": row.decided_by_name,
        "decided_as": row.decided_as,
        "decided_at": row.decided_at.isoformat(),
    }


def evaluate(
    standard: Standard, period: Period, community_ids: Sequence[int]
) -> dict[int, tuple[list[dict], dict]]:
    """Each community's items and totals, nothing stored."""
    measured = measure(standard, period, community_ids)
    judged = judgements_of(standard, period, community_ids)
    results = {}
    for community_id in community_ids:
        items = [
            evaluation.evaluate_item(
                item,
                community_id,
                measured,
                judged.get((community_id, item.code)),
                standard.partly_share,
            )
            for item in standard.items
        ]
        results[community_id] = (items, evaluation.totals(standard, items))
    return results


# ---------------------------------------------------------------- running


def run(
    found: Found,
    period: Period,
    community_ids: Sequence[int],
    *,
    run_by_id: int | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> RunReport:
    """Evaluate and store a draft for every community (replacing its draft of the period).

    Each batch commits on its own, so a city-wide run shows progress and a failure keeps the
    batches done; a batch that meets a concurrent run's draft is retried once.
    """
    began = time.monotonic()
    standard = found.standard
    with transaction():
        run_row = AssessmentRun(
            standard_code=standard.code,
            standard_version=standard.version,
            standard=standard.document,
            definitions=definitions(standard),
            period_start=period.start,
            period_end=period.end,
            communities=len(community_ids),
            started_at=utcnow(),
            run_by_id=run_by_id,
        )
        db.session.add(run_row)
    run_id = run_row.id
    meeting = done = 0
    for offset in range(0, len(community_ids), BATCH):
        batch = list(community_ids[offset : offset + BATCH])
        for attempt in (1, 2):
            try:
                with transaction():
                    meeting += _store_batch(standard, period, batch, run_id)
                break
            except IntegrityError:
                if attempt == 2:
                    raise Conflict(
                        "另一次评估正在进行，请稍后再试", code="assessment_running"
                    ) from None
        done += len(batch)
        if progress is not None:
            progress(done, len(community_ids))
    with transaction():
        db.session.execute(
            sa.update(AssessmentRun).where(AssessmentRun.id == run_id).values(finished_at=utcnow())
        )
        _forget_empty_runs(standard.code, run_id)
    return RunReport(run_id, len(community_ids), meeting, time.monotonic() - began)


def _store_batch(standard: Standard, period: Period, batch: list[int], run_id: int) -> int:
    results = evaluate(standard, period, batch)
    db.session.execute(
        sa.delete(Assessment).where(
            Assessment.community_id.in_(batch),
            Assessment.standard_code == standard.code,
            Assessment.period_start == period.start,
            Assessment.period_end == period.end,
            Assessment.state == DRAFT,
        )
    )
    now = utcnow()
    rows = []
    for community_id, (items, totals) in results.items():
        rows.append(
            {
                "run_id": run_id,
                "community_id": community_id,
                "standard_code": standard.code,
                "period_start": period.start,
                "period_end": period.end,
                "state": DRAFT,
                "computed_at": now,
                "points": totals["points"],
                "max_points": totals["max_points"],
                "passing_points": totals["passing_points"],
                "meets_standard": totals["meets_standard"],
                "items_met": totals[evaluation.MET],
                "items_partly_met": totals[evaluation.PARTLY_MET],
                "items_not_met": totals[evaluation.NOT_MET],
                "items_needing_assessment": totals[evaluation.NEEDS_ASSESSMENT],
                "items_total": totals["items"],
                "areas": totals["areas"],
                "items": items,
            }
        )
    if rows:
        db.session.execute(sa.insert(Assessment), rows)
    return sum(1 for row in rows if row["meets_standard"])


def _forget_empty_runs(standard_code: str, current_run_id: int) -> None:
    """Runs whose drafts were all replaced hold nothing anyone can read any more."""
    db.session.execute(
        sa.delete(AssessmentRun).where(
            AssessmentRun.standard_code == standard_code,
            AssessmentRun.id != current_run_id,
            AssessmentRun.finished_at.is_not(None),
            ~sa.exists().where(Assessment.run_id == AssessmentRun.id),
        )
    )


def communities_by_standard(community_ids: Sequence[int] | None = None) -> dict[str, list[int]]:
    """Which communities each standard is assessed on (the shipped ones where none is chosen)."""
    query = sa.select(Community.id).order_by(Community.id)
    if community_ids is not None:
        query = query.where(Community.id.in_(community_ids))
    ids = list(db.session.scalars(query))
    chosen: dict[int, list[str]] = {}
    for community_id, code in db.session.execute(
        sa.select(CommunityStandard.community_id, CommunityStandard.standard_code)
    ):
        chosen.setdefault(community_id, []).append(code)
    grouped: dict[str, list[int]] = {}
    for community_id in ids:
        for code in chosen.get(community_id) or DEFAULT_STANDARDS:
            grouped.setdefault(code, []).append(community_id)
    return grouped


def refresh_drafts(progress: Callable[[str, int, int], None] | None = None) -> list[RunReport]:
    """The nightly job: this year's draft of every community on each of its standards."""
    period = Period.calendar_year(local_today(None).year)
    reports = []
    for code, ids in sorted(communities_by_standard().items()):
        try:
            found = standard_or_404(code)
        except NotFound:
            log.warning("standard %s is assigned but cannot be read; skipped", code)
            continue

        def step(done, total, code=code):
            log.info("assessing %s: %d/%d communities", code, done, total)
            if progress is not None:
                progress(code, done, total)

        reports.append(run(found, period, ids, progress=step))
    return reports


# ---------------------------------------------------------------- use cases


def run_for_community(*, actor: Actor, community_id: int, data: dict) -> dict:
    """Outcomes: 201 and the new draft; 404 / 403 as for any community route; 404
    `standard_not_found`; 422 for a bad period; 409 `assessment_running`."""
    community, _roles = community_for(actor, community_id, "scoring.run")
    found = standard_for(community, data.get("standard"))
    period = period_of(data, community.timezone)
    run(found, period, [community.id], run_by_id=actor.user_id)
    with transaction():
        assessment = _draft(community.id, found.standard.code, period)
        audit.record(
            action="scoring.run",
            target_type="assessment",
            target_id=assessment.id,
            community=community,
            actor=actor,
            details={"standard": found.standard.code, "period_start": str(period.start)},
        )
    return present(assessment, community)


def _draft(community_id: int, code: str, period: Period) -> Assessment:
    return db.session.scalars(
        sa.select(Assessment).where(
            Assessment.community_id == community_id,
            Assessment.standard_code == code,
            Assessment.period_start == period.start,
            Assessment.period_end == period.end,
            Assessment.state == DRAFT,
        )
    ).one()


def run_for_region(*, actor: Actor, region_id: int, data: dict) -> dict:
    """Every community of the region (and below) that is assessed on the standard.

    Outcomes: 201 and the run's figures; 404 `region_not_found` for a region the caller does
    not administer; 404 `standard_not_found`; 422 for a bad period.
    """
    region = policy.region(actor, "scoring.run_region", region_id)
    found = standard_or_404(data["standard"])
    period = period_of(data)
    under = list(db.session.scalars(sa.select(Community.id).where(within_region(region))))
    ids = communities_by_standard(under).get(found.standard.code, [])
    report = run(found, period, ids, run_by_id=actor.user_id)
    with transaction():
        audit.record(
            action="scoring.run_region",
            target_type="region",
            target_id=region.id,
            actor=actor,
            details={"standard": found.standard.code, "communities": len(ids)},
        )
    return {
        "region_id": region.id,
        "standard": found.standard.code,
        "period": period_dict(period),
        "communities": report.communities,
        "meeting_standard": report.meeting,
        "seconds": round(report.seconds, 3),
    }


def _assessment_or_404(actor: Actor, community_id: int, assessment_id: int, action: str):
    community, _roles = community_for(actor, community_id, action)
    assessment = db.session.scalar(
        sa.select(Assessment).where(
            Assessment.id == assessment_id, Assessment.community_id == community.id
        )
    )
    drafts = sees_drafts(actor, community)
    if assessment is None or (assessment.state == DRAFT and not drafts):
        raise NotFound("未找到该评估", code="assessment_not_found")
    return community, assessment, drafts


def get_assessment(*, actor: Actor, community_id: int, assessment_id: int) -> dict:
    community, assessment, drafts = _assessment_or_404(
        actor, community_id, assessment_id, "scoring.view"
    )
    return present(assessment, community)


def history(*, actor: Actor, community_id: int, filters: dict) -> list[dict]:
    """Every assessment the caller may see, newest period first, newest snapshot first."""
    community, _roles = community_for(actor, community_id, "scoring.view")
    query = sa.select(Assessment).where(Assessment.community_id == community.id)
    if filters.get("standard"):
        query = query.where(Assessment.standard_code == filters["standard"])
    if not sees_drafts(actor, community):
        query = query.where(Assessment.state == FINAL)
    rows = db.session.scalars(
        query.order_by(
            Assessment.period_start.desc(), Assessment.computed_at.desc(), Assessment.id.desc()
        ).limit(200)
    )
    return [present_summary(row) for row in rows]


def scorecard(*, actor: Actor, community_id: int, filters: dict) -> dict:
    """The newest assessment of the period the caller may see; when there is none yet, the
    items evaluated now and not stored (`state` "preview"), so a committee sees where it
    stands before anything is run."""
    community, _roles = community_for(actor, community_id, "scoring.view")
    found = standard_for(community, filters.get("standard"))
    period = period_of(filters, community.timezone)
    drafts = sees_drafts(actor, community)
    query = sa.select(Assessment).where(
        Assessment.community_id == community.id,
        Assessment.standard_code == found.standard.code,
        Assessment.period_start == period.start,
        Assessment.period_end == period.end,
    )
    if not drafts:
        query = query.where(Assessment.state == FINAL)
    newest = db.session.scalars(
        query.order_by(Assessment.computed_at.desc(), Assessment.id.desc()).limit(1)
    ).first()
    if newest is not None:
        return present(newest, community)
    if not drafts:
        raise NotFound("该社区这一期还没有定稿的评估", code="assessment_not_found")
    items, totals = evaluate(found.standard, period, [community.id])[community.id]
    return present_preview(
        found.standard, definitions(found.standard), period, community, items, totals
    )


def finalise(*, actor: Actor, community_id: int, assessment_id: int) -> dict:
    """Hand the self-assessment over: the draft becomes final and never changes again.

    Outcomes: the assessment; 404 `assessment_not_found`; 409 `assessment_final` when it
    already is.
    """
    with transaction():
        community, assessment, _drafts = _assessment_or_404(
            actor, community_id, assessment_id, "scoring.finalise"
        )
        locked = db.session.scalars(
            sa.select(Assessment).where(Assessment.id == assessment.id).with_for_update()
        ).one()
        if locked.state == FINAL:
            raise Conflict("该评估已定稿", code="assessment_final")
        locked.state = FINAL
        locked.finalised_at = utcnow()
        locked.finalised_by_id = actor.user_id
        audit.record(
            action="scoring.finalise",
            target_type="assessment",
            target_id=locked.id,
            community=community,
            actor=actor,
            details={"standard": locked.standard_code, "points": str(locked.points)},
        )
        return present(locked, community)


def delete_draft(*, actor: Actor, community_id: int, assessment_id: int) -> None:
    """Discard a draft run by mistake (a final one stays: it was handed over).

    Outcomes: 204; 404 `assessment_not_found`; 409 `assessment_final`.
    """
    with transaction():
        community, assessment, _drafts = _assessment_or_404(
            actor, community_id, assessment_id, "scoring.run"
        )
        if assessment.state == FINAL:
            raise Conflict("已定稿的评估不能删除", code="assessment_final")
        db.session.delete(assessment)
        audit.record(
            action="scoring.delete_draft",
            target_type="assessment",
            target_id=assessment_id,
            community=community,
            actor=actor,
        )


def newest_per_community(
    code: str, period: Period, community_ids: Sequence[int], *, finals_only: bool = False
) -> dict[int, Assessment]:
    """Each community's newest snapshot of the standard and period (one statement)."""
    if not community_ids:
        return {}
    conditions = [
        Assessment.community_id.in_(community_ids),
        Assessment.standard_code == code,
        Assessment.period_start == period.start,
        Assessment.period_end == period.end,
    ]
    if finals_only:
        conditions.append(Assessment.state == FINAL)
    rank = (
        sa.func.row_number()
        .over(
            partition_by=Assessment.community_id,
            order_by=(Assessment.computed_at.desc(), Assessment.id.desc()),
        )
        .label("rank")
    )
    ranked = sa.select(Assessment.id, rank).where(*conditions).subquery()
    rows = db.session.scalars(
        sa.select(Assessment)
        .join(ranked, ranked.c.id == Assessment.id)
        .where(ranked.c.rank == 1)
        .options(sa.orm.defer(Assessment.items))
    )
    return {row.community_id: row for row in rows}
