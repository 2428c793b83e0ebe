"""Generated clients: the app's own OpenAPI schema through each generator with its default
options, then the result used the way the frontend and a Python caller would.

- The schema: operation ids that read as function names (`listDebts`), unique; one 422
  model; a timezone is a string, not a 599-value enum; a field with a default is optional in a
  request and present in an answer; every PUT body takes its answer as it is (the edit form).
- Python: openapi-python-client generates a client with no warning; the generated package
  runs the owner's guide (signup, create debt, make payment, list payments) against the app
  in process, and its typed answers are checked.
- TypeScript (needs node and npm; `make test` runs `npm ci` in clients/): @hey-api/openapi-ts
  and openapi-typescript generate from the same schema, and `tsc --noEmit` type-checks
  clients/usage.ts, which builds the guide's bodies as their request types, reads answers,
  sends every GET's answer back to its PUT, and maps errors to form fields; hey-api generates
  no `...Writable` type that nothing uses.
"""

import functools
import importlib
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from types import ModuleType
from typing import Any
from unittest.mock import ANY

import httpx
import pytest

import schemas
from main import create_app

# The payment's debt_id ("123abc" in the guide) becomes the id of the debt just created.
from tests.factories import GUIDE_DEBT, GUIDE_PAYMENT, GUIDE_SIGNUP, make_settings

ROOT = Path(__file__).resolve().parents[2]
CLIENTS = ROOT / "clients"
PACKAGE = "cleero_financial_compass_client"  # from the schema's title
REF = "#/components/schemas/"


@functools.cache
def app_schema() -> dict[str, Any]:
    """The schema `/openapi.json` serves (built once; read only); building it needs no database."""
    settings = make_settings("mongodb://127.0.0.1:9", Path(tempfile.gettempdir()))
    return create_app(settings).openapi()


def nodes(node: Any):
    if isinstance(node, dict):
        yield node
        for value in node.values():
            yield from nodes(value)
    elif isinstance(node, list):
        for value in node:
            yield from nodes(value)


