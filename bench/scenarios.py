"""What the load benchmark runs: its sizes and durations (`Config`), and the requests measured
per endpoint on each side (ours, bare, bare+auth) for the seeded users."""

from dataclasses import dataclass
from typing import Any

from bench.seed import CATEGORIES, BenchUser


@dataclass
class Config:
    users: int = 8
    # Per user. SecantusDB reads every index entry of the user's range for a list's count and
    # sorted page, so its cost grows with this: at 2,000 a list runs at ~5 req/s on both
    # sides and measures only the database (bench/RESULTS-load.md).
    expenses: int = 200
    debts: int = 10
    payments: int = 50
    connections: int = 32
    duration: float = 16.0  # measured per endpoint and side, in 2 x rounds segments
    rounds: int = 2  # see `measure.mirrored`
    warmup: float = 1.0  # before each segment
    storm_logins: int = 20
    probe_connections: int = 4  # /me: 4 connections, each pausing 20 ms between requests
    probe_think: float = 0.02
    storm_duration: float = 15.0
    stats_sizes: tuple[int, ...] = (1_000, 10_000, 100_000)
    stats_reps: int = 3
    # The durability section's concurrency levels: one client (each request's own latency,
    # nothing queued behind it) and the load's 32 connections (throughput).
    durability_connections: tuple[int, ...] = (1, 32)
    write_results: bool = True


QUICK = Config(  # per user as in the full run (the dashboard's feed then never widens)
    users=4,
    expenses=200,
    debts=5,
    payments=50,
    duration=2.0,
    rounds=1,
    warmup=0.5,
    storm_duration=3.0,
    stats_sizes=(1_000, 10_000),
    stats_reps=1,
    write_results=False,
)


@dataclass
class Endpoint:
    name: str
    ours: list[dict[str, Any]]
    bare: list[dict[str, Any]] | None  # None: no bare counterpart
    bare_auth: list[dict[str, Any]] | None = None  # bare + CurrentUser's user lookup (GETs)


def _get(path: str, bare_path: str, users: list[BenchUser]) -> Endpoint:
    """A GET on both sides; the bare side also with the session + user lookups (`sid`)."""
    sep = "&" if "?" in bare_path else "?"
    return Endpoint(
        f"GET {path}",
        [{"method": "GET", "path": path, "headers": u.auth} for u in users],
        [{"method": "GET", "path": f"{bare_path}{sep}user={u.id}"} for u in users],
        [{"method": "GET", "path": f"{bare_path}{sep}user={u.id}&sid={u.sid}"} for u in users],
    )


def _post(name: str, bare_path: str, bodies: list[tuple[BenchUser, dict]], key: bool) -> Endpoint:
    return Endpoint(
        f"POST {name}",
        [
            {"method": "POST", "path": name, "headers": u.auth, "body": b, "fresh_key": key}
            for u, b in bodies
        ],
        [
            {"method": "POST", "path": f"{bare_path}?user={u.id}", "body": b, "fresh_key": key}
            for u, b in bodies
        ],
    )


def read_endpoints(users: list[BenchUser]) -> list[Endpoint]:
    return [
        _get("/api/debts", "/bare/debts", users),
        _get("/api/expenses?limit=20", "/bare/expenses", users),
        _get("/api/dashboard", "/bare/dashboard", users),
    ]


def write_endpoints(users: list[BenchUser]) -> list[Endpoint]:
    # Every category in turn, three of them budgeted (the route then sums the category's month
    # to check the budget): the month each check reads grows 8x slower during the run.
    expenses = [
        (u, {"title": "Bench lunch", "category": c, "amount": 250.5})
        for c in CATEGORIES
        for u in users
    ]
    # Every debt of every user in turn: 32 concurrent payments rarely meet on one debt.
    payment = {"amount": 100, "payment_type": "prepayment", "payment_method": "upi"}
    debts = [
        (u, d)
        for i in range(max(len(u.debt_ids) for u in users))
        for u in users
        for d in u.debt_ids[i : i + 1]
    ]
    bodies = [(u, payment | {"debt_id": d}) for u, d in debts]
    return [
        _post("/api/expenses", "/bare/expenses", expenses, False),
        _post("/api/payments", "/bare/payments", bodies, True),
    ]


def endpoints(users: list[BenchUser]) -> list[Endpoint]:
    """The measured requests; every connection cycles through all users' requests.

    GETs first: the POSTs add expenses and payments, which the GETs would then read."""
    return read_endpoints(users) + write_endpoints(users)
