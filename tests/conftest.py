"""Shared fixtures: a real wire-protocol database, a fresh database per test, users."""

import email
import email.policy
import os
import tempfile
from collections.abc import AsyncIterator, Callable, Iterator
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import httpx
import pytest
from _pytest.mark.expression import Expression
from fastapi import FastAPI

from config import Settings
from main import create_app
from ops import embedded_db
from tests.factories import TestUser, make_settings, signup

# Files whose every test is marked `process` and that are slow to collect (the schema fuzzer
# derives its cases while collecting): skipped unread when `-m` deselects `process` anyway.
PROCESS_ONLY = {"test_fuzz.py"}


def pytest_ignore_collect(collection_path: Path, config: pytest.Config) -> bool | None:
    if collection_path.name not in PROCESS_ONLY or not config.option.markexpr:
        return None
    expression = Expression.compile(config.option.markexpr)

    def marked(others: bool) -> Callable[..., bool]:
        return lambda name, /, **_: name == "process" or others

    # Deselected whether a test in it has no other mark or every other: `not process`,
    # `not process and not x`. Anything else is collected and left to `-m` itself.
    if not any(expression.evaluate(marked(others)) for others in (False, True)):
        return True
    return None


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_node_collection_finished(node: Any, ids: list[str]) -> None:
    """schemathesis gives all of an operation-parametrized test's cases one node id; the xdist
    schedulers that key work by node id would silently run one of them."""
    dist = node.config.getoption("dist")
    if dist in ("loadscope", "loadfile", "loadgroup") and len(set(ids)) < len(ids):
        raise pytest.UsageError(f"--dist {dist} would drop tests sharing a node id: use worksteal")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """The long tests (marked `process`) first: on several xdist workers they then run beside
    the quick ones instead of alone at the end. Stable, so every worker collects one order."""
    items.sort(key=lambda item: item.get_closest_marker("process") is None)


@pytest.fixture(scope="module")
def mongo_url() -> Iterator[str]:
    """TEST_MONGODB_URL when set, else an in-memory SecantusDB on a free port: a new one for
    each test module (in each xdist worker), every test in a database of its own. One server
    for a worker's whole run slowed as it went and, hundreds of tests in, once stalled for
    minutes (its in-memory store full); a module's worth of tests stays well clear of that."""
    if url := os.environ.get("TEST_MONGODB_URL"):
        yield url
        return
    for attempt in range(3):  # another worker's server may take the free port first
        port = embedded_db.free_port()
        log = Path(tempfile.gettempdir()) / f"secantus-test-{port}.log"
        try:
            proc = embedded_db.start(":memory:", port, log_path=log)
            break
        except RuntimeError:
            if attempt == 2:
                raise
    yield embedded_db.url(port)
    proc.kill()  # in memory: nothing to flush, so no graceful stop to wait for
    proc.wait()
    log.unlink(missing_ok=True)


@pytest.fixture
def settings(mongo_url: str, tmp_path: Path) -> Settings:
    return make_settings(mongo_url, tmp_path)


@pytest.fixture
async def app(settings: Settings) -> AsyncIterator[FastAPI]:
    application = create_app(settings)
    async with application.router.lifespan_context(application):
        yield application
        await application.state.db.client.drop_database(settings.mongodb_db)


@pytest.fixture
async def client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as c:
        yield c


@pytest.fixture
def db(app: FastAPI) -> Any:
    return app.state.db


@pytest.fixture
async def user(client: httpx.AsyncClient) -> TestUser:
    return await signup(client)


@pytest.fixture
async def other_user(client: httpx.AsyncClient) -> TestUser:
    return await signup(client)


@pytest.fixture
def deliver(app: FastAPI) -> Any:
    """Run one pass of the outbox dispatcher, as the background task would."""

    async def run(at: Any = None) -> int:
        return await app.state.dispatcher.run_once(at)

    return run


@pytest.fixture
def mailbox(settings: Settings) -> Any:
    """The emails the file backend has written, oldest first."""

    def read() -> list[EmailMessage]:
        files = sorted(Path(settings.mail_dir).glob("*.eml"), key=lambda p: p.stat().st_mtime_ns)
        return [
            email.message_from_bytes(f.read_bytes(), policy=email.policy.default)  # type: ignore[misc]
            for f in files
        ]

    return read
