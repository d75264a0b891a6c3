"""Benchmark (not a test): importing a county into a fresh SQLite workspace, per source, beside
a plain DuckDB "building block" over the same payment files.

    .venv/bin/creditfarm sample --households 20000 --density 4.5 --out /tmp/county
    .venv/bin/python bench/bench_import.py /tmp/county
    .venv/bin/python bench/bench_import.py /tmp/county --skip-block

Each part runs in a child process of its own, so its peak memory (RSS, from getrusage of the
finished child) is its own. The import is ``ingest_folder`` as the CLI runs it; the seconds of
each file are summed by source. The building block reads the payment files (GB18030 files
transcoded to UTF-8 in a stream first), normalises times and amounts, checks the resident-ID
checksum once per distinct ID, quarantines the rows that fail, hashes IDs and card numbers
(HMAC, once per distinct value), links them to 户籍 and writes month-partitioned Parquet: the
bulk of what the import does for payments, without its contract, dedup or report.
"""

from __future__ import annotations

import argparse
import codecs
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


# ---------------------------------------------------------------- the import (child)


def run_import(county: Path, work: Path) -> dict[str, object]:
    from creditfarm.ingest import ingest_folder
    from creditfarm.settings import Settings
    from creditfarm.workspace import open_workspace

    settings = Settings(
        data_dir=work / "data",
        model_dir=work / "models",
        secret_key="bench",
        demo_mode=True,
        _env_file=None,  # type: ignore[call-arg]
    )
    ws = open_workspace(settings)
    files: list[dict[str, object]] = []
    clock = [time.perf_counter()]

    def progress(done: int, total: int, label: str) -> None:
        now = time.perf_counter()
        if files:
            files[-1]["seconds"] = round(now - clock[0], 2)
            files[-1]["peak_mb"] = round(_peak_mb())
            print(f"  {files[-1]['file']:<40} {files[-1]['seconds']:7.1f} s", flush=True)
        clock[0] = now
        if label:
            files.append({"file": label})

    start = time.perf_counter()
    runs = ingest_folder(ws, county, progress=progress)
    total = time.perf_counter() - start
    for entry, run in zip(files, runs, strict=True):
        entry.update(source=run.source, status=run.status, rows=run.rows_read)
    return {"files": files, "seconds": round(total, 1), "peak_mb": round(_peak_mb())}


# ---------------------------------------------------------------- the building block (child)


def _utf8_path(path: Path, tmp: Path) -> Path:
    """``path`` itself when it is UTF-8, else a UTF-8 copy transcoded from GB18030 in a stream."""
    decoder = codecs.getincrementaldecoder("utf-8")("strict")
    try:
        with path.open("rb") as stream:
            while chunk := stream.read(8 << 20):
                decoder.decode(chunk)
            decoder.decode(b"", final=True)
        return path
    except UnicodeDecodeError:
        pass
    out = tmp / (path.stem + ".utf8.csv")
    gb = codecs.getincrementaldecoder("gb18030")("strict")
    with path.open("rb") as source, out.open("w", encoding="utf-8", newline="") as target:
        while chunk := source.read(8 << 20):
            target.write(gb.decode(chunk))
        target.write(gb.decode(b"", final=True))
    return out


_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_CHECKSUM = " + ".join(
    f"CAST(substr(v, {i + 1}, 1) AS INTEGER) * {w}" for i, w in enumerate(_WEIGHTS)
)
_ID_OK = (
    "regexp_full_match(v, '[0-9]{17}[0-9X]') AND "
    f"substr('10X98765432', (({_CHECKSUM}) % 11) + 1, 1) = substr(v, 18, 1)"
)


