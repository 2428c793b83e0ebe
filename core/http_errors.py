"""How errors cross HTTP: the one map from a domain error's kind to its status, and the
handlers that render every error the API answers as `{"detail", "code"}`.

Two body shapes: a sentence (`"detail": "..."`), or, for an error about particular inputs
(every 422, and a 409 such as a taken email), the list a form shows beside its fields
(`"detail": [{"loc": ["body", "email"], "msg": "...", "type": "<code>"}]`)."""

import logging
import math
import re
from typing import Any

from fastapi import FastAPI, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from pymongo.errors import ConnectionFailure, ExecutionTimeout
from starlette.exceptions import HTTPException

from core.errors import (
    AppError,
    BadRequest,
    Conflict,
    ErrorCode,
    Forbidden,
    Gone,
    NotFound,
    PayloadTooLarge,
    PreconditionFailed,
    ServiceUnavailable,
    TooManyRequests,
    Unauthorized,
    Unprocessable,
    UnsupportedMediaType,
)

log = logging.getLogger("cleero")
RETRY_AFTER = "5"  # seconds a client waits before retrying a 503

# Each kind of domain error and the status HTTP gives it; a subclass takes its parent's.
STATUS: dict[type[AppError], int] = {
    AppError: 400,
    BadRequest: 400,
    Unauthorized: 401,
    Forbidden: 403,
    NotFound: 404,
    Conflict: 409,
    Gone: 410,
    PreconditionFailed: 412,
    PayloadTooLarge: 413,
    UnsupportedMediaType: 415,
    Unprocessable: 422,
    TooManyRequests: 429,
    ServiceUnavailable: 503,
}
# Transport errors raised by Starlette and FastAPI themselves.
TRANSPORT_CODES = {
    400: ErrorCode.malformed_body,
    404: ErrorCode.not_found,
    405: ErrorCode.method_not_allowed,
    413: ErrorCode.payload_too_large,
}
VALUE_ERROR_PREFIX = "Value error, "  # pydantic's, before a validator's own sentence


class NotModified(Exception):
    """A conditional GET whose copy is current: 304, no body, the ETag it names."""

    def __init__(self, etag: str) -> None:
        super().__init__(etag)
        self.etag = etag


def status_of(exc: AppError) -> int:
    return next(STATUS[kind] for kind in type(exc).__mro__ if kind in STATUS)


def headers_of(exc: AppError) -> dict[str, str] | None:
    if isinstance(exc, Unauthorized):
        return {"WWW-Authenticate": "Bearer"}
    if isinstance(exc, TooManyRequests):
        return {"Retry-After": str(exc.retry_after)}
    return None


def error_response(
    status: int, detail: Any, code: str, headers: dict[str, str] | None = None
) -> JSONResponse:
    return JSONResponse(
        status_code=status,
        content=jsonable_encoder({"detail": detail, "code": code}),
        headers=headers,
    )


def app_error_body(exc: AppError) -> tuple[int, Any]:
    """The status and `detail` of a domain error: its fields when it names any (a 422
    always does: the body as a whole when no field is named), else its sentence."""
    status = status_of(exc)
    if not exc.locs and status != 422:
        return status, exc.detail
    locs = exc.locs or [("body",)]
    return status, [{"loc": list(loc), "msg": exc.detail, "type": exc.code} for loc in locs]


def validation_issues(exc: RequestValidationError) -> list[dict[str, Any]]:
    """Pydantic's errors as the API answers them.

    `input` is never echoed, for any field: a field's input may be a secret (a password, a
    token, a statement's password), and the input of a missing field or of a rule across
    fields is the whole body, secrets included; a list of secret-looking names would miss
    those. The client holds what it sent. Messages lose pydantic's "Value error, " prefix."""
    issues = []
    for error in exc.errors():
        issue = {k: v for k, v in error.items() if k not in ("input", "ctx", "url")}
        issue["msg"] = str(error.get("msg", "")).removeprefix(VALUE_ERROR_PREFIX)
        # The limits, as text; a validator's exception (`error`) is already the message.
        if ctx := {k: str(v) for k, v in error.get("ctx", {}).items() if k != "error"}:
            issue["ctx"] = ctx
        issues.append(issue)
    return _encodable(issues)


def _encodable(value: Any) -> Any:
    """What JSON can carry: a lone surrogate (an unknown field named "\\ud800" is echoed in its
    `loc`) becomes valid UTF-8, and a number JSON has no word for (NaN, Infinity) becomes its
    token as text. Either would make the 422 itself fail to render: a 500, and on a kept
    alive connection the client's next request failing too."""
    if isinstance(value, str):
        return value.encode("utf-8", "replace").decode("utf-8")
    if isinstance(value, float) and not math.isfinite(value):
        return "NaN" if math.isnan(value) else ("Infinity" if value > 0 else "-Infinity")
    if isinstance(value, dict):
        return {_encodable(k): _encodable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_encodable(item) for item in value]
    return value


def allowed_methods(request: Request) -> list[str]:
    """The methods of the resource at this path, from the OpenAPI paths (the router's 405
    names only the first matching route's). A literal path wins over a template:
    /debts/payoff-plan is not a /debts/{debt_id}."""
    matches: dict[int, set[str]] = {}
    for template, operations in request.app.openapi().get("paths", {}).items():
        pattern = re.sub(r"\\\{[^/]+?\\\}", "[^/]+", re.escape(template))
        if re.fullmatch(pattern, request.url.path):
            methods = matches.setdefault(template.count("{"), set())
            methods |= {method.upper() for method in operations}
    return sorted(matches[min(matches)]) if matches else []


def add_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(AppError)
    async def app_error(request: Request, exc: AppError) -> JSONResponse:
        status, detail = app_error_body(exc)
        return error_response(status, detail, exc.code, headers_of(exc))

    @app.exception_handler(NotModified)
    async def not_modified(request: Request, exc: NotModified) -> Response:
        return Response(status_code=304, headers={"ETag": exc.etag})

    @app.exception_handler(HTTPException)
    async def http_error(request: Request, exc: HTTPException) -> JSONResponse:
        code = TRANSPORT_CODES.get(exc.status_code, ErrorCode.malformed_body)
        headers = getattr(exc, "headers", None)
        if exc.status_code == 405 and (allowed := allowed_methods(request)):
            headers = {**(headers or {}), "Allow": ", ".join(allowed)}
        return error_response(exc.status_code, exc.detail, code, headers)

    @app.exception_handler(RequestValidationError)
    async def validation_error(request: Request, exc: RequestValidationError) -> JSONResponse:
        return error_response(422, validation_issues(exc), ErrorCode.validation_error)

    @app.exception_handler(ConnectionFailure)
    @app.exception_handler(ExecutionTimeout)  # a transaction that ran out of retries
    async def database_down(request: Request, exc: Exception) -> JSONResponse:
        log.warning("database unavailable: %s", type(exc).__name__)
        return error_response(
            503,
            "Database unavailable, try again shortly",
            ErrorCode.database_unavailable,
            {"Retry-After": RETRY_AFTER},
        )

    @app.exception_handler(Exception)
    async def unexpected(request: Request, exc: Exception) -> JSONResponse:
        log.exception("unhandled error")
        return error_response(500, "Internal server error", ErrorCode.internal_error)
