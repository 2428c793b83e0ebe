"""What every router shares, defined once: the dependencies (`Db`, `SettingsDep`,
`CurrentUser`, `Pagination`, the conditional-request headers `IfMatch`, `IfNoneMatch` and
the `ETagged` answer), the period query parameters, the declared error responses, and the
size check of an uploaded file."""

import os
import re
from typing import Annotated, Any, TypeVar

from fastapi import Depends, Header, Query, Request, Response, UploadFile
from pymongo.asynchronous.database import AsyncDatabase

from config import Settings
from core.dates import EARLIEST_YEAR, LATEST_YEAR
from core.errors import ErrorCode, PayloadTooLarge
from core.http_errors import NotModified
from core.sync import Expected
from schemas import ErrorOut, IsoDate, PageParams, ValidationErrorOut
from schemas.base import ConflictOut, OutModel
from security import User, current_user

Answer = TypeVar("Answer", bound=OutModel)

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


# ---------------------------------------------------------------- ETags, conditional requests

# An entity-tag in a list (RFC 9110): optional weakness, then the quoted opaque string.
_ENTITY_TAG = re.compile(r'\s*(W/)?("[^"]*")\s*(?:,|$)')
# Our tags: the version, then a day or a digest of derived figures (core.sync.etag).
_VERSION = re.compile(r'"(\d{1,18})(?:-[0-9a-f]{8})?"')


def _tags(header: str) -> list[tuple[bool, str]]:
    """(weak, tag) of each entity-tag the header lists; what doesn't parse is left out."""
    return [(bool(m[1]), m[2]) for m in _ENTITY_TAG.finditer(header)]


async def _if_match(
    if_match: Annotated[
        str | None,
        Header(
            max_length=1000,
            description="The ETag you read: the write happens only if the resource is still "
            "at that version (else 412 `precondition_failed`).",
        ),
    ] = None,
) -> Expected:
    if if_match is None or if_match.strip() == "*":
        return None  # `*`: any current version (a missing resource is a 404 anyway)
    # Strong comparison: a weak or foreign tag matches no version, so the write is refused.
    return frozenset(
        int(m[1]) for weak, tag in _tags(if_match) if not weak and (m := _VERSION.fullmatch(tag))
    )


class Tagger:
    """Puts a resource answer's ETag on the response; on a GET whose If-None-Match already
    names it, answers 304 with no body instead."""

    def __init__(self, response: Response, if_none_match: str | None = None) -> None:
        self.response = response
        self.if_none_match = if_none_match

    def __call__(self, answer: Answer) -> Answer:
        tag = answer.etag
        if tag is None:
            return answer
        if self.if_none_match is not None and (
            self.if_none_match.strip() == "*" or tag in {t for _, t in _tags(self.if_none_match)}
        ):
            raise NotModified(tag)  # weak comparison, as If-None-Match takes
        self.response.headers["ETag"] = tag
        return answer


async def _tagger(response: Response) -> Tagger:
    return Tagger(response)


async def _conditional(
    response: Response,
    if_none_match: Annotated[
        str | None,
        Header(
            max_length=1000,
            description="The ETag of your copy: 304 with no body while it is current.",
        ),
    ] = None,
) -> Tagger:
    return Tagger(response, if_none_match)


# A PUT or DELETE conditional on the version the client holds: the versions its If-Match
# names (None without one: the write goes ahead as always).
IfMatch = Annotated[Expected, Depends(_if_match)]
# A write that answers a resource: `tag(answer)` sets its ETag.
ETagged = Annotated[Tagger, Depends(_tagger)]
# A GET of one resource: `tag(answer)` sets its ETag, or answers 304 to a current copy.
IfNoneMatch = Annotated[Tagger, Depends(_conditional)]

# The period of lists and statistics: calendar days in the user's timezone.
FromDate = Annotated[IsoDate | None, Query(alias="from", description="First day, in your timezone")]
ToDate = Annotated[IsoDate | None, Query(alias="to", description="Last day (inclusive)")]
Year = Annotated[int | None, Query(ge=EARLIEST_YEAR, le=LATEST_YEAR)]

ERROR_DESCRIPTIONS = {
    304: "Not modified: the copy your If-None-Match names is current (no body)",
    400: "Malformed request",
    401: "Not authenticated (missing, invalid, expired or revoked token)",
    403: "Forbidden",
    404: "Not found (or not yours)",
    409: "Conflicts with the current state",
    410: "Gone",
    412: "Changed since you read it (If-Match): read it again",
    413: "Request body too large",
    415: "Unsupported media type",
    422: "Invalid input",
    429: "Too many attempts, see Retry-After",
    503: "Temporarily unavailable, see Retry-After",
}
_RETRY_AFTER = {"Retry-After": {"description": "Seconds to wait", "schema": {"type": "integer"}}}
_ETAG = {"ETag": {"description": "The resource's version (strong)", "schema": {"type": "string"}}}


def responses(*codes: int | tuple[int, str]) -> dict[int | str, dict[str, Any]]:
    """`responses=` for a route: each error status with its body model and a description;
    `(404, "Debt not found")` words one for the route."""
    declared: dict[int | str, dict[str, Any]] = {}
    for item in codes:
        code, description = item if isinstance(item, tuple) else (item, ERROR_DESCRIPTIONS[item])
        if code == 304:
            declared[code] = {"description": description, "headers": _ETAG}
            continue
        declared[code] = {
            "model": {422: ValidationErrorOut, 409: ConflictOut}.get(code, ErrorOut),
            "description": description,
        }
        if code in (429, 503):
            declared[code]["headers"] = _RETRY_AFTER
    return declared


def tagged(status: int = 200) -> dict[int | str, dict[str, Any]]:
    """`responses=` entry of a route answering one resource with its ETag."""
    return {status: {"description": "The resource, with its ETag", "headers": _ETAG}}


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
