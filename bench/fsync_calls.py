"""What the two sides of bench/durability.py do to the disk: `strace -c` on each side's
database while one client sends POSTs, counting fsync, fdatasync and pwrite64 calls.

    python -m bench.fsync_calls [SECONDS]   # default 3 s per request and side; needs strace

A check that BEFORE and AFTER differ as they claim (one flush per acknowledged write after,
none before), and what a flush costs on this disk; not a throughput measurement (strace
slows the traced database). Small data, bcrypt cost 4; on-disk databases under var/.
"""

import shutil
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

from bench.config import QUICK
from bench.durability import start_stack
from bench.processes import ROOT, run_loadgen
from bench.scenarios import write_endpoints

SYSCALLS = ("fsync", "fdatasync", "pwrite64")


def traced(strace: str, pid: int, out: Path) -> subprocess.Popen:
    trace = ",".join(SYSCALLS)
    proc = subprocess.Popen(
        [strace, "-f", "-c", "-e", f"trace={trace}", "-o", str(out), "-p", str(pid)],
        stderr=subprocess.DEVNULL,
    )
    time.sleep(1.0)  # attached to every thread before the first request
    return proc


def counts(summary: str) -> dict[str, tuple[int, float]]:
    """{syscall: (calls, µs per call)} from `strace -c`'s table."""
    found = {}
    for line in summary.splitlines():
        cells = line.split()
        if cells and cells[-1] in SYSCALLS:
            found[cells[-1]] = (int(cells[3]), float(cells[2]))
    return found


def main() -> None:
    strace = shutil.which("strace")
    if strace is None:
        sys.exit("strace is not installed (apt-get install strace)")
    seconds = float(sys.argv[1]) if len(sys.argv) > 1 else 3.0
    cfg = replace(QUICK, users=2, expenses=50, debts=5, payments=10)
    (ROOT / "var").mkdir(exist_ok=True)
    workdir = Path(tempfile.mkdtemp(prefix="fsync-calls-", dir=ROOT / "var"))
    stacks = []
    try:
        for name in ("before", "after"):
            stacks.append(start_stack(name, workdir, cfg, BCRYPT_ROUNDS="4"))
        print("| request | side | requests (1 client) | p50 ms | " + " | ".join(SYSCALLS) + " |")
        print("|---|---|---:|---:|" + "---:|" * len(SYSCALLS))
        for index, endpoint in enumerate(write_endpoints(stacks[0].users)):
            for stack in stacks:
                out = workdir / f"strace-{stack.name}-{index}.txt"
                tracer = traced(strace, stack.db_proc.pid, out)
                group = {"name": "w", "connections": 1}
                group["requests"] = write_endpoints(stack.users)[index].ours
                spec = {"duration": seconds, "warmup": 0, "groups": [group]}
                result = run_loadgen(spec, stack.url)["w"]
                tracer.send_signal(signal.SIGINT)
                tracer.wait()
                calls = counts(out.read_text())
                cells = [
                    f"{calls[s][0]} ({calls[s][1]:g} µs each)" if s in calls else "0"
                    for s in SYSCALLS
                ]
                print(
                    f"| `{endpoint.name}` | {stack.name} | {result['requests']} "
                    f"| {result['p50_ms']} | " + " | ".join(cells) + " |"
                )
    finally:
        for stack in stacks:
            stack.stop()
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
