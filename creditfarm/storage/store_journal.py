"""The payment store's journal: how an import's Parquet renames and its SQL commit stay one.

An import stages its month partitions beside the current ones, commits its SQL transaction
(the run "done", the persons, cards and quarantine), then renames the staged files into place.
A process killed between the commit and the renames used to leave a run "done" with months of
payments missing — and a re-run of the file said "unchanged". So, before the commit, the moves
are written to a journal file in the store (``write_journal``), and every open of the workspace
first finishes what a journal names (``recover``): the renames are redone when the run
committed, the staged files removed when it did not. Renames are atomic per partition and
recovery is idempotent, so a kill at any point leaves the store as the SQL database says.
Light on purpose (no pandas or DuckDB): every command opens a workspace.
"""

from __future__ import annotations

import fcntl
import json
import os
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path

__all__ = ["JOURNAL_PREFIX", "recover", "store_lock", "write_journal"]

JOURNAL_PREFIX = ".pending-run-"
_LOCK = ".import.lock"


@contextmanager
def store_lock(root: Path, *, wait: bool = True) -> Iterator[bool]:
    """The workspace's import lock (an OS file lock in the store, so it holds across processes
    and machines sharing the store, and dies with a killed process). Imports hold it from
    before they read a file until their renames are done, so two imports run one after the
    other instead of both merging into the same month. ``wait=False`` yields False at once
    when another process holds it."""
    root.mkdir(parents=True, exist_ok=True)
    with open(root / _LOCK, "a+b") as handle:
        try:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX | (0 if wait else fcntl.LOCK_NB))
        except BlockingIOError:
            yield False
            return
        try:
            yield True
        finally:
            fcntl.flock(handle.fileno(), fcntl.LOCK_UN)


def write_journal(root: Path, *, run_id: int, moves: Iterable[tuple[Path, Path]]) -> Path:
    """Write (durably) the (staged, final) moves of run ``run_id``; returns the journal."""
    journal = root / f"{JOURNAL_PREFIX}{run_id}.json"
    entries = [[s.relative_to(root).as_posix(), f.relative_to(root).as_posix()] for s, f in moves]
    tmp = journal.with_suffix(".tmp")
    with open(tmp, "w", encoding="utf-8") as handle:
        json.dump({"run_id": run_id, "moves": entries}, handle)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(tmp, journal)
    return journal


def recover(root: Path, *, committed: Callable[[int], bool]) -> list[int]:
    """Finish every journal in ``root``: its staged partitions replace the current ones when
    its run committed in SQL (``committed(run_id)``), else they are removed. Returns the runs
    rolled forward."""
    forward: list[int] = []
    if not root.is_dir() or not any(root.glob(f"{JOURNAL_PREFIX}*")):
        return forward
    with store_lock(root, wait=False) as free:
        if free:  # else an import is running: it finishes its own journal
            forward = _recover(root, committed)
    return forward


def _recover(root: Path, committed: Callable[[int], bool]) -> list[int]:
    forward: list[int] = []
    for journal in sorted(root.glob(f"{JOURNAL_PREFIX}*.json")):
        entry = json.loads(journal.read_text(encoding="utf-8"))
        run_id = int(entry["run_id"])
        done = committed(run_id)
        for staged_name, final_name in entry["moves"]:
            staged, final = root / staged_name, root / final_name
            if done and staged.exists():
                os.replace(staged, final)
            elif not done:
                staged.unlink(missing_ok=True)
        if done:
            forward.append(run_id)
        journal.unlink()
    for partial in root.glob(f"{JOURNAL_PREFIX}*.tmp"):  # killed while writing the journal
        partial.unlink(missing_ok=True)
    return forward
