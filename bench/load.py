"""The load benchmark: our API against a bare FastAPI + PyMongo app on the same data.

    python -m bench.load                 # full run (~8 min), rewrites bench/RESULTS-load.md
    BENCH_QUICK=1 python -m bench.load   # smoke run (~1.5 min), prints the tables only
    BENCH_NO_WRITE=1 python -m bench.load  # full run, prints only

One run, five kinds of process: SecantusDB (in-memory), our API (uvicorn, 1 worker), the bare
app (bench/bare_app.py, uvicorn, 1 worker), and the load generator (bench/loadgen.py) started
anew for every measurement; this process only seeds and orchestrates. Our API runs as
`APP_ENV=development` with local backends and `RUN_WORKER=false`, as in docker-compose: the
outbox dispatcher is a separate worker there, so messages queued by POSTs wait in the outbox
and neither side spends CPU sending them. bcrypt keeps the production cost of 12. The login
and signup rate limits are raised, since the login storm is one client address logging in
hundreds of times.

Per endpoint the sides run mirrored, half the time each: ours, bare, bare+auth, bare+auth,
bare, ours. A drift (other load on the machine, a collection growing under POSTs) then
affects every side alike. GETs run before POSTs, so they read exactly the seeded data.
"""

import contextlib
import json
import os
import platform
import resource
import secrets
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import jwt
from bson import ObjectId
from pymongo import MongoClient
from pymongo.database import Database

import embedded_db
from bench.loadgen import percentile
from database import CODEC_OPTIONS
from ledger import entry_document
from schemas import ExpenseCreate

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "RESULTS-load.md"
PASSWORD = "BenchPass123!"
CATEGORIES = ("food", "groceries", "transport", "fuel", "utilities", "shopping", "health", "travel")
BUDGETED = ("food", "groceries", "transport")


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
    rounds: int = 2  # see `compare`
    warmup: float = 1.0  # before each segment
    storm_logins: int = 20
    probe_connections: int = 4  # /me: 4 connections, each pausing 20 ms between requests
    probe_think: float = 0.02
    storm_duration: float = 15.0
    stats_sizes: tuple[int, ...] = (1_000, 10_000, 100_000)
    stats_reps: int = 3
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
class BenchUser:
    id: str
    email: str
    token: str
    debt_ids: list[str] = field(default_factory=list)

    @property
    def auth(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}

    @property
    def sid(self) -> str:
        """The token's session id, for the bare side's copy of the auth lookups."""
        return jwt.decode(self.token, options={"verify_signature": False})["sid"]


# ---------------------------------------------------------------- processes


def start_database() -> tuple[subprocess.Popen, str]:
    port = embedded_db.free_port()
    log = Path(tempfile.gettempdir()) / f"secantus-bench-{port}.log"
    return embedded_db.start(":memory:", port, log_path=log), embedded_db.url(port)


def api_env(mongo_url: str, db_name: str, workdir: Path, **overrides: str) -> dict[str, str]:
    """Our API as deployed (development backends, the worker elsewhere), limits raised."""
    return {
        "APP_ENV": "development",
        "SECRET_KEY": secrets.token_urlsafe(40),
        "MONGODB_URL": mongo_url,
        "MONGODB_DB": db_name,
        "MAIL_DIR": str(workdir / "mail"),
        "UPLOAD_DIR": str(workdir / "uploads"),
        "RUN_WORKER": "false",
        "LOGIN_LIMIT": "1000000",
        "SIGNUP_LIMIT": "1000000",
        **overrides,
    }


def start_server(
    target: str, env: dict[str, str], log: Path, ready_path: str
) -> tuple[subprocess.Popen, str]:
    """`uvicorn <target>` with one worker on a free port; returns once `ready_path` answers."""
    port = embedded_db.free_port()
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "uvicorn",
            target,
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--no-access-log",  # our app writes its own JSON access log (kept: it is real cost)
            "--log-level",
            "warning",
        ],
        cwd=ROOT,
        env=os.environ | env,
        stdout=log.open("ab"),
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            break
        try:
            if httpx.get(url + ready_path, timeout=2).status_code < 500:
                return proc, url
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    stop_server(proc)
    raise RuntimeError(f"{target} did not start: {log.read_text()[-2000:]}")


