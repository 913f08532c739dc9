"""buildings floor area

Revision ID: 0970e8d7bcff
Revises: 30f4dced2582
Created: 2026-11-21 13:33:15.824364
"""

import sqlalchemy as sa
from alembic import op

revision = "0970e8d7bcff"
down_revision = "30f4dced2582"
branch_labels = None
depends_on = None

CHECK = "floor_area IS NULL OR floor_area >= 0"


def upgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        # SQLite adds a table constraint only by rebuilding the table, which the rows that refer
        # to buildings make unsafe; a CHECK on the new column itself it adds in place.
        op.execute(
            "ALTER TABLE buildings ADD COLUMN floor_area NUMERIC(12, 2) "
            f"CONSTRAINT ck_buildings_area_not_negative CHECK ({CHECK})"
        )
    else:
        op.add_column(
            "buildings", sa.Column("floor_area", sa.Numeric(precision=12, scale=2), nullable=True)
        )
        op.create_check_constraint(op.f("ck_buildings_area_not_negative"), "buildings", CHECK)


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        op.execute("ALTER TABLE buildings DROP COLUMN floor_area")
    else:
        op.drop_constraint(op.f("ck_buildings_area_not_negative"), "buildings", type_="check")
        op.drop_column("buildings", "floor_area")
