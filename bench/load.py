"""The load benchmark: our API against a bare FastAPI + PyMongo app on the same data, and the
write cost of durable commits.

    python -m bench.load                 # full run (~15-22 min), rewrites bench/RESULTS-load.md
    BENCH_QUICK=1 python -m bench.load   # smoke run (~2 min), prints the tables only
    BENCH_NO_WRITE=1 python -m bench.load  # full run, prints only

Ours vs bare: one run, five kinds of process: SecantusDB (in memory), our API (uvicorn, 1
worker), the bare app (bench/bare_app.py, uvicorn, 1 worker), and the load generator
(bench/loadgen.py) started anew for every measurement; this process only seeds and
orchestrates. Our API runs as `APP_ENV=development` with local backends and
`RUN_WORKER=false`, as in docker-compose: the outbox dispatcher is a separate worker there, so
messages queued by POSTs wait in the outbox and neither side spends CPU sending them. bcrypt
keeps the production cost of 12. The login and signup rate limits are raised, since the login
storm is one client address logging in hundreds of times.

Per endpoint the sides run mirrored, half the time each: ours, bare, bare+auth, bare+auth,
bare, ours (bench/measure.py). GETs run before POSTs, so they read exactly the seeded data.
Then `/me` during a login storm, the monthly stats against the raw aggregation
(bench/stats_bench.py), and last the durable-commit comparison (bench/durability.py), which
starts its own on-disk databases and APIs.

Modules: scenarios (what runs), seed (the data), processes (start-up, load generator, CPU),
measure (mirrored segments), report (tables and RESULTS-load.md), durability, stats_bench.
"""

import os
import subprocess
import tempfile
import time
from dataclasses import replace
from pathlib import Path

from pymongo import MongoClient

from bench import durability, stats_bench
from bench.config import QUICK, Config
from bench.measure import Server, compare, login_storm
from bench.processes import api_env, start_database, start_server, stop_server
from bench.report import (
    RESULTS,
    cpu_table,
    durability_report,
    durability_table,
    load_report,
    run_line,
    storm_table,
    throughput_table,
    write_results,
)
from bench.scenarios import endpoints
from bench.seed import seed_load
from database import CODEC_OPTIONS
from ops.embedded_db import stop as stop_database

# tests/process/test_scale_out.py and test_durability.py start their API processes with these.
__all__ = ["main", "start_server", "stop_server"]


def ours_vs_bare(cfg: Config, workdir: Path) -> str:
    """The in-memory part of the run: ours vs bare, the login storm, the stats; its report."""
    started, load_at_start = time.monotonic(), os.getloadavg()[0]
    db_proc, mongo_url = start_database()
    procs: list[subprocess.Popen] = []
    client: MongoClient = MongoClient(mongo_url)
    try:
        env = api_env(mongo_url, "bench", workdir)
        api_proc, api = start_server("main:app", env, workdir / "api.log", "/health/ready")
        procs.append(api_proc)
        bare_env = {"MONGODB_URL": mongo_url, "MONGODB_DB": "bench"}
        bare_proc, bare = start_server("bench.bare_app:app", bare_env, workdir / "bare.log", "/")
        procs.append(bare_proc)
        servers = {"ours": Server(api, api_proc.pid), "bare": Server(bare, bare_proc.pid)}
        db = client.get_database("bench", codec_options=CODEC_OPTIONS)
        print(f"seeding {cfg.users} users ...", flush=True)
        users = seed_load(api, db, cfg)
        rows = []
        for endpoint in endpoints(users):
            print(f"measuring {endpoint.name} ...", flush=True)
            rows.append(compare(endpoint, servers, db_proc.pid, cfg))
        print(throughput_table(rows), "", cpu_table(rows), sep="\n", flush=True)
        print("measuring /me during a login storm ...", flush=True)
        storm = login_storm(api, users, cfg)
        print(storm_table(storm, cfg), flush=True)
        print("measuring monthly stats ...", flush=True)
        stats = stats_bench.run(api, db, cfg.stats_sizes, cfg.stats_reps)
        print(stats_bench.stats_table(stats), flush=True)
    finally:
        client.close()
        for proc in reversed(procs):
            stop_server(proc)
        stop_database(db_proc)
    line = run_line("make bench-load", time.monotonic() - started, load_at_start)
    return load_report(cfg, rows, storm, stats, line)


def main() -> None:
    cfg = QUICK if os.environ.get("BENCH_QUICK") else Config()
    if os.environ.get("BENCH_NO_WRITE"):
        cfg = replace(cfg, write_results=False)
    workdir = Path(tempfile.mkdtemp(prefix="cleero-bench-"))
    text = ours_vs_bare(cfg, workdir)
    started, load_at_start = time.monotonic(), os.getloadavg()[0]
    rows, flags = durability.run(cfg)
    print(durability_table(rows), flush=True)
    if cfg.write_results:
        line = run_line("make bench-load", time.monotonic() - started, load_at_start)
        write_results(text)
        write_results(durability_report(cfg, rows, flags, line), "durability")
        print(f"wrote {RESULTS.name}")


if __name__ == "__main__":
    main()
