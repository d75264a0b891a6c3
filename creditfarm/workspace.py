"""A workspace bundles what every entry point needs: settings, database, payment store, policy."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

from sqlalchemy.engine import Engine

from creditfarm.policy.config import Policy, load_policy
from creditfarm.settings import Settings, get_settings
from creditfarm.storage.engine import open_db

__all__ = ["Workspace", "open_workspace"]


@dataclass
class Workspace:
    settings: Settings
    engine: Engine

    @property
    def payments_root(self) -> Path:
        return self.settings.payments_path

    @property
    def model_dir(self) -> Path:
        return self.settings.model_dir

    @property
    def secret(self) -> str:
        return self.settings.secret_key

    @cached_property
    def policy(self) -> Policy:
        return load_policy(self.settings.policy_file)


def open_workspace(
    settings: Settings | None = None, *, database_url: str | None = None
) -> Workspace:
    """Open (and migrate) the database named by ``settings`` or ``database_url``."""
    settings = settings or get_settings()
    if database_url:
        settings = settings.model_copy(update={"database_url": database_url})
    return Workspace(settings=settings, engine=open_db(settings.database_url))
