"""A light closed-loop HTTP/1.1 load generator, run as its own process.

    python -m bench.loadgen spec.json        # prints one JSON object with the results

Each group opens `connections` keep-alive connections; every connection sends its group's
requests round-robin, back to back (plus `think` seconds), for `warmup` + `duration`
seconds. Only requests started after the warm-up count. Requests are pre-encoded bytes on
raw asyncio streams (no HTTP client library), so the generator costs a few percent of a
core at the rates measured here and leaves the CPU to the servers under test.

Spec (JSON):
    {"host": "127.0.0.1", "port": 8000, "duration": 10, "warmup": 2,
     "groups": [{"name": "debts", "connections": 32, "think": 0,
                 "requests": [{"method": "GET", "path": "/api/debts",
                               "headers": {"Authorization": "Bearer ..."},
                               "body": null, "fresh_key": false}]}]}

A group may name its own "host"/"port" (several servers in one run).
`"raw": true` adds every latency (seconds) to the output, for merging runs.
`body` is any JSON value (sent as application/json); `fresh_key: true` adds a new
`Idempotency-Key` (a UUID) to every request. Latency is measured from writing the request to
reading the last byte of the response; in a closed loop it includes queueing in the server.
"""

import asyncio
import json
import sys
import time
import uuid
from dataclasses import dataclass, field
from typing import Any


@dataclass
class Template:
    """One request, encoded once; only an Idempotency-Key is filled in per request."""

    head: bytes
    body: bytes
    fresh_key: bool

    @classmethod
    def from_spec(cls, spec: dict[str, Any], host: str, port: int) -> "Template":
        body = b"" if spec.get("body") is None else json.dumps(spec["body"]).encode()
        headers = {"Host": f"{host}:{port}", **spec.get("headers", {})}
        if body:
            headers |= {"Content-Type": "application/json", "Content-Length": str(len(body))}
        lines = [f"{spec['method']} {spec['path']} HTTP/1.1"]
        lines += [f"{name}: {value}" for name, value in headers.items()]
        return cls("\r\n".join(lines).encode() + b"\r\n", body, bool(spec.get("fresh_key")))

    def encode(self) -> bytes:
        key = f"Idempotency-Key: {uuid.uuid4()}\r\n".encode() if self.fresh_key else b""
        return self.head + key + b"\r\n" + self.body


@dataclass
class GroupStats:
    latencies: list[float] = field(default_factory=list)
    statuses: dict[int, int] = field(default_factory=dict)
    errors: dict[str, int] = field(default_factory=dict)
    sent: int = 0  # including the warm-up: what the server did in all (CPU per request)

    def record(self, status: int, seconds: float) -> None:
        self.latencies.append(seconds)
        self.statuses[status] = self.statuses.get(status, 0) + 1

    def error(self, exc: BaseException) -> None:
        name = type(exc).__name__
        self.errors[name] = self.errors.get(name, 0) + 1


class Connection:
    """One keep-alive connection; reconnects when the server closes it."""

    def __init__(self, host: str, port: int) -> None:
        self.host, self.port = host, port
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def request(self, payload: bytes) -> tuple[int, bytes]:
        if self.writer is None:
            self.reader, self.writer = await asyncio.open_connection(self.host, self.port)
        assert self.reader is not None
        self.writer.write(payload)
        head = await self.reader.readuntil(b"\r\n\r\n")
        status, headers = parse_head(head)
        if headers.get("transfer-encoding", "").lower() == "chunked":
            body = await read_chunked(self.reader)
        else:
            body = await self.reader.readexactly(int(headers.get("content-length", "0")))
        if headers.get("connection", "").lower() == "close":
            await self.close()
        return status, body

    async def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
            self.writer = self.reader = None


def parse_head(head: bytes) -> tuple[int, dict[str, str]]:
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split(" ", 2)[1])
    headers = {}
    for line in lines[1:]:
        if ":" in line:
            name, value = line.split(":", 1)
            headers[name.strip().lower()] = value.strip()
    return status, headers


async def read_chunked(reader: asyncio.StreamReader) -> bytes:
    parts = []
    while True:
        size = int((await reader.readuntil(b"\r\n")).split(b";")[0], 16)
        chunk = await reader.readexactly(size + 2)
        parts.append(chunk[:size])
        if size == 0:
            return b"".join(parts)


async def run_connection(
    index: int,
    group: dict[str, Any],
    templates: list[Template],
    spec: dict[str, Any],
    clock: dict[str, float],
    stats: GroupStats,
) -> None:
    conn = Connection(group.get("host", spec["host"]), group.get("port", spec["port"]))
    think = float(group.get("think", 0))
    turn = index  # connections start at different templates (e.g. different users)
    try:
        while (started := time.perf_counter()) < clock["end"]:
            template = templates[turn % len(templates)]
            turn += 1
            stats.sent += 1
            try:
                status, _ = await conn.request(template.encode())
            except (OSError, asyncio.IncompleteReadError, ValueError) as exc:
                await conn.close()
                if started >= clock["measure"]:
                    stats.error(exc)
                await asyncio.sleep(0.05)
                continue
            if started >= clock["measure"]:
                stats.record(status, time.perf_counter() - started)
            if think:
                await asyncio.sleep(think)
    finally:
        await conn.close()


def percentile(sorted_values: list[float], fraction: float) -> float:
    """Nearest-rank percentile of an ascending list."""
    if not sorted_values:
        return float("nan")
    rank = max(1, min(len(sorted_values), round(fraction * len(sorted_values) + 0.5)))
    return sorted_values[rank - 1]


def summarize(stats: GroupStats, duration: float, raw: bool = False) -> dict[str, Any]:
    values = sorted(stats.latencies)
    ok = sum(n for code, n in stats.statuses.items() if 200 <= code < 300)
    summary = {
        "requests": len(values),
        "sent": stats.sent,
        "seconds": round(duration, 3),
        "ok": ok,
        "rps": round(len(values) / duration, 1),
        "p50_ms": round(percentile(values, 0.50) * 1000, 2),
        "p90_ms": round(percentile(values, 0.90) * 1000, 2),
        "p99_ms": round(percentile(values, 0.99) * 1000, 2),
        "max_ms": round((values[-1] if values else float("nan")) * 1000, 2),
        "statuses": {str(code): n for code, n in sorted(stats.statuses.items())},
        "errors": stats.errors,
    }
    if raw:  # for merging several runs' percentiles
        summary["latencies"] = [round(v, 6) for v in values]
    return summary


async def run(spec: dict[str, Any]) -> dict[str, Any]:
    host, port = spec["host"], spec["port"]
    start = time.perf_counter()
    clock = {
        "measure": start + float(spec.get("warmup", 0)),
        "end": start + float(spec.get("warmup", 0)) + float(spec["duration"]),
    }
    tasks, results = [], {}
    for group in spec["groups"]:
        at = group.get("host", host), group.get("port", port)
        templates = [Template.from_spec(r, *at) for r in group["requests"]]
        stats = results.setdefault(group["name"], GroupStats())
        for index in range(int(group["connections"])):
            tasks.append(run_connection(index, group, templates, spec, clock, stats))
    await asyncio.gather(*tasks)
    # Requests started in the window may finish a little after it: divide by the real span.
    measured = max(time.perf_counter() - clock["measure"], 1e-9)
    raw = bool(spec.get("raw"))
    return {name: summarize(stats, measured, raw) for name, stats in results.items()}


def main(argv: list[str]) -> None:
    with open(argv[1]) as f:
        spec = json.load(f)
    print(json.dumps(asyncio.run(run(spec))))


if __name__ == "__main__":
    main(sys.argv)
