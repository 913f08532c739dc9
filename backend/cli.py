"""`flask --app backend ...` commands for operators: db, demo, users (openapi comes with smorest)."""

from __future__ import annotations

import click
from flask import Flask, current_app
from flask.cli import AppGroup

from backend.core.auth import Role
from backend.core.errors import DomainError

db_cli = AppGroup("db", help="Database migrations.")
demo_cli = AppGroup("demo", help="Demo data.")
users_cli = AppGroup("users", help="Staff accounts.")


@db_cli.command("upgrade")
@click.argument("revision", default="head")
def db_upgrade(revision: str) -> None:
    """Migrate the database to REVISION (default: head)."""
    from backend import migrate

    migrate.upgrade(current_app.config["DATABASE_URL"], revision)
    click.echo(f"database at {revision}")


@db_cli.command("downgrade")
@click.argument("revision")
def db_downgrade(revision: str) -> None:
    """Step the database back to REVISION."""
    from backend import migrate

    migrate.downgrade(current_app.config["DATABASE_URL"], revision)


@db_cli.command("revision")
@click.option("-m", "--message", required=True)
def db_revision(message: str) -> None:
    """Write a new migration from the difference between the models and the database."""
    from backend import migrate

    migrate.revision(current_app.config["DATABASE_URL"], message)


@demo_cli.command("load")
def demo_load() -> None:
    """Load the demo street, communities and accounts (idempotent)."""
    from backend.demo import load_demo, print_accounts

    if current_app.config["APP_ENV"] == "production":
        # Demo accounts share a published password: never in production.
        raise click.ClickException("demo data is refused in production")
    created = load_demo()
    click.echo("demo data loaded" if created else "demo data already present")
    if created:
        from backend.scoring.services.assessments import refresh_drafts

        # This year's scorecards, as the nightly job would leave them.
        refresh_drafts()
    print_accounts(click.echo)


@users_cli.command("create")
@click.option("--username", required=True)
@click.option("--password", required=True)
@click.option("--role", required=True, type=click.Choice([str(r) for r in Role if r != Role.RESIDENT]))
@click.option("--display-name")
@click.option("--community", "community_code", help="Community code (committee, grid_worker, professional)")
@click.option("--region", "region_code", help="Region code (street_admin)")
@click.option("--organisation", "organisation_code", help="Organisation code (property_staff)")
def users_create(**options) -> None:
    """Create a staff user holding one role."""
    from backend.accounts.services import create_user

    try:
        user = create_user(**options)
    except DomainError as error:
        raise click.ClickException(f"{error.code}: {error.message}") from error
    click.echo(f"created user {user.username} (id {user.id}) as {options['role']}")


def init_app(app: Flask) -> None:
    from backend.core.audit.cli import audit_cli
    from backend.scoring.cli import scoring_cli

    for group in (db_cli, demo_cli, users_cli, audit_cli, scoring_cli):
        app.cli.add_command(group)


def run_scheduler() -> int:
    """`scripts/scheduler`: run the jobs of every domain until SIGTERM or Ctrl-C."""
    import logging
    import signal
    import threading

    from backend import create_app
    from backend.core.scheduler import Scheduler, collect_jobs

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    # APScheduler announces every run; our own lines say what matters.
    logging.getLogger("apscheduler").setLevel(logging.WARNING)
    log = logging.getLogger("backend.core.scheduler")
    app = create_app()
    scheduler = Scheduler(app, collect_jobs())
    stop = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stop.set())
    log.info("scheduler %s started: %s", scheduler.holder,
             ", ".join(job.name for job in scheduler.jobs))
    scheduler.start()
    stop.wait()
    scheduler.stop()
    log.info("scheduler %s stopped", scheduler.holder)
    return 0
