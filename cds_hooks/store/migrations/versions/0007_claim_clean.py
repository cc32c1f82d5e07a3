"""Whether the scrub found each claim clean (no warning, every payer check ran), so the
report's first-pass clean-claim rate counts the claims scrubbed clean and then paid. Lines
kept before have none: their claims are not counted as scrubbed.

Revision ID: 0007
Revises: 0006
"""

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("claim_lines", sa.Column("claim_clean", sa.Boolean(), nullable=True))
    op.create_index("ix_claim_lines_claim", "claim_lines", ["claim"])


def downgrade() -> None:
    op.drop_index("ix_claim_lines_claim", "claim_lines")
    with op.batch_alter_table("claim_lines") as batch:
        batch.drop_column("claim_clean")
