"""scripts/bench-ballots: how fast residents can cast ballots, against a bare insert baseline.

Issue 4: casting a ballot is the hottest write; it must run at ≥ 50 % of the rate of a bare
Flask + SQLAlchemy one-row insert on the same database, with p99 ≤ 50 ms, on SQLite (WAL) and
PostgreSQL. For each engine this:

1. migrates a fresh database (a throw-away PostgreSQL cluster on 127.0.0.1, durable settings;
   a SQLite file in a temp dir, WAL);
2. builds one community of `--households` households, each with a verified resident owner,
   and a consultation in status voting (single choice of 3 options, or `--method
   owners_decision`), its electorate snapshotted by the app's own code; mints an access token
   per resident with the server's JWT secret;
3. serves the real app (`backend:create_app()`) and the bare app (bench_lib/bare_app.py, one
   row inserted per POST) under gunicorn, `--workers` sync workers each, on 127.0.0.1;
4. saturates each app: POSTs `/api/v1/communities/<id>/consultations/<id>/ballots` from
   `--clients` threads (a requests.Session each), each sending its next ballot as soon as the
   last is answered, every ballot from another household; then loads the bare app the same
   way, alternating `--rounds` times (`--seconds` measured per app in all, each round after
   `--warmup` seconds that do not count). This gives the rates and their ratio;
5. paces each app for `--paced-seconds`: the same clients send requests due at a fixed rate,
   the target rate (`TARGET_RATIO_PCT` of the bare app's rate just measured), whether or not
   earlier ones were answered, and a latency counts from when its request was due.

Every ballot must answer 201. Prints per engine `<engine>_bare_insert_per_s`,
`<engine>_ballots_per_s`, `<engine>_ratio_pct` (ballots / bare × 100) and the p99 latencies,
PostgreSQL last, and exits non-zero if any ballot was refused.

Where the p99 target is measured. Under saturation, 32 clients on 2 sync workers wait in
the workers' queue: by Little's law a latency is about clients / rate, whatever the app does
(`<engine>_saturated_ballot_p99_ms`, and the bare app's beside it, which is as far above
50 ms on a 2-core machine). So the target is read at the target rate: serving ballots at half
the bare insert rate, 99 % of them are answered within `<engine>_ballot_p99_ms`, queue
included. `<engine>_ballot_worker_p99_ms` is the time a worker spent on a ballot under
saturation (gunicorn's access log), without the queue. Servers, clusters and temp files are
removed at the end, also on Ctrl-C or an error.
"""

from __future__ import annotations

import argparse
import itertools
import secrets
import sys
import tempfile
import uuid
from contextlib import ExitStack
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

from flask_jwt_extended import create_access_token

from backend.accounts.models import Membership, User
from backend.consultations.models import Consultation, ConsultationOption
from backend.consultations.services.electorate import snapshot_electorate
from backend.core.db import db, utcnow
from bench_lib import bare_app
from bench_lib.common import (
    Timer,
    build_community,
    bulk_insert,
    exit_on_sigterm,
    figure,
    ids_in_order,
    make_app,
    migrate,
    note,
    percentile,
    throwaway_database,
    warn_if_busy,
)
from bench_lib.load import LoadResult, fire, merged, serve, worker_times_ms

ENGINES = ("sqlite", "postgresql")
DECISIONS = ("agree", "disagree", "abstain")
TARGET_RATIO_PCT = 50
TARGET_P99_MS = 50


