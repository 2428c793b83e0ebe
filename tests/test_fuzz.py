"""Schema fuzzing: schemathesis against the app's own OpenAPI schema, in process.

Every operation of the schema gets FUZZ_EXAMPLES generated requests (valid and invalid ones,
plus schemathesis' coverage cases), sent as a signed-up user to the ASGI app, and every
answer goes through schemathesis' checks: no 5xx, a documented status, a body and headers
that match the schema, invalid input refused, schema-valid input accepted, auth enforced.
A stateful run then chains operations along links inferred from the schema (create, read,
update, delete) for the checks that need a history, such as use-after-free.
`make fuzz` runs the same with FUZZ_EXAMPLES=300.
"""

import contextlib
import os
import tempfile
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pymongo
import pytest
import schemathesis
from bson import ObjectId
from fastapi import FastAPI
from hypothesis import HealthCheck, Phase, settings
from hypothesis import strategies as st
from hypothesis.errors import FlakyStrategyDefinition
from schemathesis.python import asgi

from config import Settings
from core.dates import KNOWN_TIMEZONES
from database import USER_COLLECTIONS
from main import create_app
from tests.factories import make_settings
from tests.statement_workbooks import FIXTURES

FUZZ_EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "20"))
UNLIMITED = 10**9
LOGOUT = "/api/auth/logout"


def fuzz_settings(mongo_url: str, tmp: Path) -> Settings:
    """No rate limit can trip, and the token outlives a long `make fuzz`."""
    return make_settings(
        mongo_url,
        tmp,
        login_limit=UNLIMITED,
        signup_limit=UNLIMITED,
        reset_limit=UNLIMITED,
        access_token_minutes=24 * 60,
    )


# ---------------------------------------------------------------- schema and checks

# Rules a JSON Schema can't state, so a schema-valid request may still be refused by a
# documented domain error (the check below makes sure it is never a field-validation 422).
DOMAIN_REFUSALS = {
    ("POST", "/api/auth/password-reset-confirm"): [400],  # the token is not a real one
    ("POST", "/api/auth/change-password"): [400],  # the current password is wrong
    ("DELETE", "/api/users/me"): [400],  # the password is wrong
    ("GET", "/api/expenses/receipts/download"): [410],  # the link's signature/expiry
    ("POST", "/api/expenses/{expense_id}/receipt"): [413, 415],  # the file's type/size
    ("POST", "/api/imports"): [413, 415],  # a file that is not a statement, or too large
}
# schemathesis' defaults plus 422: a domain rule (from > to, a past target date, an EMI below
# the interest) answers 422 with its own code; validation_agrees_with_schema checks the rest.
ACCEPTED = ["2xx", "3xx", "401", "403", "404", "409", "422", "429"]


def fuzz_config() -> schemathesis.Config:
    operations = [
        {
            "include-name": f"{method} {path}",
            "checks": {
                "positive_data_acceptance": {
                    "expected-statuses": ACCEPTED + [str(c) for c in codes]
                }
            },
        }
        for (method, path), codes in DOMAIN_REFUSALS.items()
    ]
    # A new expense has no receipt yet: its receipt link is a 404 `receipt_not_found`. The check
    # takes any GET below a just-created resource's path for the resource itself.
    # Likewise a new debt has no rate change to delete (404 `rate_change_not_found`), and a
    # new import's row id is not the import's (a drawn one is a 404 `row_not_found`).
    operations += [
        {
            "include-name": name,
            "checks": {"ensure_resource_availability": {"enabled": False}},
        }
        for name in (
            "GET /api/expenses/{expense_id}/receipt",
            "DELETE /api/debts/{debt_id}/rate-changes/latest",
            "PUT /api/imports/{import_id}/rows/{row_id}",
        )
    ]
    return schemathesis.Config.from_dict(
        {
            "checks": {"positive_data_acceptance": {"expected-statuses": ACCEPTED}},
            "operations": operations,
        }
    )


@schemathesis.check
def validation_agrees_with_schema(ctx: Any, response: Any, case: Any) -> bool | None:
    """Schema-valid input never fails a field's validation: a 422 `validation_error` located at
    a field means the published schema and the validators disagree. (A rule across fields, such
    as outstanding <= principal, is located at the body: JSON Schema can't state it.)"""
    meta = case.meta
    if meta is None or not meta.generation.mode.is_positive or response.status_code != 422:
        return None
    body = response.json()
    if body.get("code") != "validation_error":
        return True
    fields = [issue for issue in body["detail"] if len(issue["loc"]) > 1]
    if fields:
        raise AssertionError(f"schema-valid input refused by validation: {fields}")
    return True


# A timezone is a string of format "iana-timezone" (the tz database's names): schema-valid
# timezones are the known ones.
schemathesis.openapi.format("iana-timezone", st.sampled_from(sorted(KNOWN_TIMEZONES)))

# Built from an app with the same routes: building the schema needs no database.
SCHEMA = schemathesis.openapi.from_dict(
    create_app(make_settings("mongodb://127.0.0.1:9", Path(tempfile.gettempdir()))).openapi(),
    config=fuzz_config(),
)


# ---------------------------------------------------------------- the fuzzed app and its user


@dataclass
class Fuzzed:
    app: FastAPI
    client: Any  # schemathesis' ASGI client: requests run on the app's own event loop
    settings: Settings
    user_id: str
    email: str
    password: str
    headers: dict[str, str]

    def post(self, path: str, body: dict[str, Any]) -> dict[str, Any]:
        response = self.client.post(path, json=body, headers=self.headers)
        assert response.status_code in (200, 201), response.text
        return response.json()

    def fresh_session(self) -> dict[str, str]:
        """Logout ends the session it is called with: it gets one of its own."""
        body = {"email": self.email, "password": self.password}
        tokens = self.client.post("/api/auth/login", json=body).json()
        return {"Authorization": f"Bearer {tokens['access_token']}"}

    def headers_for(self, case: Any) -> dict[str, str]:
        return self.fresh_session() if case.operation.path == LOGOUT else self.headers

    def forget_data(self) -> None:
        """Everything the user owns except the session, so a scenario starts afresh."""
        with pymongo.MongoClient(self.settings.mongodb_url) as mongo:
            db = mongo[self.settings.mongodb_db]
            for name in USER_COLLECTIONS:
                if name != "sessions":
                    db[name].delete_many({"user_id": ObjectId(self.user_id)})


@pytest.fixture(scope="module")
def fuzzed(mongo_url, tmp_path_factory):
    """One app and one signed-up user for the whole module.

    schemathesis calls an ASGI app in process on one event loop it runs in a background
    thread, and starts the app's lifespan (database client, indexes) there, once per app.
    Seeding goes through schemathesis' own client so it runs on that same loop (the async
    database client must stay on the loop that created it)."""
    settings_ = fuzz_settings(mongo_url, tmp_path_factory.mktemp("fuzz"))
    app = create_app(settings_)
    with asgi.get_client(app) as client:
        # A random password: the fuzzer can't guess it, so change-password, delete-account
        # and login can be fuzzed without ending the session everything else uses.
        email, password = f"fuzz-{uuid.uuid4().hex[:8]}@example.com", uuid.uuid4().hex
        body = {"email": email, "password": password, "full_name": "Fuzz User"}
        tokens = client.post("/api/auth/signup", json=body).json()
        headers = {"Authorization": f"Bearer {tokens['access_token']}"}
        yield Fuzzed(app, client, settings_, tokens["user"]["id"], email, password, headers)
    asgi.shutdown_lifespans()
    with pymongo.MongoClient(mongo_url) as mongo:
        mongo.drop_database(settings_.mongodb_db)


# The current seeds, read when a case is drawn: an id parameter is either the fuzzer's string
# or one of these, so operations also get past the ownership lookup.
REAL_IDS: dict[str, str] = {}


