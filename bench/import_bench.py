"""Statement import through the API: a 10,000-row HDFC statement previewed, committed, and
imported again (every row a duplicate), against the embedded database; then, on a new server
of its own, previewed and committed in the background (`Prefer: respond-async`: timed from the
request to the GET that says `committed`, the import read every 0.1 s as a client would).

    python -m bench.import_bench            # or `make bench-imports`

The API runs in this process (the ASGI app called directly, lifespan included) against
SecantusDB in its own process (in memory; `BENCH_MONGODB_URL` to use another server), as in
bench/reports_bench.py, whose app set-up and command counter it uses. The statement is the
one bench/statements_bench.py generates (HDFC delimited CSV, 10,000 rows over 11 months,
six narration families). Targets: preview <= 5 s, commit <= 10 s (either way), re-import
<= 5 s with 0 new rows. Each step runs once on a fresh user per run (a commit can only happen once);
BENCH_RUNS runs (default 3), median and range reported, each on a new SecantusDB process.
In each run the bare stack does the same work (bench/import_bare.py: the parser and PyMongo
alone, the same server, client and indexes) on a user of its own. Peak
Python memory of a preview and of a commit is measured in a separate run under tracemalloc
(which slows Python down, so its times are not reported). Results:
bench/results/imports.md (git-ignored).
"""

import asyncio
import contextlib
import os
import statistics
import time
import tracemalloc
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
from bson import ObjectId

from bench import import_bare
from bench.report import machine
from bench.reports_bench import running_app
from bench.statements_bench import ROWS, hdfc_csv

RUNS = int(os.environ.get("BENCH_RUNS", "3"))
RESULTS = Path(__file__).resolve().parent / "results"
TARGETS = {"preview": 5.0, "commit": 10.0, "re-import": 5.0, "async commit": 10.0}
POLL_SECONDS = 0.1


async def signup(client: httpx.AsyncClient, n: int) -> dict[str, str]:
    body = {"email": f"bench-{n}-{time.time_ns()}@example.com", "password": "Bench-pass-123"}
    r = await client.post("/api/auth/signup", json=body | {"full_name": "Bench"})
    r.raise_for_status()
    return {"Authorization": f"Bearer {r.json()['access_token']}"}


async def upload(client: httpx.AsyncClient, headers: dict[str, str], data: bytes) -> Any:
    files = {"file": ("statement.csv", data, "text/csv")}
    form = {"account": "Bench savings"}  # the statement names no account of its own
    r = await client.post("/api/imports", headers=headers, files=files, data=form, timeout=600)
    assert r.status_code == 201, r.text
    return r.json()


async def commit(client: httpx.AsyncClient, headers: dict[str, str], import_id: str) -> Any:
    r = await client.post(f"/api/imports/{import_id}/commit", headers=headers, timeout=600)
    assert r.status_code == 200, r.text
    return r.json()


async def commit_async(client: httpx.AsyncClient, headers: dict[str, str], import_id: str) -> Any:
    """202 at once, then the import read until the background commit has committed it."""
    prefer = {"Prefer": "respond-async"}
    url = f"/api/imports/{import_id}"
    r = await client.post(f"{url}/commit", headers=headers | prefer, timeout=600)
    assert r.status_code == 202, r.text
    while r.json()["status"] != "committed":
        await asyncio.sleep(POLL_SECONDS)
        r = await client.get(url, headers=headers)
        assert r.status_code == 200, r.text
    return r.json()["result"]


async def timed(step: Callable[[], Awaitable[Any]]) -> tuple[float, Any]:
    started = time.perf_counter()
    result = await step()
    return time.perf_counter() - started, result


async def one_run(
    client: httpx.AsyncClient, n: int, data: bytes, rows: int = ROWS
) -> dict[str, Any]:
    headers = await signup(client, n)
    preview_s, first = await timed(lambda: upload(client, headers, data))
    assert first["counts"]["new"] == rows, first["counts"]
    commit_s, result = await timed(lambda: commit(client, headers, first["id"]))
    assert sum(result["created"].values()) == rows, result
    again_s, second = await timed(lambda: upload(client, headers, data))
    assert second["counts"]["new"] == 0 and second["counts"]["duplicate"] == rows, second
    return {"preview": preview_s, "commit": commit_s, "re-import": again_s}


