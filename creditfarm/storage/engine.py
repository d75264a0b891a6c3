"""Database engines and schema migration (Alembic) for SQLite and PostgreSQL; JSON columns are
written and read by ``json_text`` on both."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import event, inspect, text
from sqlalchemy.engine import Connection, Engine
from sqlmodel import Session, create_engine

from creditfarm.storage import json_text

__all__ = [
    "HEAD_REVISION",
    "driver_rows",
    "make_engine",
    "migrate",
    "open_db",
    "schema_revision",
    "session_scope",
]

_MIGRATIONS = Path(__file__).resolve().parent / "migrations"
# The newest revision in migrations/versions/. Opening a database compares it with the stored
# revision and loads Alembic (~0.2 s of imports) only when they differ; a test checks that this
# constant is Alembic's head, so a new migration cannot be skipped.
HEAD_REVISION = "0012"


def _normalize_url(url: str) -> str:
    # psycopg 3 is the PostgreSQL driver; accept the plain scheme too.
    if url.startswith("postgresql://") or url.startswith("postgres://"):
        return "postgresql+psycopg://" + url.split("://", 1)[1]
    return url


def make_engine(url: str) -> Engine:
    """An engine for ``url``; SQLite gets WAL, foreign keys and a busy timeout on connect."""
    url = _normalize_url(url)
    if url.startswith("sqlite"):
        path = url.split("///", 1)[-1]
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(
            url,
            connect_args={"check_same_thread": False, "timeout": 30},
            json_serializer=json_text.dumps,
            json_deserializer=json_text.loads,
        )

        @event.listens_for(engine, "connect")
        def _pragmas(dbapi_conn: Any, _record: Any) -> None:
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA synchronous=NORMAL")
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA busy_timeout=30000")
            cur.close()

        return engine
    return create_engine(
        url,
        pool_pre_ping=True,
        json_serializer=json_text.dumps,
        json_deserializer=json_text.loads,
    )


def driver_rows(conn: Connection, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
    """Every row of ``sql`` (``params`` in the driver's own style) as plain tuples, through the
    driver's own cursor in ``conn``'s transaction: for a bulk read, SQLAlchemy's Row objects
    and per-value processing cost more than the read itself (800,000 persons: 3 s of 13 s)."""
    cursor = conn.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
    try:
        cursor.execute(sql, tuple(params))
        return list(cursor.fetchall())
    finally:
        cursor.close()


def migrate(engine: Engine) -> None:
    """Bring the schema to the newest Alembic revision."""
    from alembic import command
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(_MIGRATIONS))
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "head")


def schema_revision(engine: Engine) -> str | None:
    """The Alembic revision stored in the database (None for a database never migrated)."""
    with engine.connect() as conn:
        if not inspect(conn).has_table("alembic_version"):
            return None
        return conn.execute(text("SELECT version_num FROM alembic_version")).scalar()


def open_db(url: str) -> Engine:
    """Engine with the schema migrated: what the CLI, pipelines and app call."""
    engine = make_engine(url)
    if schema_revision(engine) != HEAD_REVISION:
        migrate(engine)
    return engine


@contextmanager
def session_scope(engine: Engine) -> Iterator[Session]:
    """A session whose work commits together or not at all."""
    with Session(engine) as session:
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise
