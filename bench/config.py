"""How big the load benchmark is: users, their data, connections, durations; QUICK for a
smoke run (BENCH_QUICK=1)."""

from dataclasses import dataclass


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