# Servers stop like the embedded database: SIGTERM, then SIGKILL if it lingers.
stop_server = embedded_db.stop


LOAD_AVERAGES: list[float] = []  # after every measurement: was the machine shared?


def run_loadgen(spec: dict[str, Any], url: str) -> dict[str, Any]:
    """One measurement in its own process (`python -m bench.loadgen spec.json`)."""
    host, port = url.removeprefix("http://").split(":")
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as f:
        json.dump({"host": host, "port": int(port), **spec}, f)
    try:
        out = subprocess.run(
            [sys.executable, "-m", "bench.loadgen", f.name],
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=True,
            timeout=float(spec["duration"]) + float(spec.get("warmup", 0)) + 120,
        )
    finally:
        os.unlink(f.name)
    LOAD_AVERAGES.append(os.getloadavg()[0])
    return json.loads(out.stdout)


# ---------------------------------------------------------------- seeding


def signup(http: httpx.Client, api: str, label: str) -> BenchUser:
    email = f"{label}-{uuid.uuid4().hex[:8]}@bench.example.com"
    body = {"email": email, "password": PASSWORD, "full_name": "Bench User"}
    response = http.post(f"{api}/api/auth/signup", json=body)
    response.raise_for_status()
    tokens = response.json()
    return BenchUser(tokens["user"]["id"], email, tokens["access_token"])


def expense_docs(user_id: ObjectId, count: int, start: datetime, end: datetime) -> list[dict]:
    """`count` expenses spread evenly over [start, end), stored as the route stores them
    (`ledger.entry_document`)."""
    step = (end - start) / max(count, 1)
    docs = []
    for i in range(count):
        body = ExpenseCreate(
            title=f"Expense {i}",
            category=CATEGORIES[i % len(CATEGORIES)],
            amount=Decimal(f"{(i * 37) % 4000 + 10}.50"),
            tags=["bench"] if i % 5 == 0 else [],
        )
        at = (start + step * i).replace(microsecond=0)
        docs.append(entry_document(body, user_id, at, at))
    return docs


def insert_many(db: Database, name: str, docs: list[dict], batch: int = 2000) -> None:
    for i in range(0, len(docs), batch):
        db[name].insert_many(docs[i : i + batch], ordered=False)


def payment_docs(user_id: ObjectId, debts: list[dict], count: int) -> list[dict]:
    """Prepayments spread over the debts and the past year, shaped as `record_payment`
    stores them (the debts' sums are moved to match in `seed_user`)."""
    now = datetime.now(UTC).replace(microsecond=0)
    docs = []
    for i in range(count):
        debt = debts[i % len(debts)]
        at = now - timedelta(days=365) + timedelta(days=365) * i / max(count, 1)
        amount = Decimal("1000.00")
        docs.append(
            {
                "user_id": user_id,
                "debt_id": debt["_id"],
                "debt_name": debt["name"],
                "amount": amount,
                "payment_date": at,
                "payment_type": "prepayment",
                "payment_method": "upi",
                "notes": None,
                "interest_component": Decimal("0.00"),
                "principal_component": amount,
                "remaining_after": Decimal("0.00"),  # not read by any measured query
                "transaction_id": str(uuid.uuid4()),
                "created_at": at,
            }
        )
    return docs


def seed_user(http: httpx.Client, api: str, db: Database, user: BenchUser, cfg: Config) -> None:
    """Debts, budgets, goals and income through the API (exact shapes); the bulk (expenses
    and payments) straight into the database in the routes' shapes."""
    for i in range(cfg.debts):
        debt = {
            "name": f"Loan {i}",
            "debt_type": "home_loan" if i % 2 else "personal_loan",
            "principal": 1_000_000_000,  # large: the POST /payments run never pays one off
            "interest_rate": 8.5,
            "tenure_months": 240,
            "start_date": "2024-01-15",
        }
        response = http.post(f"{api}/api/debts", json=debt, headers=user.auth)
        response.raise_for_status()
        user.debt_ids.append(response.json()["id"])
    for category in BUDGETED:  # limits no run reaches: an expense checks, but never alerts
        body = {"category": category, "amount": 1_000_000_000, "alert_threshold": 80}
        http.post(f"{api}/api/budgets", json=body, headers=user.auth).raise_for_status()
    for i in range(3):
        goal = {"title": f"Goal {i}", "target_amount": 500_000, "target_date": "2030-12-31"}
        http.post(f"{api}/api/goals", json=goal, headers=user.auth).raise_for_status()
    for months_ago in range(12):
        day = (datetime.now(UTC) - timedelta(days=30 * months_ago)).date().isoformat()
        income = {"source": "Salary", "amount": 150_000, "income_type": "salary", "date": day}
        http.post(f"{api}/api/income", json=income, headers=user.auth).raise_for_status()

    user_id = ObjectId(user.id)
    now = datetime.now(UTC)
    insert_many(db, "expenses", expense_docs(user_id, cfg.expenses, now - timedelta(days=365), now))
    debts = list(db.debts.find({"user_id": user_id}))
    payments = payment_docs(user_id, debts, cfg.payments)
    insert_many(db, "payments", payments)
    for debt in debts:
        paid = [p["amount"] for p in payments if p["debt_id"] == debt["_id"]]
        total = sum(paid, Decimal("0.00"))
        db.debts.update_one(
            {"_id": debt["_id"]},
            {
                "$inc": {
                    "remaining_amount": -total,
                    "total_paid": total,
                    "payments_count": len(paid),
                }
            },
        )


def seed(api: str, db: Database, cfg: Config) -> list[BenchUser]:
    users = []
    with httpx.Client(timeout=60) as http:
        for i in range(cfg.users):
            user = signup(http, api, f"load{i}")
            seed_user(http, api, db, user, cfg)
            users.append(user)
    return users


# ---------------------------------------------------------------- scenarios


@dataclass
class Endpoint:
    name: str
    ours: list[dict[str, Any]]
    bare: list[dict[str, Any]] | None  # None: no bare counterpart (yet)
    bare_auth: list[dict[str, Any]] | None = None  # bare + CurrentUser's user lookup (GETs)


@dataclass
class Server:
    url: str
    pid: int


def has_route(api: str, path: str) -> bool:
    return path in httpx.get(f"{api}/openapi.json", timeout=10).json()["paths"]


def bare_has_route(path: str) -> bool:
    from bench import bare_app

    return any(getattr(route, "path", "") == path for route in bare_app.app.routes)


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


def endpoints(api: str, users: list[BenchUser]) -> list[Endpoint]:
    """The measured requests; every connection cycles through all users' requests.

    GETs first: the POSTs add expenses and payments, which the GETs would then read."""
    result = [
        _get("/api/debts", "/bare/debts", users),
        _get("/api/expenses?limit=20", "/bare/expenses", users),
    ]
    if has_route(api, "/api/dashboard"):  # the dashboard route landed after this harness
        dashboard = _get("/api/dashboard", "/bare/dashboard", users)
        if not bare_has_route("/bare/dashboard"):
            dashboard.bare = dashboard.bare_auth = None
        result.append(dashboard)
    # Every category in turn, three of them budgeted (the route then sums the category's month
    # to check the budget): the month each check reads grows 8x slower during the run.
    expenses = [
        (u, {"title": "Bench lunch", "category": c, "amount": 250.5})
        for c in CATEGORIES
        for u in users
    ]
    result.append(_post("/api/expenses", "/bare/expenses", expenses, False))
    # Every debt of every user in turn: 32 concurrent payments rarely meet on one debt.
    payment = {"amount": 100, "payment_type": "prepayment", "payment_method": "upi"}
    debts = [
        (u, d)
        for i in range(max(len(u.debt_ids) for u in users))
        for u in users
        for d in u.debt_ids[i : i + 1]
    ]
    bodies = [(u, payment | {"debt_id": d}) for u, d in debts]
    result.append(_post("/api/payments", "/bare/payments", bodies, True))
    return result


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process so far (Linux; 0 elsewhere)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def measure(requests: list[dict], server: Server, db_pid: int, cfg: Config) -> dict[str, Any]:
    """One half-run: the loadgen's figures plus the CPU the server and the database spent."""
    spec = {
        "duration": cfg.duration / (2 * cfg.rounds),
        "warmup": cfg.warmup,
        "raw": True,
        "groups": [{"name": "load", "connections": cfg.connections, "requests": requests}],
    }
    before = cpu_seconds(server.pid), cpu_seconds(db_pid), _children_cpu()
    result = run_loadgen(spec, server.url)["load"]
    after = cpu_seconds(server.pid), cpu_seconds(db_pid), _children_cpu()
    deltas = [b - a for a, b in zip(before, after, strict=True)]
    return result | {"app_cpu": deltas[0], "db_cpu": deltas[1], "loadgen_cpu": deltas[2]}


