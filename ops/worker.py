"""The background worker as its own process.

    python -m ops.worker                 outbox dispatcher + reminder scheduler + the resumer
                                         of interrupted statement imports + recurring
                                         detection of the payees writes queued, until SIGTERM
    python -m ops.worker --once          one scheduler pass, one detection pass, then one
                                         dispatcher pass, and exit
    python -m ops.worker --retry-failed  requeue the messages that ran out of attempts, and exit

Run it with RUN_WORKER=false on the API processes, or alongside them: a lease elects one active
dispatcher and a unique index makes each reminder happen once, however many run.
"""

import argparse
import asyncio
import contextlib
import logging
import signal
import sys

from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import PyMongoError

from config import Settings, get_settings
from core.observability import configure_logging
from database import connect, database_url, ensure_indexes, get_database
from delivery.outbox import Dispatcher, retry_failed
from imports.jobs import ImportJobs
from loans import reminders
from ops.migrations import migrate
from recurring import jobs as detection
from services import Backends

log = logging.getLogger("cleero.worker")


async def run_once(db: AsyncDatabase, settings: Settings, dispatcher: Dispatcher) -> None:
    # Reminders first, so the messages they queue leave in this same pass.
    # Detection too, before the dispatcher: the notifications it raises go out in this pass.
    queued = await reminders.run_all(db, settings)
    detected = await detection.run_once(db)
    sent = await dispatcher.run_once()
    log.info("worker pass done: %d reminders queued, %d messages sent", queued, sent)
    print(f"reminders={queued} detections={detected} sent={sent}")


async def run_forever(db: AsyncDatabase, settings: Settings, dispatcher: Dispatcher) -> None:
    import_jobs = ImportJobs(db, settings)
    tasks = [
        asyncio.create_task(dispatcher.run_forever(), name="outbox-dispatcher"),
        asyncio.create_task(reminders.run_forever(db, settings), name="reminder-scheduler"),
        asyncio.create_task(import_jobs.run_forever(), name="import-jobs"),
        asyncio.create_task(detection.run_forever(db), name="recurring-detection"),
    ]
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    log.info("worker started: outbox, reminders, import job resumer, recurring detection")
    await stop.wait()
    log.info("worker stopping")
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    await import_jobs.stop()  # its parser processes end
    with contextlib.suppress(PyMongoError):  # let another worker take over at once
        await dispatcher.release_lease()


async def main(mode: str, settings: Settings) -> int:
    client = connect(database_url(settings), settings)
    db = get_database(client, settings.mongodb_db)
    backends: Backends | None = None
    try:
        if mode == "retry-failed":
            requeued = await retry_failed(db)
            log.info("requeued %d failed outbox messages", requeued)
            print(f"requeued={requeued}")
            return 0
        await migrate(db)
        await ensure_indexes(db)
        backends = Backends(settings)
        dispatcher = Dispatcher(db, settings, backends)
        if mode == "once":
            await run_once(db, settings, dispatcher)
        else:
            await run_forever(db, settings, dispatcher)
        return 0
    except PyMongoError as exc:
        log.error("worker stopped: database unavailable (%s)", type(exc).__name__)
        return 1
    finally:
        if backends is not None:
            await backends.aclose()
        await client.close()


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m ops.worker", description=__doc__.split("\n")[0]
    )
    modes = parser.add_mutually_exclusive_group()
    modes.add_argument(
        "--once", action="store_true", help="one scheduler and dispatcher pass, then exit"
    )
    modes.add_argument(
        "--retry-failed", action="store_true", help="requeue failed outbox messages, then exit"
    )
    return parser.parse_args(argv)


def cli(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    mode = "once" if args.once else "retry-failed" if args.retry_failed else "forever"
    configure_logging()
    return asyncio.run(main(mode, get_settings()))


if __name__ == "__main__":
    sys.exit(cli())
