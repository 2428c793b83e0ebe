"""Delta sync: what changed in your data since your last sync, a page at a time, for an app's
cache or a phone's offline copy (docs/sync.md; the workflow: `sync.service`)."""

from typing import Annotated

from fastapi import APIRouter, Query

from routes.deps import CurrentUser, Db, responses
from schemas import SyncPage
from sync import rules, service

router = APIRouter(prefix="/sync", tags=["sync"])


@router.get(
    "",
    responses={
        **responses(401),
        **responses((410, "Cursor older than the deletions kept: reload (since=0)")),
        **responses(422),
    },
)
async def get_sync_changes(
    user: CurrentUser,
    db: Db,
    since: Annotated[
        str | None,
        Query(
            pattern=rules.CURSOR_PATTERN,
            description="The `cursor` of your last page; none (or 0): everything",
        ),
    ] = None,
    limit: Annotated[
        int, Query(ge=1, le=rules.MAX_LIMIT, description=f"At most {rules.MAX_LIMIT}")
    ] = rules.DEFAULT_LIMIT,
) -> SyncPage:
    """The changes since `since`, oldest first, each resource once as its GET returns it (a
    deletion: `op` "delete", `data` null). Ask again with `cursor` while `has_more`; then
    keep `cursor` for the next sync."""
    return await service.changes(db, user, since, limit)
