"""The SQL database: tables, engines, migrations."""

from creditfarm.db.engine import make_engine, migrate, open_db, session_scope
from creditfarm.db.models import *  # noqa: F403
from creditfarm.db.models import __all__ as _models_all

__all__ = ["make_engine", "migrate", "open_db", "session_scope", *_models_all]
