"""Shared fixtures: a real wire-protocol database, a fresh database per test, users."""

import email
import email.policy
import os
import tempfile
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

import embedded_db
from config import Settings
from main import create_app

PASSWORD = "SecurePass123!"


@pytest.fixture(scope="session")
def mongo_url() -> Iterator[str]:
    """TEST_MONGODB_URL when set, else an in-memory SecantusDB on a free port."""
    if url := os.environ.get("TEST_MONGODB_URL"):
        yield url
        return
    port = embedded_db.free_port()
    log = Path(tempfile.gettempdir()) / f"secantus-test-{port}.log"
    proc = embedded_db.start(":memory:", port, log_path=log)
    yield embedded_db.url(port)
    embedded_db.stop(proc)


def make_settings(mongo_url: str, tmp_path: Path, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "app_env": "test",
        "secret_key": "test-secret-key-that-is-long-enough-0123456789",
        "mongodb_url": mongo_url,
        "mongodb_db": f"test_{uuid.uuid4().hex[:16]}",
        "mail_dir": tmp_path / "mail",
        "upload_dir": tmp_path / "uploads",
        "run_worker": False,
        "bcrypt_rounds": 4,
        "signup_limit": 1000,
        "login_limit": 1000,
        "reset_limit": 1000,
        "db_timeout_ms": 1500,
    }
    return Settings(_env_file=None, **(values | overrides))  # type: ignore[call-arg]


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


@dataclass
class TestUser:
    id: str
    email: str
    password: str
    headers: dict[str, str]
    tokens: dict[str, Any]


async def signup(
    client: httpx.AsyncClient, email_address: str | None = None, **extra: Any
) -> TestUser:
    address = email_address or f"user-{uuid.uuid4().hex[:8]}@example.com"
    body = {"email": address, "password": PASSWORD, "full_name": "Test User"} | extra
    response = await client.post("/api/auth/signup", json=body)
    assert response.status_code == 201, response.text
    tokens = response.json()
    return TestUser(
        id=tokens["user"]["id"],
        email=address,
        password=body["password"],
        headers={"Authorization": f"Bearer {tokens['access_token']}"},
        tokens=tokens,
    )


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
