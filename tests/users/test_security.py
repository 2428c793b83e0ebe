"""Security suite: one section per OWASP API Security Top 10 (2023) risk.

Most checks iterate over the app's own OpenAPI schema, so a new route is covered (or the test
says what to add for it) without anyone remembering to write a test.
"""

import asyncio
import contextlib
import re
import uuid
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import jwt
import pytest
import respx
from bson import ObjectId
from fastapi import FastAPI

from database import USER_COLLECTIONS
from main import ROUTERS, create_app
from services import Backends
from tests.api_walk import (
    LOAN,
    PNG,
    base_bodies,
    body_for,
    body_kind,
    created,
    operations,
    path_params,
    seed,
    send,
)
from tests.factories import PASSWORD, make_settings, signup
from tests.factories import TestUser as Account

ONESIGNAL = "https://api.onesignal.com/notifications"
# Public by design; every other operation needs a bearer token.
PUBLIC = {
    ("POST", "/api/auth/signup"),
    ("POST", "/api/auth/login"),
    ("POST", "/api/auth/token"),
    ("POST", "/api/auth/refresh"),
    ("POST", "/api/auth/password-reset-request"),
    ("POST", "/api/auth/password-reset-confirm"),
    ("GET", "/api/expenses/receipts/download"),  # its signature is the credential
    ("GET", "/health"),
    ("GET", "/health/ready"),
}
# Served but not in the schema, on purpose (API9).
UNDOCUMENTED = {"/openapi.json", "/docs", "/docs/oauth2-redirect", "/static/docs", "/metrics"}
# Fields a client must never set, whatever the body (API3). Each operation also refuses every
# field of its answer that its request doesn't take (computed and server-owned fields).
SERVER_OWNED = {
    "user_id",
    "_id",
    "id",
    "created_at",
    "updated_at",
    "hashed_password",
    "is_active",
    "is_admin",
    "role",
}
# The server-owned fields an answer shows: a PUT takes them back from an edit form, ignored.
SHOWN = {"id", "created_at", "updated_at", "is_active"}
# Never in any answer (API3): secrets, hashes and internal keys.
SECRET_KEYS = {
    "hashed_password",
    "password",
    "user_id",
    "_id",
    "refresh_jti",
    "receipt_key",
    "secret",
    "api_key",
    "token_hash",
}


# ---------------------------------------------------------------- helpers


async def snapshot(db: Any, user_id: str) -> dict[str, list[dict[str, Any]]]:
    """Everything stored for a user, to prove a request changed nothing."""
    oid = ObjectId(user_id)
    state = {"users": await db.users.find({"_id": oid}).to_list(None)}
    for name in USER_COLLECTIONS:
        state[name] = await db[name].find({"user_id": oid}).sort("_id", 1).to_list(None)
    return state


@contextlib.asynccontextmanager
async def custom_app(mongo_url: str, tmp_path: Any, **overrides: Any) -> AsyncIterator[Any]:
    settings = make_settings(mongo_url, tmp_path, **overrides)
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            yield client
        await app.state.db.client.drop_database(settings.mongodb_db)


def forge(settings: Any, claims: dict[str, Any], key: str | None = None) -> str:
    return jwt.encode(claims, key or settings.secret_key, algorithm="HS256")


def walk(value: Any) -> Any:
    """Every (key, value) pair in a JSON document, at any depth."""
    if isinstance(value, dict):
        for key, item in value.items():
            yield key, item
            yield from walk(item)
    elif isinstance(value, list):
        for item in value:
            yield from walk(item)


# ---------------------------------------------------------------- API1 object level authorization


