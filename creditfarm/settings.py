"""One typed settings object, read from the environment (prefix ``CREDITFARM_``) or ``.env``."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from pydantic import model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

__all__ = ["DEFAULT_POLICY_FILE", "DEMO_SECRET", "Settings", "get_settings"]

PACKAGE_DIR = Path(__file__).resolve().parent
DEFAULT_POLICY_FILE = PACKAGE_DIR / "policy" / "policy.toml"
# The demo secret is public (it is in this file); outside demo mode it is refused.
DEMO_SECRET = "creditfarm-demo-secret-not-for-production"


class Settings(BaseSettings):
    """Where creditfarm keeps its data, models and policy, and the key for person hashes."""

    model_config = SettingsConfigDict(env_prefix="CREDITFARM_", env_file=".env", extra="ignore")

    data_dir: Path = Path("data")
    database_url: str = ""  # empty: a SQLite file in data_dir
    payments_dir: Path | None = None  # empty: data_dir / "payments"
    model_dir: Path = Path("models")
    policy_file: Path = DEFAULT_POLICY_FILE
    # Keyed hash (HMAC-SHA256) of resident IDs and card numbers: the join key everywhere.
    secret_key: str = DEMO_SECRET
    demo_mode: bool = True
    # Role of the person using the CLI/app until sign-in exists; decides what is unmasked.
    role: str = "loan_officer"
    user: str = "demo"

    @model_validator(mode="after")
    def _check(self) -> Settings:
        if not self.demo_mode and self.secret_key == DEMO_SECRET:
            raise ValueError(
                "CREDITFARM_SECRET_KEY must be set to a private value outside demo mode"
            )
        if not self.database_url:
            self.database_url = f"sqlite:///{(self.data_dir / 'creditfarm.storage').as_posix()}"
        if self.payments_dir is None:
            self.payments_dir = self.data_dir / "payments"
        return self

    @property
    def payments_path(self) -> Path:
        assert self.payments_dir is not None
        return self.payments_dir


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()
