"""personal numbers sealed at rest: person.id_masked, quarantinerow.sealed,
workspacebinding.data_key_id, the keyedvalue registry; person.id_number wide enough for a
token

The values themselves are sealed by ``creditfarm.workspace`` on the first open after this
migration (it holds the data key, which a migration must not need).

Revision ID: 0015
Revises: 0011
Create Date: 2026-12-03 07:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0015"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("person", schema=None) as batch_op:
        batch_op.alter_column(
            "id_number",
            existing_type=sqlmodel.sql.sqltypes.AutoString(length=18),
            type_=sqlmodel.sql.sqltypes.AutoString(),
            existing_nullable=False,
        )
        batch_op.add_column(
            sa.Column("id_masked", sqlmodel.sql.sqltypes.AutoString(), nullable=True)
        )
    with op.batch_alter_table("quarantinerow", schema=None) as batch_op:
        batch_op.add_column(sa.Column("sealed", sqlmodel.sql.sqltypes.AutoString(), nullable=True))
    op.create_table(
        "keyedvalue",
        sa.Column("key", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("value", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.PrimaryKeyConstraint("key"),
    )
    with op.batch_alter_table("workspacebinding", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("data_key_id", sqlmodel.sql.sqltypes.AutoString(length=8), nullable=True)
        )


def downgrade() -> None:
    with op.batch_alter_table("workspacebinding", schema=None) as batch_op:
        batch_op.drop_column("data_key_id")
    op.drop_table("keyedvalue")
    with op.batch_alter_table("quarantinerow", schema=None) as batch_op:
        batch_op.drop_column("sealed")
    with op.batch_alter_table("person", schema=None) as batch_op:
        batch_op.drop_column("id_masked")
        batch_op.alter_column(
            "id_number",
            existing_type=sqlmodel.sql.sqltypes.AutoString(),
            type_=sqlmodel.sql.sqltypes.AutoString(length=18),
            existing_nullable=False,
        )
