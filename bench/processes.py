"""The processes a benchmark measures, started from the orchestrating process: SecantusDB (in
memory, or on disk with or without `--sync-on-commit`), uvicorn servers, and the load
generator (bench/loadgen.py), one process per measurement; and the CPU each of them spent."""

import json
import os
import resource
import secrets
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx

from config import DEFAULT_TRANSACTION_LIFETIME
from ops import embedded_db

ROOT = Path(__file__).resolve().parent.parent
LOAD_AVERAGES: list[float] = []  # after every measurement: was the machine shared?
START_TIMEOUT = 60.0


def _wait_until_ready(
    proc: subprocess.Popen, ready: Callable[[], bool], what: str, log: Path
) -> None:
    """Return once `ready()` holds; stop the process and raise if it exits or takes too long."""
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline and proc.poll() is None:
        if ready():
            return
        time.sleep(0.2)
    embedded_db.stop(proc)
    raise RuntimeError(f"{what} did not start: {log.read_text()[-2000:]}")


def start_database(
    storage: str | Path = ":memory:", *, sync_on_commit: bool = True
) -> tuple[subprocess.Popen, str]:
    """SecantusDB on a free port, as `embedded_db.start` runs it for the product. With
    `sync_on_commit=False`, the same server and transaction lifetime without that flag: the
    database as `make run` ran it before durable commits (README, "Durability and backups")."""
    port = embedded_db.free_port()
    log = Path(tempfile.gettempdir()) / f"secantus-bench-{port}.log"
    if sync_on_commit:
        return embedded_db.start(storage, port, log_path=log), embedded_db.url(port)
    Path(storage).mkdir(parents=True, exist_ok=True)
    flags = ["--host", "127.0.0.1", "--port", str(port), "--storage-path", str(storage)]
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "ops.embedded_db",
            str(DEFAULT_TRANSACTION_LIFETIME),
            *flags,
            "--log-level",
            "WARNING",
        ],
        stdout=log.open("ab"),
        stderr=subprocess.STDOUT,
        cwd=ROOT,
        start_new_session=True,
    )
    _wait_until_ready(proc, lambda: embedded_db.is_up(port), "SecantusDB", log)
    return proc, embedded_db.url(port)


def command_line(pid: int) -> list[str]:
    """A running process's arguments (Linux; empty elsewhere): what the report says it ran."""
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().decode().split("\0")[:-1]
    except OSError:
        return []


def api_env(mongo_url: str, db_name: str, workdir: Path, **overrides: str) -> dict[str, str]:
    """Our API as deployed (development backends, the worker elsewhere), limits and the
    database timeout raised."""
    return {
        "APP_ENV": "development",
        "SECRET_KEY": secrets.token_urlsafe(40),
        "MONGODB_URL": mongo_url,
        "MONGODB_DB": db_name,
        "MAIL_DIR": str(workdir / "mail"),
        "UPLOAD_DIR": str(workdir / "uploads"),
        "RUN_WORKER": "false",
        "LOGIN_LIMIT": "1000000",
        "SIGNUP_LIMIT": "1000000",
        # The client's heartbeat times out after this; a 100,000-expense aggregation holds
        # SecantusDB (one Python process) past 3 s on a busy machine, and a timed-out heartbeat
        # cancels every operation in flight (a 503). As bench/reports_bench.py sets it.
        "DB_TIMEOUT_MS": "30000",
        **overrides,
    }


def start_server(
    target: str, env: dict[str, str], log: Path, ready_path: str
) -> tuple[subprocess.Popen, str]:
    """`uvicorn <target>` with one worker on a free port; returns once `ready_path` answers."""
    port = embedded_db.free_port()
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "uvicorn",
            target,
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--no-access-log",  # our app writes its own JSON access log (kept: it is real cost)
            "--log-level",
            "warning",
        ],
        cwd=ROOT,
        env=os.environ | env,
        stdout=log.open("ab"),
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"

    def answers() -> bool:
        try:
            return httpx.get(url + ready_path, timeout=2).status_code < 500
        except httpx.HTTPError:
            return False

    _wait_until_ready(proc, answers, target, log)
    return proc, url


# Servers stop like the embedded database: SIGTERM, then SIGKILL if it lingers.
stop_server = embedded_db.stop


def run_loadgen(spec: dict[str, Any], url: str) -> dict[str, Any]:
    """One measurement in its own process (`python -m bench.loadgen spec.json`)."""
    host, port = url.removeprefix("http://").split(":")
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as f:
        json.dump({"host": host, "port": int(port), **spec}, f)
    try:
        out = subprocess.run(
            [sys.executable, "-m", "bench.loadgen", f.name],
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=True,
            timeout=float(spec["duration"]) + float(spec.get("warmup", 0)) + 120,
        )
    finally:
        os.unlink(f.name)
    LOAD_AVERAGES.append(os.getloadavg()[0])
    return json.loads(out.stdout)


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process so far (Linux; 0 elsewhere)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def children_cpu() -> float:
    """CPU of finished child processes: the load generator's, once it has exited."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime
