"""What the load benchmark runs: its sizes and durations (`Config`), and the requests measured
per endpoint on each side (ours, bare, bare+auth) for the seeded users."""

from dataclasses import dataclass
from typing import Any

from bench.seed import CATEGORIES, BenchUser


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