async def async_run(
    client: httpx.AsyncClient, n: int, data: bytes, rows: int = ROWS
) -> dict[str, Any]:
    """The statement previewed on a user of its own, then committed in the background."""
    headers = await signup(client, n)
    preview = await upload(client, headers, data)
    async_s, result = await timed(lambda: commit_async(client, headers, preview["id"]))
    assert sum(result["created"].values()) == rows, result
    return {"async commit": async_s}


@contextlib.asynccontextmanager
async def fresh_server() -> AsyncIterator[tuple[Any, httpx.AsyncClient]]:
    """The app and a client of it, on a SecantusDB process of its own. SecantusDB slows as it
    lives (measured: the same commit on one server took 7.9 s on the first run and 10.7 s on
    the fourth, the bare stack's 7.6 s and 15.4 s), so every run starts from a new server."""
    async with running_app() as (app, _):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://bench") as client:
            yield app, client


async def paired_run(n: int, data: bytes) -> tuple[dict[str, Any], dict[str, Any]]:
    """Ours and the bare stack on one new server, on users of their own; who goes first
    alternates, so neither always meets the emptier database. Then our background commit,
    on a new server too (where the commit it compares with ran first or second)."""
    async with fresh_server() as (app, client):
        if n % 2:
            base = await bare_run(app.state.db, data)
            ours = await one_run(client, n, data)
        else:
            ours = await one_run(client, n, data)
            base = await bare_run(app.state.db, data)
    async with fresh_server() as (_, client):  # as new a server as the commit's
        return ours | await async_run(client, n, data), base


async def bare_run(db: Any, data: bytes, rows: int = ROWS) -> dict[str, Any]:
    user_id = ObjectId()
    preview_s, import_id = await timed(lambda: import_bare.preview(db, user_id, data))
    commit_s, created = await timed(lambda: import_bare.commit(db, user_id, import_id))
    assert created == rows, created
    again_s, new = await timed(lambda: import_bare.reimport(db, user_id, data))
    assert new == 0, new
    return {"preview": preview_s, "commit": commit_s, "re-import": again_s}


async def peak_memory(client: httpx.AsyncClient, data: bytes) -> dict[str, float]:
    headers = await signup(client, -1)
    peaks = {}
    tracemalloc.start()
    try:
        preview = await upload(client, headers, data)
        peaks["preview"] = tracemalloc.get_traced_memory()[1] / 2**20
        tracemalloc.reset_peak()
        await commit(client, headers, preview["id"])
        peaks["commit"] = tracemalloc.get_traced_memory()[1] / 2**20
    finally:
        tracemalloc.stop()
    return peaks


async def main() -> None:
    data = hdfc_csv()
    load = os.getloadavg()[0]
    runs, bare = [], []
    for n in range(RUNS):
        ours, base = await paired_run(n, data)
        runs.append(ours)
        bare.append(base)
    async with fresh_server() as (_, client):
        peaks = await peak_memory(client, data)
    lines = [
        f"Measured {datetime.now(UTC):%Y-%m-%d %H:%M} UTC on {machine()}; SecantusDB in memory; "
        f"a {ROWS:,}-row HDFC delimited CSV ({len(data) / 1024:.0f} KiB); {RUNS} runs, each on a "
        f"new user; load average (1 min) {load:.1f} at the start, {os.getloadavg()[0]:.1f} at "
        "the end.",
        "",
        "| step | median | fastest–slowest | target | bare stack: median | ours / bare "
        "| peak Python memory |",
        "|---|---|---|---|---|---|---|",
    ]
    for step, target in TARGETS.items():
        times = [run[step] for run in runs]
        ours = statistics.median(times)
        peak = f"{peaks[step]:.1f} MiB" if step in peaks else "—"
        vs_bare = "— | —"  # the bare stack has no background commit
        if step in bare[0]:
            base = statistics.median(run[step] for run in bare)
            vs_bare = f"{base:.2f} s | {ours / base:.2f}"
        lines.append(
            f"| {step} | {ours:.2f} s | {min(times):.2f}–{max(times):.2f} s "
            f"| ≤ {target:.0f} s | {vs_bare} | {peak} |"
        )
    text = "\n".join(lines)
    print(text)
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "imports.md").write_text(text + "\n")


if __name__ == "__main__":
    asyncio.run(main())