@pytest.fixture
def seeds(fuzzed: Fuzzed) -> dict[str, str]:
    """Fresh objects of every kind for each operation (an earlier DELETE may have removed
    the last ones)."""
    debt = fuzzed.post(
        "/api/debts",
        {
            "name": "Seed loan",
            "debt_type": "personal_loan",
            "principal": 100000,
            "interest_rate": 12,
            "tenure_months": 24,
            "start_date": "2025-01-05",
        },
    )
    payment = fuzzed.post("/api/payments", {"debt_id": debt["id"], "amount": 5000})
    income = fuzzed.post("/api/income", {"source": "Salary", "amount": 90000})
    expense = fuzzed.post("/api/expenses", {"title": "Lunch", "category": "food", "amount": 250})
    category = f"seed_{uuid.uuid4().hex[:8]}"
    budget = fuzzed.post("/api/budgets", {"category": category, "monthly_limit": 5000})
    goal = {"title": "Trip", "target_amount": 50000, "target_date": "2099-12-31"}
    goal = fuzzed.post("/api/goals", goal)
    inbox = fuzzed.client.get("/api/notifications", headers=fuzzed.headers).json()
    statement = {"file": ("axis.csv", (FIXTURES / "axis_statement.csv").read_bytes())}
    imp = fuzzed.client.post("/api/imports", files=statement, headers=fuzzed.headers).json()
    rows = fuzzed.client.get(f"/api/imports/{imp['id']}/rows", headers=fuzzed.headers).json()
    rule = {"name": "Cabs", "match": {"narration": "UBER"}, "set": {"category": "transport"}}
    rule = fuzzed.post("/api/rules", rule)
    REAL_IDS.clear()
    REAL_IDS.update(
        {
            "debt_id": debt["id"],
            "payment_id": payment["id"],
            "income_id": income["id"],
            "expense_id": expense["id"],
            "budget_id": budget["id"],
            "goal_id": goal["id"],
            "notification_id": inbox["items"][0]["id"],
            "import_id": imp["id"],
            "row_id": rows["items"][0]["id"],
            "rule_id": rule["id"],
        }
    )
    return REAL_IDS


def with_real_ids(values: Any) -> Any:
    """The drawn values, or the same with the real ids. Only a value that is already a valid
    id string (<= 64 characters) is swapped: a negative case must stay negative."""
    if not isinstance(values, dict):
        return st.just(values)
    real = {
        name: REAL_IDS[name]
        for name, value in values.items()
        if name in REAL_IDS and isinstance(value, str) and len(value) <= 64
    }
    return st.sampled_from([values, values | real]) if real else st.just(values)


@SCHEMA.hook
def flatmap_path_parameters(context: Any, path_parameters: Any) -> Any:
    return with_real_ids(path_parameters)


@SCHEMA.hook
def flatmap_query(context: Any, query: Any) -> Any:
    return with_real_ids(query)  # ?debt_id= filters


@SCHEMA.hook
def flatmap_body(context: Any, body: Any) -> Any:
    return with_real_ids(body)  # a payment's debt_id


NEW_PASSWORDS = ("password", "new_password")


@SCHEMA.hook
def filter_body(context: Any, body: Any) -> bool:
    """A new password is 8-72 characters and at most 72 bytes of UTF-8 (bcrypt's limit), which
    a JSON Schema can't state: no case sends 72 characters of more than 72 bytes. (test_auth
    covers that 422.)"""
    if not isinstance(body, dict) or context.operation.method.upper() != "POST":
        return True
    values = [body.get(name) for name in NEW_PASSWORDS]
    return not any(
        isinstance(value, str) and len(value) <= 72 < len(value.encode("utf-8", "replace"))
        for value in values
    )


# ---------------------------------------------------------------- the fuzzing


@SCHEMA.parametrize()
@settings(max_examples=FUZZ_EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck))
def test_schema(case, fuzzed, seeds):
    case.call_and_validate(app=fuzzed.app, headers=fuzzed.headers_for(case))


