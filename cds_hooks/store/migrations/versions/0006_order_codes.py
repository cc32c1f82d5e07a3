"""The client EHR's own codes on each order that is, or may be, one of the lab's tests, and
whether the lab's aliases named a test by them: the report lists the codes that named none,
for the lab's interface analyst to add to aliases.csv. Calls kept before have none.

Revision ID: 0006
Revises: 0004
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "order_codes",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("call_id", sa.Integer(), sa.ForeignKey("hook_calls.id"), nullable=False),
        sa.Column("order_ref", sa.Text(), nullable=False),
        sa.Column("system", sa.Text(), nullable=False),
        sa.Column("code", sa.Text(), nullable=False),
        sa.Column("display", sa.Text(), nullable=True),
        sa.Column("named", sa.Boolean(), nullable=False),
    )
    op.create_index("ix_order_codes_call_id", "order_codes", ["call_id"])


def downgrade() -> None:
    op.drop_table("order_codes")