def _children_cpu() -> float:
    """CPU of finished child processes: the load generator's, once it has exited."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


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


def _ratio(ours: dict[str, Any], other: dict[str, Any] | None) -> float | None:
    return round(ours["rps"] / other["rps"], 2) if other and other["rps"] else None


def compare(endpoint: Endpoint, servers: dict[str, Server], db_pid: int, cfg: Config) -> dict:
    """Every side in short segments, mirrored and repeated (ours, bare, bare+auth, bare+auth,
    bare, ours, ours, ...): bursts of other work on a shared machine hit all sides alike."""
    sides = [("ours", endpoint.ours), ("bare", endpoint.bare), ("bare+auth", endpoint.bare_auth)]
    sides = [(name, requests) for name, requests in sides if requests]
    segments: dict[str, list[dict[str, Any]]] = {name: [] for name, _ in sides}
    for _ in range(cfg.rounds):
        for name, requests in [*sides, *reversed(sides)]:
            server = servers["ours" if name == "ours" else "bare"]
            segments[name].append(measure(requests, server, db_pid, cfg))
    merged = {name: merge(runs) for name, runs in segments.items()}
    ours = merged["ours"]
    return {
        "endpoint": endpoint.name,
        "sides": merged,
        "ratio": _ratio(ours, merged.get("bare")),
        "ratio_auth": _ratio(ours, merged.get("bare+auth")),
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


# ---------------------------------------------------------------- report


def machine() -> str:
    import importlib.metadata as meta

    cpu = "unknown CPU"
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


def cpu_table(rows: list[dict[str, Any]]) -> str:
    """CPU per request: steadier than req/s on a shared machine. The last column is the
    side's server + database CPU over ours: the throughput ratio if CPU were the limit."""
    lines = [
        "| endpoint | side | server CPU ms/req | SecantusDB CPU ms/req | load generator CPU "
        "ms/req | server + DB CPU, side / ours | statuses |",
        "|---|---|---:|---:|---:|---:|---|",
    ]
    for row in rows:
        ours = row["sides"]["ours"]
        for name, result in row["sides"].items():
            cost = (result["app_ms"] + result["db_ms"]) / (ours["app_ms"] + ours["db_ms"] or 1)
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


