"""The registry of personal data: every table holding a user's id is registered by its package,
and for each such column the export shows the person's rows (only theirs) and erasure deletes,
anonymises or keeps them as the registration declares, leaving other people's rows alone."""

from __future__ import annotations

import itertools
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta

import marshmallow as ma
import pytest
import sqlalchemy as sa

from backend.accounts.models import Consent, HouseholdInvitation, Membership, RefreshToken
from backend.communities.models import GridWorker
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
from backend.core import privacy
from backend.core.audit import services as audit
from backend.core.audit.models import AuditEntry
from backend.core.db import db, utcnow
from backend.core.notifications.models import Notification, OutboxMessage, SubscriptionCredit
from backend.core.storage.models import StoredFile
from backend.core.wechat.models import MediaCheck, WechatIdentity
from backend.models import metadata
from backend.scoring.models import (
    Assessment,
    AssessmentRun,
    CommunityStandard,
    Judgement,
    UploadedStandard,
)
from backend.tickets.models import Open311Key, Ticket, TicketCategory, TicketEvent, TicketSupport
from tests.helpers import assert_ok

EXPORT = "/api/v1/me/export"
ME = "/api/v1/me"
ERASE = {"confirm": True}


def user_columns() -> set[tuple[str, str]]:
    """Every (table, column) holding a user's id, read from the models' metadata."""
    return {
        (table.name, column.name)
        for table in metadata.sorted_tables
        for column in table.columns
        if any(fk.column.table.name == "users" for fk in column.foreign_keys)
    }


# -- the registry


def test_every_table_with_a_user_column_is_registered_by_its_package():
    registered = {model.__table__.name for r in privacy.registry() for model in r.models}
    unregistered = {table for table, _ in user_columns()} - registered
    assert not unregistered, f"personal data no privacy.py registers: {sorted(unregistered)}"
    # No foreign key on purpose (see audit/models.py), but personal data all the same.
    assert "audit_entries" in registered


def test_each_table_is_registered_once_and_each_key_is_unique():
    registrations = privacy.registry()
    tables = [model.__table__.name for r in registrations for model in r.models]
    assert len(tables) == len(set(tables))
    assert len({r.key for r in registrations}) == len(registrations)


def test_what_is_kept_says_why_in_chinese():
    for registration in privacy.registry():
        if registration.treatment is privacy.Treatment.KEEP:
            assert registration.kept and any("\u4e00" <= c <= "\u9fff" for c in registration.kept)
    with pytest.raises(ValueError, match="say why"):
        privacy.PersonalData(key="x", models=(), treatment=privacy.Treatment.KEEP)
    with pytest.raises(ValueError, match="needs a forget"):
        privacy.PersonalData(key="x", models=(), treatment=privacy.Treatment.DELETE)


def test_the_export_types_each_column_as_the_model_maps_it():
    fields = privacy.shown(Ticket, "id lat location_note anonymous created_at")().inner.schema.fields
    assert isinstance(fields["id"], ma.fields.Integer) and not fields["id"].allow_none
    assert isinstance(fields["lat"], ma.fields.Decimal) and fields["lat"].allow_none
    assert isinstance(fields["location_note"], ma.fields.String)
    assert isinstance(fields["anonymous"], ma.fields.Boolean)
    assert isinstance(fields["created_at"], ma.fields.DateTime)
    # A foreign key takes the type of what it points at.
    community = privacy.shown(Ticket, "community_id")().inner.schema.fields["community_id"]
    assert isinstance(community, ma.fields.Integer)


def test_a_column_whose_type_says_nothing_must_be_described():
    with pytest.raises(ValueError, match="photos"):
        privacy.shown(Ticket, "id photos")()
    shown = privacy.shown(Ticket, "id photos", photos=privacy.PHOTOS)()
    assert isinstance(shown.inner.schema.fields["photos"], ma.fields.List)
    with pytest.raises(ValueError, match="not among"):
        privacy.shown(Ticket, "id", photos=privacy.PHOTOS)


def test_upper_layers_forget_first_and_the_account_last():
    order = [r.package for r in privacy.forgetting_order(privacy.registry(), last="accounts")]
    assert order[-1] == "accounts" and "accounts" not in order[: order.index("accounts")]
    firsts = list(dict.fromkeys(order))
    assert firsts[:3] == ["scoring", "tickets", "consultations"]
    assert firsts.index("core.storage") < firsts.index("core.wechat")


# -- each column holding a user's id: exported, then forgotten as declared

_serial = itertools.count(1)


def _n() -> int:
    return next(_serial)


def _add(row):
    db.session.add(row)
    db.session.flush()
    return row


def _consultation(world, creator: int) -> Consultation:
    now = utcnow()
    return _add(Consultation(
        community_id=world.a, title="加装电梯", method="single_choice",
        voting_opens_at=now, voting_closes_at=now + timedelta(days=7), created_by_id=creator,
    ))


def _need(world, author: int, **fields) -> Need:
    consultation = _consultation(world, world.committee)
    return _add(Need(consultation_id=consultation.id, community_id=world.a, author_id=author,
                     title="增设座椅", need_class="public", **fields))


def _comment(world, author: int, **fields) -> Comment:
    consultation = _consultation(world, world.committee)
    return _add(Comment(consultation_id=consultation.id, community_id=world.a, author_id=author,
                        body="同意", **fields))


def _ballot(world, user_id: int) -> Ballot:
    consultation = _consultation(world, world.committee)
    return _add(Ballot(consultation_id=consultation.id, voter_key=f"u{user_id}",
                       decision="yes", cast_by_id=user_id, receipt_hash=f"{_n():064x}"))


def _ballot_history(world, user_id: int) -> BallotHistory:
    consultation = _consultation(world, world.committee)
    return _add(BallotHistory(
        consultation_id=consultation.id, voter_key=f"u{user_id}", channel="online",
        receipt_hash=f"{_n():064x}", choice={"decision": "no"}, revision=1, cast_at=utcnow(),
        ended_reason="changed", ended_by_id=user_id,
    ))


def _ticket(world, reporter: int | None) -> Ticket:
    category = db.session.scalars(sa.select(TicketCategory).limit(1)).one()
    return _add(Ticket(community_id=world.a, category_id=category.id, description="路灯不亮",
                       deadline_class="normal", reporter_id=reporter))


def _membership(user_id: int, **fields) -> Membership:
    return _add(Membership(user_id=user_id, role="professional", scope_key=f"test:{_n()}",
                           **fields))


def _invitation(world, **fields) -> HouseholdInvitation:
    fields.setdefault("created_by_id", world.committee)
    return _add(HouseholdInvitation(
        community_id=world.a, household_id=world.household, code_hash=f"{_n():064x}",
        expires_at=utcnow() + timedelta(days=30), **fields,
    ))


def _judgement(world, user_id: int) -> Judgement:
    return _add(Judgement(
        community_id=world.a, standard_code="hlj_green_community", period_start=date(2026, 1, 1),
        period_end=date(2027, 1, 1), item_code=f"T{_n()}", status="met",
        decided_by_id=user_id, decided_by_name=f"评估员{user_id}", decided_as="street_admin",
        decided_at=utcnow(),
    ))


def _run(user_id: int | None) -> AssessmentRun:
    return _add(AssessmentRun(
        standard_code="hlj_green_community", standard_version=1, standard={}, definitions={},
        period_start=date(2026, 1, 1), period_end=date(2027, 1, 1), started_at=utcnow(),
        run_by_id=user_id,
    ))


def _assessment(world, user_id: int) -> Assessment:
    return _add(Assessment(
        run_id=_run(None).id, community_id=world.a, standard_code="hlj_green_community",
        period_start=date(2026, 1, 1), period_end=date(2027, 1, 1), state="final",
        computed_at=utcnow(), points=0, max_points=100, passing_points=60,
        meets_standard=False, items_met=0, items_partly_met=0, items_not_met=0,
        items_needing_assessment=0, items_total=0, areas=[], items=[],
        finalised_at=utcnow(), finalised_by_id=user_id,
    ))


GONE = "gone"
KEPT = "kept"


