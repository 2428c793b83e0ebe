"""Delivering the outbox: the dispatcher that claims queued side effects and hands them to the
providers in `services.Backends`, with retries and backoff; one active dispatcher per cluster.
It runs in the API process (RUN_WORKER) or in `python -m ops.worker`."""

import asyncio
import logging
import os
import uuid
from datetime import datetime, timedelta

from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import DuplicateKeyError, PyMongoError

from config import Settings
from core.dates import now_ms
from database import Doc
from services import Backends

log = logging.getLogger("cleero.outbox")


def backoff(attempts: int) -> timedelta:
    """2 s, 4 s, 8 s ... capped at one hour."""
    return timedelta(seconds=min(2**attempts, 3600))


class Dispatcher:
    """Delivers outbox messages. A lease in `locks` keeps one active dispatcher per cluster;
    each message is also claimed atomically, so even two dispatchers never send one twice."""

    LEASE = timedelta(seconds=30)
    CLAIM = timedelta(seconds=120)  # a crashed sender's message is retried after this

    def __init__(self, db: AsyncDatabase, settings: Settings, backends: Backends) -> None:
        self.db = db
        self.settings = settings
        self.backends = backends
        self.owner = f"{os.uname().nodename}:{os.getpid()}:{uuid.uuid4().hex[:8]}"

    async def acquire_lease(self, name: str = "outbox-dispatcher") -> bool:
        at = now_ms()
        try:
            await self.db.locks.find_one_and_update(
                {"_id": name, "$or": [{"owner": self.owner}, {"expires_at": {"$lte": at}}]},
                {"$set": {"owner": self.owner, "expires_at": at + self.LEASE}},
                upsert=True,
            )
        except DuplicateKeyError:
            return False  # another replica holds it
        return True

    async def release_lease(self, name: str = "outbox-dispatcher") -> None:
        await self.db.locks.delete_one({"_id": name, "owner": self.owner})

    async def _claim(self, at: datetime) -> Doc | None:
        return await self.db.outbox.find_one_and_update(
            {"status": {"$in": ["pending", "sending"]}, "next_attempt_at": {"$lte": at}},
            {
                "$set": {"status": "sending", "next_attempt_at": at + self.CLAIM},
                "$inc": {"attempts": 1},
            },
            sort=[("next_attempt_at", 1)],
            return_document=True,
        )

    async def deliver(self, message: Doc, at: datetime) -> bool:
        handler = self.backends.handlers.get(message["kind"])
        try:
            if handler is None:
                raise LookupError(f"no handler for outbox kind {message['kind']!r}")
            await handler(str(message["_id"]), message["payload"])
        except Exception as exc:  # any provider failure is recorded and retried, never lost
            failed = message["attempts"] >= self.settings.outbox_max_attempts
            await self.db.outbox.update_one(
                {"_id": message["_id"]},
                {
                    "$set": {
                        "status": "failed" if failed else "pending",
                        "next_attempt_at": at + backoff(message["attempts"]),
                        "last_error": f"{type(exc).__name__}: {exc}"[:500],
                    }
                },
            )
            log.warning(
                "outbox %s (%s) attempt %d failed: %s",
                message["_id"],
                message["kind"],
                message["attempts"],
                type(exc).__name__,
            )
            return False
        await self.db.outbox.update_one(
            {"_id": message["_id"]}, {"$set": {"status": "sent", "sent_at": now_ms()}}
        )
        return True

    async def run_once(self, at: datetime | None = None, limit: int = 500) -> int:
        """Deliver every message due at `at`; returns how many were sent."""
        at = at or now_ms()
        sent = 0
        for _ in range(limit):
            message = await self._claim(at)
            if message is None:
                break
            sent += await self.deliver(message, at)
        return sent

    async def run_forever(self) -> None:
        while True:
            try:
                if await self.acquire_lease():
                    await self.run_once()
            except PyMongoError as exc:  # database away: keep polling, it recovers by itself
                log.warning("outbox dispatcher waiting for the database: %s", exc)
            except Exception:  # a bug must not stop delivery for good: log it, keep polling
                log.exception("outbox dispatcher pass failed")
            await asyncio.sleep(self.settings.outbox_poll_seconds)


async def retry_failed(db: AsyncDatabase) -> int:
    result = await db.outbox.update_many(
        {"status": "failed"},
        {"$set": {"status": "pending", "attempts": 0, "next_attempt_at": now_ms()}},
    )
    return result.modified_count
