"""The application: lifespan, middleware, error handlers, routers, health and offline docs."""

import asyncio
import contextlib
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import fastapi_offline
from fastapi import FastAPI, Request
from fastapi.middleware.cors import CORSMiddleware
from fastapi.openapi.docs import get_swagger_ui_html, get_swagger_ui_oauth2_redirect_html
from fastapi.responses import HTMLResponse, JSONResponse, Response
from fastapi.routing import APIRoute
from fastapi.staticfiles import StaticFiles
from prometheus_client import CONTENT_TYPE_LATEST
from pydantic import BaseModel
from pymongo.errors import PyMongoError

from config import Settings, get_settings
from core.http_errors import RETRY_AFTER, add_error_handlers
from core.observability import RequestContextMiddleware, configure_logging, metrics_text
from database import connect, database_url, ensure_indexes, get_database
from delivery.outbox import Dispatcher
from imports.jobs import ImportJobs
from loans import reminders
from ops import embedded_db
from ops.migrations import migrate
from recurring import jobs as detection
from routes import (
    accounts,
    auth,
    budgets,
    cards,
    dashboard,
    debts,
    expenses,
    goals,
    imports,
    income,
    loans,
    notifications,
    payments,
    recurring,
    reports,
    rules,
    sync,
    transfers,
    users,
)
from routes.deps import ERROR_DESCRIPTIONS
from schemas import ErrorOut, ValidationErrorOut
from services import Backends

ROUTERS = [
    auth.router,
    users.router,
    debts.router,
    loans.router,
    payments.router,
    income.router,
    expenses.router,
    budgets.router,
    goals.router,
    notifications.router,
    dashboard.router,
    reports.router,
    imports.router,
    rules.router,
    sync.router,
    accounts.router,
    cards.router,
    transfers.router,
    recurring.router,
]
DOCS_ASSETS = Path(fastapi_offline.__file__).parent / "static"
DEV_ORIGINS = r"http://(localhost|127\.0\.0\.1)(:[0-9]{1,5})?"
# What a browser client may send (conditional requests, idempotent retries, the bearer token,
# JSON bodies) and may read from an answer (a cross-origin fetch sees only the safelisted
# response headers unless they are named here).
CORS_REQUEST_HEADERS = [
    "Authorization",
    "Content-Type",
    "If-Match",
    "If-None-Match",
    "Idempotency-Key",
    "Prefer",
    "X-Request-ID",
]
CORS_EXPOSED_HEADERS = [
    "ETag",
    "Content-Disposition",
    "Idempotent-Replayed",
    "X-Request-ID",
    "Retry-After",
]


@contextlib.asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    settings: Settings = app.state.settings
    client = connect(database_url(settings), settings)
    db = get_database(client, settings.mongodb_db)
    app.state.db = db
    app.state.backends = Backends(settings)
    await migrate(db)  # before the indexes: a migration may replace one
    await ensure_indexes(db)
    dispatcher = Dispatcher(db, settings, app.state.backends)
    app.state.dispatcher = dispatcher
    app.state.import_jobs = import_jobs = ImportJobs(db, settings)
    if settings.pdf_warm_parser:  # in the background: start-up does not wait for it
        import_jobs.parsers.warm()
    tasks = []
    if settings.run_worker:
        tasks.append(asyncio.create_task(dispatcher.run_forever(), name="outbox-dispatcher"))
        tasks.append(
            asyncio.create_task(reminders.run_forever(db, settings), name="reminder-scheduler")
        )
        tasks.append(asyncio.create_task(import_jobs.run_forever(), name="import-jobs"))
        tasks.append(asyncio.create_task(detection.run_forever(db), name="recurring-detection"))
    try:
        yield
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        await import_jobs.stop()  # each background job lets its lease go; parsers end
        with contextlib.suppress(PyMongoError):  # shutting down with the database away
            await dispatcher.release_lease()
        await app.state.backends.aclose()
        await client.close()


def declare_transport_errors(app: FastAPI) -> None:
    """Declare in the OpenAPI schema the errors raised before a route runs, on every operation
    they can reach: a body that can't be parsed (400) or is too large (413, the middleware's
    cap), and the real shape of a 422 (FastAPI's default schema knows only the field list):
    every 422 names the one `ValidationErrorOut` component."""
    build = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            schema = build()
            components = schema.setdefault("components", {}).setdefault("schemas", {})
            for model in (ErrorOut, ValidationErrorOut):
                _add_component(components, model)
            _one_validation_error_model(schema)
            for operation in _operations(schema):
                if "requestBody" in operation:
                    for code in (400, 413):
                        operation["responses"].setdefault(str(code), _error_response(code))
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]


REF = "#/components/schemas/"


def _add_component(components: dict[str, Any], model: type[BaseModel]) -> None:
    generated = model.model_json_schema(ref_template=REF + "{model}")
    for name, definition in generated.pop("$defs", {}).items():
        components.setdefault(name, definition)
    components.setdefault(model.__name__, generated)


def _one_validation_error_model(schema: dict[str, Any]) -> None:
    """FastAPI's default 422 (`HTTPValidationError`, a list of `ValidationError`) is not the
    body this app sends: point its references at `ValidationErrorOut` and drop both, so a
    client generator sees one 422 model (an alias component would be generated twice)."""
    for node in _nodes(schema):
        if node.get("$ref") == f"{REF}HTTPValidationError":
            node["$ref"] = f"{REF}ValidationErrorOut"
    components = schema["components"]["schemas"]
    components.pop("HTTPValidationError", None)
    if not any(node.get("$ref") == f"{REF}ValidationError" for node in _nodes(schema)):
        components.pop("ValidationError", None)


