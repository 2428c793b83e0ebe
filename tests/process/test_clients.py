"""Generated clients: the app's own OpenAPI schema through each generator with its default
options, then the result used the way the frontend and a Python caller would.

- The schema: readable, unique operation ids; one 422 model; a timezone is a string, not a
  599-value enum; a field with a default is optional in a request and present in an answer.
- Python: openapi-python-client generates a client with no warning; the generated package
  runs the owner's guide (signup, create debt, make payment, list payments) against the app
  in process, and its typed answers are checked.
- TypeScript (needs node and npm; `make test` runs `npm ci` in clients/): @hey-api/openapi-ts
  and openapi-typescript generate from the same schema, and `tsc --noEmit` type-checks
  clients/usage.ts, which builds the guide's bodies as their request types and reads answers.
"""

import functools
import importlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from types import ModuleType
from typing import Any

import httpx
import pytest

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


def test_operation_ids_are_tag_dash_function_and_unique():
    schema = app_schema()
    ids = []
    for method, path, op in operations(schema):
        assert op.get("tags"), f"{method} {path} has no tag"
        tag, _, function = op["operationId"].partition("-")
        assert tag == op["tags"][0] and function.isidentifier(), op["operationId"]
        ids.append(op["operationId"])
    assert len(ids) == len(set(ids)) > 60
    assert schema["paths"]["/api/debts"]["post"]["operationId"] == "debts-create_debt"
    assert schema["paths"]["/api/payments"]["post"]["operationId"] == "payments-create_payment"


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
    assert not any(len(node.get("enum", ())) > 100 for node in nodes(schema))


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
    """The generated module of an operation: `debts-create_debt` is api/debts/debts_create_debt."""
    tag, _, _ = operation_id.partition("-")
    return module(package, f"api.{tag}.{operation_id.replace('-', '_')}")


@pytest.mark.process  # the generator runs as a process
async def test_python_client_runs_the_guide(app, python_client):
    models = module(python_client, "models")
    transport = httpx.ASGITransport(app=app)
    anonymous = python_client.Client(base_url="http://test")
    anonymous.set_async_httpx_client(httpx.AsyncClient(transport=transport, base_url="http://test"))
    async with anonymous:
        signup = models.SignupRequest.from_dict(GUIDE_SIGNUP)
        r = await endpoint(python_client, "auth-signup").asyncio_detailed(
            client=anonymous, body=signup
        )
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
        debt = await endpoint(python_client, "debts-create_debt").asyncio(
            client=client, body=models.DebtCreate.from_dict(GUIDE_DEBT)
        )
        assert isinstance(debt, models.DebtOut), debt
        assert debt.name == "Home Loan" and debt.principal == 3500000
        assert debt.debt_type == models.DebtType.HOME_LOAN and debt.payments_count == 0

        body = models.PaymentCreate.from_dict(GUIDE_PAYMENT | {"debt_id": debt.id})
        payment = await endpoint(python_client, "payments-create_payment").asyncio(
            client=client, body=body
        )
        assert isinstance(payment, models.PaymentOut), payment
        assert payment.amount == 42500 and payment.debt_id == debt.id
        assert payment.payment_method == models.PaymentMethod.NET_BANKING
        assert payment.payment_type == models.PaymentType.EMI  # the server's default

        page = await endpoint(python_client, "payments-list_payments").asyncio(client=client)
        assert isinstance(page, models.PagePaymentOut), page
        assert page.total == 1 and [item.id for item in page.items] == [payment.id]

        # A 422 parses as the one validation-error model.
        bad = models.UserUpdate.from_dict({"profile": {"timezone": "Mars/Olympus"}})
        r = await endpoint(python_client, "users-update_me").asyncio_detailed(
            client=client, body=bad
        )
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