async def test_api1_every_id_route_hides_someone_elses_objects(app, client, db, user, other_user):
    """Every route with an id in its path (from the schema), every query filter by id, and
    payments against someone else's debt: 404 for user A, and user B's data unchanged."""
    theirs = await seed(client, other_user, marker="ZZB-")
    mine = await seed(client, user)
    bodies = base_bodies(user, mine)
    before = await snapshot(db, other_user.id)
    routes = [(m, p, op) for m, p, op in operations(app) if path_params(p)]
    assert len(routes) >= 20
    for method, path, op in routes:
        r = await send(client, method, path, op, theirs, user.headers, bodies)
        assert r.status_code == 404, f"{method} {path}: {r.status_code} {r.text}"
        if method == "GET":  # the id is real: its owner gets it
            r = await send(client, method, path, op, theirs, other_user.headers, bodies)
            assert r.status_code == 200, f"{method} {path} as the owner: {r.text}"
    for method, path, op in operations(app):
        for param in op.get("parameters", []):
            if param["in"] == "query" and param["name"] in theirs:
                query = {param["name"]: theirs[param["name"]]}
                r = await send(client, method, path, op, mine, user.headers, bodies, **query)
                assert r.status_code == 404, f"{method} {path}?{param['name']}: {r.text}"
    body = {"debt_id": theirs["debt_id"], "amount": 100}
    r = await client.post("/api/payments", headers=user.headers, json=body)
    assert r.status_code == 404
    assert await snapshot(db, other_user.id) == before


async def test_api1_nothing_of_another_user_shows_in_any_read(app, client, user, other_user):
    """Every GET (lists, stats, dashboard, reports) with user A's own ids: none of user B's
    names or ids appear anywhere in the answers."""
    theirs = await seed(client, other_user, marker="ZZB-")
    mine = await seed(client, user)
    secrets = ["ZZB-", other_user.id, other_user.email, *theirs.values()]
    for method, path, op in operations(app):
        if method != "GET" or (method, path) in PUBLIC:
            continue
        query = {"kind": "expenses"} if path == "/api/reports/export" else {}
        r = await send(client, method, path, op, mine, user.headers, {}, **query)
        assert r.status_code == 200, f"GET {path}: {r.text}"
        leaked = [s for s in secrets if s in r.text]
        assert not leaked, f"GET {path} shows another user's {leaked}"


# ---------------------------------------------------------------- API2 broken authentication


async def bad_tokens(client: httpx.AsyncClient, settings: Any, user: Account) -> dict[str, str]:
    claims = jwt.decode(user.tokens["access_token"], options={"verify_signature": False})
    past = datetime.now(UTC) - timedelta(minutes=31)
    alg_none = ".".join(
        jwt.utils.base64url_encode(part).decode()
        for part in (b'{"alg":"none","typ":"JWT"}', jwt.api_jws.json.dumps(claims).encode())
    )
    logged_out = await signup(client)
    r = await client.post("/api/auth/logout", headers=logged_out.headers)
    assert r.status_code == 204
    changed = await signup(client)
    body = {"current_password": PASSWORD, "new_password": "Changed-pass-99"}
    r = await client.post("/api/auth/change-password", headers=changed.headers, json=body)
    assert r.status_code == 200
    return {
        "no token": "",
        "garbage": "not-a-jwt",
        "expired": forge(settings, claims | {"iat": past, "exp": past + timedelta(minutes=30)}),
        "wrong signature": forge(settings, claims, key="some-other-secret-of-enough-length-0"),
        "alg none": alg_none + ".",
        "refresh as access": user.tokens["refresh_token"],
        "unknown session": forge(settings, claims | {"sid": uuid.uuid4().hex}),
        "after logout": logged_out.headers["Authorization"].removeprefix("Bearer "),
        "after password change": changed.headers["Authorization"].removeprefix("Bearer "),
    }


async def test_api2_every_protected_operation_refuses_bad_tokens(app, client, settings, user):
    mine = await seed(client, user)
    bodies = base_bodies(user, mine)
    tokens = await bad_tokens(client, settings, user)
    protected = [(m, p, op) for m, p, op in operations(app) if op.get("security")]
    assert {(m, p) for m, p, _ in operations(app)} - {(m, p) for m, p, _ in protected} == PUBLIC
    for name, token in tokens.items():
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        for method, path, op in protected:
            r = await send(client, method, path, op, mine, headers, bodies)
            assert r.status_code == 401, f"{name}: {method} {path} answered {r.status_code}"
            assert r.headers["www-authenticate"] == "Bearer"
            assert r.json()["code"] in ("not_authenticated", "invalid_credentials")
    # The real token still works, so the 401s above were about the tokens.
    assert (await client.get("/api/auth/me", headers=user.headers)).status_code == 200