def run_block(county: Path, work: Path) -> dict[str, object]:
    import duckdb

    from creditfarm.ingest.contract import source
    from creditfarm.ingest.linkage import KeyHasher
    from creditfarm.ingest.readers import match_header

    tmp = work / "block"
    tmp.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect(
        str(tmp / "block.duckdb"),
        config={"memory_limit": "3GB", "temp_directory": str(tmp / "spill")},
    )
    KeyHasher("bench").install(con)
    start = time.perf_counter()
    hukou = next(p for p in county.iterdir() if p.stem == "户籍")
    con.execute(
        f"""CREATE TABLE persons AS SELECT DISTINCT cf_key(upper(trim(c0))) AS person_key
            FROM read_csv('{_utf8_path(hukou, tmp)}', header = true, all_varchar = true,
                          columns = {{'c0': 'VARCHAR'}}, null_padding = true,
                          ignore_errors = true)"""
    )
    pays = source("payments")
    files = sorted(p for p in county.iterdir() if pays.title in p.name and p.suffix == ".csv")
    rows = quarantined = 0
    out_dir = tmp / "payments"
    for path in files:
        text = _utf8_path(path, tmp)
        header = text.open(encoding="utf-8-sig").readline().rstrip("\r\n").split(",")
        names = {h: match_header(h, pays) or f"x{i}" for i, h in enumerate(header)}
        cols = ", ".join(f"'{names[h]}': 'VARCHAR'" for h in header)
        con.execute(
            f"""CREATE OR REPLACE TEMP TABLE raw AS SELECT * FROM read_csv('{text}',
                header = true, columns = {{{cols}}}, all_varchar = true)"""
        )
        has = {n for n in names.values()}
        ident = "id_number" if "id_number" in has else "NULL::VARCHAR"
        card = "card_no" if "card_no" in has else "NULL::VARCHAR"
        con.execute(
            f"""CREATE OR REPLACE TEMP TABLE typed AS SELECT txn_id, point_id,
                    coalesce(try_strptime(txn_time, '%Y-%m-%d %H:%M:%S'),
                             try_strptime(txn_time, '%Y/%m/%d %H:%M:%S')) AS txn_time,
                    txn_type, TRY_CAST(replace(amount, ',', '') AS DOUBLE) AS amount, status,
                    upper(trim({ident})) AS id_number, replace({card}, ' ', '') AS card_no
                FROM raw"""
        )
        con.execute(
            f"""CREATE OR REPLACE TEMP TABLE ids AS SELECT v, ({_ID_OK}) AS ok,
                    cf_key(v) AS k FROM (SELECT DISTINCT id_number AS v FROM typed
                    WHERE id_number IS NOT NULL)"""
        )
        con.execute(
            """CREATE OR REPLACE TEMP TABLE cards AS SELECT v, cf_key(v) AS k
               FROM (SELECT DISTINCT card_no AS v FROM typed WHERE card_no IS NOT NULL)"""
        )
        counts = con.execute(
            """SELECT count(*), count(*) FILTER (WHERE t.txn_time IS NULL OR t.amount IS NULL
                      OR (t.id_number IS NOT NULL AND NOT i.ok))
               FROM typed t LEFT JOIN ids i ON i.v = t.id_number"""
        ).fetchall()[0]
        rows += int(counts[0])
        quarantined += int(counts[1])
        con.execute(
            f"""COPY (SELECT t.txn_id, t.point_id, t.txn_time, t.txn_type, t.amount, t.status,
                         i.k AS person_key, c.k AS card_key, p.person_key IS NOT NULL AS linked,
                         strftime(t.txn_time, '%Y-%m') AS month
                  FROM typed t LEFT JOIN ids i ON i.v = t.id_number
                  LEFT JOIN cards c ON c.v = t.card_no
                  LEFT JOIN persons p ON p.person_key = i.k
                  WHERE t.txn_time IS NOT NULL AND t.amount IS NOT NULL
                    AND (t.id_number IS NULL OR i.ok))
                TO '{out_dir}' (FORMAT parquet, COMPRESSION zstd, PARTITION_BY (month),
                                APPEND true)"""
        )
        if text != path:
            text.unlink()
    seconds = time.perf_counter() - start
    return {
        "files": len(files),
        "rows": rows,
        "quarantined": quarantined,
        "seconds": round(seconds, 1),
        "peak_mb": round(_peak_mb()),
    }


# ---------------------------------------------------------------- parent


def _child(kind: str, county: Path, work: Path) -> dict[str, object]:
    env = dict(os.environ, PYTHONUNBUFFERED="1")
    result = subprocess.run(
        [sys.executable, __file__, f"--child-{kind}", str(county), str(work)],
        stdout=subprocess.PIPE,
        text=True,
        env=env,
        check=True,
    )
    lines = result.stdout.splitlines()
    for line in lines[:-1]:
        print(line)
    data: dict[str, object] = json.loads(lines[-1])
    return data


def _summary(data: dict[str, object]) -> None:
    by_source: dict[str, list[float]] = defaultdict(lambda: [0.0, 0.0, 0.0])
    files = data["files"]
    assert isinstance(files, list)
    for entry in files:
        item = by_source[str(entry["source"])]
        item[0] += float(entry.get("seconds", 0))
        item[1] += float(entry.get("rows", 0))
        item[2] = max(item[2], float(entry.get("peak_mb", 0)))
    print(f"\n{'source':<18} {'files':>5} {'rows':>12} {'seconds':>9} {'peak RSS MB':>12}")
    for name, (seconds, rows, peak) in by_source.items():
        count = sum(1 for e in files if e["source"] == name)
        print(f"{name:<18} {count:>5} {int(rows):>12,} {seconds:>9.1f} {peak:>12.0f}")
    print(f"{'all':<18} {len(files):>5} {'':>12} {data['seconds']:>9} {data['peak_mb']:>12}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("county", type=Path)
    parser.add_argument("--skip-block", action="store_true")
    parser.add_argument("--skip-import", action="store_true")
    parser.add_argument("--child-import", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--child-block", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("work", type=Path, nargs="?")
    args = parser.parse_args()
    if args.child_import or args.child_block:
        run = run_import if args.child_import else run_block
        print(json.dumps(run(args.county, args.work), ensure_ascii=False))
        return
    work = Path(tempfile.mkdtemp(prefix="cf-bench-import-"))
    print(f"county {args.county} → {work}")
    if not args.skip_import:
        print("import (ingest_folder, fresh SQLite workspace):")
        data = _child("import", args.county, work / "import")
        _summary(data)
    if not args.skip_block:
        block = _child("block", args.county, work / "block")
        print(
            f"\nbuilding block (DuckDB: payments read, normalised, checked, hashed, linked, "
            f"Parquet): {block['files']} files, {block['rows']:,} rows "
            f"({block['quarantined']:,} quarantined) in {block['seconds']} s, "
            f"peak RSS {block['peak_mb']} MB"
        )


if __name__ == "__main__":
    main()