def test_stateful(fuzzed, seeds):
    """Scenarios of up to 6 linked calls (e.g. POST /debts, GET /debts/{id}, DELETE it, GET it
    again), each starting from no data, with every check after every call."""

    class Workflow(SCHEMA.as_state_machine()):  # type: ignore[misc]
        def setup(self) -> None:
            fuzzed.forget_data()

        def get_call_kwargs(self, case: Any) -> dict[str, Any]:
            return {"app": fuzzed.app, "headers": fuzzed.headers_for(case)}

    assert SCHEMA.statistic.transitions.total > 100  # links were inferred
    # Which calls are possible depends on the server's answers (ids, times), so Hypothesis may
    # meet a scenario prefix it can't redraw identically and stop with FlakyStrategyDefinition;
    # schemathesis' own runner ends the run as "no failure found" then too. A failed check
    # raises its own error (FlakyFailure if it doesn't reproduce), which is not suppressed.
    with contextlib.suppress(FlakyStrategyDefinition):
        Workflow.run(
            settings=settings(
                max_examples=FUZZ_EXAMPLES,
                stateful_step_count=6,
                phases=[Phase.generate],  # as schemathesis' runner: no replay, no shrinking
                deadline=None,
                suppress_health_check=list(HealthCheck),
            )
        )


# ---------------------------------------------------------------- what the fuzzer found
# Each test below failed before its fix; they run fast and don't depend on random draws.


async def test_a_non_ascii_download_signature_is_403_not_500(client):
    r = await client.get(
        "/api/expenses/receipts/download", params={"key": "k", "expires": 0, "sig": "\x80"}
    )
    assert r.status_code == 403 and r.json()["code"] == "invalid_signature"


async def test_405_names_every_method_of_the_path(client, user):
    r = await client.options("/api/users/me", headers=user.headers)
    assert r.status_code == 405
    assert r.headers["allow"] == "DELETE, GET, PUT"
    r = await client.request("PATCH", "/api/debts/payoff-plan", headers=user.headers)
    assert r.headers["allow"] == "GET"  # the literal path, not /debts/{debt_id}


async def test_a_lone_surrogate_in_a_body_is_422_not_500(client, user):
    for path, body in (
        ("/api/auth/login", '{"email": "a@b.co", "password": "\\ud800"}'),
        ("/api/income", '{"source": "\\udfff", "amount": 1}'),
    ):
        headers = user.headers | {"Content-Type": "application/json"}
        r = await client.post(path, headers=headers, content=body)
        assert r.status_code == 422, r.text
        assert r.json()["detail"][0]["type"] == "string_unicode"


async def test_a_body_that_is_not_utf8_is_a_declared_400(app, client, user):
    r = await client.post(
        "/api/debts",
        headers=user.headers | {"Content-Type": "application/json"},
        content=b'{"name": "\xff"}',
    )
    assert r.status_code == 400 and r.json()["code"] == "malformed_body"
    declared = app.openapi()["paths"]["/api/debts"]["post"]["responses"]
    assert {"400", "413", "422"} <= set(declared)


