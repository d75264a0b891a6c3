"""The tree tells the architecture: each stage of ``creditfarm/`` imports only from the stages
below it (or from itself), and no two modules import each other, directly or round a loop.

Imports are read from the source (``ast``), including imports inside functions, so a lazy
import cannot hide an upward dependency. The floors are the ones in docs/design.md.
"""

from __future__ import annotations

import ast
from pathlib import Path

from tests.helpers.paths import ROOT

PACKAGE = ROOT / "creditfarm"

# Bottom first. A room may import from its own floor's modules only within itself.
FLOORS: list[tuple[str, ...]] = [
    ("settings", "identity", "collector", "display", "policy", "access"),
    ("storage",),
    ("workspace",),
    ("accounts",),
    ("ingest",),
    ("sample", "maintenance"),
    ("features",),
    ("model",),
    ("explain",),
    ("scoring",),
    ("officer",),
    ("reports",),
    ("cli",),
]
FLOOR = {room: level for level, rooms in enumerate(FLOORS) for room in rooms}
# The package's own __init__ / __main__ sit above everything (the lazy public API, `-m`).
TOP = len(FLOORS)


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts)


def room_of(module: str) -> str | None:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else None


def imports_of(path: Path) -> set[str]:
    """Every ``creditfarm.*`` module this file imports, wherever the import stands."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    me = module_name(path)
    package = me if path.name == "__init__.py" else me.rsplit(".", 1)[0]
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(a.name for a in node.names if a.name.startswith("creditfarm"))
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - node.level + 1]
                target = ".".join([*base, node.module] if node.module else base)
            else:
                target = node.module or ""
            if not target.startswith("creditfarm"):
                continue
            found.add(target)
            for alias in node.names:  # `from creditfarm.storage import paystore`
                candidate = f"{target}.{alias.name}"
                if (PACKAGE.parent / (candidate.replace(".", "/") + ".py")).exists() or (
                    PACKAGE.parent / candidate.replace(".", "/") / "__init__.py"
                ).exists():
                    found.add(candidate)
    return found - {me}


def graph() -> dict[str, set[str]]:
    sources = [p for p in PACKAGE.rglob("*.py") if "migrations" not in p.parts]
    return {module_name(p): imports_of(p) for p in sources}


def test_every_room_has_a_floor() -> None:
    rooms = {room for room in map(room_of, graph()) if room is not None and room != "__main__"}
    assert rooms <= set(FLOOR), f"rooms without a floor: {sorted(rooms - set(FLOOR))}"


def test_no_import_runs_back_up() -> None:
    upward = []
    for module, targets in graph().items():
        room = room_of(module)
        level = TOP if room in (None, "__main__") else FLOOR[room]
        for target in targets:
            other = room_of(target)
            if other is None or other == room:
                continue
            if FLOOR[other] >= level:
                upward.append(f"{module} -> {target}")
    assert not upward, "imports that run up (or sideways) a floor:\n" + "\n".join(sorted(upward))


def _package_inits(module: str, modules: set[str]) -> set[str]:
    """Importing a.b.c runs a/__init__ and a/b/__init__ too."""
    parts = module.split(".")
    return {".".join(parts[:i]) for i in range(2, len(parts))} & modules


def test_no_circular_imports() -> None:
    edges = graph()
    modules = set(edges)
    # A package's __init__ re-exporting its own submodules is not a loop between rooms.
    deps = {
        m: {t for t in targets if t in modules and not m.startswith(t + ".")}
        for m, targets in edges.items()
    }
    state: dict[str, int] = {}
    cycles: list[list[str]] = []

    def visit(node: str, path: list[str]) -> None:
        state[node] = 1
        for nxt in sorted(deps[node] - {node}):
            if state.get(nxt) == 1:
                cycles.append([*path[path.index(nxt) :], nxt])
            elif nxt not in state:
                visit(nxt, [*path, nxt])
        state[node] = 2

    for start in sorted(deps):
        if start not in state:
            visit(start, [start])
    assert not cycles, "import loops:\n" + "\n".join(" -> ".join(c) for c in cycles)


def test_the_checker_sees_an_upward_import(tmp_path: Path) -> None:
    """The reader finds lazy, relative and aliased imports (so the tests above can fail)."""
    sample = PACKAGE / "features" / "_probe_for_test.py"
    sample.write_text(
        "def f():\n    from creditfarm.scoring import run\n    from ..officer import review\n"
    )
    try:
        found = imports_of(sample)
    finally:
        sample.unlink()
    assert {"creditfarm.scoring.run", "creditfarm.officer.review"} <= found
