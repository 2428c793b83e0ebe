"""Dedupe keys for statement rows.

A row's *base key* is

* ``(account_id, "ref", reference, direction, amount, date)`` when the row has a bank
  reference: the file's own reference column (cheque number, UTR, RRN, AA txnId, OFX
  FITID) or, when that is empty, the UPI RRN / UTR read from the narration;
* otherwise ``(account_id, "text", date, amount, direction, normalised narration, running
  balance or "")``.

``account_id`` is the id of the account the statement is imported into: never a label typed
with the upload, nor the account as the file prints it, nor the file's format. So the same
statement uploaded twice for one account, under any label and in any of its bank's export
formats that key rows alike, gets the same fingerprints.

The fingerprint hashes the base key plus an *occurrence index*: how many earlier rows of
the same file share that base key. So two identical ₹20 tram fares on one day stay two rows
(occurrences 0 and 1), while importing the same file again, or a statement whose period
overlaps an earlier one, gives the overlapping rows the same fingerprints.

Edge cases:

* The occurrence index only agrees across files when each file holds *every* row with that
  base key. A statement cut in the middle of a run of identical rows (same day, amount,
  narration and no balance column) numbers that run from 0 again. Statements cover whole
  days, so in practice a run is only split when a download is cut mid-day.
* The running balance makes otherwise identical rows differ, so files with a balance
  column rarely need the occurrence index at all.
* ``account_id`` is compared after trimming and upper-casing; it must not be blank (a key
  without its account would dedupe two accounts' identical rows against each other).
* Keys are comparable between files of the same source kind. The same transaction seen
  through two kinds (an HDFC CSV keyed by its Chq/Ref number, the AA feed keyed by its
  txnId) gets two different keys; the API should dedupe one account's imports per source.
* Error rows get fingerprints too (of their best-effort fields); the caller decides
  whether to import them.
"""

from __future__ import annotations

import hashlib
from collections import Counter

from .model import StatementRow
from .narration import normalise_narration, parse_narration

_SEPARATOR = "\x1f"


def row_reference(row: StatementRow) -> str | None:
    """The bank reference used for keying: the file's, else the narration's RRN/UTR."""
    if row.reference:
        return row.reference.strip().upper()
    parsed = parse_narration(row.narration)
    return parsed.reference.upper() if parsed.reference else None


def base_key(account_id: str, row: StatementRow) -> tuple[str, ...]:
    label = account_id.strip().upper()
    if not label:
        raise ValueError("fingerprints are scoped to an account: account_id is blank")
    amount = f"{row.amount:.2f}"
    reference = row_reference(row)
    if reference:
        return (label, "ref", reference, row.direction, amount, row.date.isoformat())
    balance = f"{row.balance:.2f}" if row.balance is not None else ""
    return (
        label,
        "text",
        row.date.isoformat(),
        amount,
        row.direction,
        normalise_narration(row.narration),
        balance,
    )


def fingerprints(account_id: str, rows: list[StatementRow]) -> list[str]:
    """One SHA-256 hex digest per row of one account's statement, in row order (see the
    module docstring)."""
    seen: Counter[tuple[str, ...]] = Counter()
    digests = []
    for row in rows:
        key = base_key(account_id, row)
        occurrence = seen[key]
        seen[key] += 1
        payload = _SEPARATOR.join((*key, str(occurrence)))
        digests.append(hashlib.sha256(payload.encode("utf-8")).hexdigest())
    return digests
