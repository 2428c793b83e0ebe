"""How the load benchmark measures: sides run in short mirrored segments (A, B, C, C, B, A,
and again), so a burst of other work on a shared machine, or a collection growing under POSTs,
hits every side alike; each segment is one load generator process, with the CPU the server
and the database spent meanwhile."""

from dataclasses import dataclass
from typing import Any

from bench.config import Config
from bench.loadgen import percentile
from bench.processes import children_cpu, cpu_seconds, run_loadgen
from bench.scenarios import Endpoint
from bench.seed import PASSWORD, BenchUser


@dataclass
class Server:
    url: str
    pid: int


@dataclass
class Side:
    """One side of a comparison: its requests, the server they go to, the database behind it."""

    name: str
    requests: list[dict[str, Any]]
    server: Server
    db_pid: int


def measure(side: Side, cfg: Config) -> dict[str, Any]:
    """One segment: the loadgen's figures plus the CPU the server and the database spent."""
    spec = {
        "duration": cfg.duration / (2 * cfg.rounds),
        "warmup": cfg.warmup,
        "raw": True,
        "groups": [{"name": "load", "connections": cfg.connections, "requests": side.requests}],
    }
    before = cpu_seconds(side.server.pid), cpu_seconds(side.db_pid), children_cpu()
    result = run_loadgen(spec, side.server.url)["load"]
    after = cpu_seconds(side.server.pid), cpu_seconds(side.db_pid), children_cpu()
    deltas = [b - a for a, b in zip(before, after, strict=True)]
    return result | {"app_cpu": deltas[0], "db_cpu": deltas[1], "loadgen_cpu": deltas[2]}


def merge(segments: list[dict[str, Any]]) -> dict[str, Any]:
    """The segments of one side's run as one result."""
    latencies = sorted(x for h in segments for x in h["latencies"])
    statuses: dict[str, int] = {}
    for h in segments:
        for code, n in h["statuses"].items():
            statuses[code] = statuses.get(code, 0) + n
    seconds = sum(h["seconds"] for h in segments)
    sent = max(sum(h["sent"] for h in segments), 1)
    return {
        "requests": len(latencies),
        "rps": round(len(latencies) / seconds, 1),
        "p50_ms": round(percentile(latencies, 0.5) * 1000, 1),
        "p99_ms": round(percentile(latencies, 0.99) * 1000, 1),
        "statuses": statuses,
        "errors": sum(sum(h["errors"].values()) for h in segments),
        "app_ms": round(sum(h["app_cpu"] for h in segments) / sent * 1000, 2),
        "db_ms": round(sum(h["db_cpu"] for h in segments) / sent * 1000, 2),
        "loadgen_ms": round(sum(h["loadgen_cpu"] for h in segments) / sent * 1000, 3),
    }


def mirrored(sides: list[Side], cfg: Config) -> dict[str, dict[str, Any]]:
    """Every side in `2 x cfg.rounds` segments, in the order A, B, ..., ..., B, A, repeated;
    each side's segments merged."""
    segments: dict[str, list[dict[str, Any]]] = {side.name: [] for side in sides}
    for _ in range(cfg.rounds):
        for side in [*sides, *reversed(sides)]:
            segments[side.name].append(measure(side, cfg))
    return {name: merge(runs) for name, runs in segments.items()}


def ratio(side: dict[str, Any], other: dict[str, Any] | None) -> float | None:
    """Throughput of `side` over `other`'s."""
    return round(side["rps"] / other["rps"], 2) if other and other["rps"] else None


def compare(endpoint: Endpoint, servers: dict[str, Server], db_pid: int, cfg: Config) -> dict:
    """Ours against the bare app (and bare+auth where the endpoint has it), one database."""
    named = [("ours", endpoint.ours), ("bare", endpoint.bare), ("bare+auth", endpoint.bare_auth)]
    sides = [
        Side(name, requests, servers["ours" if name == "ours" else "bare"], db_pid)
        for name, requests in named
        if requests
    ]
    merged = mirrored(sides, cfg)
    ours = merged["ours"]
    return {
        "endpoint": endpoint.name,
        "sides": merged,
        "ratio": ratio(ours, merged.get("bare")),
        "ratio_auth": ratio(ours, merged.get("bare+auth")),
    }


def login_storm(api: str, users: list[BenchUser], cfg: Config) -> dict[str, Any]:
    """`GET /api/auth/me` latency alone, then with `storm_logins` logins running at once."""
    probe = {
        "name": "me",
        "connections": cfg.probe_connections,
        "think": cfg.probe_think,
        "requests": [{"method": "GET", "path": "/api/auth/me", "headers": u.auth} for u in users],
    }
    logins = {
        "name": "login",
        "connections": cfg.storm_logins,
        "requests": [
            {
                "method": "POST",
                "path": "/api/auth/login",
                "body": {"email": u.email, "password": PASSWORD},
            }
            for u in users
        ],
    }
    base = {"duration": cfg.storm_duration, "warmup": cfg.warmup}
    idle = run_loadgen(base | {"groups": [probe]}, api)
    storm = run_loadgen(base | {"groups": [probe, logins]}, api)
    return {
        "idle": idle["me"],
        "storm": storm["me"],
        "logins": storm["login"],
        "ratio": round(storm["me"]["p99_ms"] / idle["me"]["p99_ms"], 2),
    }
