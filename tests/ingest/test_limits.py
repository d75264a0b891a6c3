"""The file limits come from the settings, in the units the readers use, and a cell limit the
CSV reader could not honour is refused when the settings are read."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from creditfarm.ingest.limits import ReadLimits
from creditfarm.settings import Settings
from tests.conftest import make_settings


def test_limits_from_settings(tmp_path: Path):
    settings = make_settings(tmp_path).model_copy(
        update={"max_file_mb": 3, "max_rows": 7, "max_columns": 5, "max_rejected_rows": 2}
    )
    limits = ReadLimits.from_settings(settings)
    assert (limits.max_bytes, limits.max_rows, limits.max_columns) == (3 * 1024 * 1024, 7, 5)
    assert (limits.max_cell_chars, limits.max_rejected_rows) == (32_767, 2)
    # The workbook guard takes the same size, rows and columns.
    xlsx = limits.xlsx()
    assert (xlsx.max_uncompressed_bytes, xlsx.max_rows, xlsx.max_columns) == (3 << 20, 7, 5)


@pytest.mark.parametrize("chars", [0, 131_073])
def test_a_cell_limit_the_csv_reader_cannot_honour_is_refused(tmp_path: Path, chars: int):
    with pytest.raises(ValidationError, match="MAX_CELL_CHARS"):
        Settings(
            data_dir=tmp_path,
            max_cell_chars=chars,
            _env_file=None,  # type: ignore[call-arg]
        )
