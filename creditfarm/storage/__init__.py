"""The SQL database: tables, engines, migrations."""

from creditfarm.storage.engine import make_engine, migrate, open_db, session_scope
from creditfarm.storage.models import *  # noqa: F403
from creditfarm.storage.models import __all__ as _models_all

__all__ = ["make_engine", "migrate", "open_db", "session_scope", *_models_all]