def report(
    cfg: Config,
    rows: list[dict],
    storm: dict,
    stats: list[dict],
    seconds: float,
    load_at_start: tuple[float, ...],
) -> str:
    from bench.stats_bench import stats_table

    data = (
        f"{cfg.users} users, each with {cfg.expenses:,} expenses over the past year, "
        f"{cfg.debts} debts, {cfg.payments} payments, 3 budgets, 3 goals, 12 income entries"
    )
    return "\n\n".join(
        [
            f"Run: `make bench-load` on {datetime.now(UTC):%Y-%m-%d %H:%M} UTC "
            f"({seconds / 60:.1f} min in all). 1-minute load average: {load_at_start[0]:.1f} "
            f"before, at most {max(LOAD_AVERAGES, default=0):.1f} after a measurement (the "
            "benchmark's own processes keep it near 3; more means other work shared "
            "the cores).",
            f"Machine: {machine()}.",
            f"Data: {data}. Load: {cfg.connections} concurrent keep-alive connections, "
            f"{cfg.duration:g} s measured per side and endpoint, in {2 * cfg.rounds} segments "
            "run in the order ours, bare, bare+auth, bare+auth, bare, ours"
            f"{', and again' if cfg.rounds > 1 else ''} (each after {cfg.warmup:g} s of "
            "warm-up). *bare+auth* is the bare endpoint plus the user lookup (with its "
            "session check) our `CurrentUser` makes.",
            "### Throughput and latency at 32 connections\n\n" + throughput_table(rows),
            "### CPU per request and status codes\n\n" + cpu_table(rows),
            "### `/me` during a login storm (bcrypt cost 12)\n\n" + storm_table(storm, cfg),
            "### Monthly expense stats vs the raw aggregation\n\n" + stats_table(stats),
        ]
    )


def write_results(text: str) -> None:
    """Replace the generated part of RESULTS-load.md, keeping the hand-written notes."""
    begin, end = "<!-- generated:begin -->", "<!-- generated:end -->"
    current = RESULTS.read_text() if RESULTS.exists() else f"# Load benchmark\n\n{begin}\n{end}\n"
    head, _, rest = current.partition(begin)
    _, _, tail = rest.partition(end)
    RESULTS.write_text(f"{head}{begin}\n{text}\n{end}{tail}")


def main() -> None:
    from bench import stats_bench

    cfg = QUICK if os.environ.get("BENCH_QUICK") else Config()
    if os.environ.get("BENCH_NO_WRITE"):
        cfg = replace(cfg, write_results=False)
    started, load_at_start = time.monotonic(), os.getloadavg()
    workdir = Path(tempfile.mkdtemp(prefix="cleero-bench-"))
    db_proc, mongo_url = start_database()
    procs: list[subprocess.Popen] = []
    try:
        env = api_env(mongo_url, "bench", workdir)
        api_proc, api = start_server("main:app", env, workdir / "api.log", "/health/ready")
        procs.append(api_proc)
        bare_env = {"MONGODB_URL": mongo_url, "MONGODB_DB": "bench"}
        bare_proc, bare = start_server("bench.bare_app:app", bare_env, workdir / "bare.log", "/")
        procs.append(bare_proc)
        servers = {"ours": Server(api, api_proc.pid), "bare": Server(bare, bare_proc.pid)}
        client: MongoClient = MongoClient(mongo_url)
        db = client.get_database("bench", codec_options=CODEC_OPTIONS)
        print(f"seeding {cfg.users} users ...", flush=True)
        users = seed(api, db, cfg)
        rows = []
        for endpoint in endpoints(api, users):
            print(f"measuring {endpoint.name} ...", flush=True)
            rows.append(compare(endpoint, servers, db_proc.pid, cfg))
        print(throughput_table(rows), "", cpu_table(rows), sep="\n", flush=True)
        print("measuring /me during a login storm ...", flush=True)
        storm = login_storm(api, users, cfg)
        print(storm_table(storm, cfg), flush=True)
        print("measuring monthly stats ...", flush=True)
        stats = stats_bench.run(api, db, cfg.stats_sizes, cfg.stats_reps)
        print(stats_bench.stats_table(stats), flush=True)
        text = report(cfg, rows, storm, stats, time.monotonic() - started, load_at_start)
        if cfg.write_results:
            write_results(text)
            print(f"wrote {RESULTS.relative_to(ROOT)}")
        client.close()
    finally:
        for proc in reversed(procs):
            stop_server(proc)
        embedded_db.stop(db_proc)


if __name__ == "__main__":
    main()
