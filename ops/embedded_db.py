"""The embedded MongoDB-compatible server (SecantusDB) for `make run` and the tests."""

import contextlib
import functools
import socket
import subprocess
import sys
import time
from pathlib import Path

from pymongo import MongoClient
from pymongo.errors import PyMongoError

from config import DEFAULT_TRANSACTION_LIFETIME

ROOT = Path(__file__).resolve().parent.parent  # run as `-m ops.embedded_db` from here


def url(port: int, host: str = "127.0.0.1") -> str:
    # SecantusDB advertises a one-node replica set; talk to it directly.
    return f"mongodb://{host}:{port}/?directConnection=true"


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
    """Start SecantusDB and wait until it answers a ping (its own process group).

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
        if is_up(port):
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


def serve_with_api() -> None:
    """`make run`: the embedded database (unless MONGODB_URL is set), then the API."""
    import uvicorn

    from config import get_settings
    from core.observability import configure_logging

    settings = get_settings()
    configure_logging()
    proc = None
    if not settings.mongodb_url and not is_up(settings.embedded_db_port):
        Path("var").mkdir(exist_ok=True)
        proc = start(
            settings.embedded_db_path,
            settings.embedded_db_port,
            Path("var/db.log"),
            settings.transaction_lifetime_seconds,
        )
        print(
            f"SecantusDB on port {settings.embedded_db_port}, data in {settings.embedded_db_path}"
        )
    try:
        uvicorn.run("main:app", host="127.0.0.1", port=settings.port, log_config=None)
    finally:
        if proc is not None:
            with contextlib.suppress(KeyboardInterrupt):
                stop(proc)


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
