"""One typed settings object, read from the environment (prefix ``CREDITFARM_``) or ``.env``."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from pydantic import model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

__all__ = ["DEFAULT_POLICY_FILE", "DEMO_SECRET", "MAX_CELL_CHARS", "Settings", "get_settings"]

PACKAGE_DIR = Path(__file__).resolve().parent
DEFAULT_POLICY_FILE = PACKAGE_DIR / "policy" / "policy.toml"
# The demo secret is public (it is in this file); outside demo mode it is refused.
DEMO_SECRET = "creditfarm-demo-secret-not-for-production"
MAX_CELL_CHARS = 131_072  # csv.field_size_limit()'s default: no cell can be longer


class Settings(BaseSettings):
    """Where creditfarm keeps its data, models and policy, and the key for person hashes.

    ``payments_dir`` and ``model_dir`` are read once, when a database is first opened: the
    database then records its payment store and model registry (``creditfarm.workspace``), and
    later opens use the recorded places whatever the current folder. Set later, they must name
    the recorded places.
    """

    model_config = SettingsConfigDict(env_prefix="CREDITFARM_", env_file=".env", extra="ignore")

    data_dir: Path = Path("data")
    # The app imports only from under this folder ("选择目录" cannot name /etc); empty:
    # data_dir / "imports". Uploads are written under data_dir / "uploads", by the server.
    import_dir: Path | None = None
    max_upload_mb: int = 200  # one upload (keep .streamlit/config.toml maxUploadSize in step)
    # Sign-in: after this many wrong passwords in a row an account is locked for the minutes
    # below (a guesser gets a handful of tries an hour); an idle session ends after its minutes.
    signin_max_failures: int = 5
    signin_lock_minutes: int = 15
    session_idle_minutes: int = 30
    # Limits on one imported file, checked before its rows are read (README "Limits"): a
    # junk or hostile file is refused with its name (and line, column) instead of taking
    # the machine's memory or growing the database. A county's largest export (a quarter of
    # service-point payments of 200,000 households: 2.3M rows, ~230 MB) fits well inside.
    max_file_mb: int = 1024  # a CSV's size; an .xlsx's members inflated together
    max_rows: int = 20_000_000  # lines of a CSV, rows of a sheet
    max_columns: int = 1_000  # cells of a row (header or data)
    max_cell_chars: int = 32_767  # one cell (Excel's own limit; at most 131,072)
    # More rows than this failing their checks: the whole file is refused as junk (or the
    # wrong file) rather than quarantined row by row.
    max_rejected_rows: int = 100_000
    database_url: str = ""  # empty: a SQLite file data_dir / "creditfarm.db"
    # Empty: beside the SQLite file (<stem>-payments/), or data_dir / "<database>-payments".
    payments_dir: Path | None = None
    model_dir: Path | None = None  # empty: models/ in the folder the database is created from
    policy_file: Path = DEFAULT_POLICY_FILE
    # Keyed hash (HMAC-SHA256) of resident IDs and card numbers: the join key everywhere.
    secret_key: str = DEMO_SECRET
    demo_mode: bool = True

    @model_validator(mode="after")
    def _check(self) -> Settings:
        if not self.demo_mode and self.secret_key == DEMO_SECRET:
            raise ValueError(
                "CREDITFARM_SECRET_KEY must be set to a private value outside demo mode"
            )
        if not 1 <= self.max_cell_chars <= MAX_CELL_CHARS:
            # Python's csv module refuses longer cells before creditfarm sees them.
            raise ValueError(f"CREDITFARM_MAX_CELL_CHARS must be 1 … {MAX_CELL_CHARS}")
        if not self.database_url:
            self.database_url = f"sqlite:///{(self.data_dir / 'creditfarm.db').as_posix()}"
        return self


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()
