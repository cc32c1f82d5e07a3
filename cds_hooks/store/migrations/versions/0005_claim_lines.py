"""The claim lines `scrub` has seen, so a comprehensive genomic profile billed in an earlier
file is found when the same patient's next one is scrubbed. A claim scrubbed again replaces
its lines (a corrected claim is not a second test).

Revision ID: 0005
Revises: 0003
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "claim_lines",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("claim", sa.Text(), nullable=False),
        sa.Column("line_no", sa.Text(), nullable=False),
        sa.Column("patient", sa.Text(), nullable=False),
        sa.Column("payer", sa.Text(), nullable=True),
        sa.Column("billing_npi", sa.Text(), nullable=True),
        sa.Column("cpt", sa.Text(), nullable=True),
        sa.Column("modifiers", sa.Text(), nullable=False),
        sa.Column("zcode", sa.Text(), nullable=True),
        sa.Column("units", sa.Float(), nullable=True),
        sa.Column("date_of_service", sa.Date(), nullable=False),
        sa.Column("diagnoses", sa.Text(), nullable=False),
        sa.Column("charge", sa.Text(), nullable=True),
        sa.Column("scrubbed_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_claim_lines_patient", "claim_lines", ["patient"])


def downgrade() -> None:
    op.drop_table("claim_lines")