def _nodes(node: Any) -> Iterator[dict[str, Any]]:
    """Every object in a JSON document, depth first."""
    if isinstance(node, dict):
        yield node
        for value in node.values():
            yield from _nodes(value)
    elif isinstance(node, list):
        for value in node:
            yield from _nodes(value)


def _operations(schema: dict[str, Any]) -> list[dict[str, Any]]:
    return [op for path in schema.get("paths", {}).values() for op in path.values()]


def _error_response(code: int) -> dict[str, Any]:
    return {
        "description": ERROR_DESCRIPTIONS[code],
        "content": _json_body("ErrorOut"),
    }


def _json_body(component: str) -> dict[str, Any]:
    return {"application/json": {"schema": {"$ref": f"{REF}{component}"}}}


def add_docs(app: FastAPI) -> None:
    """Swagger UI from local assets, so /docs works with no internet."""
    app.mount("/static/docs", StaticFiles(directory=DOCS_ASSETS), name="docs-assets")

    @app.get("/docs", include_in_schema=False)
    async def docs() -> HTMLResponse:
        return get_swagger_ui_html(
            openapi_url=app.openapi_url or "/openapi.json",
            title=f"{app.title} - API docs",
            oauth2_redirect_url="/docs/oauth2-redirect",
            swagger_js_url="/static/docs/swagger-ui-bundle.js",
            swagger_css_url="/static/docs/swagger-ui.css",
            swagger_favicon_url="/static/docs/favicon.png",
        )

    @app.get("/docs/oauth2-redirect", include_in_schema=False)
    async def oauth2_redirect() -> HTMLResponse:
        return get_swagger_ui_oauth2_redirect_html()


def add_health(app: FastAPI) -> None:
    @app.get("/metrics", include_in_schema=False)
    async def metrics(request: Request) -> Response:
        return Response(await metrics_text(request.app.state.db), media_type=CONTENT_TYPE_LATEST)

    @app.get("/health", tags=["health"])
    async def get_health() -> dict[str, str]:
        """Liveness: the process answers."""
        return {"status": "ok"}

    @app.get("/health/ready", tags=["health"], responses={503: {"description": "Database down"}})
    async def get_readiness(request: Request) -> JSONResponse:
        """Readiness: the database answers; also the outbox backlog and failed messages."""
        db = request.app.state.db
        try:
            await db.command("ping")
            backlog = await db.outbox.count_documents({"status": {"$in": ["pending", "sending"]}})
            failed = await db.outbox.count_documents({"status": "failed"})
        except PyMongoError:
            return JSONResponse(
                {"status": "unavailable", "database": "down"},
                status_code=503,
                headers={"Retry-After": RETRY_AFTER},
            )
        return JSONResponse(
            {"status": "ok", "database": "up", "outbox": {"backlog": backlog, "failed": failed}}
        )


def operation_id(route: APIRoute) -> str:
    """The route function's name in camelCase (`list_debts` -> `listDebts`): each generator
    names the operation after it (`listDebts()` in @hey-api/openapi-ts, `list_debts` in
    openapi-python-client, `operations["listDebts"]` in openapi-typescript), so a function's
    name says what it does to what (`get_debt_schedule`, not `debt_schedule`). Names are unique
    across the app (tested). Every documented route needs a tag: generators group by it."""
    if not route.include_in_schema:
        return route.name
    if not route.tags:
        raise ValueError(f"route {route.path} ({route.name}) has no tag")
    first, *rest = route.name.split("_")
    return first + "".join(word.capitalize() for word in rest)


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or get_settings()
    app = FastAPI(
        title="Cleero Financial Compass",
        version="1.0.0",
        description="Loans and EMIs, budgets, income, expenses and savings goals, in one API.",
        lifespan=lifespan,
        docs_url=None,
        redoc_url=None,
        openapi_url="/openapi.json" if settings.docs_enabled else None,
        generate_unique_id_function=operation_id,
    )
    app.state.settings = settings
    add_error_handlers(app)
    for router in ROUTERS:
        app.include_router(router, prefix="/api")
    add_health(app)
    declare_transport_errors(app)
    if settings.docs_enabled:
        add_docs(app)
    app.add_middleware(
        CORSMiddleware,
        allow_origins=settings.cors_origins,
        # Development servers (Vite, CRA, ...) on any port of this machine.
        allow_origin_regex=DEV_ORIGINS if settings.app_env == "development" else None,
        allow_credentials=True,
        allow_methods=["*"],
        allow_headers=CORS_REQUEST_HEADERS,
        expose_headers=CORS_EXPOSED_HEADERS,
    )
    app.add_middleware(
        RequestContextMiddleware,
        max_body=settings.max_body_bytes,
        # The file itself may be MAX_UPLOAD_BYTES; allow for the multipart framing around it.
        max_upload=settings.max_upload_bytes + 64 * 1024,
    )
    return app


if __name__ == "__main__":
    embedded_db.serve_with_api()
else:
    configure_logging()
    app = create_app()
