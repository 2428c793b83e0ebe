"""The embedded MongoDB-compatible server (SecantusDB) for `make run` and the tests."""

import contextlib
import functools
import json
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from pymongo import MongoClient
from pymongo.errors import ConnectionFailure, OperationFailure, PyMongoError

from config import DEFAULT_TRANSACTION_LIFETIME, Settings, embedded_url

ROOT = Path(__file__).resolve().parent.parent  # run as `-m ops.embedded_db` from here


url = embedded_url


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def is_up(port: int) -> bool:
    client: MongoClient = MongoClient(url(port), serverSelectionTimeoutMS=300)
    try:
        client.admin.command("ping")
        return True
    except PyMongoError:
        return False
    finally:
        client.close()


def start(
    storage: str | Path,
    port: int,
    log_path: Path | None = None,
    transaction_lifetime_seconds: float = DEFAULT_TRANSACTION_LIFETIME,
) -> subprocess.Popen:
    """Start SecantusDB and wait until it answers (its own process group). It must be this
    process that answers: another server that took the port first (two callers given one
    free port) makes this one exit, a RuntimeError, never a server that is not ours.

    Every commit is fsynced before it is acknowledged (`--sync-on-commit`): without it a
    SIGKILL lost acknowledged writes (README, "Durability and backups"). A transaction left
    open by a dead client is aborted after `transaction_lifetime_seconds` idle."""
    if storage != ":memory:":
        Path(storage).mkdir(parents=True, exist_ok=True)
    log = open(log_path, "ab") if log_path else subprocess.DEVNULL  # noqa: SIM115
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "ops.embedded_db",
            str(transaction_lifetime_seconds),
            "--sync-on-commit",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--storage-path",
            str(storage),
            "--log-level",
            "WARNING",
        ],
        stdout=log,
        stderr=subprocess.STDOUT,
        cwd=ROOT,
        start_new_session=True,  # Ctrl-C reaches the API first; we stop the database after it
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"SecantusDB exited with code {proc.returncode} (see {log_path})")
        server = answering(port)
        if server is not None and server.pid == proc.pid:
            return proc
        time.sleep(0.2)
    stop(proc)
    raise RuntimeError("SecantusDB did not start within 60 s")


def stop(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


# What `make run` records of the database it started, beside the data directory
# (var/embedded-db.json): a server on EMBEDDED_DB_PORT is used only if it is that one.
MARKER = "embedded-db.json"


@dataclass(frozen=True)
class Answering:
    """The server answering on a port: SecantusDB or not, and its process id when it says."""

    secantus: bool
    pid: int | None


def answering(port: int) -> Answering | None:
    """Who answers on `port` of this machine, or None when nothing does. SecantusDB's
    buildInfo carries `secantusVersion` (MongoDB's does not); serverStatus names the process
    (a MongoDB with access control refuses it: then the pid is unknown)."""
    client: MongoClient = MongoClient(url(port), serverSelectionTimeoutMS=300)
    try:
        secantus = "secantusVersion" in client.admin.command("buildInfo")
        try:
            pid = client.admin.command("serverStatus").get("pid")
        except OperationFailure:
            pid = None
        return Answering(secantus, int(pid) if pid is not None else None)
    except ConnectionFailure:
        return None
    finally:
        client.close()


def marker_path(settings: Settings) -> Path:
    return Path(settings.embedded_db_path).parent / MARKER


def refusal(settings: Settings, server: Answering) -> str | None:
    """Why the server answering on EMBEDDED_DB_PORT must not get the app's writes, or None
    when it is the embedded database a `make run` started (its marker names that process)."""
    port = settings.embedded_db_port
    try:
        started = json.loads(marker_path(settings).read_text())
    except (OSError, ValueError):
        started = {}
    if server.secantus and server.pid is not None and started == {"pid": server.pid, "port": port}:
        return None
    what = "a SecantusDB" if server.secantus else "a database server (MongoDB?)"
    return (
        f"Port {port} is answered by {what} that `make run` did not start, so the app will not "
        f"write to it: stop that server, or set EMBEDDED_DB_PORT to a free port for the "
        f"embedded database, or set MONGODB_URL={url(port)} to use that server on purpose."
    )


@contextlib.contextmanager
def embedded(settings: Settings) -> Iterator[subprocess.Popen | None]:
    """The embedded database for a command that needs one (`make run`): reused when the one a
    `make run` started is still up, else started on EMBEDDED_DB_PORT (and stopped at the end,
    its marker removed); SystemExit, saying what to do, when anything else answers there."""
    server = answering(settings.embedded_db_port)
    if server is not None:
        if reason := refusal(settings, server):
            raise SystemExit(reason)
        yield None
        return
    marker = marker_path(settings)
    marker.parent.mkdir(parents=True, exist_ok=True)
    proc = start(
        settings.embedded_db_path,
        settings.embedded_db_port,
        marker.parent / "db.log",
        settings.transaction_lifetime_seconds,
    )
    marker.write_text(json.dumps({"pid": proc.pid, "port": settings.embedded_db_port}))
    try:
        yield proc
    finally:
        with contextlib.suppress(KeyboardInterrupt):  # a second Ctrl-C while it stops
            stop(proc)
        marker.unlink(missing_ok=True)


def serve_with_api() -> None:
    """`make run`: the embedded database (unless MONGODB_URL is set), then the API on
    HOST:PORT. One line per request in the log: the app's (with its request id), not also
    uvicorn's access line."""
    import uvicorn

    from config import get_settings
    from core.observability import configure_logging

    settings = get_settings()
    configure_logging()
    with contextlib.ExitStack() as stack:
        if not settings.mongodb_url:
            stack.enter_context(embedded(settings))
            print(
                f"SecantusDB on port {settings.embedded_db_port},"
                f" data in {settings.embedded_db_path}"
            )
        uvicorn.run(
            "main:app",
            host=settings.host,
            port=settings.port,
            log_config=None,
            access_log=False,
        )


def serve_database(argv: list[str]) -> int:
    """The database process: SecantusDB's own command line, plus the transaction lifetime,
    which its SecantusDBServer takes but its flags and secantusd.toml don't expose (0.7)."""
    from secantus import cli
    from secantus.server import SecantusDBServer

    lifetime, *flags = argv
    cli.SecantusDBServer = functools.partial(  # type: ignore[misc]
        SecantusDBServer, transaction_lifetime_seconds=float(lifetime)
    )
    return cli.main(flags)


if __name__ == "__main__":
    raise SystemExit(serve_database(sys.argv[1:]))
