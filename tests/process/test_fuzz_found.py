"""What the schema fuzzer (tests/process/test_fuzz.py) found: each test below failed before its fix;
they run fast and don't depend on random draws."""

from typing import Any

import pytest

from main import create_app


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


@pytest.mark.process  # a uvicorn server on a port
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
