"""Which source a file is: by its name first, then by its headers. Never guessed.

By name: the source's canonical name (as a word: ``hukou.csv``, ``payments_2021-07.csv``) or
any of its Chinese titles anywhere in the file name; where several match, the longest title
wins (``助农取款服务点交易流水`` is payments, ``助农取款服务点`` is points). Two different
sources matching with equally long titles is ambiguous, and the headers decide.

By headers: the source whose required columns are all present and which matches most columns;
a tie between sources is ambiguous and the file is reported as not placed.

Placement reads a file only when its name does not place it, and then through the file's
``ExportFile``: the import that follows reads the same bytes and cells, not the file again.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from creditfarm.ingest.contract import SOURCES, Source
from creditfarm.ingest.normalize import normalize_cell
from tests.helpers.rowwise.readers import ExportFile, Grid, ReadError, find_header

__all__ = ["Placement", "place_by_headers", "place_by_name", "place_file"]


@dataclass(frozen=True)
class Placement:
    source: Source | None
    how: str  # "name", "headers" or "" when not placed
    message: str = ""


def place_by_name(file_name: str) -> Source | None:
    """The source a file name names, or None (no match, or an ambiguous one)."""
    stem = normalize_cell(Path(file_name).stem).lower()
    best: list[tuple[int, Source]] = []
    for src in SOURCES.values():
        for title in src.all_titles:
            key = normalize_cell(title).lower()
            if key.isascii():
                # English names must stand as a word: "land" must not place "island".
                hit = re.search(rf"(?<![a-z]){re.escape(key)}(?![a-z])", stem) is not None
            else:
                hit = key in stem
            if hit:
                best.append((len(key), src))
    if not best:
        return None
    longest = max(length for length, _ in best)
    winners = {src.name for length, src in best if length == longest}
    if len(winners) != 1:
        return None
    return SOURCES[winners.pop()]


def _header_score(grid: Grid, src: Source) -> int:
    _, mapped = find_header(grid, src)
    found = set(mapped.values())
    if any(c.required and c.name not in found for c in src.columns):
        return 0
    if any(not found.intersection(group) for group in src.one_of):
        return 0
    return len(found)


def place_by_headers(grid: Grid) -> Source | None:
    """The source whose columns the headers match best (all required present), or None."""
    scores = {name: _header_score(grid, src) for name, src in SOURCES.items()}
    best = max(scores.values(), default=0)
    if best == 0:
        return None
    winners = [name for name, score in scores.items() if score == best]
    return SOURCES[winners[0]] if len(winners) == 1 else None


def place_file(file: Path | ExportFile, *, folders: tuple[str, ...] = ()) -> Placement:
    """Place ``file`` by its name, then by the names of the ``folders`` it sits in inside the
    import folder (``payments/2021-07.csv``), then by headers; a file that fits none is
    reported."""
    export = file if isinstance(file, ExportFile) else ExportFile(file)
    for name in (export.path.name, *folders):
        by_name = place_by_name(name)
        if by_name is not None:
            return Placement(by_name, "name")
    try:
        grid = export.grid()
    except ReadError as exc:
        return Placement(None, "", str(exc))
    by_headers = place_by_headers(grid)
    if by_headers is not None:
        return Placement(by_headers, "headers")
    return Placement(
        None, "", "无法识别数据来源：文件名不含任何来源名称，表头也不能唯一对应一个来源"
    )