def operations(schema: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [
        (method.upper(), path, op)
        for path, ops in schema["paths"].items()
        for method, op in ops.items()
    ]


# ---------------------------------------------------------------- the schema


# What a React developer calls: each id is the generated function's name.
NAMES = {
    ("GET", "/api/dashboard"): "getDashboard",
    ("GET", "/api/debts"): "listDebts",
    ("POST", "/api/debts"): "createDebt",
    ("GET", "/api/debts/{debt_id}"): "getDebt",
    ("PUT", "/api/debts/{debt_id}"): "updateDebt",
    ("DELETE", "/api/debts/{debt_id}"): "deleteDebt",
    ("GET", "/api/debts/stats/summary"): "getDebtSummary",
    ("GET", "/api/debts/{debt_id}/schedule"): "getDebtSchedule",
    ("GET", "/api/debts/{debt_id}/rate-changes"): "listRateChanges",
    ("POST", "/api/debts/{debt_id}/rate-changes"): "createRateChange",
    ("DELETE", "/api/debts/{debt_id}/rate-changes/latest"): "deleteLatestRateChange",
    ("GET", "/api/payments"): "listPayments",
    ("POST", "/api/payments"): "createPayment",
    ("GET", "/api/payments/stats/monthly"): "getPaymentStats",
    ("GET", "/api/income/stats/monthly"): "getIncomeStats",
    ("GET", "/api/goals/summary/all"): "getGoalsSummary",
    ("GET", "/api/users/me"): "getMe",
    ("PUT", "/api/users/me"): "updateMe",
    ("GET", "/api/auth/me"): "getSessionUser",  # the same user: getMe is the one to use
    ("GET", "/health"): "getHealth",
    ("GET", "/health/ready"): "getReadiness",
}


def test_operation_ids_are_camel_case_function_names_and_unique():
    schema = app_schema()
    ids = {}
    for method, path, op in operations(schema):
        assert op.get("tags"), f"{method} {path} has no tag"
        assert re.fullmatch(r"[a-z]+(?:[A-Z0-9][a-z0-9]*)*", op["operationId"]), op["operationId"]
        ids[method, path] = op["operationId"]
    assert len(ids) == len(set(ids.values())) > 60
    assert {key: ids[key] for key in NAMES} == NAMES
    assert not [name for name in ids.values() if name.startswith(("loans", "debts", "auth"))]


def test_a_documented_route_without_a_tag_is_refused():
    from fastapi import APIRouter

    from main import operation_id

    router = APIRouter()
    with pytest.raises(ValueError, match="has no tag"):

        @router.get("/untagged", generate_unique_id_function=operation_id)
        async def untagged() -> None:
            return None


def test_every_422_names_the_one_validation_error_model():
    schema = app_schema()
    components = schema["components"]["schemas"]
    assert not {"HTTPValidationError", "ValidationError"} & set(components)
    refs = {node["$ref"] for node in nodes(schema) if "$ref" in node}
    assert not {REF + "HTTPValidationError", REF + "ValidationError"} & refs
    with_422 = [op for _, _, op in operations(schema) if "422" in op["responses"]]
    assert len(with_422) > 40
    for op in with_422:
        body = op["responses"]["422"]["content"]["application/json"]["schema"]
        assert body == {"$ref": REF + "ValidationErrorOut"}, op["operationId"]


def test_a_timezone_is_a_string_of_a_format_not_an_enum():
    schema = app_schema()
    timezone = schema["components"]["schemas"]["ProfileUpdate"]["properties"]["timezone"]
    assert timezone["type"] == "string" and timezone["format"] == "iana-timezone"
    assert "enum" not in timezone and timezone["examples"] == ["Asia/Kolkata"]
    # No list of zone names anywhere (about 600 of them); ErrorCode, the longest real enum,
    # has about a hundred codes.
    assert not any(len(node.get("enum", ())) > 200 for node in nodes(schema))


async def test_an_unknown_timezone_is_a_clear_422(client, user):
    for name in ("Mars/Olympus", "asia/kolkata", "Asia/Calcutta/"):
        body = {"profile": {"timezone": name}}
        r = await client.put("/api/users/me", headers=user.headers, json=body)
        assert r.status_code == 422, r.text
        assert r.json()["code"] == "validation_error"
        assert "unknown IANA timezone" in r.text
    body = {"profile": {"timezone": "America/Argentina/ComodRivadavia"}}
    r = await client.put("/api/users/me", headers=user.headers, json=body)
    assert r.status_code == 200 and r.json()["profile"]["timezone"] == body["profile"]["timezone"]


def nullable(prop: dict[str, Any]) -> bool:
    return any(option.get("type") == "null" for option in prop.get("anyOf", []))


def test_every_put_body_takes_its_answer_as_it_is():
    """The edit form (`{...debt, name}`): each field of the answer is a property of the PUT
    body; one the body doesn't take is read-only (ignored); a field the answer may show as null
    is nullable in the body. (usage.ts proves the types with both generators.)"""
    schema = app_schema()
    components = schema["components"]["schemas"]
    puts = [op for method, _, op in operations(schema) if method == "PUT"]
    assert len(puts) >= 8
    for op in puts:
        name = op["requestBody"]["content"]["application/json"]["schema"]["$ref"].split("/")[-1]
        model = getattr(schemas, name)
        body, answer = components[name]["properties"], components[model.echo_of.__name__]
        assert set(answer["properties"]) <= set(body), name
        for field, prop in answer["properties"].items():
            if field not in model.model_fields:
                assert body[field]["readOnly"] is True, f"{name}.{field}"
            elif nullable(prop):
                assert nullable(body[field]), f"{name}.{field} can't take the answer's null"
    # An answer publishes no readOnly (it is read-only whole): hey-api would generate an
    # unused `...Writable` twin of it (a computed field made `DebtOutWritable`).
    answers = [n for n, model in vars(schemas).items() if isinstance(model, type)
               and issubclass(model, schemas.ResponseModel) and n in components]  # fmt: skip
    assert "DebtOut" in answers
    for name in answers:
        assert not [
            f for f, p in components[name].get("properties", {}).items() if p.get("readOnly")
        ]


def reachable(schema: dict[str, Any], roots: list[Any]) -> set[str]:
    components = schema["components"]["schemas"]
    seen: set[str] = set()
    todo = [node["$ref"].removeprefix(REF) for node in nodes(roots) if "$ref" in node]
    while todo:
        name = todo.pop()
        if name not in seen:
            seen.add(name)
            todo += [n["$ref"].removeprefix(REF) for n in nodes(components[name]) if "$ref" in n]
    return seen


def test_a_default_is_optional_in_a_request_and_required_in_an_answer():
    """A request may leave out a field with a default; an answer always has it. This is what
    lets openapi-typescript run with `--default-non-nullable false` (its default reads every
    `default` as "always present", requests included) and lose nothing on the answer side."""
    schema = app_schema()
    components = schema["components"]["schemas"]
    ops = [op for _, _, op in operations(schema)]
    requests = reachable(schema, [op.get("requestBody", {}) for op in ops])
    answers = reachable(
        schema,
        [
            response
            for op in ops
            for status, response in op["responses"].items()
            if status.startswith("2")
        ],
    )
    defaulted_in_requests = 0
    for name in requests:
        required = set(components[name].get("required", []))
        for field, prop in components[name].get("properties", {}).items():
            if "default" in prop:
                defaulted_in_requests += 1
                assert field not in required, f"request {name}.{field} has a default"
    assert defaulted_in_requests >= 12  # payment_type, payment_method, goal_type, tags, ...
    for name in answers - requests:  # a model in both keeps one schema: see schemas/base.py
        required = set(components[name].get("required", []))
        for field, prop in components[name].get("properties", {}).items():
            if "default" in prop:
                assert field in required, f"answer {name}.{field} is always sent"


# ---------------------------------------------------------------- Python: openapi-python-client


def generate_python_client(schema_file: Path, out: Path) -> str:
    """openapi-python-client with its default options (its ruff post-hooks need ruff on PATH:
    the one requirements-dev.txt installs next to this interpreter)."""
    env = os.environ | {"PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"}
    command = [sys.executable, "-m", "openapi_python_client", "generate"]
    result = subprocess.run(
        [*command, "--path", str(schema_file), "--output-path", str(out)],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=False,
    )
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert "warning" not in output.lower(), output
    return output


@pytest.fixture(scope="module")
def python_client(tmp_path_factory) -> Any:
    """The generated package, imported from a temporary directory (never committed)."""
    tmp = tmp_path_factory.mktemp("python-client")
    schema_file = tmp / "openapi.json"
    schema_file.write_text(json.dumps(app_schema()))
    generate_python_client(schema_file, tmp / "client")
    sys.path.insert(0, str(tmp / "client"))
    try:
        package = importlib.import_module(PACKAGE)
    finally:
        sys.path.remove(str(tmp / "client"))
    yield package
    for name in [m for m in sys.modules if m == PACKAGE or m.startswith(PACKAGE + ".")]:
        del sys.modules[name]


def module(package: ModuleType, name: str) -> Any:
    return importlib.import_module(f"{package.__name__}.{name}")


def endpoint(package: ModuleType, operation_id: str) -> Any:
    """The generated module of an operation: `createDebt` (tag debts) is api/debts/create_debt."""
    (tag,) = {
        op["tags"][0] for *_, op in operations(app_schema()) if op["operationId"] == operation_id
    }
    snake = re.sub("([A-Z])", r"_\1", operation_id).lower()
    return module(package, f"api.{tag}.{snake}")


@pytest.mark.process  # the generator runs as a process
async def test_python_client_runs_the_guide(app, python_client):
    models = module(python_client, "models")
    transport = httpx.ASGITransport(app=app)
    anonymous = python_client.Client(base_url="http://test")
    anonymous.set_async_httpx_client(httpx.AsyncClient(transport=transport, base_url="http://test"))
    async with anonymous:
        signup = models.SignupRequest.from_dict(GUIDE_SIGNUP)
        r = await endpoint(python_client, "signup").asyncio_detailed(client=anonymous, body=signup)
    assert r.status_code == 201, r.content
    tokens = r.parsed
    assert isinstance(tokens, models.TokenPair)
    assert tokens.user.email == "user@example.com" and tokens.token_type == "bearer"

    # The generated AuthenticatedClient builds the Authorization header from the token; the
    # app is reached through the transport given in httpx_args.
    client = python_client.AuthenticatedClient(
        base_url="http://test", token=tokens.access_token, httpx_args={"transport": transport}
    )
    async with client:
        debt = await endpoint(python_client, "createDebt").asyncio(
            client=client, body=models.DebtCreate.from_dict(GUIDE_DEBT)
        )
        assert isinstance(debt, models.DebtOut), debt
        assert debt.name == "Home Loan" and debt.principal == 3500000
        assert debt.debt_type == models.DebtType.HOME_LOAN and debt.payments_count == 0

        body = models.PaymentCreate.from_dict(GUIDE_PAYMENT | {"debt_id": debt.id})
        payment = await endpoint(python_client, "createPayment").asyncio(client=client, body=body)
        assert isinstance(payment, models.PaymentOut), payment
        assert payment.amount == 42500 and payment.debt_id == debt.id
        assert payment.payment_method == models.PaymentMethod.NET_BANKING
        assert payment.payment_type == models.PaymentType.EMI  # the server's default

        # The edit form: the debt as GET answered it, with a new name, is an update body.
        shown = await endpoint(python_client, "getDebt").asyncio(client=client, debt_id=debt.id)
        body = models.DebtUpdate.from_dict(shown.to_dict() | {"name": "Home"})
        edited = await endpoint(python_client, "updateDebt").asyncio(
            client=client, debt_id=debt.id, body=body
        )
        assert isinstance(edited, models.DebtOut), edited
        assert edited.to_dict() == shown.to_dict() | {"name": "Home", "updated_at": ANY}

        page = await endpoint(python_client, "listPayments").asyncio(client=client)
        assert isinstance(page, models.PagePaymentOut), page
        assert page.total == 1 and [item.id for item in page.items] == [payment.id]

        # A 422 parses as the one validation-error model.
        bad = models.UserUpdate.from_dict({"profile": {"timezone": "Mars/Olympus"}})
        r = await endpoint(python_client, "updateMe").asyncio_detailed(client=client, body=bad)
        assert r.status_code == 422 and isinstance(r.parsed, models.ValidationErrorOut)
        assert r.parsed.code == models.ErrorCode.VALIDATION_ERROR
        assert "unknown IANA timezone" in r.content.decode()


# ---------------------------------------------------------------- TypeScript (node)


def npm(script: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        ["npm", "run", "--silent", script],
        cwd=CLIENTS,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def finish(process: subprocess.Popen[str], timeout: float = 120) -> str:
    output, _ = process.communicate(timeout=timeout)
    assert process.returncode == 0, f"{' '.join(process.args)}:\n{output}"
    return output


@pytest.mark.process
def test_typescript_clients_type_check_the_guide():
    missing = [tool for tool in ("node", "npm") if shutil.which(tool) is None]
    if missing:
        pytest.skip(f"{' and '.join(missing)} not on PATH: TypeScript clients not checked")
    if not (CLIENTS / "node_modules" / ".bin" / "tsc").exists():
        pytest.fail("clients/node_modules is missing: run `make test` (it runs npm ci there)")
    generated = CLIENTS / "generated"
    generated.mkdir(exist_ok=True)
    (generated / "openapi.json").write_text(json.dumps(app_schema()))
    hey_api, openapi_typescript = npm("generate:hey-api"), npm("generate:openapi-typescript")
    for output in (finish(hey_api), finish(openapi_typescript)):
        assert "warn" not in output.lower() and "❌" not in output, output
    assert (generated / "hey-api" / "sdk.gen.ts").exists()
    assert (generated / "openapi-typescript" / "schema.ts").exists()
    finish(npm("typecheck"))
    assert_every_writable_type_is_used(generated / "hey-api")


def assert_every_writable_type_is_used(sdk: Path) -> None:
    """hey-api generates `XWritable` (X without its readOnly properties) for a model with
    readOnly properties: the PUT bodies use theirs; one nothing uses is a model the schema
    marks readOnly for no request (pydantic's computed fields made `DebtOutWritable`)."""
    types = (sdk / "types.gen.ts").read_text()
    writable = re.findall(r"^export type (\w+Writable) = ", types, flags=re.MULTILINE)
    puts = [op for method, _, op in operations(app_schema()) if method == "PUT"]
    assert len(writable) == len(puts), writable  # the PUT bodies, each with read-only echoes
    for name in writable:
        uses = re.findall(rf"\b{name}\b", types)
        assert len(uses) > 1, f"{name} is generated and nothing uses it"
        assert re.search(rf"body\??: {name};", types), f"{name} is no request's body"
