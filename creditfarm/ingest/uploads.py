"""Where the app may import from: uploaded files saved by the server, and folders under the
configured import folder only.

An upload names its file; it never chooses where the file is written. The server writes it
into a new folder of its own (``<data_dir>/uploads/<time>-<random>/``) under a cleaned name
that keeps the source's title (``户籍.csv``) for placement, and refuses a file over
``settings.max_upload_mb``. A folder typed into the app is resolved (symbolic links and
``..`` included) and must lie under ``settings.import_dir``.
"""

from __future__ import annotations

import re
import secrets
from datetime import datetime
from pathlib import Path

from creditfarm.ingest.readers import DATA_SUFFIXES
from creditfarm.workspace import Workspace

__all__ = ["UploadRefused", "import_root", "resolve_import_folder", "save_uploads"]

# Path separators, control characters and what Windows forbids; the rest (汉字 included) stays.
_UNSAFE = re.compile(r'[\x00-\x1f\x7f/\\:*?"<>|]')


class UploadRefused(ValueError):
    """An upload or folder the app does not import; the message (Chinese) says why."""


def import_root(ws: Workspace) -> Path:
    """The folder the app may import from."""
    root = ws.settings.import_dir or (ws.settings.data_dir / "imports")
    return Path(root).resolve()


def _clean_name(name: str) -> str:
    base = _UNSAFE.sub("_", Path(name.replace("\\", "/")).name).strip().lstrip(".")
    return base[:120] or "upload"


def save_uploads(ws: Workspace, files: list[tuple[str, bytes]]) -> Path:
    """Write uploaded ``(name, content)`` files into a new server-chosen folder; returns it."""
    limit = ws.settings.max_upload_mb * 1024 * 1024
    for name, content in files:
        if len(content) > limit:
            raise UploadRefused(
                f"{_clean_name(name)}: {len(content) / 2**20:,.1f} MB，超过单个文件上限 "
                f"{ws.settings.max_upload_mb} MB"
            )
        if Path(_clean_name(name)).suffix.lower() not in DATA_SUFFIXES:
            raise UploadRefused(f"{_clean_name(name)}: 只接受 .csv、.txt、.tsv、.xlsx 文件")
    stamp = f"{datetime.now():%Y%m%d-%H%M%S}-{secrets.token_hex(4)}"
    folder = (ws.settings.data_dir / "uploads" / stamp).resolve()
    folder.mkdir(parents=True)
    used: set[str] = set()
    for name, content in files:
        clean = _clean_name(name)
        stem, suffix = Path(clean).stem, Path(clean).suffix
        n = 1
        while clean in used:  # two uploads of one name: keep both
            n += 1
            clean = f"{stem}_{n}{suffix}"
        used.add(clean)
        (folder / clean).write_bytes(content)
    return folder


def resolve_import_folder(ws: Workspace, text: str) -> Path:
    """The folder ``text`` names (relative to the import folder, or absolute under it)."""
    root = import_root(ws)
    if not text.strip():
        raise UploadRefused("请填写目录")
    folder = (root / text.strip()).resolve()
    if folder != root and root not in folder.parents:
        raise UploadRefused(f"只能导入导入目录 {root} 之下的文件夹；{text.strip()} 不在其中")
    if not folder.is_dir():
        raise UploadRefused(f"目录不存在：{folder}")
    return folder
