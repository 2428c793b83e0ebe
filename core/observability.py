"""Request ids, JSON logs, body-size caps and response headers, as plain ASGI middleware."""

import json
import logging
import os
import re
import time
import uuid
from contextvars import ContextVar
from typing import Any

from prometheus_client import (
    REGISTRY,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
    multiprocess,
)
from pymongo.errors import PyMongoError
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

request_id_var: ContextVar[str | None] = ContextVar("request_id", default=None)
user_id_var: ContextVar[str | None] = ContextVar("user_id", default=None)
_SAFE_ID = re.compile(r"^[A-Za-z0-9._-]{1,128}$")
access_log = logging.getLogger("cleero.access")
if _multiproc_dir := os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
    os.makedirs(_multiproc_dir, exist_ok=True)

REQUESTS = Counter(
    "http_requests_total", "HTTP requests by route template", ["method", "route", "status"]
)
LATENCY = Histogram(
    "http_request_duration_seconds",
    "HTTP request latency by route template",
    ["method", "route"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)


def route_template(scope: Scope) -> str:
    """`/api/debts/{debt_id}`, not the concrete path: bounded label cardinality."""
    route = scope.get("route")
    path = getattr(route, "path", None)
    if path is None:
        return "unmatched"
    prefix = "/api" if scope["path"].startswith("/api") and not path.startswith("/api") else ""
    return prefix + path


class JsonFormatter(logging.Formatter):
    """One JSON object per line, carrying the request id and user id of the request."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": self.formatTime(record, "%Y-%m-%dT%H:%M:%S%z"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "request_id": request_id_var.get(),
            "user_id": user_id_var.get(),
        }
        entry.update(getattr(record, "fields", {}))
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, default=str)


def configure_logging(level: str = "INFO") -> None:
    handler = logging.StreamHandler()
    handler.setFormatter(JsonFormatter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)


class BodyTooLarge(HTTPException):
    """An HTTPException, so FastAPI re-raises it from body parsing instead of a 400."""

    def __init__(self, limit: int) -> None:
        super().__init__(413, f"Request body exceeds {limit} bytes")
        self.limit = limit


def _is_upload(path: str) -> bool:
    """Receipts and bank statements are files (10 MB); everything else is JSON (1 MB)."""
    return path.endswith("/receipt") or path.rstrip("/") == "/api/imports"


class RequestContextMiddleware:
    """Echoes/creates X-Request-ID, caps request bodies (413), logs each request as JSON,
    and marks API answers `Cache-Control: no-store` (they carry personal financial data)."""

    def __init__(self, app: ASGIApp, max_body: int, max_upload: int) -> None:
        self.app = app
        self.max_body = max_body
        self.max_upload = max_upload

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = dict(scope["headers"])
        incoming = headers.get(b"x-request-id", b"").decode("latin-1")
        request_id = incoming if _SAFE_ID.match(incoming) else uuid.uuid4().hex
        token = request_id_var.set(request_id)
        user_token = user_id_var.set(None)
        scope.setdefault("state", {})["request_id"] = request_id
        limit = self.max_upload if _is_upload(scope["path"]) else self.max_body
        started = time.perf_counter()
        status_code = 500
        response_started = False

        async def send_wrapper(message: Message) -> None:
            nonlocal status_code, response_started
            if message["type"] == "http.response.start":
                status_code = message["status"]
                response_started = True
                _add_headers(scope, message, request_id)
            await send(message)

        received = 0

        async def receive_wrapper() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise BodyTooLarge(limit)
            return message

        try:
            declared = headers.get(b"content-length")
            if declared is not None and declared.isdigit() and int(declared) > limit:
                raise BodyTooLarge(limit)  # refuse before reading a byte
            await self.app(scope, receive_wrapper, send_wrapper)
        except BodyTooLarge:
            if response_started:
                raise
            await _send_json(
                send_wrapper,
                413,
                {"detail": f"Request body exceeds {limit} bytes", "code": "payload_too_large"},
            )
        finally:
            _record(scope, status_code, time.perf_counter() - started)
            request_id_var.reset(token)
            user_id_var.reset(user_token)


def _add_headers(scope: Scope, message: Message, request_id: str) -> None:
    """The request id on every answer; `no-store` on API answers (personal financial data)
    and `nosniff` unless the route set its own."""
    extra = [(b"x-request-id", request_id.encode())]
    names = {name.lower() for name, _ in message.get("headers", [])}
    if scope["path"].startswith("/api") and b"cache-control" not in names:
        extra += [(b"cache-control", b"no-store")]
    if b"x-content-type-options" not in names:
        extra += [(b"x-content-type-options", b"nosniff")]
    message["headers"] = [*message.get("headers", []), *extra]


def _record(scope: Scope, status_code: int, elapsed: float) -> None:
    """The request's metrics and its one access log line."""
    template = route_template(scope)
    REQUESTS.labels(scope["method"], template, str(status_code)).inc()
    LATENCY.labels(scope["method"], template).observe(elapsed)
    fields = {
        "method": scope["method"],
        "path": scope["path"],
        "status": status_code,
        "route": template,
        "duration_ms": round(elapsed * 1000, 2),
    }
    access_log.info(
        "%s %s %s", scope["method"], scope["path"], status_code, extra={"fields": fields}
    )


async def _send_json(send: Send, status: int, body: dict[str, Any]) -> None:
    payload = json.dumps(body).encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(payload)).encode()),
                (b"connection", b"close"),
            ],
        }
    )
    await send({"type": "http.response.body", "body": payload})


def _process_registry() -> CollectorRegistry:
    """Under gunicorn every worker writes to PROMETHEUS_MULTIPROC_DIR; a scrape sums them."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
        return registry
    return REGISTRY


async def metrics_text(db: Any) -> bytes:
    """Request metrics plus the outbox state, read from the database at scrape time so every
    replica reports the same cluster-wide figure (written by hand: in multiprocess mode a
    Gauge object would be stored per worker)."""
    try:
        backlog = await db.outbox.count_documents({"status": {"$in": ["pending", "sending"]}})
        failed = await db.outbox.count_documents({"status": "failed"})
        up = 1
    except PyMongoError:
        backlog = failed = up = 0
    gauges = [
        ("outbox_backlog", "Outbox messages waiting to be sent", backlog),
        ("outbox_failed", "Outbox messages that exhausted their retries", failed),
        ("database_up", "1 when the database answered this scrape", up),
    ]
    text = "".join(
        f"# HELP {name} {help_}\n# TYPE {name} gauge\n{name} {value}\n"
        for name, help_, value in gauges
    )
    return generate_latest(_process_registry()) + text.encode()