async def test_every_422_has_one_shape(app, client, user):
    schemas = app.openapi()["components"]["schemas"]
    assert "HTTPValidationError" not in schemas  # FastAPI's default 422 names ours instead
    detail = schemas["ValidationErrorOut"]["properties"]["detail"]
    assert detail["type"] == "array"
    r = await client.get("/api/debts/payoff-plan?extra_monthly=abc", headers=user.headers)
    assert r.json()["code"] == "validation_error"
    assert r.json()["detail"][0]["loc"] == ["query", "extra_monthly"]
    # A broken rule answers the same way, naming the field it is about.
    r = await client.get(
        "/api/income/stats/monthly?year=2024&from=2024-01-01", headers=user.headers
    )
    assert r.json() == {
        "detail": [
            {
                "loc": ["query", "year"],
                "msg": "Use either `year` or `from`/`to`",
                "type": "invalid_range",
            }
        ],
        "code": "invalid_range",
    }


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("/api/income", {"source": "Salary", "amount": 10, "date": 0}),  # a Unix timestamp
        ("/api/income", {"source": "Salary", "amount": 10, "date": "0165-07-02"}),
        ("/api/income", {"source": "Salary", "amount": 10, "date": "2023-02-29"}),
        ("/api/income", {"source": "Salary", "amount": "1e2"}),  # only plain decimals
        ("/api/income", {"source": "Salary", "amount": " 5"}),
        ("/api/income", {"source": "Salary", "amount": "5.000"}),
        ("/api/income", {"source": "\u3000", "amount": 10}),  # blank: only whitespace
        ("/api/income", {"source": "Salary", "amount": 10, "tags": ["a b"]}),
        ("/api/expenses", {"title": "Tea", "category": "\tfood", "amount": 10}),
        ("/api/expenses", {"title": "Tea", "category": "\u212aey", "amount": 10}),  # Kelvin K
        (
            "/api/debts",
            {
                "name": "L",
                "debt_type": "other",
                "principal": 10,
                "interest_rate": 1,
                "tenure_months": "12",
                "start_date": "2024-01-01",
            },
        ),
        ("/api/budgets", {"category": "food", "monthly_limit": 10, "active": "false"}),
    ],
)
async def test_inputs_outside_the_published_grammar_are_422(client, user, path, body):
    r = await client.post(path, headers=user.headers, json=body)
    assert r.status_code == 422, r.text
    assert r.json()["code"] == "validation_error"


@pytest.mark.parametrize(
    ("path", "body"),
    [
        # A day may be sent as any ISO datetime (what `new Date().toISOString()` gives).
        ("/api/goals", {"title": "T", "target_amount": 10, "target_date": "2099-01-01T00:00Z"}),
        ("/api/income", {"source": " Salary ", "amount": 0.07, "date": "2024-02-29T23:59"}),
        ("/api/income", {"source": "Salary", "amount": "999999999999.99", "date": "1900-01-01"}),
        ("/api/expenses", {"title": "Tea", "category": " Food ", "amount": 1e12, "tags": ["a-b"]}),
        (
            "/api/debts",
            {
                "name": "L",
                "debt_type": "other",
                "principal": 10,
                "interest_rate": "0",
                "tenure_months": 12.0,
                "start_date": "2024-01-01T10:00+05:30",
            },
        ),
    ],
)
async def test_inputs_inside_the_published_grammar_are_accepted(client, user, path, body):
    r = await client.post(path, headers=user.headers, json=body)
    assert r.status_code == 201, r.text


async def test_any_syntactically_valid_email_can_sign_up(client):
    for email in ("x@months.test", "o'brien+tag@mail.example.co.in"):
        body = {"email": email, "password": "Long-enough-1", "full_name": "X"}
        assert (await client.post("/api/auth/signup", json=body)).status_code == 201
    for email in ("a@b", " a@b.com", "a b@c.com", "a@-b.com"):
        body = {"email": email, "password": "Long-enough-1", "full_name": "X"}
        assert (await client.post("/api/auth/signup", json=body)).status_code == 422, email


async def test_a_password_with_spaces_works_in_json_and_form_login(client):
    """Passwords were trimmed in JSON bodies but not in the OAuth2 form: a password with a
    trailing space signed up fine and then never worked in Swagger's Authorize."""
    password = "  spaced out pass  "
    body = {"email": "space@example.com", "password": password, "full_name": "S"}
    assert (await client.post("/api/auth/signup", json=body)).status_code == 201
    login = {"email": "space@example.com", "password": password}
    assert (await client.post("/api/auth/login", json=login)).status_code == 200
    form = {"username": "space@example.com", "password": password}
    assert (await client.post("/api/auth/token", data=form)).status_code == 200
    login["password"] = password.strip()
    assert (await client.post("/api/auth/login", json=login)).status_code == 401


async def test_currency_codes_in_any_case_but_ascii_only(client, user):
    r = await client.put(
        "/api/users/me", headers=user.headers, json={"profile": {"preferred_currency": "usd"}}
    )
    assert r.json()["profile"]["preferred_currency"] == "USD"
    r = await client.put(
        "/api/users/me", headers=user.headers, json={"profile": {"preferred_currency": "\u0131nr"}}
    )
    assert r.status_code == 422