@dataclass
class Case:
    """One column holding a user's id. `seed(world, user_id)` adds a row whose column is that
    user's; `key` is where the export shows such rows (None: not exported, a work record);
    `after` is GONE, KEPT (the row unchanged) or a test on the row left (anonymised, ended)."""

    column: object
    seed: Callable
    key: str | None
    after: str | Callable
    # How many entries the export shows for that many rows (sign-ins group tokens).
    shown: Callable | None = None

    @property
    def id(self) -> str:
        return f"{self.column.class_.__tablename__}.{self.column.key}"


def _sign_ins(user_id: int) -> int:
    return db.session.scalar(
        sa.select(sa.func.count(sa.distinct(RefreshToken.family_id)))
        .where(RefreshToken.user_id == user_id)
    )


CASES = [
    # platform services
    Case(WechatIdentity.user_id, lambda w, u: _add(WechatIdentity(
        user_id=u, appid="wx-test", openid=f"oid-{_n()}")), "wechat_identities", GONE),
    Case(MediaCheck.author_user_id, lambda w, u: _add(MediaCheck(
        owner_kind="consultation_need", owner_id=1, community_id=w.a, author_user_id=u,
        url="https://example.invalid/p.jpg")), "photo_checks",
        lambda row: row.author_user_id is None),
    Case(Notification.user_id, lambda w, u: _add(Notification(
        user_id=u, kind="test", title="通知", body="正文")), "notifications", GONE),
    Case(SubscriptionCredit.user_id, lambda w, u: _add(SubscriptionCredit(
        user_id=u, template_id=f"tpl-{_n()}", credits=1)), "subscriptions", GONE),
    Case(OutboxMessage.user_id, lambda w, u: _add(OutboxMessage(
        user_id=u, template_id="tpl", data={"thing1": {"value": "x"}})), "wechat_messages", GONE),
    Case(AuditEntry.actor_user_id, lambda w, u: audit.record(
        action="test.done", target_type="test", actor_user_id=u), "activity", KEPT),
    Case(StoredFile.uploaded_by_id, lambda w, u: _add(StoredFile(
        key=f"{_n():032x}", community_id=w.a, uploaded_by_id=u, content_type="image/png",
        size=10, sha256="0" * 64)), "photos", GONE),
    Case(GridWorker.user_id, lambda w, u: _add(GridWorker(grid_id=w.b_grid, user_id=u)),
         "grid_assignments", GONE),
    # accounts
    Case(Membership.user_id, lambda w, u: _membership(u, community_id=w.b, status="pending"),
         "memberships", lambda row: (row.status, row.decision_reason) == ("withdrawn", "用户注销")),
    Case(Membership.decided_by_id, lambda w, u: _membership(
        w.outsider, community_id=w.b, status="rejected", decided_by_id=u), None, KEPT),
    Case(Consent.user_id, lambda w, u: _add(Consent(
        user_id=u, kind="precise_location", version="v1", granted_at=utcnow())), "consents",
        lambda row: row.withdrawn_at is not None),
    Case(RefreshToken.user_id, lambda w, u: _add(RefreshToken(
        jti=f"jti-{_n()}", family_id=f"fam-{_n()}", user_id=u, issued_at=utcnow(),
        expires_at=utcnow() + timedelta(days=1))), "sign_ins",
        lambda row: row.revoked_at is not None, shown=_sign_ins),
    Case(HouseholdInvitation.used_by_id, lambda w, u: _invitation(
        w, used_by_id=u, used_at=utcnow()), "household_invitations", KEPT),
    Case(HouseholdInvitation.created_by_id, lambda w, u: _invitation(w, created_by_id=u),
         None, KEPT),
    # consultations
    Case(Consultation.created_by_id, lambda w, u: _consultation(w, u), None, KEPT),
    Case(Ballot.cast_by_id, _ballot, "ballots", KEPT),
    Case(BallotHistory.ended_by_id, _ballot_history, None, KEPT),
    Case(Need.author_id, lambda w, u: _need(w, u), "needs", KEPT),
    Case(Need.decided_by_id, lambda w, u: _need(w, w.claimant, decided_by_id=u), None, KEPT),
    Case(NeedSupport.user_id, lambda w, u: _add(NeedSupport(
        need_id=_need(w, w.claimant).id, user_id=u)), "need_supports", KEPT),
    Case(Comment.author_id, lambda w, u: _comment(w, u), "comments", KEPT),
    Case(Comment.decided_by_id, lambda w, u: _comment(w, w.claimant, decided_by_id=u), None,
         KEPT),
    Case(CommentReport.reporter_id, lambda w, u: _add(CommentReport(
        comment_id=_comment(w, w.claimant).id, reporter_id=u, reason="辱骂")),
        "comment_reports", KEPT),
    Case(JointMeeting.recorded_by_id, lambda w, u: _add(JointMeeting(
        community_id=w.a, held_on=date(2026, 5, 1), topic="议事会", attendees_count=9,
        recorded_by_id=u)), None, KEPT),
    # tickets
    Case(Ticket.reporter_id, lambda w, u: _ticket(w, u), "tickets", KEPT),
    Case(TicketEvent.actor_id, lambda w, u: _add(TicketEvent(
        ticket_id=_ticket(w, None).id, kind="comment", actor_id=u, actor_role="reporter",
        note="还没修好")), "ticket_events", KEPT),
    Case(TicketSupport.user_id, lambda w, u: _add(TicketSupport(
        ticket_id=_ticket(w, None).id, user_id=u)), "ticket_supports", KEPT),
    Case(Open311Key.created_by_id, lambda w, u: _add(Open311Key(
        organisation_id=w.property_company, region_id=w.street_a, key_hash=f"{_n():064x}",
        label="热线", created_by_id=u)), None, KEPT),
    # scoring
    Case(Judgement.decided_by_id, _judgement, "judgements",
         lambda row: row.decided_by_name == "已注销用户"),
    Case(UploadedStandard.uploaded_by_id, lambda w, u: _add(UploadedStandard(
        code=f"std-{_n()}", name="标准", region_id=w.street_a, document={},
        uploaded_by_id=u)), None, KEPT),
    Case(CommunityStandard.assigned_by_id, lambda w, u: _add(CommunityStandard(
        community_id=w.a, standard_code=f"std-{_n()}", assigned_by_id=u,
        assigned_at=utcnow())), None, KEPT),
    Case(AssessmentRun.run_by_id, lambda w, u: _run(u), None, KEPT),
    Case(Assessment.finalised_by_id, _assessment, None, KEPT),
]


