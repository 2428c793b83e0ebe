"""The reports benchmark's results as the table of bench/RESULTS-reports.md."""

from typing import Any


def table(results: dict[str, Any], names: list[str], sizes: tuple[Any, Any], runs: int) -> str:
    """The RESULTS-reports.md table of one run."""
    small, large = sizes
    lines = [
        f"Measured {results['date']} on {results['machine']}; SecantusDB in memory; "
        f"median of {runs} runs after a warm-up (fastest–slowest in brackets). Load average "
        f"(1 min) {results['load'][0]:.1f} at the start, {results['load'][1]:.1f} at the end.",
        "",
        f"- small user: {small.records} records ({small.expenses} expenses, {small.income} income,"
        f" {small.debts} debts, {small.payments} payments, {small.contributions} contributions)"
        f" over the last {small.days} days",
        f"- large user: {large.expenses:,} expenses, {large.income:,} income, {large.debts} debts"
        f" with {large.payments:,} payments, {large.contributions} goal contributions, over the"
        f" last {large.days} days (about {large.expenses * 31 // large.days:,} expenses a month)",
        "",
        "| Request | Small: ms | Large: ms | Large / small | Round trips (small / large) "
        "| Expenses in the range read (small / large) |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for name in names:
        s, big = results["small"][name], results["large"][name]
        ratio = big["median_ms"] / s["median_ms"]
        trips = f"{max(s['round_trips'])} / {max(big['round_trips'])}"
        read = f"{s['expenses_read']:,} / {big['expenses_read']:,}" if big["expenses_read"] else "–"
        lines.append(
            f"| {name} | {s['median_ms']:.0f} ({s['min_ms']:.0f}–{s['max_ms']:.0f}) "
            f"| {big['median_ms']:.0f} ({big['min_ms']:.0f}–{big['max_ms']:.0f}) "
            f"| {ratio:.1f}x | {trips} | {read} |"
        )
    es, el = results["small"]["export"], results["large"]["export"]
    lines += [
        "",
        "Round trips include the one of authentication (the user, holding its live sessions). "
        "Data grows "
        f"{large.records / small.records:,.0f}x between the two users.",
        "",
        "| CSV export, last 12 months of expenses | Small | Large |",
        "|---|---:|---:|",
        f"| Rows | {es['rows']:,} | {el['rows']:,} |",
        f"| Time | {es['seconds'] * 1000:.0f} ms | {el['seconds']:.1f} s |",
        f"| Size | {es['bytes'] / 1024:.1f} KiB | {el['bytes'] / 1024 / 1024:.1f} MiB |",
        f"| Round trips | {es['round_trips']} | {el['round_trips']} |",
        f"| Peak Python memory during the request (tracemalloc) | {es['peak_kib']:.0f} KiB "
        f"| {el['peak_kib']:.0f} KiB |",
    ]
    return "\n".join(lines) + "\n"
