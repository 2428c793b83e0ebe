"""What every router shares, defined once: the dependencies (`Db`, `SettingsDep`,
`CurrentUser`, `Pagination`), the period query parameters, the declared error responses, and
the size check of an uploaded file."""

import os
from typing import Annotated, Any

from fastapi import Depends, Header, Query, Request, Response, UploadFile
from pymongo.asynchronous.database import AsyncDatabase

from config import Settings
from core.dates import EARLIEST_YEAR, LATEST_YEAR
from core.errors import ErrorCode, PayloadTooLarge
from schemas import ErrorOut, IsoDate, PageParams, ValidationErrorOut
from schemas.base import ConflictOut
from security import User, current_user

# Dependencies are `async def`: FastAPI runs a plain `def` dependency (or a class) in its
# thread pool, a thread hand-off per request (measured in bench/RESULTS-load.md).


async def _db(request: Request) -> AsyncDatabase:
    return request.app.state.db


async def _settings(request: Request) -> Settings:
    return request.app.state.settings


async def _page(
    skip: Annotated[int, Query(ge=0, le=100_000)] = 0,
    limit: Annotated[int, Query(ge=1, le=100, description="At most 100")] = 20,
) -> PageParams:
    return PageParams(skip, limit)


Db = Annotated[AsyncDatabase, Depends(_db)]
SettingsDep = Annotated[Settings, Depends(_settings)]
CurrentUser = Annotated[User, Depends(current_user)]
Pagination = Annotated[PageParams, Depends(_page)]
# A retry with the same key replays the first answer (24 h); payments and imports take it.
IdempotencyKey = Annotated[
    str | None,
    Header(
        min_length=1,
        max_length=200,
        description="Any unique string (e.g. a UUID); a retry with it never applies twice (24 h).",
    ),
]

# The period of lists and statistics: calendar days in the user's timezone.
FromDate = Annotated[IsoDate | None, Query(alias="from", description="First day, in your timezone")]
ToDate = Annotated[IsoDate | None, Query(alias="to", description="Last day (inclusive)")]
Year = Annotated[int | None, Query(ge=EARLIEST_YEAR, le=LATEST_YEAR)]

ERROR_DESCRIPTIONS = {
    400: "Malformed request",
    401: "Not authenticated (missing, invalid, expired or revoked token)",
    403: "Forbidden",
    404: "Not found (or not yours)",
    409: "Conflicts with the current state",
    410: "Gone",
    413: "Request body too large",
    415: "Unsupported media type",
    422: "Invalid input",
    429: "Too many attempts, see Retry-After",
    503: "Temporarily unavailable, see Retry-After",
}
_RETRY_AFTER = {"Retry-After": {"description": "Seconds to wait", "schema": {"type": "integer"}}}


def responses(*codes: int | tuple[int, str]) -> dict[int | str, dict[str, Any]]:
    """`responses=` for a route: each error status with its body model and a description;
    `(404, "Debt not found")` words one for the route."""
    declared: dict[int | str, dict[str, Any]] = {}
    for item in codes:
        code, description = item if isinstance(item, tuple) else (item, ERROR_DESCRIPTIONS[item])
        declared[code] = {
            "model": {422: ValidationErrorOut, 409: ConflictOut}.get(code, ErrorOut),
            "description": description,
        }
        if code in (429, 503):
            declared[code]["headers"] = _RETRY_AFTER
    return declared


# A 204 carries no body and so no content type.
NO_CONTENT: dict[str, Any] = {"status_code": 204, "response_class": Response}


def check_upload_size(file: UploadFile, limit: int, what: str) -> None:
    """413 `file_too_large` for an upload over `limit` bytes, before any of it is read: the
    size the form parser recorded, else the spooled file's end (`what`: "Receipt", ...)."""
    size = file.size
    if size is None:
        size = file.file.seek(0, os.SEEK_END)
        file.file.seek(0)
    if size > limit:
        raise PayloadTooLarge(f"{what} exceeds {limit} bytes", code=ErrorCode.file_too_large)
