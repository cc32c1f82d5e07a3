"""The store as it was before migrations: hook calls, cards, suggestions, feedback, token ids.

A database made then (by create_all, without alembic_version) is stamped with this revision
instead of running it; see cds_hooks/store/migrate.py.

Revision ID: 0001
Revises:
"""

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "hook_calls",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("hook_instance", sa.String(200), nullable=False),
        sa.Column("service", sa.String(100), nullable=False),
        sa.Column("hook", sa.String(50), nullable=False),
        sa.Column("issuer", sa.String(500), nullable=True),
        sa.Column("orders", sa.Text(), nullable=False),
        sa.Column("knowledge_version", sa.String(50), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("duration_ms", sa.Float(), nullable=False),
    )
    op.create_index("ix_hook_calls_hook_instance", "hook_calls", ["hook_instance"])
    op.create_table(
        "cards",
        sa.Column("uuid", sa.String(36), primary_key=True),
        sa.Column("call_id", sa.Integer(), sa.ForeignKey("hook_calls.id"), nullable=False),
        sa.Column("service", sa.String(100), nullable=False),
        sa.Column("hook_instance", sa.String(200), nullable=False),
        sa.Column("orders", sa.Text(), nullable=False),
        sa.Column("rules", sa.Text(), nullable=False),
        sa.Column("indicator", sa.String(20), nullable=False),
        sa.Column("card_type", sa.String(50), nullable=False),
    )
    op.create_index("ix_cards_call_id", "cards", ["call_id"])
    op.create_table(
        "suggestions",
        sa.Column("uuid", sa.String(36), primary_key=True),
        sa.Column("card_uuid", sa.String(36), sa.ForeignKey("cards.uuid"), nullable=False),
    )
    op.create_index("ix_suggestions_card_uuid", "suggestions", ["card_uuid"])
    op.create_table(
        "feedback",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("service", sa.String(100), nullable=False),
        sa.Column("card_uuid", sa.String(200), nullable=False),
        sa.Column("known_card", sa.Boolean(), nullable=False),
        sa.Column("outcome", sa.String(20), nullable=False),
        sa.Column("accepted_suggestions", sa.Text(), nullable=False),
        sa.Column("override_system", sa.String(500), nullable=True),
        sa.Column("override_code", sa.String(200), nullable=True),
        sa.Column("override_comment", sa.Text(), nullable=True),
        sa.Column("outcome_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("issuer", sa.String(500), nullable=True),
    )
    op.create_index("ix_feedback_card_uuid", "feedback", ["card_uuid"])
    op.create_table(
        "token_uses",
        sa.Column("issuer", sa.String(500), primary_key=True),
        sa.Column("jti", sa.String(500), primary_key=True),
        sa.Column("expires_at", sa.Float(), nullable=False),
    )
    op.create_index("ix_token_uses_expires_at", "token_uses", ["expires_at"])


def downgrade() -> None:
    for table in ("token_uses", "feedback", "suggestions", "cards", "hook_calls"):
        op.drop_table(table)
