"""`make run` as a developer meets it: its own database on its own port (never a MongoDB that
happens to answer there), HOST and PORT, and one log line per request."""

import contextlib
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from ops import embedded_db
from tests.factories import make_settings

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def foreign_db():
    """A SecantusDB that `make run` did not start (as a developer's own server would be)."""
    port = embedded_db.free_port()
    proc = embedded_db.start(":memory:", port)
    yield port, proc
    embedded_db.stop(proc)


def make_run(cwd: Path, **settings: str) -> subprocess.Popen:
    """`make run`'s command (`python main.py`) in `cwd`, with only these settings: no .env
    is there, and MONGODB_URL is unset unless given."""
    env = {"PATH": os.environ["PATH"], "RUN_WORKER": "false", "BCRYPT_ROUNDS": "4"} | settings
    return subprocess.Popen(
        [sys.executable, str(ROOT / "main.py")],
        cwd=cwd,
        env=env,
        stdout=(cwd / "stdout.log").open("wb"),
        stderr=(cwd / "stderr.log").open("wb"),
    )


def test_make_run_refuses_a_database_it_did_not_start(tmp_path, foreign_db):
    port, _ = foreign_db
    run = make_run(tmp_path, EMBEDDED_DB_PORT=str(port), PORT=str(embedded_db.free_port()))
    assert run.wait(timeout=60) != 0
    said = (tmp_path / "stderr.log").read_text()
    assert f"Port {port} is answered by a SecantusDB that `make run` did not start" in said
    assert "set EMBEDDED_DB_PORT to a free port" in said
    assert f"set MONGODB_URL={embedded_db.url(port)}" in said
    assert not (tmp_path / "var" / embedded_db.MARKER).exists()


def test_only_the_database_a_make_run_started_is_used_again(tmp_path, foreign_db):
    """Identified by the process id SecantusDB reports (serverStatus), which the marker of
    the `make run` that started it holds."""
    port, proc = foreign_db
    settings = make_settings(
        "unused",
        tmp_path,
        mongodb_url=None,
        embedded_db_port=port,
        embedded_db_path=tmp_path / "db",
    )
    server = embedded_db.answering(port)
    assert server == embedded_db.Answering(secantus=True, pid=proc.pid)
    marker = embedded_db.marker_path(settings)
    for recorded in (None, {"pid": proc.pid + 1, "port": port}):  # none, or a stale one
        if recorded is not None:
            marker.write_text(json.dumps(recorded))
        with pytest.raises(SystemExit, match="did not start"), embedded_db.embedded(settings):
            pass
    marker.write_text(json.dumps({"pid": proc.pid, "port": port}))
    with embedded_db.embedded(settings) as started:
        assert started is None  # used as it is, and left running
    assert embedded_db.answering(port) == server


def test_nothing_answering_means_not_running():
    assert embedded_db.answering(embedded_db.free_port()) is None


def test_a_database_started_on_a_taken_port_is_refused_not_adopted(foreign_db):
    """Two callers given one free port (two test workers): the second server exits, and its
    start says so, instead of handing back a URL of a server its caller does not own."""
    port, proc = foreign_db
    with pytest.raises(RuntimeError, match="exited"):
        embedded_db.start(":memory:", port)
    assert embedded_db.answering(port) == embedded_db.Answering(True, proc.pid)


@contextlib.contextmanager
def serving(cwd: Path, **settings: str) -> Iterator[str]:
    """`make run` with these settings, once it answers; its base URL. Stopped with Ctrl-C."""
    port = embedded_db.free_port()
    run = make_run(cwd, PORT=str(port), **settings)
    base, log = f"http://127.0.0.1:{port}", cwd / "stderr.log"
    try:
        deadline = time.monotonic() + 60
        while not _up(base):
            assert run.poll() is None, log.read_text()
            assert time.monotonic() < deadline, f"no answer within 60 s: {log.read_text()}"
            time.sleep(0.2)
        yield base
    finally:
        run.send_signal(signal.SIGINT)
        run.wait(timeout=60)


def _up(base: str) -> bool:
    try:
        return httpx.get(f"{base}/health", timeout=1).status_code == 200
    except httpx.TransportError:
        return False


def test_make_run_starts_its_database_listens_on_host_and_logs_a_request_once(tmp_path):
    db_port = embedded_db.free_port()
    with serving(tmp_path, EMBEDDED_DB_PORT=str(db_port), HOST="localhost") as base:
        # Its own database, on the embedded port, recorded as the one it started.
        marker = json.loads((tmp_path / "var" / embedded_db.MARKER).read_text())
        assert marker == {"pid": embedded_db.answering(db_port).pid, "port": db_port}
        assert httpx.get(f"{base}/api/auth/me", timeout=5).status_code == 401
    said = (tmp_path / "stderr.log").read_text()
    assert f"Uvicorn running on http://localhost:{base.rsplit(':', 1)[1]}" in said
    lines = [line for line in said.splitlines() if "/api/auth/me" in line]
    assert len(lines) == 1, lines  # the app's line, with its request id, and no other
    assert json.loads(lines[0])["request_id"]
    # Stopped with the API, its marker gone.
    assert embedded_db.answering(db_port) is None
    assert not (tmp_path / "var" / embedded_db.MARKER).exists()


def test_make_run_uses_any_server_mongodb_url_names(tmp_path, foreign_db):
    port, _ = foreign_db
    url = embedded_db.url(port)
    with serving(tmp_path, MONGODB_URL=url, EMBEDDED_DB_PORT=str(port)) as base:
        r = httpx.get(f"{base}/health/ready", timeout=5)
        assert (r.status_code, r.json()["database"]) == (200, "up")
    assert not (tmp_path / "var" / embedded_db.MARKER).exists()  # nothing of its own started
    assert embedded_db.answering(port) is not None  # and the server it used left running