async def test_api2_password_reset_token_is_single_use_and_ends_sessions(
    client, user, deliver, mailbox
):
    await client.post("/api/auth/password-reset-request", json={"email": user.email})
    await deliver()
    link = next(m for m in mailbox() if "reset" in m["Subject"].lower())
    token = re.search(r"token=([\w-]+)", link.get_body(("plain",)).get_content())[1]
    body = {"token": token, "new_password": "Reset-pass-123"}
    assert (await client.post("/api/auth/password-reset-confirm", json=body)).status_code == 200
    assert (await client.post("/api/auth/password-reset-confirm", json=body)).status_code == 400
    assert (await client.get("/api/auth/me", headers=user.headers)).status_code == 401


# ---------------------------------------------------------------- API3 object property level


def _schema(app: FastAPI, node: dict[str, Any]) -> dict[str, Any]:
    if "$ref" in node:
        return _schema(app, app.openapi()["components"]["schemas"][node["$ref"].split("/")[-1]])
    return node


def _properties(app: FastAPI, op: dict[str, Any]) -> dict[str, Any]:
    schema = op["requestBody"]["content"]["application/json"]["schema"]
    return _schema(app, schema).get("properties", {})


def refused_fields(app: FastAPI, op: dict[str, Any]) -> set[str]:
    """Server-owned fields plus every field of the answer the request does not declare."""
    answered: set[str] = set()
    for status, response in op["responses"].items():
        schema = response.get("content", {}).get("application/json", {}).get("schema")
        if status.startswith("2") and schema:
            answered |= set(_schema(app, schema).get("properties", {}))
    return (SERVER_OWNED | answered) - set(_properties(app, op))


def ignored_fields(app: FastAPI, op: dict[str, Any]) -> set[str]:
    """The answer's read-only fields a PUT body declares (`readOnly`), so that an edit form
    may send the object back as GET answered it: accepted, never written."""
    return {name for name, prop in _properties(app, op).items() if prop.get("readOnly")}


# What any write stores whatever its body: its time, and its version taken from the user's
# change counter (`sync_state`).
WRITE_STAMPS = {"updated_at", "sync_seq"}


def _timeless(state: dict[str, list[dict[str, Any]]]) -> dict[str, list[dict[str, Any]]]:
    return {
        name: [{k: v for k, v in doc.items() if k not in WRITE_STAMPS} for doc in docs]
        for name, docs in state.items()
        if name != "sync_state"
    }


async def test_api3_no_body_accepts_server_owned_or_computed_fields(app, client, db, user):
    """Mass assignment: every JSON body refuses each server-owned or computed field it does not
    declare with a 422 naming that field, and nothing is stored. A PUT declares its answer's
    read-only fields (id, timestamps, figures) for edit forms: whatever they hold, they are
    ignored and nothing but the edit's time and version is stored. Derived statuses are never
    set."""
    mine = await seed(client, user)
    bodies = base_bodies(user, mine)
    checked = ignored = 0
    for method, path, op in operations(app):
        if body_kind(op) != "application/json":
            continue
        baseline = await send(client, method, path, op, mine, user.headers, bodies)
        assert baseline.status_code != 422, f"{method} {path} baseline: {baseline.text}"
        before = await snapshot(db, user.id)
        for field in sorted(refused_fields(app, op)):
            body = body_for(bodies, method, path) | {field: str(ObjectId())}
            url = path.format(**mine)
            r = await client.request(method, url, headers=user.headers, json=body)
            assert r.status_code == 422, f"{method} {path} took {field}: {r.text}"
            assert ["body", field] in [issue["loc"] for issue in r.json()["detail"]]
            checked += 1
        assert await snapshot(db, user.id) == before, f"{method} {path} stored something"
        for field in sorted(ignored_fields(app, op)):
            assert method == "PUT" and field not in SERVER_OWNED - SHOWN, (path, field)
            body = body_for(bodies, method, path) | {field: str(ObjectId())}
            r = await client.request(method, path.format(**mine), headers=user.headers, json=body)
            assert r.status_code == 200, f"{method} {path} refused {field}: {r.text}"
            ignored += 1
        assert _timeless(await snapshot(db, user.id)) == _timeless(before), f"{method} {path}"
    assert checked > 100 and ignored > 50
    for path, body in (
        ("/api/debts/{debt_id}", {"status": "completed"}),
        ("/api/goals/{goal_id}", {"status": "completed"}),
    ):
        r = await client.put(path.format(**mine), headers=user.headers, json=body)
        assert (r.status_code, r.json()["status"]) == (200, "active"), r.text  # ignored
    debt = LOAN | {"status": "completed"}
    assert (await client.post("/api/debts", headers=user.headers, json=debt)).status_code == 422