def build(
    url: str, households: int, method: str, secret: str
) -> tuple[str, list[tuple[dict, dict]]]:
    """Residents, households and a consultation in voting; return the ballot URL path and, per
    household, the (headers, body) of its ballot."""
    app = make_app(url, JWT_SECRET_KEY=secret, SECRET_KEY=secret)
    with app.app_context():
        place = build_community(
            households=households, code="BENCH-BALLOTS",
            area_of=lambda _i: Decimal("80.00"), owner_ref_of=lambda i: f"BENCH-{i:07d}",
        )
        connection = db.session.connection()
        now = utcnow()
        bulk_insert(
            connection, User.__table__,
            ("display_name", "is_system_admin", "is_auditor", "is_active", "failed_logins",
             "created_at", "updated_at"),
            ((f"居民{i}", False, False, True, 0, now, now) for i in range(households + 1)),
        )
        user_ids = ids_in_order(connection, User.id)
        committee_id, resident_ids = user_ids[0], user_ids[1:]
        bulk_insert(
            connection, Membership.__table__,
            ("user_id", "role", "scope_key", "community_id", "household_id", "relation",
             "status", "decided_at", "verified_by_invitation", "created_at", "updated_at"),
            ((user_id, "resident", f"household:{household_id}", place.community_id,
              household_id, "owner", "verified", now, False, now, now)
             for user_id, household_id in zip(resident_ids, place.household_ids, strict=True)),
        )
        owners = method == "owners_decision"
        consultation = Consultation(
            community_id=place.community_id, created_by_id=committee_id,
            title="加装电梯表决" if owners else "改造项目优先级", question="请表决",
            method=method, matter=7 if owners else None,
            electorate="owners" if owners else "residents", ballot_per="household",
            status="voting", voting_opens_at=now - timedelta(days=1),
            voting_opened_at=now - timedelta(days=1), voting_closes_at=now + timedelta(days=6),
        )
        if not owners:
            consultation.options = [
                ConsultationOption(label=label, position=index)
                for index, label in enumerate(("加装电梯", "改造停车位", "增设充电桩"))
            ]
        db.session.add(consultation)
        db.session.flush()
        snapshot_electorate(consultation)
        option_ids = [option.id for option in consultation.options]
        path = (f"/api/v1/communities/{place.community_id}"
                f"/consultations/{consultation.id}/ballots")
        db.session.commit()

        ballots = []
        for index, user_id in enumerate(resident_ids):
            token = create_access_token(
                identity=str(user_id), additional_claims={"fam": str(uuid.uuid4())}
            )
            body = ({"decision": DECISIONS[index % 3]} if owners
                    else {"option_ids": [option_ids[index % len(option_ids)]]})
            ballots.append(({"Authorization": f"Bearer {token}"}, body))
    return path, ballots


def bench_engine(engine: str, args: argparse.Namespace) -> dict[str, LoadResult]:
    results: dict[str, LoadResult] = {}
    with throwaway_database(engine, durable=True) as url:
        timer = Timer()
        migrate(url)
        bare_app.create_table(url)
        secret = secrets.token_urlsafe(48)
        path, ballot_requests = build(url, args.households, args.method, secret)
        note(f"{engine}: {args.households} households, residents and tokens ready "
             f"in {timer.seconds:.1f} s")
        env = {
            "APP_ENV": "development", "DATABASE_URL": url, "RATELIMIT_ENABLED": "0",
            "SECRET_KEY": secret, "JWT_SECRET_KEY": secret,
            "FIELD_ENCRYPTION_KEY": secrets.token_urlsafe(48),
        }

        def ballot(number: int) -> tuple[dict, dict]:
            headers, body = ballot_requests[number]
            if args.idempotency_key:  # as the mini-program sends one per user action
                headers = {**headers, "Idempotency-Key": str(uuid.uuid4())}
            return headers, body

        def bare(number: int) -> tuple[dict, dict]:
            return {}, {"voter": number, "choice": DECISIONS[number % 3]}

        # Both servers run side by side (an idle sync worker costs nothing) and the load
        # alternates between them in rounds, so a change in what else the machine does
        # weighs on both rates alike.
        apps = {
            "ballot": ("backend:create_app()", path, ballot, len(ballot_requests)),
            "bare": ("bench_lib.bare_app:create_app()", "/rows", bare, 10**9),
        }
        rounds: dict[str, list[LoadResult]] = {name: [] for name in apps}
        with tempfile.TemporaryDirectory(prefix="gongzhi-bench-logs.") as logs, ExitStack() as up:
            bases = {
                name: up.enter_context(
                    serve(spec, env, workers=args.workers, access_log=Path(logs) / name)
                )
                for name, (spec, *_rest) in apps.items()
            }
            numbers = {name: itertools.count() for name in apps}
            for _round in range(args.rounds):
                for name, (_spec, url_path, request_for, limit) in apps.items():
                    rounds[name].append(fire(
                        bases[name] + url_path, request_for, clients=args.clients,
                        seconds=args.seconds / args.rounds, warmup=args.warmup,
                        numbers=numbers[name], limit=limit,
                    ))
            saturated = {name: merged(rounds[name]) for name in apps}
            target_rate = saturated["bare"].per_second * TARGET_RATIO_PCT / 100
            paced = {}
            for name, (_spec, url_path, request_for, limit) in apps.items():
                paced[name] = fire(
                    bases[name] + url_path, request_for, clients=args.clients,
                    seconds=args.paced_seconds, warmup=args.warmup, numbers=numbers[name],
                    limit=limit, rate=target_rate, phase="p",
                )
            up.close()  # stop the servers: their access logs are complete
            for name in apps:
                saturated[name].worker_ms = worker_times_ms(Path(logs) / name, "m")
                paced[name].worker_ms = worker_times_ms(Path(logs) / name, "p")
                report_load(engine, f"{name} saturated", saturated[name])
                report_load(engine, f"{name} at {target_rate:.0f}/s", paced[name])
                results[name], results[f"{name}_paced"] = saturated[name], paced[name]
    return results


