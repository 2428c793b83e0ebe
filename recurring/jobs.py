"""Detection as background work: an entry write queues its payees in its own transaction
(`recurring.store.queue_payees`, from `ledger.service.entries_written`), and a worker runs
detection for them later, off the request that wrote them.

Each (user, payee) is queued once however many writes ask, and taken by one worker at a time
under a lease (`recurring.store.claim`): a worker that dies leaves its lease to run out, and
the payees become due again. A payee written again while its detection runs is queued again,
so that write is seen by a later run. The loop runs beside the outbox dispatcher (the API
process when RUN_WORKER, or `python -m ops.worker`); tests drive `run_once`."""

import asyncio
import logging
import os
import uuid
from datetime import timedelta

from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import PyMongoError

from recurring import service, store
from security import User

log = logging.getLogger("cleero.recurring")
LEASE = timedelta(minutes=5)  # far longer than one user's detection takes
POLL_SECONDS = 5.0


def _owner() -> str:
    return f"{os.uname().nodename}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


async def run_once(db: AsyncDatabase) -> int:
    """Detection for every user with payees due, each user's in one run: how many ran. A
    user's detection that fails is logged and left to its lease, then tried again."""
    ran = 0
    while (claimed := await store.claim(db, owner := _owner(), LEASE)) is not None:
        user_id, payees = claimed
        user_doc = await db.users.find_one({"_id": user_id})
        try:
            if user_doc is not None:  # else the account was deleted meanwhile
                await service.detect(db, User.from_doc(user_doc), payees)
        except PyMongoError:
            raise
        except Exception:  # one user's broken detection must not hold back the others
            log.exception("detection for user %s failed; it will be tried again", user_id)
            continue
        await store.unqueue(db, user_id, owner)
        ran += 1
    return ran


async def run_forever(db: AsyncDatabase) -> None:
    """The loop (the app's lifespan when RUN_WORKER, or `python -m ops.worker`)."""
    while True:
        try:
            await run_once(db)
        except PyMongoError as exc:  # database away: try again next time
            log.warning("recurring detection waiting for the database: %s", exc)
        except Exception:  # a bug must not stop detection for good: log it, keep polling
            log.exception("recurring detection pass failed")
        await asyncio.sleep(POLL_SECONDS)
