"""workspace binding: a check value of the keyed-hash secret, so a changed key is refused

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-02 20:40:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("workspacebinding") as batch:
        batch.add_column(
            sa.Column("key_check", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=True)
        )


def downgrade() -> None:
    with op.batch_alter_table("workspacebinding") as batch:
        batch.drop_column("key_check")
