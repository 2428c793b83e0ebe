"""Our API with the database client's write concern as it was before durable commits: the
BEFORE side of bench/durability.py.

    MONGODB_URL=... uvicorn bench.default_write_concern_app:app

The same app, routes and client options, except the two that `database.connect` passes for
durability (`w="majority"`, `journal=True`): without them PyMongo uses the server's default
(w: 1, not journaled), as the product did before. Dropped by name, so if `connect` stopped
passing either, this process would fail to start instead of measuring nothing.
"""

from typing import Any

from pymongo import AsyncMongoClient

import database


class DefaultWriteConcernClient(AsyncMongoClient):
    def __init__(self, *args: Any, w: Any, journal: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)


# Before `main` builds the app: its lifespan calls `database.connect`, which looks the
# client class up in `database` when it runs.
database.AsyncMongoClient = DefaultWriteConcernClient  # type: ignore[misc]

from main import app  # noqa: E402

__all__ = ["app"]
