"""The Alembic migrations build exactly the schema the SQLModel tables describe."""

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlmodel import SQLModel

import creditfarm.storage.models  # noqa: F401  (registers the tables)


def test_migrated_schema_matches_the_models(ws):
    with ws.engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        diff = compare_metadata(context, SQLModel.metadata)
    assert diff == []


def test_migrations_run_twice_without_change(ws):
    from creditfarm.storage.engine import migrate

    migrate(ws.engine)  # already at head: a no-op, not an error
    with ws.engine.connect() as conn:
        context = MigrationContext.configure(conn)
        assert context.get_current_revision() == "0012"
