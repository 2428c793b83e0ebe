"""App core: health, request ids, CORS, body caps, offline docs, settings, outbox, outages."""

import asyncio
from datetime import timedelta

import httpx
import pytest
from pydantic import ValidationError

from config import Settings
from core.dates import now_ms
from delivery.outbox import Dispatcher
from main import create_app
from ops import embedded_db
from services import enqueue
from tests.factories import make_settings, signup


async def test_health_and_readiness(client):
    assert (await client.get("/health")).json() == {"status": "ok"}
    r = await client.get("/health/ready")
    assert r.status_code == 200
    assert r.json() == {"status": "ok", "database": "up", "outbox": {"backlog": 0, "failed": 0}}


async def test_request_id_is_echoed_or_created(client):
    r = await client.get("/health", headers={"X-Request-ID": "abc-123"})
    assert r.headers["x-request-id"] == "abc-123"
    r = await client.get("/health", headers={"X-Request-ID": "bad id\nwith newline"})
    assert len(r.headers["x-request-id"]) == 32
    assert len((await client.get("/health")).headers["x-request-id"]) == 32


async def test_cors_allows_configured_origins_only(client):
    allowed = await client.options(
        "/api/auth/login",
        headers={"Origin": "http://localhost:3000", "Access-Control-Request-Method": "POST"},
    )
    assert allowed.headers["access-control-allow-origin"] == "http://localhost:3000"
    denied = await client.options(
        "/api/auth/login",
        headers={"Origin": "https://evil.example", "Access-Control-Request-Method": "POST"},
    )
    assert "access-control-allow-origin" not in denied.headers


async def test_api_answers_are_not_cached(client, user):
    r = await client.get("/api/auth/me", headers=user.headers)
    assert r.headers["cache-control"] == "no-store"


async def test_oversized_body_is_413_before_parsing(client):
    r = await client.post(
        "/api/auth/login",
        content=b'{"email": "' + b"a" * 2_000_000 + b'"}',
        headers={"Content-Type": "application/json"},
    )
    assert r.status_code == 413
    assert r.json()["code"] == "payload_too_large"


async def test_oversized_chunked_body_is_413(client):
    async def chunks():
        for _ in range(30):
            yield b"x" * 100_000

    r = await client.post(
        "/api/auth/login", content=chunks(), headers={"Content-Type": "application/json"}
    )
    assert r.status_code == 413


async def test_bad_json_and_unknown_routes_are_clear_4xx(client):
    r = await client.post(
        "/api/auth/login", content=b"{not json", headers={"Content-Type": "application/json"}
    )
    assert r.status_code == 422
    assert r.json()["code"] == "validation_error"
    r = await client.get("/api/nothing-here")
    assert r.status_code == 404
    assert r.json() == {"detail": "Not Found", "code": "not_found"}


async def test_swagger_ui_is_served_from_local_assets(client):
    page = await client.get("/docs")
    assert page.status_code == 200
    assert "/static/docs/swagger-ui-bundle.js" in page.text
    assert "cdn" not in page.text.lower()
    js = await client.get("/static/docs/swagger-ui-bundle.js")
    assert js.status_code == 200 and len(js.content) > 500_000
    assert (await client.get("/static/docs/swagger-ui.css")).status_code == 200
    schema = (await client.get("/openapi.json")).json()
    assert "/api/auth/signup" in schema["paths"]


async def test_docs_can_be_switched_off(mongo_url, tmp_path):
    app = create_app(make_settings(mongo_url, tmp_path, docs_enabled=False))
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as c:
        assert (await c.get("/docs")).status_code == 404
        assert (await c.get("/openapi.json")).status_code == 404


def test_production_refuses_unsafe_settings():
    with pytest.raises(ValidationError, match="SECRET_KEY"):
        Settings(_env_file=None, app_env="production", mongodb_url="mongodb://db")
    with pytest.raises(ValidationError, match="EMAIL_BACKEND=file"):
        Settings(
            _env_file=None,
            app_env="production",
            secret_key="s" * 40,
            mongodb_url="mongodb://db",
            storage_backend="s3",
            push_backend="onesignal",
        )
    ok = Settings(
        _env_file=None,
        app_env="production",
        secret_key="s" * 40,
        mongodb_url="mongodb://db",
        email_backend="ses",
        storage_backend="s3",
        s3_bucket="receipts",
        push_backend="onesignal",
        onesignal_app_id="app",
        onesignal_api_key="key",
    )
    assert ok.app_env == "production"


def test_cors_origins_accept_a_comma_separated_list(monkeypatch):
    monkeypatch.setenv("CORS_ORIGINS", "https://app.cleero.in, https://admin.cleero.in")
    assert Settings(_env_file=None).cors_origins == [
        "https://app.cleero.in",
        "https://admin.cleero.in",
    ]


