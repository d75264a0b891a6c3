"""monthly rate snapshots (as_of of the data) and credit-village results per year

Revision ID: 0013
Revises: 0015
Create Date: 2026-12-03 07:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0013"
down_revision: str | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("ratesnapshot") as batch:
        batch.add_column(sa.Column("as_of", sa.Date(), nullable=True))
        batch.create_index("ix_ratesnapshot_as_of", ["as_of"], unique=False)
    op.create_table(
        "creditarearesult",
        sa.Column("year", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("level", sqlmodel.sql.sqltypes.AutoString(length=8), nullable=False),
        sa.Column("code", sqlmodel.sql.sqltypes.AutoString(length=12), nullable=False),
        sa.Column("name", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("town_name", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("credit", sa.Boolean(), nullable=False),
        sa.Column("figures", sa.JSON(), nullable=False),
        sa.Column("policy_version", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("as_of", sa.Date(), nullable=True),
        sa.Column("assessed_by", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("assessed_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("year", "level", "code"),
    )


def downgrade() -> None:
    op.drop_table("creditarearesult")
    with op.batch_alter_table("ratesnapshot") as batch:
        batch.drop_index("ix_ratesnapshot_as_of")
        batch.drop_column("as_of")
