"""Benchmark (not a test): how long the command line and the app take to start.

    .venv/bin/python bench/bench_startup.py                 # builds a workspace from sample_data/
    .venv/bin/python bench/bench_startup.py --runs 9 --app-runs 5
    .venv/bin/python bench/bench_startup.py --workspace DIR  # reuse DIR/data/creditfarm.db

Each figure is the median over fresh processes of the wall time, with the CPU time the process
used beside it (on a shared 2-core machine wall time follows the load; CPU time much less):
- ``creditfarm --help``: goal 0.3 s;
- ``creditfarm rates`` (village table) on the committed sample county after import, training and
  scoring, run from another folder with ``--db``: goal 1.5 s;
- the app's first page in a fresh server: from starting ``streamlit run app.py`` through the
  sign-in form (the demo's supervisor1; the password check is ~0.1 s of scrypt) until headless
  chromium shows the officer page's content (heading, household table drawn, no skeleton left,
  the script run finished); the browser is started beforehand and not counted: goal 3 s.
The environment is the caller's; these machines set PYTHONDONTWRITEBYTECODE=1, so the figures
hold only once `make setup` has compiled the environment's bytecode (the script says if not).
"""

from __future__ import annotations

import argparse
import os
import resource
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
BIN = Path(sys.executable).parent
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-dev-shm-usage",
]
GOALS = {
    "creditfarm --help": 0.3,
    "creditfarm rates": 1.5,
    "app sign-in form": 3.0,
    "app first page": 3.0,
}

# The officer page (the default page) has rendered its content.
FIRST_PAGE_READY = """() => {
  const heading = [...document.querySelectorAll('h1')].some(h => h.innerText.includes('农户评估'));
  const table = document.querySelector('[data-testid="stDataFrame"] canvas') !== null;
  const skeletons = document.querySelectorAll('[data-testid="stSkeleton"]').length;
  const running = document.querySelector('[data-testid="stStatusWidget"]') !== null;
  return heading && table && skeletons === 0 && !running;
}"""


def clean_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CREDITFARM_")}
    env.setdefault("OMP_NUM_THREADS", "1")
    return {**env, **extra}


def bytecode_compiled() -> bool:
    import pandas

    cache = Path(pandas.__file__).parent / "__pycache__"
    return any(cache.glob("__init__.cpython-*.pyc"))


def build(root: Path) -> str:
    """The committed sample county imported, trained and scored into ``root``: its DB URL."""
    from creditfarm.settings import Settings
    from pipelines.pipeline import run_demo

    settings = Settings(data_dir=root / "data", model_dir=root / "models", _env_file=None)  # type: ignore[call-arg]
    started = time.perf_counter()
    result = run_demo(settings, sample_dir=ROOT / "sample_data", log=lambda m: print("  " + m))
    result.workspace.engine.dispose()
    print(f"sample county built in {time.perf_counter() - started:.1f} s")
    return settings.database_url


