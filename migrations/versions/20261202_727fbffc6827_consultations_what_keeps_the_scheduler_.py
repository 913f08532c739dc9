"""consultations: what keeps the scheduler from moving one on

Revision ID: 727fbffc6827
Revises: 77b5067496c3
Created: 2026-12-02 06:19:33.124876
"""

import sqlalchemy as sa
from alembic import op

import backend.core.db

revision = '727fbffc6827'
down_revision = '77b5067496c3'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Nullable columns: SQLite adds them in place, without rebuilding the table.
    with op.batch_alter_table('consultations', schema=None) as batch_op:
        batch_op.add_column(sa.Column('stalled_code', sa.String(length=40), nullable=True))
        batch_op.add_column(
            sa.Column('stalled_at', backend.core.db.UTCDateTime(timezone=True), nullable=True)
        )


def downgrade() -> None:
    with op.batch_alter_table('consultations', schema=None) as batch_op:
        batch_op.drop_column('stalled_at')
        batch_op.drop_column('stalled_code')
