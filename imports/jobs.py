"""A statement's commit as a durable job: run in the request that asks for it, or in the
background of the API process (`Prefer: respond-async`), and finished by another process if
this one dies half-way.

While an import is `committing` its document records the job: `progress` {done, total} (rows
of the file gone through), `next_line` (where the next batch starts) and `lease` {owner,
expires_at}. Only the holder of an unexpired lease runs the commit. A lease is taken with one
atomic update on the import (filtered by its user and the lease's state, so two replicas
never both take it) and renewed, with the progress, after every batch; a holder that finds
it has lost the lease stops. A lease left to expire means its process died: the resume loop
(`CommitJobs.run_forever`, beside the outbox dispatcher) takes the commit over from
`next_line`. Each batch is one transaction and fingerprints make a batch run again create
nothing twice, so a commit interrupted anywhere ends with every row written once."""

import asyncio
import contextlib
import logging
import os
import uuid
from collections.abc import Coroutine
from datetime import timedelta
from typing import Any

from bson import ObjectId
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import PyMongoError

from config import Settings
from core.dates import now_ms
from database import Doc, update_stamped
from imports import store as import_store
from security import User

log = logging.getLogger("cleero.imports")
RESUME_BATCH = 20  # expired commits looked at per pass of the resume loop


def _owner() -> str:
    """A lease holder: this process and this one claim (a stalled run of this process is
    not the run that took its commit over)."""
    return f"{os.uname().nodename}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


class CommitJobs:
    """The commits this process runs: claimed, run, renewed, resumed."""

    def __init__(self, db: AsyncDatabase, settings: Settings) -> None:
        self.db = db
        self.app_url = settings.app_url
        self.lease = timedelta(seconds=settings.import_lease_seconds)
        self.resume_every = settings.import_resume_seconds
        self._running: set[asyncio.Task[Any]] = set()

    # ------------------------------------------------------------ the lease

    async def claim(self, user_id: ObjectId, record: Doc) -> Doc | None:
        """The import with this process holding its commit's lease, or None if it is not
        free: a preview starts its job from the first line; a commit whose lease expired
        is taken over where it stands. One atomic update either way."""
        at = now_ms()
        job: Doc = {
            "status": "committing",
            "lease": {"owner": _owner(), "expires_at": at + self.lease},
            "updated_at": at,
        }
        state: Doc
        if record["status"] == "preview":
            job |= {"progress": {"done": 0, "total": record["counts"]["rows"]}, "next_line": 0}
            state = {"status": "preview"}
        else:
            state = {"status": "committing", "$or": _expired(at)}
        query = {"_id": record["_id"], "user_id": user_id, **state}
        return await update_stamped(self.db.imports, user_id, query, {"$set": job})

    async def _advance(self, record: Doc, next_line: int, done: int) -> bool:
        """Record a finished batch and renew the lease; False if another holds it now."""
        at = now_ms()
        mine = {"_id": record["_id"], "user_id": record["user_id"], "status": "committing"}
        progress = {"done": done, "total": record["counts"]["rows"]}
        change = {
            "next_line": next_line,
            "progress": progress,
            "lease.expires_at": at + self.lease,
            "updated_at": at,
        }
        # A new version: the import's GET shows the progress.
        mine |= {"lease.owner": record["lease"]["owner"]}
        return (
            await update_stamped(self.db.imports, record["user_id"], mine, {"$set": change})
            is not None
        )

    async def _release(self, record: Doc) -> None:
        """Let the commit be taken at once (its run failed, or this process is stopping)."""
        mine = {"_id": record["_id"], "user_id": record["user_id"]}
        await self.db.imports.update_one(
            mine | {"lease.owner": record["lease"]["owner"]},
            {"$set": {"lease.expires_at": now_ms()}},
        )

    # ------------------------------------------------------------ running a commit

    async def run(self, user: User, record: Doc, *, release: bool = True) -> Doc | None:
        """Run a claimed commit (`claim`'s answer) to its end: the result, or None if the
        lease was lost to another process, which finishes it. On a failure the lease is
        released (`release`), or left to expire, and the commit stays `committing`."""

        async def advance(next_line: int, done: int) -> bool:
            return await self._advance(record, next_line, done)

        try:
            return await import_store.commit(self.db, user, record, self.app_url, advance)
        except asyncio.CancelledError:  # this process is stopping: another may go on at once
            # The database away too: the lease then expires, which is all a release hastens.
            with contextlib.suppress(PyMongoError):
                await asyncio.shield(self._release(record))
            raise
        except Exception:
            if release:
                with contextlib.suppress(PyMongoError):  # as above; the run's error is raised
                    await self._release(record)
            raise

    def start(self, user: User, record: Doc) -> None:
        """Run a claimed commit in the background of this process."""
        self._spawn(self._run_logged(user, record), f"import-commit-{record['_id']}")

    async def _run_logged(self, user: User, record: Doc) -> None:
        try:
            await self.run(user, record, release=False)
        except asyncio.CancelledError:
            raise
        except Exception:  # the lease expires and the resume loop tries again
            log.exception("commit of import %s failed; it will be resumed", record["_id"])

    def _spawn(self, work: Coroutine[Any, Any, None], name: str) -> None:
        task = asyncio.create_task(work, name=name)
        self._running.add(task)  # a task only weakly referenced by the loop may vanish
        task.add_done_callback(self._running.discard)

    async def stop(self) -> None:
        """Stop this process's commits, each releasing its lease for another to go on."""
        for task in list(self._running):
            task.cancel()
        await asyncio.gather(*self._running, return_exceptions=True)

    # ------------------------------------------------------------ the resume loop

    async def resume_expired(self) -> int:
        """One pass: take over the commits whose lease expired, one after the other; how
        many this process took. The scan crosses users (on the (status, lease.expires_at)
        index); each claim is then the user's own atomic update, which one replica wins."""
        taken = 0
        for candidate in await self._expired():
            record = await self.db.imports.find_one(
                {"_id": candidate["_id"], "user_id": candidate["user_id"]}
            )
            user_doc = await self.db.users.find_one({"_id": candidate["user_id"]})
            if record is None or user_doc is None:
                continue  # discarded, or the account deleted meanwhile
            claimed = await self.claim(candidate["user_id"], record)
            if claimed is None:
                continue  # another replica took it first
            taken += 1
            line = claimed.get("next_line", 0)
            log.info("resuming the commit of import %s at line %s", claimed["_id"], line)
            try:
                await self.run(User.from_doc(user_doc), claimed, release=False)
            except PyMongoError:
                raise
            except Exception:  # one broken commit must not hold back the others
                log.exception("resumed commit of import %s failed", claimed["_id"])
        return taken

    async def _expired(self) -> list[Doc]:
        at, found = now_ms(), []
        for state in _expired(at):
            query = {"status": "committing", **state}
            cursor = self.db.imports.find(query, projection={"user_id": 1}).limit(RESUME_BATCH)
            found += await cursor.to_list(None)
        return found

    async def run_forever(self) -> None:
        """The resume loop (the app's lifespan when RUN_WORKER, or `python -m ops.worker`)."""
        while True:
            try:
                await self.resume_expired()
            except PyMongoError as exc:  # database away: try again next time
                log.warning("import commit resumer waiting for the database: %s", exc)
            except Exception:  # a bug must not stop resuming for good: log it, keep polling
                log.exception("import commit resume pass failed")
            await asyncio.sleep(self.resume_every)


def _expired(at: Any) -> list[Doc]:
    """A lease past its time, or none (a commit interrupted before leases existed)."""
    return [{"lease.expires_at": None}, {"lease.expires_at": {"$lte": at}}]
