"""Ready for a sharded cluster, where the user is the shard key: every command the app sends
to a per-user collection during an HTTP workload names `user_id` in its filter (or, for an
insert, in every document), so each one is routed to one shard; and every unique index on a
per-user collection starts with `user_id`, the only way uniqueness holds once sharded."""

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from pymongo import monitoring

import main
from database import INDEXES, USER_COLLECTIONS
from tests.api_walk import base_bodies, operations, seed, send
from tests.factories import make_settings, signup

# Collections keyed by something other than the user: `users` (its `_id` is the user),
# and the app's own bookkeeping, which holds no user's data.
UNSHARDED = {"users", "outbox", "rate_limits", "locks", "migrations"}
PER_USER = set(USER_COLLECTIONS) - UNSHARDED
# What a command's filter is called, by command.
FILTERS = {"find": "filter", "count": "query", "distinct": "query", "findAndModify": "query"}


class Recorder(monitoring.CommandListener):
    """Every command the app's client starts while `on`."""

    def __init__(self) -> None:
        self.on = False
        self.commands: list[tuple[str, dict[str, Any]]] = []

    def started(self, event: monitoring.CommandStartedEvent) -> None:
        if self.on:
            self.commands.append((event.command_name, dict(event.command)))

    def succeeded(self, event: monitoring.CommandSucceededEvent) -> None:
        pass

    def failed(self, event: monitoring.CommandFailedEvent) -> None:
        pass


def names_user(filter_: Any) -> bool:
    """The filter pins `user_id` (at its top level, or in every branch of an `$and`)."""
    if not isinstance(filter_, dict):
        return False
    if "user_id" in filter_:
        return True
    return any(
        isinstance(branch, dict) and names_user(branch) for branch in filter_.get("$and", [])
    )


def unrouted(name: str, command: dict[str, Any]) -> list[str]:
    """What in one command would reach every shard: a filter (or a document) without
    `user_id`. Empty when the command is routed by the user."""
    collection = command.get(name)
    if not isinstance(collection, str) or collection not in PER_USER:
        return []
    if name in FILTERS:
        filters = [command.get(FILTERS[name])]
    elif name == "aggregate":
        first = (command.get("pipeline") or [{}])[0]
        filters = [first.get("$match")]
    elif name == "insert":
        filters = list(command.get("documents", []))
    elif name == "update":
        filters = [u.get("q") for u in command.get("updates", [])]
    elif name == "delete":
        filters = [d.get("q") for d in command.get("deletes", [])]
    else:  # createIndexes, listIndexes, getMore (its find was checked), ...
        return []
    return [f"{name} {collection}: {f!r}"[:300] for f in filters if not names_user(f)]


@pytest.fixture
async def recorded(
    mongo_url: str, tmp_path: Any, monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[tuple[httpx.AsyncClient, Recorder, Any]]:
    recorder = Recorder()
    connect = main.connect
    monkeypatch.setattr(main, "connect", lambda url, s: connect(url, s, [recorder]))
    settings = make_settings(mongo_url, tmp_path)
    app = main.create_app(settings)
    async with app.router.lifespan_context(app):  # migrations and indexes: not recorded
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            yield client, recorder, app
        await app.state.db.client.drop_database(settings.mongodb_db)


async def sessions(client: httpx.AsyncClient, user: Any) -> None:
    """A session's life: log in, refresh, change the password, log out."""
    login = {"email": user.email, "password": user.password}
    r = await client.post("/api/auth/login", json=login)
    assert r.status_code == 200, r.text
    tokens = r.json()
    r = await client.post("/api/auth/refresh", json={"refresh_token": tokens["refresh_token"]})
    assert r.status_code == 200, r.text
    headers = {"Authorization": f"Bearer {r.json()['access_token']}"}
    change = {"current_password": user.password, "new_password": "Another-pass-123"}
    r = await client.post("/api/auth/change-password", headers=headers, json=change)
    assert r.status_code in (200, 204), r.text
    login["password"] = change["new_password"]
    tokens = (await client.post("/api/auth/login", json=login)).json()
    headers = {"Authorization": f"Bearer {tokens['access_token']}"}
    body = {"refresh_token": tokens["refresh_token"]}
    r = await client.post("/api/auth/logout", headers=headers, json=body)
    assert r.status_code in (200, 204), r.text


async def test_every_per_user_command_names_the_user(recorded):
    client, recorder, app = recorded
    recorder.on = True
    user, other = await signup(client), await signup(client)
    ids = await seed(client, user)
    await seed(client, other, marker="x")
    await app.state.dispatcher.run_once()
    bodies = base_bodies(user, ids)
    # Reads first, then writes, then deletes, so each operation finds its object.
    order = {"GET": 0, "POST": 1, "PUT": 2, "DELETE": 3}
    for method, path, op in sorted(operations(app), key=lambda o: order.get(o[0], 4)):
        if path.startswith("/api/auth") or (method, path) == ("DELETE", "/api/users/me"):
            continue  # auth is walked by signup above; the account is deleted last
        await send(client, method, path, op, ids, user.headers, bodies)
    r = await client.request(
        "DELETE", "/api/users/me", headers=user.headers, json={"password": user.password}
    )
    assert r.status_code == 204, r.text
    await sessions(client, other)
    recorder.on = False

    seen = {name for name, _ in recorder.commands}
    assert {"find", "insert", "update", "delete", "aggregate"} <= seen  # the workload ran
    touched = {c.get(n) for n, c in recorder.commands} & PER_USER
    assert len(touched) >= len(PER_USER) - 3, sorted(PER_USER - touched)
    problems = sorted({p for name, cmd in recorder.commands for p in unrouted(name, cmd)})
    assert problems == [], "\n".join(problems)


def test_unique_indexes_on_per_user_collections_start_with_the_user():
    for collection, indexes in INDEXES.items():
        if collection not in PER_USER:
            continue
        for index in indexes:
            spec = index.document
            if not spec.get("unique"):
                continue
            first = next(iter(spec["key"]))
            assert first == "user_id", f"{collection}: unique index {dict(spec['key'])}"