async def test_api3_no_answer_carries_secrets_hashes_or_internal_keys(app, client, settings, user):
    """Excessive data exposure: no answer (auth included) and no response schema has a
    password, hash, internal key or user_id; no bcrypt hash or secret appears in any body."""
    mine = await seed(client, user)
    bodies = base_bodies(user, mine)
    answers = [user.tokens]
    r = await client.post("/api/auth/login", json={"email": user.email, "password": PASSWORD})
    answers.append(r.json())
    refresh = {"refresh_token": r.json()["refresh_token"]}
    answers.append((await client.post("/api/auth/refresh", json=refresh)).json())
    for method, path, op in operations(app):
        if method == "GET" and (method, path) not in PUBLIC and path != "/api/reports/export":
            r = await send(client, method, path, op, mine, user.headers, bodies)
            answers.append(r.json())
    for answer in answers:
        keys = {key for key, _ in walk(answer)}
        assert not keys & SECRET_KEYS, keys & SECRET_KEYS
        text = str(answer)
        assert "$2b$" not in text and settings.secret_key not in text
    for name, schema in app.openapi()["components"]["schemas"].items():
        exposed = set(schema.get("properties", {})) & (SECRET_KEYS - {"password"})
        assert not exposed, f"{name} exposes {exposed}"


# ---------------------------------------------------------------- API4 resource consumption


async def test_api4_every_list_caps_its_page_size(app, client, user):
    def names(op: dict[str, Any]) -> set[str]:
        return {param["name"] for param in op.get("parameters", [])}

    lists = [path for _, path, op in operations(app) if {"limit", "skip"} <= names(op)]
    mine = await seed(client, user)
    assert len(lists) >= 8
    for path in lists:
        url = path.format(**mine)
        cap = 500 if path == "/api/imports/{import_id}/rows" else 100  # a statement's rows
        for query in ({"limit": cap + 1}, {"limit": 0}, {"skip": -1}, {"skip": 100_001}):
            r = await client.get(url, headers=user.headers, params=query)
            assert r.status_code == 422, f"{path} {query}: {r.status_code}"
        r = await client.get(url, headers=user.headers, params={"limit": cap})
        assert r.status_code == 200 and r.json()["limit"] == cap
    # A feed read by cursor (GET /api/sync) has no `skip`: its own cap, declared and held.
    feeds = [
        (path, op) for _, path, op in operations(app) if names(op) & {"limit", "skip"} == {"limit"}
    ]
    assert feeds
    for path, op in feeds:
        (limit,) = [p["schema"] for p in op["parameters"] if p["name"] == "limit"]
        for query in ({"limit": limit["maximum"] + 1}, {"limit": 0}):
            r = await client.get(path, headers=user.headers, params=query)
            assert r.status_code == 422, f"{path} {query}: {r.status_code}"


