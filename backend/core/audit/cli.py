"""`flask --app backend audit ...`: verify the chains, show a chain head to publish."""

from __future__ import annotations

import click
from flask.cli import AppGroup

audit_cli = AppGroup("audit", help="The audit log: verify the hash chains, show chain heads.")


@audit_cli.command("verify")
def audit_verify() -> None:
    """Walk every chain; name the first broken link of each. Exits 1 if any chain is broken."""
    from backend.core.audit.services import check_chains

    reports = check_chains()
    for report in reports:
        if report.broken:
            click.echo(
                f"{report.chain}: BROKEN at seq {report.broken.seq}: {report.broken.reason}"
            )
        else:
            click.echo(f"{report.chain}: {report.length} entries, head {report.head_hash}")
    broken = sum(1 for report in reports if report.broken)
    if broken:
        raise click.ClickException(f"{broken} of {len(reports)} chains broken")
    click.echo(f"all {len(reports)} chains intact")


@audit_cli.command("head")
@click.option("--community", "community_code", help="Community code (default: the system chain)")
def audit_head(community_code: str | None) -> None:
    """Print a chain's head (seq and hash), e.g. to publish it on the notice board."""
    import sqlalchemy as sa

    from backend.core.audit.services import chain_head
    from backend.core.db import db
    from backend.core.tenancy.models import Community

    community = None
    if community_code:
        community = db.session.scalar(sa.select(Community).where(Community.code == community_code))
        if community is None:
            raise click.ClickException(f"no community with code {community_code}")
    head = chain_head(community)
    updated = head.updated_at.isoformat() if head.updated_at else "-"
    click.echo(f"{head.chain} seq {head.seq} hash {head.hash} at {updated}")
