"""Looking after a workspace: backup and restore."""

from creditfarm.maintenance.backup import BackupError, Manifest, backup, restore

__all__ = ["BackupError", "Manifest", "backup", "restore"]