def test_every_column_holding_a_user_id_has_a_case_here():
    cases = {tuple(case.id.split(".")) for case in CASES}
    assert user_columns() <= cases, sorted(user_columns() - cases)


def _snapshot(row) -> dict:
    return {column.key: getattr(row, column.key) for column in sa.inspect(row).mapper.columns}


def _load(model, identity):
    db.session.expire_all()
    return db.session.get(model, identity)


@pytest.mark.parametrize("case", CASES, ids=lambda case: case.id)
def test_the_export_shows_the_persons_rows_and_erasure_forgets_them_as_declared(
    app, client, world, auth, case
):
    me, other = world.resident, world.claimant
    model = case.column.class_
    with app.app_context():
        mine = case.seed(world, me)
        theirs = case.seed(world, other)
        db.session.commit()
        mine_id, theirs_id = sa.inspect(mine).identity, sa.inspect(theirs).identity
        theirs_before = _snapshot(theirs)
        count = case.shown or (lambda user_id: db.session.scalar(
            sa.select(sa.func.count()).select_from(model).where(case.column == user_id)
        ))
        expected = count(me)
        assert expected >= 1 and count(other) >= 1

    if case.key is not None:
        exported = assert_ok(client.get(EXPORT, headers=auth(me)))[case.key]
        assert len(exported) == expected

    assert client.delete(ME, json=ERASE, headers=auth(me)).status_code == 204

    with app.app_context():
        left = _load(model, mine_id)
        if case.after == GONE:
            assert left is None
        elif case.after == KEPT:
            assert left is not None and getattr(left, case.column.key) == me
        else:
            assert left is not None and case.after(left)
        assert _snapshot(_load(model, theirs_id)) == theirs_before
