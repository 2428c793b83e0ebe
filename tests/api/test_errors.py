"""Errors as a React form meets them: no secret echoed (in the answer or in a log line), plain
messages, a conflict about one field shaped like a 422, and one map from a domain error's
kind to its HTTP status."""

import logging

import pytest

from core import errors
from core.http_errors import STATUS, status_of
from core.observability import JsonFormatter
from tests.factories import PASSWORD

SIGNUP = {"email": "form@example.com", "password": PASSWORD, "full_name": "Form"}


def logged(caplog) -> str:
    """Every log line of the test as the app writes it (JSON, with its extra fields)."""
    formatter = JsonFormatter()
    return "\n".join(formatter.format(record) for record in caplog.records)


async def test_a_422_never_echoes_a_password_in_the_answer_or_the_log(client, caplog):
    caplog.set_level(logging.DEBUG)
    r = await client.post("/api/auth/signup", json=SIGNUP | {"password": "short"})
    assert r.status_code == 422 and r.json()["detail"][0]["loc"] == ["body", "password"]
    # The error's type is pydantic's `string_too_short`: the password is the JSON string.
    assert r.json()["detail"][0]["type"] == "string_too_short"
    assert '"short"' not in r.text and "short" not in logged(caplog)
    r = await client.post("/api/auth/signup", json=SIGNUP | {"password": "Zq9!x"})
    assert r.status_code == 422
    assert "Zq9!x" not in r.text and "Zq9!x" not in logged(caplog)


@pytest.mark.parametrize(
    ("path", "body", "secret"),
    [
        # A missing field's input is the whole body: the password would ride along.
        ("/api/auth/signup", {"email": "a@example.com", "password": "Hidden-Pass-42"}, "Hidden"),
        ("/api/auth/signup", SIGNUP | {"password": "é" * 37}, "é"),  # 74 bytes
        ("/api/auth/login", {"email": "a@example.com", "password": 987654321}, "987654321"),
        ("/api/auth/refresh", {"refresh_token": "t" * 5000}, "tttt"),  # over 4096
        ("/api/auth/password-reset-confirm", {"token": "tok-secret-1", "new_password": "x"}, "tok"),
        # A field that is not a secret is not echoed either: nothing decides case by case.
        ("/api/auth/signup", SIGNUP | {"email": "not-an-email-zzz"}, "zzz"),
    ],
)
async def test_no_422_echoes_its_input(client, caplog, path, body, secret):
    caplog.set_level(logging.DEBUG)
    r = await client.post(path, json=body)
    assert r.status_code == 422, r.text
    assert all("input" not in issue for issue in r.json()["detail"])
    assert secret not in r.text and secret not in logged(caplog)


async def test_a_changed_password_that_is_too_short_is_not_echoed(client, user, caplog):
    caplog.set_level(logging.DEBUG)
    r = await client.post(
        "/api/auth/change-password",
        headers=user.headers,
        json={"current_password": "Old-Secret-77", "new_password": "tiny"},
    )
    assert r.status_code == 422 and r.json()["detail"][0]["loc"] == ["body", "new_password"]
    for secret in ("Old-Secret-77", "tiny"):
        assert secret not in r.text and secret not in logged(caplog)


async def test_a_validators_message_has_no_value_error_prefix(client, user):
    r = await client.post("/api/auth/signup", json=SIGNUP | {"password": "é" * 37})
    (issue,) = r.json()["detail"]
    assert issue["msg"] == "must be at most 72 bytes in UTF-8"
    r = await client.put(
        "/api/users/me", headers=user.headers, json={"profile": {"timezone": "Mars/Base"}}
    )
    (issue,) = r.json()["detail"]
    assert (issue["loc"], issue["msg"]) == (
        ["body", "profile", "timezone"],
        "unknown IANA timezone",
    )
    assert "Value error" not in r.text


async def test_a_taken_email_answers_like_a_422_naming_the_email(client, user):
    r = await client.post("/api/auth/signup", json=SIGNUP | {"email": user.email})
    assert r.status_code == 409
    assert r.json() == {
        "detail": [
            {"loc": ["body", "email"], "msg": "Email already registered", "type": "email_taken"}
        ],
        "code": "email_taken",
    }


def test_every_409_is_published_as_a_sentence_or_a_field_list(app):
    schema = app.openapi()
    conflicts = [
        op["responses"]["409"]
        for path in schema["paths"].values()
        for op in path.values()
        if "409" in op["responses"]
    ]
    assert conflicts
    for response in conflicts:
        content = response["content"]["application/json"]["schema"]
        assert content == {"$ref": "#/components/schemas/ConflictOut"}
    detail = schema["components"]["schemas"]["ConflictOut"]["properties"]["detail"]
    assert {"type": "string"} in detail["anyOf"]
    assert {"type": "array", "items": {"$ref": "#/components/schemas/ValidationIssue"}} in (
        detail["anyOf"]
    )
    assert "input" not in schema["components"]["schemas"]["ValidationIssue"]["properties"]


# ---------------------------------------------------------------- one map from kind to status


def test_each_kind_of_domain_error_keeps_its_http_status():
    """The statuses the API has always answered, now stated in one place."""
    expected = {
        errors.BadRequest: 400,
        errors.Unauthorized: 401,
        errors.Forbidden: 403,
        errors.NotFound: 404,
        errors.Conflict: 409,
        errors.Gone: 410,
        errors.PayloadTooLarge: 413,
        errors.UnsupportedMediaType: 415,
        errors.Unprocessable: 422,
        errors.TooManyRequests: 429,
        errors.ServiceUnavailable: 503,
    }
    assert {kind: STATUS[kind] for kind in expected} == expected
    for kind in expected:
        assert not hasattr(kind, "status_code")  # the kinds know nothing of HTTP


def test_every_kind_of_domain_error_has_a_status():
    def kinds(cls):
        for sub in cls.__subclasses__():
            yield sub
            yield from kinds(sub)

    for kind in kinds(errors.AppError):
        assert any(parent in STATUS for parent in kind.__mro__), kind
    assert status_of(errors.NotFound("debt")) == 404


async def test_the_http_layer_adds_a_kinds_headers(client):
    """WWW-Authenticate on a 401 (the 429's Retry-After: test_auth's rate limit test)."""
    r = await client.get("/api/auth/me")
    assert (r.status_code, r.headers["www-authenticate"]) == (401, "Bearer")