def test_api4_every_input_is_bounded(app):
    """Every string a client sends (bodies, query, headers) has a length limit, an enum or a
    pattern, and every array a maximum size."""

    def check(where: str, node: dict[str, Any]) -> None:
        node = _schema(app, node)
        for branch in node.get("anyOf", []):
            check(where, branch)
        is_file = node.get("format") == "binary" or "contentMediaType" in node
        if node.get("type") == "string" and not is_file:
            bounded = {"maxLength", "enum", "pattern", "const"} & set(node)
            assert bounded, f"{where}: unbounded string"
        if node.get("type") == "array":
            assert "maxItems" in node, f"{where}: unbounded array"
            check(where + "[]", node["items"])
        for name, prop in node.get("properties", {}).items():
            check(f"{where}.{name}", prop)
        if isinstance(node.get("additionalProperties"), dict):
            check(where + "{}", node["additionalProperties"])

    for method, path, op in operations(app):
        for param in op.get("parameters", []):
            if param["in"] != "path":  # paths are bounded by the request line
                check(f"{method} {path} {param['name']}", param["schema"])
        for content in op.get("requestBody", {}).get("content", {}).values():
            check(f"{method} {path} body", content["schema"])


async def test_api4_bodies_over_the_cap_are_413_before_parsing(
    app, client, user, mongo_url, tmp_path
):
    big = b'{"x": "' + b"a" * 1_100_000 + b'"}'
    for method, path, op in operations(app):
        if body_kind(op) == "application/json":
            url = re.sub(r"\{[^}]+\}", str(ObjectId()), path)
            headers = user.headers | {"Content-Type": "application/json"}
            r = await client.request(method, url, headers=headers, content=big)
            assert r.status_code == 413, f"{method} {path}: {r.status_code}"
            assert r.json()["code"] == "payload_too_large"
    async with custom_app(mongo_url, tmp_path, max_upload_bytes=1000) as small:
        owner = await signup(small)
        body = {"title": "Lunch", "category": "food", "amount": 250}
        expense = created(await small.post("/api/expenses", headers=owner.headers, json=body))
        files = {"file": ("big.png", PNG + b"\x00" * 2000, "image/png")}
        url = f"/api/expenses/{expense['id']}/receipt"
        r = await small.post(url, headers=owner.headers, files=files)
        assert r.status_code == 413
        r = await small.get(f"/api/expenses/{expense['id']}", headers=owner.headers)
        assert r.json()["receipt_url"] is None


async def test_api4_login_signup_and_reset_are_rate_limited(mongo_url, tmp_path):
    # A day-long window: no attempt comes back (one per window / limit) during the test.
    limits = {
        "login_limit": 3,
        "signup_limit": 2,
        "reset_limit": 2,
        "rate_limit_window_seconds": 86400,
    }
    async with custom_app(mongo_url, tmp_path, **limits) as c:
        u = await signup(c)
        await signup(c)
        r = await c.post(
            "/api/auth/signup",
            json={"email": "x@example.com", "password": PASSWORD, "full_name": "X"},
        )
        assert r.status_code == 429 and int(r.headers["retry-after"]) >= 1
        for _ in range(3):
            bad = {"email": u.email, "password": "not-it-at-all"}
            assert (await c.post("/api/auth/login", json=bad)).status_code == 401
        # The account is locked until an attempt comes back, even with the right password.
        good = {"email": u.email, "password": PASSWORD}
        r = await c.post("/api/auth/login", json=good)
        assert r.status_code == 429 and r.json()["code"] == "rate_limited"
        form = {"username": u.email, "password": PASSWORD}
        assert (await c.post("/api/auth/token", data=form)).status_code == 429
        for _ in range(2):
            r = await c.post("/api/auth/password-reset-request", json={"email": u.email})
            assert r.status_code == 202
        r = await c.post("/api/auth/password-reset-request", json={"email": u.email})
        assert r.status_code == 429


# ---------------------------------------------------------------- API5 function level


def test_api5_no_privileged_functions_and_no_user_id_parameters(app):
    """No admin or internal operations exist; no operation takes a user id (a user acts only
    as themselves: /users/me), so there is no function to call on someone else's behalf."""
    for method, path, op in operations(app):
        assert not re.search(r"admin|internal|debug|impersonat|/users/\{", path), path
        names = {param["name"] for param in op.get("parameters", [])}
        content = op.get("requestBody", {}).get("content", {}).get("application/json")
        if content:
            names |= set(_schema(app, content["schema"]).get("properties", {}))
        assert not names & {"user_id", "owner_id", "role", "is_admin"}, (method, path, names)


