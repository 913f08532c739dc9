"""wechat: nonces of accepted pushes, against replays

Revision ID: 2a6ec72550e5
Revises: 727fbffc6827
Created: 2026-12-07 23:11:44.049178
"""

import sqlalchemy as sa
from alembic import op

import backend.core.db

revision = '2a6ec72550e5'
down_revision = '727fbffc6827'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('wechat_push_nonces',
    sa.Column('timestamp', sa.BigInteger(), nullable=False),
    sa.Column('nonce', sa.String(length=64), nullable=False),
    sa.Column('digest', sa.String(length=64), nullable=False),
    sa.Column('received_at', backend.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('timestamp', 'nonce', name=op.f('pk_wechat_push_nonces'))
    )


def downgrade() -> None:
    op.drop_table('wechat_push_nonces')
