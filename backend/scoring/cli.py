"""`flask --app backend scoring assess`: run the assessments now, with progress (the nightly job
does the same for this year)."""

from __future__ import annotations

import click
from flask.cli import AppGroup

scoring_cli = AppGroup("scoring", help="Scores against the creation standards.")


@scoring_cli.command("assess")
@click.option("--standard", "code", help="Only this standard (default: every standard in use).")
@click.option("--year", type=int, help="A calendar year (default: this year).")
def scoring_assess(code: str | None, year: int | None) -> None:
    """Evaluate every community on its standards and store this period's drafts."""
    from backend.core.errors import DomainError
    from backend.core.metrics import Period
    from backend.scoring.services.assessments import communities_by_standard, run
    from backend.scoring.services.common import local_today, standard_or_404

    period = Period.calendar_year(year or local_today(None).year)
    for standard_code, ids in sorted(communities_by_standard().items()):
        if code and standard_code != code:
            continue
        try:
            found = standard_or_404(standard_code)
        except DomainError as error:
            click.echo(f"{standard_code}: skipped ({error.message})", err=True)
            continue

        def progress(done: int, total: int, standard_code=standard_code) -> None:
            click.echo(f"{standard_code}: {done}/{total} communities", err=True)

        report = run(found, period, ids, progress=progress)
        click.echo(
            f"{standard_code} {period.start.year}: {report.communities} communities, "
            f"{report.meeting} meet the standard, {report.seconds:.1f} s"
        )
