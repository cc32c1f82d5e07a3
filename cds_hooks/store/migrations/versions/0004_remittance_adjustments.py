"""Each order's expected payment and test name as the catalog had them at the call (the
report counts expected money, not list price, where the lab gives it). The payer's name
(N1*PR N1-02) beside its id. Remittance lines kept as the 835 said them: every adjustment
with its group and amount, the claim's status (CLP02) and the payer's claim control number
(CLP07), and a key that makes a line re-delivered in another file (new ISA13, other line
endings) count once: payer, CLP01, CLP02, CLP07 and the line. Lines imported before keep a
key of their own row, so an upgrade never merges or drops what was counted before; their
adjustments are read from the codes they kept, without amounts.

Revision ID: 0004
Revises: 0003
"""

import json

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("remittances") as table:
        table.add_column(sa.Column("payer_name", sa.Text(), nullable=True))
    with op.batch_alter_table("call_orders") as table:
        table.add_column(sa.Column("expected_payment", sa.Numeric(12, 2), nullable=True))
        table.add_column(sa.Column("test_name", sa.Text(), nullable=True))
    with op.batch_alter_table("remittance_lines") as table:
        table.add_column(sa.Column("line_key", sa.Text(), nullable=True))
        table.add_column(sa.Column("status", sa.String(4), nullable=True))
        table.add_column(sa.Column("payer_claim", sa.Text(), nullable=True))
        table.add_column(sa.Column("adjustments", sa.Text(), nullable=True))
    lines = sa.table("remittance_lines", sa.column("id", sa.Integer()),
                     sa.column("carcs", sa.Text()), sa.column("line_key", sa.Text()),
                     sa.column("adjustments", sa.Text()))
    connection = op.get_bind()
    for row_id, carcs in connection.execute(sa.select(lines.c.id, lines.c.carcs)).all():
        kept = [code.split("-", 1) + [None] for code in json.loads(carcs) if "-" in code]
        connection.execute(lines.update().where(lines.c.id == row_id).values(
            line_key=f"0003:{row_id}", adjustments=json.dumps(kept)))
    with op.batch_alter_table("remittance_lines") as table:
        table.alter_column("line_key", existing_type=sa.Text(), nullable=False)
        table.alter_column("adjustments", existing_type=sa.Text(), nullable=False)
        table.create_unique_constraint("uq_remittance_lines_line_key", ["line_key"])


def downgrade() -> None:
    with op.batch_alter_table("remittance_lines") as table:
        table.drop_constraint("uq_remittance_lines_line_key", type_="unique")
        for column in ("adjustments", "payer_claim", "status", "line_key"):
            table.drop_column(column)
    with op.batch_alter_table("remittances") as table:
        table.drop_column("payer_name")
    with op.batch_alter_table("call_orders") as table:
        table.drop_column("test_name")
        table.drop_column("expected_payment")