async def test_the_token_form_states_its_required_fields(app, client):
    form = app.openapi()["components"]["schemas"]["Body_auth-token"]
    assert form["properties"]["username"]["minLength"] == 1
    r = await client.post("/api/auth/token", data={"username": "", "password": ""})
    assert r.status_code == 422


# ---------------------------------------------------------------- numbers JSON has no word for

NON_FINITE = ["NaN", "Infinity", "-Infinity", "1e309", "-1e309"]


def number_fields(schema: dict[str, Any]) -> list[tuple[str, str, str]]:
    """(method, path, field) of every number or integer property of every JSON request body."""
    components = schema["components"]["schemas"]
    found = []
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            content = operation.get("requestBody", {}).get("content", {})
            ref = content.get("application/json", {}).get("schema", {}).get("$ref")
            if ref is None:
                continue
            body = components[ref.rsplit("/", 1)[-1]]
            for field, prop in body.get("properties", {}).items():
                kinds = {branch.get("type") for branch in [prop, *prop.get("anyOf", [])]}
                if kinds & {"number", "integer"}:
                    found.append((method.upper(), path, field))
    return found


async def test_a_non_finite_number_is_a_422_naming_its_field(app, client, user):
    fields = number_fields(app.openapi())
    # Every kind of money and count the API takes: debts, payments, income, expenses, budgets,
    # goals and contributions.
    assert {path for _, path, _ in fields} >= {
        "/api/debts",
        "/api/payments",
        "/api/income",
        "/api/expenses",
        "/api/budgets",
        "/api/goals",
        "/api/goals/{goal_id}/contribute",
    }
    assert len(fields) >= 20
    headers = user.headers | {"Content-Type": "application/json"}
    for method, path, field in fields:
        url = path.replace("{", "").replace("}", "")  # any id: the body is refused first
        for token in NON_FINITE:
            r = await client.request(
                method, url, content=f'{{"{field}": {token}}}', headers=headers
            )
            assert r.status_code == 422, (method, path, field, token, r.text)
            assert r.json()["code"] == "validation_error"
            assert ["body", field] in [issue["loc"] for issue in r.json()["detail"]], r.text


async def test_the_connection_stays_usable_after_a_non_finite_number(settings):
    """Over a real HTTP/1.1 keep-alive connection: the 422, then the next request on it."""
    import asyncio
    import json

    import uvicorn

    from ops import embedded_db

    port = embedded_db.free_port()
    server = uvicorn.Server(
        uvicorn.Config(create_app(settings), host="127.0.0.1", port=port, log_config=None)
    )
    serving = asyncio.create_task(server.serve())
    try:
        for _ in range(200):  # up to 10 s for the lifespan (indexes, migrations)
            if server.started:
                break
            await asyncio.sleep(0.05)
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        body = b'{"email": "x@example.com", "password": NaN, "full_name": Infinity}'
        for request in (
            b"POST /api/auth/signup HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\n"
            b"Content-Length: %d\r\n\r\n%s" % (len(body), body),
            b"GET /health HTTP/1.1\r\nHost: t\r\n\r\n",
        ):
            writer.write(request)
            await writer.drain()
            head = await reader.readuntil(b"\r\n\r\n")
            length = int(head.lower().split(b"content-length: ")[1].split(b"\r\n")[0])
            answer = await reader.readexactly(length)
            if request.startswith(b"POST"):
                assert head.startswith(b"HTTP/1.1 422"), head
                # Both fields named, neither input echoed (one of them is the password).
                locs = [issue["loc"] for issue in json.loads(answer)["detail"]]
                assert locs == [["body", "password"], ["body", "full_name"]], answer
                assert b"NaN" not in answer and b"Infinity" not in answer
            else:
                assert head.startswith(b"HTTP/1.1 200"), head
        writer.close()
    finally:
        server.should_exit = True
        await serving
