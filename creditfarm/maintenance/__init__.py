"""Looking after a workspace: backup and restore, re-keying the hash secret."""

from creditfarm.maintenance.backup import BackupError, Manifest, backup, restore
from creditfarm.maintenance.rekey import RekeyError, RekeyResult, rekey_secret

__all__ = [
    "BackupError",
    "Manifest",
    "RekeyError",
    "RekeyResult",
    "backup",
    "rekey_secret",
    "restore",
]