def offered_at(app: FastAPI, url: str) -> tuple[set[str], set[str]]:
    """(every method some route takes at `url`, the methods of the resource itself): a
    PUT /debts/payoff-plan reaches PUT /debts/{debt_id}, but payoff-plan itself is GET only."""
    found: dict[int, set[str]] = {}
    for template, methods in app.openapi()["paths"].items():
        if re.fullmatch(re.sub(r"\{[^}]+\}", "[^/]+", template), url):
            found.setdefault(template.count("{"), set()).update(m.upper() for m in methods)
    return set().union(*found.values()), found[min(found)]


async def test_api5_collections_refuse_methods_they_do_not_offer(app, client, user):
    """A method no route takes is a 405 naming the methods the resource does offer."""
    for path in app.openapi()["paths"]:
        url = re.sub(r"\{[^}]+\}", str(ObjectId()), path)
        routed, offered = offered_at(app, url)
        for method in {"PATCH", "PUT", "DELETE", "OPTIONS"} - routed:
            r = await client.request(method, url, headers=user.headers)
            assert r.status_code == 405, f"{method} {path}: {r.status_code}"
            assert set(r.headers["allow"].split(", ")) == offered, (path, r.headers["allow"])


# ---------------------------------------------------------------- API6 sensitive business flows


async def test_api6_reset_request_reveals_nothing_about_accounts(client, user, deliver, mailbox):
    known = await client.post("/api/auth/password-reset-request", json={"email": user.email})
    unknown = await client.post(
        "/api/auth/password-reset-request", json={"email": "nobody@example.com"}
    )
    assert (known.status_code, known.json()) == (unknown.status_code, unknown.json())
    assert known.status_code == 202
    await deliver()
    recipients = [m["To"] for m in mailbox()]
    assert "nobody@example.com" not in recipients and user.email in recipients


async def test_api6_signup_does_not_reveal_more_than_it_must(client, user):
    """A taken email is a 409 (the form must say so), but login answers the same 401 for an
    unknown email and a wrong password, and the spoofable X-Forwarded-For is not trusted."""
    r = await client.post(
        "/api/auth/signup", json={"email": user.email, "password": PASSWORD, "full_name": "X"}
    )
    assert r.status_code == 409
    wrong = await client.post("/api/auth/login", json={"email": user.email, "password": "nope1"})
    unknown = await client.post(
        "/api/auth/login", json={"email": "nobody@example.com", "password": "nope1"}
    )
    assert (wrong.status_code, wrong.json()) == (unknown.status_code, unknown.json())


async def test_api4_a_burst_of_concurrent_signups_gets_exactly_the_limit_in(mongo_url, tmp_path):
    """30 signups from one address at once against a limit of 10 a day: each updates the
    address's next free time atomically, so exactly 10 get in and 20 get a 429."""
    limits = {"signup_limit": 10, "rate_limit_window_seconds": 86400}
    async with custom_app(mongo_url, tmp_path, **limits) as c:

        async def one(i: int) -> int:
            body = {"email": f"burst{i}@example.com", "password": PASSWORD, "full_name": "B"}
            return (await c.post("/api/auth/signup", json=body)).status_code

        codes = await asyncio.gather(*(one(i) for i in range(30)))
        assert (codes.count(201), codes.count(429)) == (10, 20), codes


async def test_api6_spoofed_forwarded_for_does_not_reset_the_login_limit(mongo_url, tmp_path):
    window = {"rate_limit_window_seconds": 86400}
    async with custom_app(mongo_url, tmp_path, login_limit=2, **window) as c:
        u = await signup(c)
        bad = {"email": u.email, "password": "not-it-at-all"}
        codes = [
            (
                await c.post(
                    "/api/auth/login", json=bad, headers={"X-Forwarded-For": f"10.0.0.{i}"}
                )
            ).status_code
            for i in range(4)
        ]
        assert codes == [401, 401, 429, 429]


# ---------------------------------------------------------------- API7 SSRF


