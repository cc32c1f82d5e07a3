"""The audit trail: each call's patient id, findings (with the test and its list price),
system actions, card summaries and suggestion labels; record ids that make writes idempotent;
free-text columns that clients fill made unbounded; `feedback.known_card` dropped (whether a
card was issued is read from the cards table when asked: feedback can be written before the
call it answers when both wait in different workers' spools).

Revision ID: 0002
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("hook_calls") as table:
        table.add_column(sa.Column("record_id", sa.String(36), nullable=True))
        table.add_column(sa.Column("patient", sa.Text(), nullable=True))
        table.add_column(sa.Column("actions", sa.Text(), nullable=True))
        table.alter_column("hook_instance", type_=sa.Text(), existing_nullable=False)
        table.alter_column("issuer", type_=sa.Text(), existing_nullable=True)
        table.create_unique_constraint("uq_hook_calls_record_id", ["record_id"])
        table.create_index("ix_hook_calls_received_at", ["received_at"])
    with op.batch_alter_table("cards") as table:
        table.add_column(sa.Column("summary", sa.Text(), nullable=True))
        table.alter_column("hook_instance", type_=sa.Text(), existing_nullable=False)
    with op.batch_alter_table("suggestions") as table:
        table.add_column(sa.Column("label", sa.Text(), nullable=True))
        table.add_column(sa.Column("actions", sa.Text(), nullable=True))
    with op.batch_alter_table("feedback") as table:
        table.add_column(sa.Column("record_id", sa.String(36), nullable=True))
        table.add_column(sa.Column("item_no", sa.Integer(), nullable=True))
        table.drop_column("known_card")
        for column in ("card_uuid", "override_system", "override_code", "issuer"):
            table.alter_column(column, type_=sa.Text())
        table.create_unique_constraint("uq_feedback_record_item", ["record_id", "item_no"])
        table.create_index("ix_feedback_received_at", ["received_at"])
    op.create_table(
        "findings",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("call_id", sa.Integer(), sa.ForeignKey("hook_calls.id"), nullable=False),
        sa.Column("order_ref", sa.Text(), nullable=False),
        sa.Column("rule", sa.String(100), nullable=False),
        sa.Column("severity", sa.String(20), nullable=False),
        sa.Column("test_code", sa.Text(), nullable=True),
        sa.Column("list_price", sa.Numeric(12, 2), nullable=True),
        sa.Column("card_uuid", sa.String(36), nullable=True),
    )
    op.create_index("ix_findings_call_id", "findings", ["call_id"])
    op.create_index("ix_findings_rule", "findings", ["rule"])
    op.create_index("ix_findings_card_uuid", "findings", ["card_uuid"])


def downgrade() -> None:
    op.drop_table("findings")
    with op.batch_alter_table("feedback") as table:
        table.drop_index("ix_feedback_received_at")
        table.drop_constraint("uq_feedback_record_item", type_="unique")
        table.add_column(sa.Column("known_card", sa.Boolean(), nullable=False,
                                   server_default=sa.true()))
        table.drop_column("item_no")
        table.drop_column("record_id")
    with op.batch_alter_table("suggestions") as table:
        table.drop_column("actions")
        table.drop_column("label")
    with op.batch_alter_table("cards") as table:
        table.drop_column("summary")
    with op.batch_alter_table("hook_calls") as table:
        table.drop_index("ix_hook_calls_received_at")
        table.drop_constraint("uq_hook_calls_record_id", type_="unique")
        table.drop_column("actions")
        table.drop_column("patient")
        table.drop_column("record_id")
