"""The write cost of durable commits under load: `POST /api/expenses` and `POST /api/payments`
on our API BEFORE (SecantusDB without `--sync-on-commit`, the client's default write concern)
and AFTER (as the product runs now: `--sync-on-commit`, `w="majority"`, `j=true`).

    python -m bench.durability                 # ~3.5 min, rewrites its part of RESULTS-load.md
    BENCH_QUICK=1 python -m bench.durability   # smoke run, prints only
    BENCH_NO_WRITE=1 python -m bench.durability  # full run, prints only

(`make bench-durability`; `make bench-load` runs it too, last.) One run, one machine: two
on-disk SecantusDB instances in a temporary directory under var/, each with our API (one uvicorn
worker) in front, seeded alike (`seed.seed_load`), measured in mirrored segments (before,
after, after, before, and again), so other work on the machine hits both alike. Each request
is measured at one connection (its own latency, the fsync included) and at the load
benchmark's 32 (throughput, fsyncs queueing).
"""

import os
import shutil
import subprocess
import tempfile
import time
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from pymongo import MongoClient

from bench.config import QUICK, Config
from bench.measure import Server, Side, mirrored, ratio
from bench.processes import (
    LOAD_AVERAGES,
    ROOT,
    api_env,
    command_line,
    start_database,
    start_server,
    stop_server,
)
from bench.report import durability_report, durability_table, run_line, write_results
from bench.scenarios import write_endpoints
from bench.seed import BenchUser, seed_load
from database import CODEC_OPTIONS

# The API each side runs: the product's app, or the same app with the client's default
# write concern.
TARGETS = {"before": "bench.default_write_concern_app:app", "after": "main:app"}


@dataclass
class Stack:
    """One side: an on-disk SecantusDB, our API on it, and the users seeded there."""

    name: str
    db_proc: subprocess.Popen
    api_proc: subprocess.Popen
    url: str
    users: list[BenchUser]

    def side(self, requests: list[dict[str, Any]]) -> Side:
        return Side(self.name, requests, Server(self.url, self.api_proc.pid), self.db_proc.pid)

    def database_flags(self) -> str:
        """The flags the database process runs with (read back from it; values left out)."""
        return " ".join(a for a in command_line(self.db_proc.pid) if a.startswith("--"))

    def stop(self) -> None:
        stop_server(self.api_proc)
        stop_server(self.db_proc)


def start_stack(name: str, workdir: Path, cfg: Config, **env: str) -> Stack:
    db_proc, mongo_url = start_database(workdir / f"db-{name}", sync_on_commit=name == "after")
    try:
        api_proc, url = start_server(
            TARGETS[name],
            api_env(mongo_url, "bench", workdir / name, **env),
            workdir / f"api-{name}.log",
            "/health/ready",
        )
    except RuntimeError:
        stop_server(db_proc)
        raise
    stack = Stack(name, db_proc, api_proc, url, [])
    client: MongoClient = MongoClient(mongo_url)
    try:
        stack.users = seed_load(url, client.get_database("bench", codec_options=CODEC_OPTIONS), cfg)
    except BaseException:
        stack.stop()
        raise
    finally:
        client.close()
    return stack


def compare_writes(stacks: list[Stack], cfg: Config) -> list[dict[str, Any]]:
    """Each POST at each concurrency level, before and after in mirrored segments."""
    rows = []
    for index, endpoint in enumerate(write_endpoints(stacks[0].users)):
        for connections in cfg.durability_connections:
            sides = [s.side(write_endpoints(s.users)[index].ours) for s in stacks]
            merged = mirrored(sides, replace(cfg, connections=connections))
            rows.append(
                {
                    "endpoint": endpoint.name,
                    "connections": connections,
                    "sides": merged,
                    "ratio": ratio(merged["after"], merged["before"]),
                }
            )
    return rows


def run(cfg: Config, **env: str) -> tuple[list[dict[str, Any]], dict[str, str]]:
    """(the rows, each side's database flags). `env`: extra settings for both APIs."""
    # Under var/, on the disk `make run`'s var/db uses (in a tmpfs /tmp, fsync would be free).
    (ROOT / "var").mkdir(exist_ok=True)
    workdir = Path(tempfile.mkdtemp(prefix="durability-bench-", dir=ROOT / "var"))
    stacks: list[Stack] = []
    LOAD_AVERAGES.clear()  # this part's own, for its report's load line
    try:
        for name in ("before", "after"):
            print(f"seeding the {name} database ...", flush=True)
            stacks.append(start_stack(name, workdir, cfg, **env))
        flags = {s.name: s.database_flags() for s in stacks}
        print("measuring POSTs before and after durable commits ...", flush=True)
        return compare_writes(stacks, cfg), flags
    finally:
        for stack in stacks:
            stack.stop()
        shutil.rmtree(workdir, ignore_errors=True)


def main() -> None:
    cfg = QUICK if os.environ.get("BENCH_QUICK") else Config()
    if os.environ.get("BENCH_NO_WRITE"):
        cfg = replace(cfg, write_results=False)
    started, load_at_start = time.monotonic(), os.getloadavg()[0]
    rows, flags = run(cfg)
    print(durability_table(rows), flush=True)
    if cfg.write_results:
        command = "make bench-durability"
        line = run_line(command, time.monotonic() - started, load_at_start)
        write_results(durability_report(cfg, rows, flags, line), "durability")
        print("wrote bench/RESULTS-load.md")


if __name__ == "__main__":
    main()
