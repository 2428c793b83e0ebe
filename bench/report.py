"""The load benchmark's report: the machine, the tables, and the generated parts of
bench/RESULTS-load.md (each between its own pair of markers; the hand-written notes around
them are kept)."""

import contextlib
import importlib.metadata as meta
import os
import platform
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench.config import Config
from bench.processes import LOAD_AVERAGES, ROOT

RESULTS = ROOT / "bench" / "RESULTS-load.md"


def machine() -> str:
    cpu = platform.processor() or platform.machine()
    memory = ""
    with contextlib.suppress(OSError, ValueError, IndexError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
        kib = int(Path("/proc/meminfo").read_text().split()[1])
        memory = f", {kib / 1024 / 1024:.0f} GiB RAM"
    return (
        f"{cpu}, {os.cpu_count()} cores{memory}; {platform.system()} {platform.release()}; "
        f"Python {platform.python_version()}; SecantusDB {meta.version('secantusdb')}, "
        f"FastAPI {meta.version('fastapi')}, PyMongo {meta.version('pymongo')}, "
        f"uvicorn {meta.version('uvicorn')} (h11)"
    )


def run_line(command: str, seconds: float, load_at_start: float) -> str:
    return (
        f"Run: `{command}` on {datetime.now(UTC):%Y-%m-%d %H:%M} UTC ({seconds / 60:.1f} min "
        f"in all). 1-minute load average: {load_at_start:.1f} before, at most "
        f"{max(LOAD_AVERAGES, default=0):.1f} after a measurement (the benchmark's own "
        "processes keep it near 3; more means other work shared the cores)."
    )


def data_line(cfg: Config) -> str:
    return (
        f"{cfg.users} users, each with {cfg.expenses:,} expenses over the past year, "
        f"{cfg.debts} debts, {cfg.payments} payments, 3 budgets, 3 goals, 12 income entries"
    )


def statuses(result: dict[str, Any] | None) -> str:
    if result is None:
        return "—"
    codes = ", ".join(f"{n}×{code}" for code, n in result["statuses"].items())
    return codes + (f", {result['errors']} connection errors" if result["errors"] else "")


def _cells(result: dict[str, Any] | None) -> str:
    return f"{result['rps']} | {result['p50_ms']} / {result['p99_ms']}" if result else "— | —"


def _fmt(ratio: float | None) -> str:
    return f"**{ratio:.2f}**" if ratio is not None else "n/a"


def throughput_table(rows: list[dict[str, Any]]) -> str:
    lines = [
        "| endpoint | ours req/s | ours p50 / p99 ms | bare req/s | bare p50 / p99 ms "
        "| ours / bare | bare+auth req/s | bare+auth p50 / p99 ms | ours / (bare+auth) |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for row in rows:
        sides = row["sides"]
        lines.append(
            f"| `{row['endpoint']}` | {_cells(sides['ours'])} | {_cells(sides.get('bare'))} "
            f"| {_fmt(row['ratio'])} | {_cells(sides.get('bare+auth'))} "
            f"| {_fmt(row['ratio_auth'])} |"
        )
    return "\n".join(lines)


def cpu_table(rows: list[dict[str, Any]], base: str = "ours") -> str:
    """CPU per request: steadier than req/s on a shared machine. The cost column is the
    side's server + database CPU over `base`'s: the throughput ratio if CPU were the limit."""
    lines = [
        "| endpoint | side | server CPU ms/req | SecantusDB CPU ms/req | load generator CPU "
        f"ms/req | server + DB CPU, side / {base} | statuses |",
        "|---|---|---:|---:|---:|---:|---|",
    ]
    for row in rows:
        first = row["sides"][base]
        for name, result in row["sides"].items():
            cost = (result["app_ms"] + result["db_ms"]) / (first["app_ms"] + first["db_ms"] or 1)
            lines.append(
                f"| `{row['endpoint']}` | {name} | {result['app_ms']} | {result['db_ms']} "
                f"| {result['loadgen_ms']} | {cost:.2f} | {statuses(result)} |"
            )
    return "\n".join(lines)


def storm_table(storm: dict[str, Any], cfg: Config) -> str:
    idle, during, logins = storm["idle"], storm["storm"], storm["logins"]
    return "\n".join(
        [
            "| `GET /api/auth/me` | req/s | p50 ms | p99 ms |",
            "|---|---:|---:|---:|",
            f"| idle | {idle['rps']} | {idle['p50_ms']} | {idle['p99_ms']} |",
            f"| during {cfg.storm_logins} concurrent logins | {during['rps']} "
            f"| {during['p50_ms']} | {during['p99_ms']} |",
            "",
            f"p99 during the storm / idle p99: **{storm['ratio']:.2f}** (target ≤ 3). "
            f"Logins meanwhile: {logins['rps']} /s, p50 {logins['p50_ms']} ms, "
            f"p99 {logins['p99_ms']} ms ({statuses(logins)}); /me: {statuses(during)}.",
        ]
    )


def durability_table(rows: list[dict[str, Any]]) -> str:
    lines = [
        "| request | connections | before req/s | before p50 / p99 ms | after req/s "
        "| after p50 / p99 ms | after / before req/s | after / before p50 |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for row in rows:
        before, after = row["sides"]["before"], row["sides"]["after"]
        p50 = after["p50_ms"] / before["p50_ms"] if before["p50_ms"] else float("nan")
        lines.append(
            f"| `{row['endpoint']}` | {row['connections']} | {_cells(before)} | {_cells(after)} "
            f"| {_fmt(row['ratio'])} | {p50:.2f} |"
        )
    return "\n".join(lines)


def load_report(cfg: Config, rows: list[dict], storm: dict, stats: list[dict], run: str) -> str:
    from bench.stats_bench import stats_table

    return "\n\n".join(
        [
            run,
            f"Machine: {machine()}.",
            f"Data: {data_line(cfg)}. Load: {cfg.connections} concurrent keep-alive "
            f"connections, {cfg.duration:g} s measured per side and endpoint, in "
            f"{2 * cfg.rounds} segments run in the order ours, bare, bare+auth, bare+auth, "
            f"bare, ours{', and again' if cfg.rounds > 1 else ''} (each after {cfg.warmup:g} s "
            "of warm-up), on an in-memory SecantusDB. *bare+auth* is the bare endpoint plus "
            "the user lookup (with its session check) our `CurrentUser` makes.",
            f"### Throughput and latency at {cfg.connections} connections\n\n"
            + throughput_table(rows),
            "### CPU per request and status codes\n\n" + cpu_table(rows),
            "### `/me` during a login storm (bcrypt cost 12)\n\n" + storm_table(storm, cfg),
            "### Monthly expense stats vs the raw aggregation\n\n" + stats_table(stats),
        ]
    )


def durability_report(cfg: Config, rows: list[dict], flags: dict[str, str], run: str) -> str:
    connections = " and ".join(str(c) for c in cfg.durability_connections)
    return "\n\n".join(
        [
            run,
            f"Machine: {machine()}.",
            f"Data, in each of two on-disk SecantusDB instances: {data_line(cfg)}. Our API "
            "(one uvicorn worker each) on each: **before** = SecantusDB started with "
            f"`{flags['before']}`, the client's default write concern "
            "(`bench/default_write_concern_app.py`); **after** = as the product runs now, "
            f'`{flags["after"]}`, `w="majority", journal=True`. At {connections} '
            f"connections, {cfg.duration:g} s measured per side, in {2 * cfg.rounds} "
            "segments run in the order before, after, after, before"
            f"{', and again' if cfg.rounds > 1 else ''} (each after {cfg.warmup:g} s of "
            "warm-up).",
            "### Write cost of durable commits\n\n" + durability_table(rows),
            "### CPU per request and status codes\n\n"
            + cpu_table(
                [r | {"endpoint": f"{r['endpoint']}, {r['connections']} conn."} for r in rows],
                base="before",
            ),
        ]
    )


def write_results(text: str, block: str = "generated") -> None:
    """Replace one generated part of RESULTS-load.md (`<!-- {block}:begin -->` to
    `<!-- {block}:end -->`, appended if missing), keeping everything else."""
    begin, end = f"<!-- {block}:begin -->", f"<!-- {block}:end -->"
    current = RESULTS.read_text() if RESULTS.exists() else "# Load benchmark results\n"
    if begin not in current:
        current = f"{current.rstrip()}\n\n{begin}\n{end}\n"
    head, _, rest = current.partition(begin)
    _, _, tail = rest.partition(end)
    RESULTS.write_text(f"{head}{begin}\n{text}\n{end}{tail}")
