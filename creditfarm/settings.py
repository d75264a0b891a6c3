"""One typed settings object, read from the environment (prefix ``CREDITFARM_``) or ``.env``."""

from __future__ import annotations

import os
import secrets
from functools import lru_cache
from pathlib import Path

from pydantic import model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

__all__ = [
    "DEFAULT_POLICY_FILE",
    "DEMO_DATA_KEY_FILE",
    "DEMO_SECRET",
    "DEMO_SECRET_FILE",
    "MAX_CELL_CHARS",
    "Settings",
    "get_settings",
    "own_secret",
]

PACKAGE_DIR = Path(__file__).resolve().parent
DEFAULT_POLICY_FILE = PACKAGE_DIR / "policy" / "policy.toml"
# The secret of the first landing's demo, public (it is in this file): refused everywhere now.
# Demo mode without a secret makes a random one of its own (``own_secret``).
DEMO_SECRET = "creditfarm-demo-secret-not-for-production"
DEMO_SECRET_FILE = ".demo-secret"
DEMO_DATA_KEY_FILE = ".demo-data-key"
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
    # Sign-in through the bank's identity provider (OpenID Connect, Streamlit's st.login):
    # empty is off; "default" uses the [auth] section of .streamlit/secrets.toml, another name
    # its [auth.<name>] section. The provider says who someone is (their e-mail); the local
    # account of that name says what they may do. Password sign-in stays for local accounts.
    oidc_provider: str = ""
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
    # Empty: outside demo mode an error; in demo mode a random secret kept in .demo-secret
    # beside the SQLite file (or in data_dir), readable only by its owner, made on first open,
    # so even a demo county's person keys cannot be reversed by anyone who has read this code.
    secret_key: str = ""
    # Resident IDs and phone numbers are stored encrypted (AES-256-GCM) under this data key:
    # 32 random bytes as 64 hex digits or base64 (`creditfarm keygen`), given here or in a key
    # file readable only by the service. Old keys (comma-separated) still open what they sealed
    # until `creditfarm rekey --data` has re-sealed it. Demo mode without one: a random key
    # kept in .demo-data-key beside the demo secret, made on first open.
    data_key: str = ""
    data_key_file: Path | None = None
    data_keys_old: str = ""
    demo_mode: bool = True

    @model_validator(mode="after")
    def _check(self) -> Settings:
        if self.secret_key == DEMO_SECRET or (not self.demo_mode and not self.secret_key):
            raise ValueError(
                "CREDITFARM_SECRET_KEY must be set to a private value "
                "(the published demo secret is refused)"
            )

        if not self.demo_mode and not (self.data_key or self.data_key_file):
            raise ValueError(
                "CREDITFARM_DATA_KEY or CREDITFARM_DATA_KEY_FILE must be set outside demo mode "
                "(resident IDs and phone numbers are stored encrypted under it)"
            )
        if not 1 <= self.max_cell_chars <= MAX_CELL_CHARS:
            # Python's csv module refuses longer cells before creditfarm sees them.
            raise ValueError(f"CREDITFARM_MAX_CELL_CHARS must be 1 … {MAX_CELL_CHARS}")
        if not self.database_url:
            self.database_url = f"sqlite:///{(self.data_dir / 'creditfarm.db').as_posix()}"
        return self


def own_secret(path: Path) -> str:
    """A random secret kept in ``path`` (32 random bytes as hex, mode 0600), made when missing:
    the demo's own secret and data key (``workspace.open_workspace`` puts them beside the
    database, so ``--db`` elsewhere never writes into the current folder)."""
    data_dir = path.parent
    try:
        return path.read_text(encoding="ascii").strip()
    except FileNotFoundError:
        pass
    data_dir.mkdir(parents=True, exist_ok=True)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:  # another process made it first: use theirs
        return path.read_text(encoding="ascii").strip()
    with os.fdopen(fd, "w", encoding="ascii") as handle:
        handle.write(secrets.token_hex(32) + "\n")
    return path.read_text(encoding="ascii").strip()


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()