def test_api7_no_operation_takes_a_url(app):
    """Nothing the API fetches is named by a client: no request field or parameter is a URL
    (receipts are uploaded as files; push and email go to fixed provider endpoints). An
    expense's PUT declares the answer's `receipt_url` read-only: ignored, never read."""
    url_like = re.compile(r"url|uri|link|href|webhook|callback|redirect|avatar|image", re.I)
    for method, path, op in operations(app):
        names = [param["name"] for param in op.get("parameters", [])]
        for content in op.get("requestBody", {}).get("content", {}).values():
            schema = _schema(app, content["schema"])
            props = schema.get("properties", {}).items()
            names += [name for name, prop in props if not prop.get("readOnly")]
            assert '"format": "uri"' not in str(schema).replace("'", '"'), (method, path)
        assert not [n for n in names if url_like.search(n)], (method, path, names)


@respx.mock(assert_all_called=False)
async def test_api7_a_receipt_url_is_refused_and_never_fetched(client, user, respx_mock):
    metadata = respx_mock.get("http://169.254.169.254/latest/meta-data/").mock(
        return_value=httpx.Response(200, text="secret")
    )
    body = {"title": "Lunch", "category": "food", "amount": 250}
    expense = created(await client.post("/api/expenses", headers=user.headers, json=body))
    url = f"/api/expenses/{expense['id']}/receipt"
    link = {"url": "http://169.254.169.254/latest/meta-data/"}
    assert (await client.post(url, headers=user.headers, json=link)).status_code == 422
    assert (await client.post(url, headers=user.headers, data=link)).status_code == 422
    # An edit form's receipt_url is the answer's, read-only: ignored, never fetched.
    echo = expense | {"receipt_url": link["url"]}
    r = await client.put(f"/api/expenses/{expense['id']}", headers=user.headers, json=echo)
    assert (r.status_code, r.json()["receipt_url"]) == (200, None)
    assert not metadata.called


# ---------------------------------------------------------------- API8 misconfiguration


async def test_api8_every_answer_is_no_store_and_nosniff(app, client, user):
    mine = await seed(client, user)
    for method, path, op in operations(app):
        if method == "GET" and path.startswith("/api/") and (method, path) not in PUBLIC:
            query = {"kind": "expenses"} if path == "/api/reports/export" else {}
            r = await send(client, method, path, op, mine, user.headers, {}, **query)
            assert r.headers["cache-control"] == "no-store", path
            assert r.headers["x-content-type-options"] == "nosniff", path
    r = await client.get("/api/debts")  # errors too
    assert r.status_code == 401 and r.headers["cache-control"] == "no-store"


async def test_api8_cors_allows_only_configured_origins(client, settings):
    for origin, allowed in (("http://localhost:3000", True), ("https://evil.example", False)):
        r = await client.options(
            "/api/debts",
            headers={"Origin": origin, "Access-Control-Request-Method": "GET"},
        )
        assert (r.headers.get("access-control-allow-origin") == origin) is allowed
        assert r.headers.get("access-control-allow-origin") != "*"


async def test_api8_docs_and_schema_can_be_switched_off(mongo_url, tmp_path):
    async with custom_app(mongo_url, tmp_path, docs_enabled=False) as c:
        for url in (
            "/docs",
            "/docs/oauth2-redirect",
            "/openapi.json",
            "/static/docs/swagger-ui.css",
        ):
            assert (await c.get(url)).status_code == 404, url
        assert (await c.get("/health")).status_code == 200


async def test_api8_errors_carry_no_stack_traces_or_internals(mongo_url, tmp_path, client, user):
    settings = make_settings(mongo_url, tmp_path)
    app = create_app(settings)

    @app.get("/api/boom", include_in_schema=False)
    async def boom() -> None:
        raise RuntimeError("secret internal detail at /srv/app/services.py")

    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as c:
            r = await c.get("/api/boom")
        await app.state.db.client.drop_database(settings.mongodb_db)
    assert r.status_code == 500
    assert r.json() == {"detail": "Internal server error", "code": "internal_error"}
    answers = [
        r,
        await client.get("/api/nowhere"),
        await client.post("/api/debts", headers=user.headers, content=b"{bad json"),
        await client.post(
            "/api/debts",
            headers=user.headers | {"Content-Type": "application/json"},
            content=b'{"name": "\xff\xfe"}',
        ),
        await client.get(f"/api/debts/{'x' * 500}", headers=user.headers),
        await client.post("/api/debts", headers=user.headers, json={"principal": "1e400"}),
    ]
    for answer in answers:
        assert answer.status_code < 500 or answer is r
        assert not re.search(r"Traceback|File \"|\.py\b|pymongo|bson", answer.text), answer.text


