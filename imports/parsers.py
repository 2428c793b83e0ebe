"""The processes that read PDF statements: a small pool of `imports.parse_worker` processes,
each importing only the parser, one started with the app (`warm`), more on demand up to one
a core. A PDF is read in a process because the Python part of reading it holds the GIL
against the event loop (bench/RESULTS-pdf.md).

The time limit is a deadline on the whole read, kept here in the parent: past it the worker
is killed (SIGKILL), whatever it is doing, even inside one page, and the read is refused
`pdf_too_slow`. Time spent in the caller's `on_page` (writing the progress) does not count.
A worker that was killed, crashed or was cancelled is not reused."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import pickle
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from imports.parse_worker import HEADER
from imports.statements import StatementError

log = logging.getLogger("cleero.imports")
ROOT = Path(__file__).resolve().parent.parent  # where `python -m imports.parse_worker` runs
OnPage = Callable[[int, int], Awaitable[None]]  # (pages read, pages in the file)


class ParserCrashed(Exception):
    """The worker died or answered a parser bug (the caller's 422 `unreadable_file`)."""


class Worker:
    """One `imports.parse_worker` process and its pipes."""

    def __init__(self, process: asyncio.subprocess.Process) -> None:
        self.process = process

    @classmethod
    async def start(cls) -> Worker:
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "imports.parse_worker",
            cwd=ROOT,
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
        )
        worker = cls(process)
        if await worker._receive() != ("ready",):
            raise ParserCrashed("the parser process did not start")
        return worker

    async def _receive(self) -> Any:
        assert self.process.stdout is not None
        try:
            (size,) = HEADER.unpack(await self.process.stdout.readexactly(HEADER.size))
            return pickle.loads(await self.process.stdout.readexactly(size))  # noqa: S301
        except asyncio.IncompleteReadError as exc:
            raise ParserCrashed("the parser process ended") from exc

    async def call(self, operation: str, kwargs: dict[str, Any], on_page: OnPage | None) -> Any:
        assert self.process.stdin is not None
        body = pickle.dumps((operation, kwargs), protocol=pickle.HIGHEST_PROTOCOL)
        self.process.stdin.write(HEADER.pack(len(body)) + body)
        await self.process.stdin.drain()
        while True:
            message = await self._receive()
            if message[0] == "page":
                if on_page is not None:
                    await on_page(message[1], message[2])
                continue
            if message[0] == "done":
                return message[1]
            if message[0] == "refused":
                raise message[1]
            raise ParserCrashed(message[1])

    async def stop(self, kill: bool = False) -> None:
        with contextlib.suppress(ProcessLookupError):
            if kill:
                self.process.kill()
            elif self.process.stdin is not None:
                self.process.stdin.close()  # the worker ends when its stdin does
        await self.process.wait()


class Parsers:
    """The pool: at most `size` reads at once, each in a worker of its own."""

    def __init__(self, max_seconds: float, size: int = 0) -> None:
        self.max_seconds = max_seconds
        self._idle: list[Worker] = []
        self._slots = asyncio.Semaphore(size or 2)
        self._warming: asyncio.Task[None] | None = None

    def warm(self) -> None:
        """Start one worker now, in the background, so the first PDF does not wait for it."""
        self._warming = asyncio.create_task(self._start_idle(), name="pdf-parser-warm")

    async def _start_idle(self) -> None:
        try:
            self._idle.append(await Worker.start())
        except (OSError, ParserCrashed):  # the first read starts one itself
            log.exception("could not start a PDF parser process")

    async def ready(self) -> None:
        """Wait for the worker `warm` started (if any) to be ready."""
        if self._warming is not None:
            await asyncio.shield(self._warming)

    async def run(self, operation: str, on_page: OnPage | None = None, **kwargs: Any) -> Any:
        """`imports.parse_worker`'s `operation` on these arguments, in a worker, within the
        deadline (`StatementError` pdf_too_slow past it)."""
        async with self._slots:
            worker = await self._worker()
            pages = [0, 0]

            async def progress(done: int, total: int) -> None:
                pages[:] = [done, total]
                if on_page is not None:
                    started = loop.time()
                    await on_page(done, total)
                    deadline.reschedule(deadline.when() + loop.time() - started)  # type: ignore[operator]

            loop = asyncio.get_running_loop()
            try:
                async with asyncio.timeout(self.max_seconds) as deadline:
                    result = await worker.call(operation, kwargs, progress)
            except StatementError:
                self._idle.append(worker)  # a refusal: the worker is fine
                raise
            except BaseException as exc:  # past the deadline, crashed, or cancelled
                await worker.stop(kill=True)
                if isinstance(exc, TimeoutError):
                    raise too_slow(self.max_seconds, *pages) from exc
                raise
            self._idle.append(worker)
            return result

    async def _worker(self) -> Worker:
        await self.ready()  # the one being started at start-up
        self._warming = None
        if self._idle:
            return self._idle.pop()
        return await Worker.start()

    async def close(self) -> None:
        if self._warming is not None:
            self._warming.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._warming
        workers, self._idle = self._idle, []
        for worker in workers:
            await worker.stop()


def too_slow(max_seconds: float, done: int, pages: int) -> StatementError:
    where = f" (stopped after page {done} of {pages})" if pages else ""
    return StatementError(
        "pdf_too_slow",
        f"Reading this PDF took over {max_seconds:g} seconds{where}; upload a shorter period.",
    )
