"""Each order of each call with its own test, price, CPT, date of service, payer, ordering
clinician and the rules evaluated on it (what makes a later silence a fix); and the imported
remittances (835) with their service lines, each file kept once by its digest.

Revision ID: 0003
Revises: 0002
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "call_orders",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("call_id", sa.Integer(), sa.ForeignKey("hook_calls.id"), nullable=False),
        sa.Column("order_ref", sa.Text(), nullable=False),
        sa.Column("test_code", sa.Text(), nullable=True),
        sa.Column("list_price", sa.Numeric(12, 2), nullable=True),
        sa.Column("cpt", sa.Text(), nullable=True),
        sa.Column("date_of_service", sa.Date(), nullable=True),
        sa.Column("payer", sa.Text(), nullable=True),
        sa.Column("requester", sa.Text(), nullable=True),
        sa.Column("evaluated", sa.Text(), nullable=False),
    )
    op.create_index("ix_call_orders_call_id", "call_orders", ["call_id"])
    op.create_index("ix_call_orders_order_ref", "call_orders", ["order_ref"])
    op.create_table(
        "remittances",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("digest", sa.String(64), nullable=False),
        sa.Column("payer", sa.Text(), nullable=True),
        sa.Column("imported_at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("digest", name="uq_remittances_digest"),
    )
    op.create_table(
        "remittance_lines",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("remittance_id", sa.Integer(), sa.ForeignKey("remittances.id"),
                  nullable=False),
        sa.Column("claim", sa.Text(), nullable=False),
        sa.Column("line_no", sa.Integer(), nullable=False),
        sa.Column("control_number", sa.Text(), nullable=True),
        sa.Column("patient", sa.Text(), nullable=True),
        sa.Column("cpt", sa.Text(), nullable=True),
        sa.Column("date_of_service", sa.Date(), nullable=True),
        sa.Column("charge", sa.Numeric(12, 2), nullable=False),
        sa.Column("paid", sa.Numeric(12, 2), nullable=False),
        sa.Column("carcs", sa.Text(), nullable=False),
        sa.Column("rarcs", sa.Text(), nullable=False),
        sa.Column("category", sa.String(30), nullable=False),
        sa.Column("paid_on", sa.Date(), nullable=True),
    )
    op.create_index("ix_remittance_lines_remittance_id", "remittance_lines",
                    ["remittance_id"])


def downgrade() -> None:
    op.drop_table("remittance_lines")
    op.drop_table("remittances")
    op.drop_table("call_orders")