class FlakyEmail:
    """Fails the first `failures` sends, then records what it delivers."""

    def __init__(self, failures: int) -> None:
        self.failures = failures
        self.calls = 0
        self.sent: list[str] = []

    async def send(self, message_id, email):
        self.calls += 1
        if self.calls <= self.failures:
            raise ConnectionError("SES is down")
        self.sent.append(email.to)


async def test_outbox_retries_with_backoff_then_sends_once(app, client, db, deliver):
    flaky = FlakyEmail(failures=2)
    app.state.backends.email = flaky
    r = await client.post(
        "/api/auth/signup",
        json={"email": "retry@example.com", "password": "SecurePass123!", "full_name": "R"},
    )
    assert r.status_code == 201  # the user's write never waits for the provider

    t0 = now_ms()
    assert await deliver(t0) == 0  # attempt 1 fails
    message = await db.outbox.find_one({"kind": "email"})
    assert message["status"] == "pending" and message["attempts"] == 1
    assert "SES is down" in message["last_error"]
    assert await deliver(t0 + timedelta(milliseconds=500)) == 0  # backoff: not due yet
    assert flaky.calls == 1
    assert await deliver(t0 + timedelta(seconds=3)) == 0  # attempt 2 fails
    assert await deliver(t0 + timedelta(seconds=60)) == 1  # attempt 3 succeeds
    assert await deliver(t0 + timedelta(hours=2)) == 0  # and never again
    assert flaky.sent == ["retry@example.com"]
    message = await db.outbox.find_one({"kind": "email"})
    assert message["status"] == "sent" and message["attempts"] == 3


async def test_outbox_gives_up_after_max_attempts(app, db, settings):
    app.state.backends.email = FlakyEmail(failures=100)
    await enqueue(db, "email", {"to": "x@example.com", "subject": "s", "html": "h", "text": "t"})
    dispatcher = app.state.dispatcher
    at = now_ms()
    for _ in range(settings.outbox_max_attempts):
        at += timedelta(hours=2)
        await dispatcher.run_once(at)
    message = await db.outbox.find_one({})
    assert message["status"] == "failed"
    assert message["attempts"] == settings.outbox_max_attempts
    r = await db.outbox.count_documents({"status": "failed"})
    assert r == 1


async def test_two_dispatchers_deliver_each_message_once(app, db, settings):
    sent: list[str] = []

    class Recorder:
        async def send(self, message_id, email):
            await asyncio.sleep(0.001)
            sent.append(message_id)

    app.state.backends.email = Recorder()
    for i in range(20):
        await enqueue(
            db, "email", {"to": f"{i}@example.com", "subject": "s", "html": "h", "text": "t"}
        )
    first = Dispatcher(db, settings, app.state.backends)
    second = Dispatcher(db, settings, app.state.backends)
    counts = await asyncio.gather(first.run_once(), second.run_once())
    assert sum(counts) == 20
    assert sorted(sent) == sorted(set(sent)) and len(sent) == 20


async def test_dispatcher_lease_has_one_holder(app, db, settings):
    first = Dispatcher(db, settings, app.state.backends)
    second = Dispatcher(db, settings, app.state.backends)
    assert await first.acquire_lease()
    assert not await second.acquire_lease()
    assert await first.acquire_lease()  # renewal
    await first.release_lease()
    assert await second.acquire_lease()


@pytest.mark.process  # stops and restarts a SecantusDB process
async def test_database_outage_is_503_and_recovers_by_itself(tmp_path):
    port = embedded_db.free_port()
    storage = tmp_path / "db"
    proc = embedded_db.start(storage, port, log_path=tmp_path / "db.log")
    try:
        settings = make_settings(embedded_db.url(port), tmp_path, db_timeout_ms=1000)
        app = create_app(settings)
        async with app.router.lifespan_context(app):
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url="http://t") as c:
                u = await signup(c)
                embedded_db.stop(proc)

                r = await c.get("/api/auth/me", headers=u.headers)
                assert r.status_code == 503
                assert r.headers["retry-after"] == "5"
                assert r.json()["code"] == "database_unavailable"
                assert (await c.get("/health/ready")).status_code == 503
                assert (await c.get("/health")).status_code == 200

                proc = embedded_db.start(storage, port, log_path=tmp_path / "db.log")
                for _ in range(20):  # the driver reconnects on its own
                    r = await c.get("/api/auth/me", headers=u.headers)
                    if r.status_code == 200:
                        break
                    await asyncio.sleep(0.5)
                assert r.status_code == 200
                assert r.json()["email"] == u.email  # the data survived the restart
    finally:
        embedded_db.stop(proc)


async def test_metrics_use_route_templates_and_report_the_outbox(client, user):
    await client.get("/api/auth/me", headers=user.headers)
    text = (await client.get("/metrics")).text
    assert 'http_requests_total{method="GET",route="/api/auth/me",status="200"}' in text
    assert 'route="/api/auth/signup"' in text
    assert "\noutbox_backlog 1\n" in text  # the welcome email, not yet dispatched
    assert "\noutbox_failed 0\n" in text
    assert user.email not in text
