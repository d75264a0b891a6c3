"""Uploads are written where the server chooses; folders only under the import folder."""

from __future__ import annotations

from pathlib import Path

import pytest

from creditfarm.ingest.uploads import UploadRefused, resolve_import_folder, save_uploads
from creditfarm.workspace import Workspace


def _ws(ws: Workspace, tmp_path: Path, **values: object) -> Workspace:
    from dataclasses import replace

    return replace(ws, settings=ws.settings.model_copy(update=values))


def test_an_upload_never_chooses_where_it_is_written(sqlite_ws: Workspace, tmp_path: Path):
    folder = save_uploads(
        sqlite_ws,
        [
            ("../../etc/户籍.csv", b"a"),
            ("C:\\\\Users\\\\x\\\\户籍.csv", b"b"),
            (".hidden.xlsx", b"c"),
            ("bad\x00name.csv", b"d"),
        ],
    )
    uploads = (sqlite_ws.settings.data_dir / "uploads").resolve()
    assert folder.parent == uploads
    written = sorted(p.name for p in folder.iterdir())
    # Directories dropped, a leading dot and a NUL removed; two 户籍.csv kept apart.
    assert written == ["bad_name.csv", "hidden.xlsx", "户籍.csv", "户籍_2.csv"]
    assert (folder / "户籍.csv").read_bytes() == b"a"
    again = save_uploads(sqlite_ws, [("户籍.csv", b"x")])
    assert again != folder  # every upload gets a folder of its own


def test_upload_size_and_type_limits(sqlite_ws: Workspace, tmp_path: Path):
    ws = _ws(sqlite_ws, tmp_path, max_upload_mb=1)
    save_uploads(ws, [("户籍.csv", b"x" * (1 << 20))])  # exactly 1 MB is allowed
    with pytest.raises(UploadRefused, match="超过单个文件上限 1 MB"):
        save_uploads(ws, [("户籍.csv", b"x" * ((1 << 20) + 1))])
    with pytest.raises(UploadRefused, match="只接受"):
        save_uploads(ws, [("户籍.exe", b"x")])


def test_folders_only_under_the_import_folder(sqlite_ws: Workspace, tmp_path: Path):
    root = tmp_path / "imports"
    (root / "2022-06").mkdir(parents=True)
    (tmp_path / "elsewhere").mkdir()
    (root / "link").symlink_to(tmp_path / "elsewhere")
    ws = _ws(sqlite_ws, tmp_path, import_dir=root)
    assert resolve_import_folder(ws, "2022-06") == (root / "2022-06").resolve()
    assert resolve_import_folder(ws, str(root / "2022-06")) == (root / "2022-06").resolve()
    for outside in ("/etc", "../elsewhere", "link", "2022-06/../../elsewhere"):
        with pytest.raises(UploadRefused, match="不在其中"):
            resolve_import_folder(ws, outside)
    with pytest.raises(UploadRefused, match="目录不存在"):
        resolve_import_folder(ws, "2022-07")