def report_load(engine: str, what: str, result: LoadResult) -> None:
    statuses = ", ".join(f"{status}: {count}" for status, count in sorted(result.statuses.items()))
    note(f"{engine} {what}: {result.created} created in {result.seconds:.1f} s "
         f"({result.per_second:.0f}/s), p50 {result.p(0.5):.1f} ms, p99 {result.p(0.99):.1f} ms, "
         f"max {max(result.latencies_ms, default=0):.1f} ms; in the worker p50 "
         f"{percentile(result.worker_ms, 0.5):.1f} ms, p99 {percentile(result.worker_ms, 0.99):.1f} ms "
         f"[{statuses}]"
         + (" — households ran out" if result.exhausted else ""))
    for sample in result.samples:
        note(f"  refused: {sample}")


def print_figures(engine: str, results: dict[str, LoadResult]) -> None:
    ballot, bare = results["ballot"], results["bare"]
    ballot_paced, bare_paced = results["ballot_paced"], results["bare_paced"]
    ratio = 100 * ballot.per_second / bare.per_second if bare.per_second else 0.0
    figure(f"{engine}_ballot_refused", ballot.failed + ballot_paced.failed)
    figure(f"{engine}_saturated_bare_p99_ms", f"{bare.p(0.99):.1f}", "ms")
    figure(f"{engine}_saturated_ballot_p99_ms", f"{ballot.p(0.99):.1f}", "ms")
    figure(f"{engine}_ballot_worker_p99_ms", f"{percentile(ballot.worker_ms, 0.99):.1f}", "ms")
    figure(f"{engine}_target_rate_per_s", f"{ballot_paced.per_second:.0f}", "/s")
    figure(f"{engine}_bare_p99_ms", f"{bare_paced.p(0.99):.1f}", "ms")
    figure(f"{engine}_ballot_p99_ms", f"{ballot_paced.p(0.99):.1f}", "ms")
    figure(f"{engine}_bare_insert_per_s", f"{bare.per_second:.0f}", "/s")
    figure(f"{engine}_ballots_per_s", f"{ballot.per_second:.0f}", "/s")
    figure(f"{engine}_ratio_pct", f"{ratio:.0f}", "%")
    misses = []
    if ratio < TARGET_RATIO_PCT:
        misses.append(f"ratio {ratio:.0f} % < {TARGET_RATIO_PCT} %")
    if ballot_paced.p(0.99) > TARGET_P99_MS:
        misses.append(f"p99 at the target rate {ballot_paced.p(0.99):.1f} ms > {TARGET_P99_MS} ms")
    if misses:
        note(f"{engine}: under the issue's targets: {'; '.join(misses)}")


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="scripts/bench-ballots", description=__doc__.split("\n\n")[0],
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--seconds", type=float, default=20, help="measured seconds per app (20)")
    parser.add_argument("--rounds", type=int, default=2,
                        help="alternate the load between the apps this many times (2)")
    parser.add_argument("--paced-seconds", type=float, default=10,
                        help="measured seconds per app at the target rate (10)")
    parser.add_argument("--warmup", type=float, default=2,
                        help="unmeasured seconds before each round and each paced run (2)")
    parser.add_argument("--clients", type=int, default=32, help="concurrent client threads (32)")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn sync workers (2)")
    parser.add_argument("--engine", choices=(*ENGINES, "both"), default="both")
    parser.add_argument("--households", type=int, default=30_000,
                        help="households, one resident and at most one ballot each (30000)")
    parser.add_argument("--method", choices=("single", "owners_decision"), default="single")
    parser.add_argument("--idempotency-key", action="store_true",
                        help="send a fresh Idempotency-Key with each ballot, as the mini-program does")
    args = parser.parse_args(argv)
    positive = (args.seconds, args.paced_seconds, args.clients, args.households, args.rounds)
    if min(positive) <= 0 or args.warmup < 0:
        parser.error("--seconds, --paced-seconds, --rounds, --clients and --households must be "
                     "positive")
    if args.seconds + args.paced_seconds + (args.rounds + 1) * args.warmup > 120:
        parser.error("at most 120 s of load per app: the run must stay bounded")
    return args


def main(argv: list[str] | None = None) -> None:
    exit_on_sigterm()
    args = parse_args(sys.argv[1:] if argv is None else argv)
    engines = ENGINES if args.engine == "both" else (args.engine,)
    warn_if_busy()
    refused = 0
    try:
        for engine in engines:
            results = bench_engine(engine, args)
            print_figures(engine, results)
            refused += results["ballot"].failed + results["ballot_paced"].failed
    except KeyboardInterrupt:
        raise SystemExit(130) from None
    if refused:
        raise SystemExit(f"{refused} ballots were refused: every cast must answer 201")


if __name__ == "__main__":
    main()
