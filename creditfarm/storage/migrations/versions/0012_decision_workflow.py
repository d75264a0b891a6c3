"""decision workflow: status (effective, pending, superseded, rejected), maker-checker review,
row versions, and the assessment's decision version (optimistic versioning)

Revision ID: 0012
Revises: 0013
Create Date: 2026-12-03 07:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0012"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_WHERE = {
    "ux_decision_effective": "status = 'effective'",
    "ux_decision_pending": "status = 'pending'",
}


def upgrade() -> None:
    with op.batch_alter_table("decision", schema=None) as batch_op:
        batch_op.add_column(sa.Column("credit_household", sa.Boolean(), nullable=True))
        batch_op.add_column(
            sa.Column(
                "status",
                sqlmodel.sql.sqltypes.AutoString(length=16),
                nullable=False,
                server_default="effective",
            )
        )
        batch_op.add_column(
            sa.Column(
                "approval_needed",
                sqlmodel.sql.sqltypes.AutoString(),
                nullable=False,
                server_default="",
            )
        )
        batch_op.add_column(
            sa.Column("reviewed_by", sqlmodel.sql.sqltypes.AutoString(), nullable=True)
        )
        batch_op.add_column(
            sa.Column("reviewed_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True)
        )
        batch_op.add_column(
            sa.Column("review_note", sqlmodel.sql.sqltypes.AutoString(), nullable=True)
        )
        batch_op.add_column(sa.Column("version", sa.Integer(), nullable=False, server_default="1"))
        batch_op.create_index(batch_op.f("ix_decision_status"), ["status"], unique=False)
    with op.batch_alter_table("assessment", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("decision_version", sa.Integer(), nullable=False, server_default="0")
        )
    # Decisions stored before this revision were all in force at once; the newest of each
    # assessment stays effective, the older ones become history.
    op.execute(
        "UPDATE decision SET status = 'superseded' WHERE id NOT IN "
        "(SELECT MAX(id) FROM decision GROUP BY assessment_id)"
    )
    op.execute(
        "UPDATE decision SET credit_household = "
        "(SELECT a.credit_household FROM assessment a WHERE a.id = decision.assessment_id) "
        "WHERE action <> 'decline' AND \"limit\" > 0"
    )
    op.execute("UPDATE decision SET credit_household = false WHERE credit_household IS NULL")
    op.execute(
        "UPDATE assessment SET decision_version = "
        "(SELECT COUNT(*) FROM decision d WHERE d.assessment_id = assessment.id) "
        "WHERE id IN (SELECT assessment_id FROM decision)"
    )
    for name, where in _WHERE.items():
        op.create_index(
            name,
            "decision",
            ["assessment_id"],
            unique=True,
            sqlite_where=sa.text(where),
            postgresql_where=sa.text(where),
        )


def downgrade() -> None:
    for name in _WHERE:
        op.drop_index(name, table_name="decision")
    with op.batch_alter_table("assessment", schema=None) as batch_op:
        batch_op.drop_column("decision_version")
    with op.batch_alter_table("decision", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_decision_status"))
        for column in (
            "version",
            "review_note",
            "reviewed_at",
            "reviewed_by",
            "approval_needed",
            "status",
            "credit_household",
        ):
            batch_op.drop_column(column)