# ---------------------------------------------------------------- API9 inventory


def test_api9_every_served_route_is_documented_or_known(app):
    """The schema is the inventory: every route of every router is in it, under /api; the
    only undocumented paths are the docs, the schema itself and /metrics."""
    documented = set(app.openapi()["paths"])
    assert all(p.startswith("/api/") or p in ("/health", "/health/ready") for p in documented)
    for router in ROUTERS:
        for route in router.routes:
            assert route.include_in_schema, route.path
            assert "/api" + route.path in documented, route.path
    served = {getattr(route, "path", None) for route in app.routes} - {None}
    assert served - documented <= UNDOCUMENTED, served - documented
    assert app.openapi()["info"]["version"]


def test_api9_every_operation_documents_its_errors(app):
    for method, path, op in operations(app):
        codes = set(op["responses"])
        assert op.get("summary") and op.get("description"), f"{method} {path}: no docstring"
        assert op.get("tags"), f"{method} {path}: no tag"
        if op.get("security"):
            assert "401" in codes, f"{method} {path}: 401 undocumented"
        if path_params(path):
            assert "404" in codes, f"{method} {path}: 404 undocumented"
        if op.get("parameters") or op.get("requestBody"):
            assert "422" in codes, f"{method} {path}: 422 undocumented"
        if op.get("requestBody"):
            assert {"400", "413"} <= codes, f"{method} {path}: 400/413 undocumented"


async def test_api9_metrics_name_route_templates_never_ids(client, user):
    body = {"title": "Lunch", "category": "food", "amount": 250}
    expense = created(await client.post("/api/expenses", headers=user.headers, json=body))
    await client.get(f"/api/expenses/{expense['id']}", headers=user.headers)
    text = (await client.get("/metrics")).text
    assert "/api/expenses/{expense_id}" in text
    assert expense["id"] not in text and user.id not in text and user.email not in text


# ---------------------------------------------------------------- API10 unsafe consumption


@pytest.fixture
async def onesignal(app: FastAPI, settings: Any) -> AsyncIterator[Any]:
    configured = settings.model_copy(
        update={"push_backend": "onesignal", "onesignal_app_id": "a", "onesignal_api_key": "k"}
    )
    backends = Backends(configured)
    app.state.dispatcher.backends = backends
    yield backends.push
    await backends.aclose()


@respx.mock(assert_all_mocked=True, assert_all_called=False)
async def test_api10_a_failing_push_provider_never_breaks_a_write(
    client, db, user, deliver, onesignal, respx_mock
):
    """OneSignal answering 500, garbage or a redirect: the income is recorded (201) with its
    in-app notification, the push stays queued for a retry, a redirect is not followed and
    nothing the provider says is stored."""
    internal = respx_mock.get("http://10.0.0.1/admin").mock(return_value=httpx.Response(200))
    answers: list[tuple[Callable[[], httpx.Response], str]] = [
        (lambda: httpx.Response(500, json={"errors": ["boom"]}), "pending"),
        (lambda: httpx.Response(302, headers={"Location": "http://10.0.0.1/admin"}), "pending"),
        (lambda: httpx.Response(200, content=b"\x00not json"), "sent"),
    ]
    for answer, status in answers:
        respx_mock.post(ONESIGNAL).mock(return_value=answer())
        body = {"source": "Salary", "amount": 1000}
        income = created(await client.post("/api/income", headers=user.headers, json=body))
        assert income["source"] == "Salary"
        await deliver()
        push = await db.outbox.find_one({"kind": "push"}, sort=[("_id", -1)])
        assert push["status"] == status, push
        assert "boom" not in str(push)
    assert not internal.called
    inbox = created(await client.get("/api/notifications", headers=user.headers))
    assert inbox["total"] == 3