def child_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def timed_command(args: list[str], cwd: Path, env: dict[str, str]) -> tuple[float, float]:
    """Wall and CPU seconds of one run of ``args`` (which must succeed)."""
    cpu = child_cpu()
    started = time.perf_counter()
    done = subprocess.run(args, cwd=cwd, env=env, capture_output=True, timeout=300)
    wall = time.perf_counter() - started
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(args)} failed:\n{done.stderr.decode(errors='replace')}")
    return wall, child_cpu() - cpu


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _process_cpu(pid: int) -> float:
    """CPU seconds a running process has used so far (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def first_page(
    browser: object, url_env: dict[str, str], log: Path
) -> tuple[float, float, float, float]:
    """(seconds until the server answers, until the officer page shows after signing in,
    server CPU, until the sign-in form shows)."""
    port = _free_port()
    cmd = [
        sys.executable,
        "-m",
        "streamlit",
        "run",
        str(ROOT / "app.py"),
        "--server.port",
        str(port),
        "--server.address",
        "127.0.0.1",
        "--server.headless",
        "true",
        "--browser.gatherUsageStats",
        "false",
        "--server.fileWatcherType",
        "none",
    ]
    url = f"http://127.0.0.1:{port}"
    context = browser.new_context(viewport={"width": 1400, "height": 1000}, locale="zh-CN")  # type: ignore[attr-defined]
    page = context.new_page()
    with log.open("wb") as out:
        started = time.perf_counter()
        proc = subprocess.Popen(cmd, cwd=ROOT, env=url_env, stdout=out, stderr=subprocess.STDOUT)
    try:
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"streamlit exited:\n{log.read_text(errors='replace')}")
            try:
                with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as resp:
                    if resp.status == 200:
                        break
            except OSError:
                time.sleep(0.02)
            if time.perf_counter() - started > 120:
                raise RuntimeError(f"no answer in 120 s:\n{log.read_text(errors='replace')}")
        healthy = time.perf_counter() - started
        page.goto(url)
        # Since sign-in: the form first, then (as the demo's supervisor) the officer page.
        page.get_by_label("用户名").wait_for()
        form = time.perf_counter() - started
        page.get_by_label("用户名").fill("supervisor1")
        page.get_by_label("密码").fill("supervisor1-demo")
        page.get_by_role("button", name="登录").click()
        page.wait_for_function(FIRST_PAGE_READY, timeout=120_000)
        shown = time.perf_counter() - started
        cpu = _process_cpu(proc.pid)
        if page.locator('[data-testid="stException"]').count():
            raise RuntimeError(f"the first page failed:\n{page.inner_text('body')[:2000]}")
        return healthy, shown, cpu, form
    finally:
        context.close()
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()


def repeat(runs: int, once: Callable[[], tuple[float, float]]) -> tuple[float, float, float]:
    """(median wall, fastest wall, median CPU) of ``runs`` runs after one warm-up run (which
    fills the OS file cache, as any second start finds it)."""
    once()
    results = [once() for _ in range(runs)]
    walls = [w for w, _ in results]
    return statistics.median(walls), min(walls), statistics.median(c for _, c in results)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7, help="runs of each command")
    parser.add_argument("--app-runs", type=int, default=3, help="fresh app servers")
    parser.add_argument("--workspace", type=Path, default=None, help="a folder built before")
    args = parser.parse_args()
    if not bytecode_compiled():
        print("WARNING: the environment has no bytecode (run `make setup`): every start compiles")
    creditfarm = str(BIN / "creditfarm")
    rows: list[tuple[str, float, float, float, str]] = []
    with tempfile.TemporaryDirectory(prefix="bench-startup-") as tmp:
        base = Path(tmp)
        if args.workspace is not None:
            url = f"sqlite:///{(args.workspace / 'data' / 'creditfarm.db').resolve()}"
        else:
            url = build(base / "ws")
        elsewhere = base / "elsewhere"
        elsewhere.mkdir()
        env = clean_env()

        median, fastest, cpu = repeat(
            args.runs, lambda: timed_command([creditfarm, "--help"], elsewhere, env)
        )
        rows.append(("creditfarm --help", median, fastest, cpu, ""))
        median, fastest, cpu = repeat(
            args.runs, lambda: timed_command([creditfarm, "rates", "--db", url], elsewhere, env)
        )
        rows.append(("creditfarm rates", median, fastest, cpu, "village table, sample county"))

        from playwright.sync_api import sync_playwright

        app_env = clean_env(CREDITFARM_DATABASE_URL=url)
        log = base / "server.log"
        with sync_playwright() as pw:
            browser = pw.chromium.launch(
                executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True
            )
            try:
                first_page(browser, app_env, log)  # warm-up: file cache
                runs = [first_page(browser, app_env, log) for _ in range(args.app_runs)]
            finally:
                browser.close()
        healthy = statistics.median(r[0] for r in runs)
        forms = [r[3] for r in runs]
        rows.append(
            (
                "app sign-in form",
                statistics.median(forms),
                min(forms),
                float("nan"),
                "the first page a fresh server shows",
            )
        )
        shown = [r[1] for r in runs]
        rows.append(
            (
                "app first page",
                statistics.median(shown),
                min(shown),
                statistics.median(r[2] for r in runs),
                f"officer page after signing in; server answering after {healthy:.2f} s",
            )
        )

    print(f"\n{'start-up':<20}{'goal':>7}{'median':>9}{'fastest':>9}{'CPU':>8}")
    over = 0
    for name, median, fastest, cpu, note in rows:
        goal = GOALS[name]
        ok = "ok" if median <= goal else "OVER"
        over += median > goal
        print(
            f"{name:<20}{goal:>6.1f}s{median:>8.2f}s{fastest:>8.2f}s{cpu:>7.2f}s  {ok}"
            + (f"  ({note})" if note else "")
        )
    load = os.getloadavg()[0]
    print(f"load average while measuring: {load:.1f} on {os.cpu_count()} cores")
    return 1 if over else 0


if __name__ == "__main__":
    sys.exit(main())
