"""Statement parsing speed and memory: a 10,000-row HDFC delimited CSV and a 10,000-row
XLSX in the HDFC XLS layout, both generated here (nothing is read from disk).

    python -m bench.statements_bench

Each file is parsed RUNS times after one warm-up; the table shows the median and the
fastest and slowest run. Peak memory is measured in a separate run under tracemalloc,
which sees Python allocations only (python-calamine's own Rust buffers for the XLSX are not
traced; they hold the decompressed sheet while it is read). The same rows then go through
``parse_narration`` and ``fingerprints``, which the import API runs on every row.
"""

from __future__ import annotations

import datetime as dt
import io
import platform
import statistics
import sys
import time
import tracemalloc
from decimal import Decimal

import openpyxl

from imports.statements import fingerprints, parse_narration, parse_statement

ROWS = 10_000
RUNS = 5

_NARRATIONS = (
    "UPI-SWIGGY-SWIGGY.ORDER@ICICI-ICIC0DC0099-{rrn}-ORDER",
    "UPI-RAHUL SHARMA-RAHUL.S@OKSBI-SBIN0001234-{rrn}-RENT SHARE",
    "POS 512967XXXXXX1234 DMART HSR LAYOUT",
    "NEFT CR-HDFC0000240-ACME TECHNOLOGIES PVT LTD-RAVI KUMAR-HDFCN5{rrn}",
    "ACH D- BAJAJ FINANCE LTD-P402PHR{rrn}",
    "ATW-512967XXXXXX1234-S1ANBY92-MG ROAD BANGALORE",
)


def _rows(rows: int = ROWS):
    balance = Decimal("5000000.00")
    start = dt.date(2023, 1, 1)
    for i in range(rows):
        narration = _NARRATIONS[i % len(_NARRATIONS)].format(rrn=f"{400000000000 + i}")
        amount = Decimal(100 + (i * 37) % 9000) + Decimal(i % 100) / 100
        credit = i % 7 == 3
        balance += amount if credit else -amount
        yield start + dt.timedelta(days=i // 30), narration, amount, credit, balance, i


def hdfc_csv(rows: int = ROWS) -> bytes:
    lines = [
        "",
        "  Date     ,Narration" + " " * 80 + ",Value Dat,Debit Amount       ,Credit Amount      "
        ",Chq/Ref Number   ,Closing Balance",
    ]
    for day, narration, amount, credit, balance, i in _rows(rows):
        date = day.strftime("%d/%m/%y")
        debit, cr = ("0.00", f"{amount}") if credit else (f"{amount}", "0.00")
        lines.append(
            f" {date}  ,{narration:<89},{date} ,{debit:>15}     ,{cr:>15}     ,"
            f"{400000000000 + i:016d}       ,{balance:>15}  "
        )
    return ("\r\n".join(lines) + "\r\n").encode()


def hdfc_xlsx() -> bytes:
    book = openpyxl.Workbook(write_only=True)
    sheet = book.create_sheet("Statement")
    sheet.append(["HDFC BANK Ltd."])
    sheet.append(["", "", "", "", "Account No :", "XXXXXXXX1234"])
    sheet.append(["Statement From :", "01/01/2023", "To :", "31/12/2023"])
    sheet.append(["Date", "Narration", "Chq./Ref.No.", "Value Dt", "Withdrawal Amt.",
                  "Deposit Amt.", "Closing Balance"])  # fmt: skip
    for day, narration, amount, credit, balance, i in _rows():
        date = day.strftime("%d/%m/%y")
        sheet.append([date, narration, f"{400000000000 + i:016d}", date,
                      None if credit else float(amount), float(amount) if credit else None,
                      float(balance)])  # fmt: skip
    sheet.append(["STATEMENT SUMMARY  :-"])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def measure(name: str, data: bytes) -> dict[str, object]:
    statement = parse_statement(data)  # warm-up, and the rows for the later steps
    assert len(statement.rows) == ROWS, len(statement.rows)
    times = []
    for _ in range(RUNS):
        started = time.perf_counter()
        parse_statement(data)
        times.append(time.perf_counter() - started)
    tracemalloc.start()
    parse_statement(data)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    started = time.perf_counter()
    for row in statement.rows:
        parse_narration(row.narration)
    narration_s = time.perf_counter() - started
    started = time.perf_counter()
    fingerprints("XXXXXXXX1234", statement.rows)
    fingerprint_s = time.perf_counter() - started
    return {
        "file": name,
        "size_kib": len(data) / 1024,
        "median_s": statistics.median(times),
        "min_s": min(times),
        "max_s": max(times),
        "peak_traced_mib": peak / (1024 * 1024),
        "narration_s": narration_s,
        "fingerprints_s": fingerprint_s,
    }


def main() -> None:
    print(f"Python {sys.version.split()[0]} on {platform.machine()}, {ROWS:,} rows, {RUNS} runs")
    results = [measure("HDFC delimited CSV", hdfc_csv()), measure("XLSX (HDFC XLS layout)",
                                                                   hdfc_xlsx())]  # fmt: skip
    header = (
        "| file | size | parse median (min-max) | peak traced memory "
        "| parse_narration, all rows | fingerprints, all rows |"
    )
    print(header)
    print("|" + "---|" * 6)
    for r in results:
        print(
            f"| {r['file']} | {r['size_kib']:,.0f} KiB | {r['median_s']:.3f} s "
            f"({r['min_s']:.3f}-{r['max_s']:.3f}) | {r['peak_traced_mib']:.1f} MiB "
            f"| {r['narration_s']:.3f} s "
            f"| {r['fingerprints_s']:.3f} s |"
        )


if __name__ == "__main__":
    main()
