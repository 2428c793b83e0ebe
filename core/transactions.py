"""Multi-document transactions: one runner for every write that spans documents."""

from collections.abc import Awaitable, Callable
from typing import TypeVar

import pymongo
from pymongo.asynchronous.client_session import AsyncClientSession
from pymongo.asynchronous.database import AsyncDatabase

T = TypeVar("T")

# How long a transaction is retried on transient errors (write conflicts, a failover). PyMongo's
# own limit is 120 s: with the database down, a request would wait two minutes for its 503.
# SecantusDB aborts a transaction open 8 s, so no healthy one needs longer.
TRANSACTION_TIME_LIMIT = 10.0


async def in_transaction(
    db: AsyncDatabase, work: Callable[[AsyncClientSession], Awaitable[T]]
) -> T:
    """Run `work` in one multi-document transaction, retried on transient conflicts for at
    most TRANSACTION_TIME_LIMIT seconds (then `ExecutionTimeout`, answered as a 503)."""
    with pymongo.timeout(TRANSACTION_TIME_LIMIT):
        async with db.client.start_session() as session:
            return await session.with_transaction(work)
