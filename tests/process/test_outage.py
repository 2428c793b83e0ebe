"""With the database gone, a write answers 503 with Retry-After, promptly and never a 500.
A database that dies in the middle of a transaction is the slow case: a transaction is retried
on transient errors, and PyMongo's own limit would hold the request two minutes; ours stops
after `core.transactions.TRANSACTION_TIME_LIMIT` seconds."""

import time

import httpx
import pytest

from core import transactions
from ledger import store as ledger_store
from main import create_app
from ops import embedded_db
from tests.factories import make_settings, signup

pytestmark = pytest.mark.process
LIMIT = 3.0


async def test_the_database_dying_mid_transaction_is_a_prompt_503(tmp_path, monkeypatch):
    monkeypatch.setattr(transactions, "TRANSACTION_TIME_LIMIT", LIMIT)
    port = embedded_db.free_port()
    proc = embedded_db.start(":memory:", port, log_path=tmp_path / "db.log")
    move_spend = ledger_store.move_spend

    async def dies_first(*args, **kwargs):
        embedded_db.stop(proc)  # after the user was read, inside the expense's transaction
        return await move_spend(*args, **kwargs)

    settings = make_settings(embedded_db.url(port), tmp_path)
    app = create_app(settings)
    try:
        async with app.router.lifespan_context(app):
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
                user = await signup(client)
                body = {"title": "Tea", "category": "food", "amount": 20}
                r = await client.post("/api/expenses", headers=user.headers, json=body)
                assert r.status_code == 201, r.text
                monkeypatch.setattr(ledger_store, "move_spend", dies_first)
                started = time.monotonic()
                r = await client.post("/api/expenses", headers=user.headers, json=body)
                waited = time.monotonic() - started
                assert r.status_code == 503, r.text
                assert r.json()["code"] == "database_unavailable"
                assert r.headers["retry-after"]
                # The limit plus one last server selection (db_timeout_ms, 1.5 s) and slack.
                assert waited < LIMIT + 1.5 + 3.0, waited
    finally:
        embedded_db.stop(proc)
