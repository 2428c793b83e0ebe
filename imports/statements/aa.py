"""Account Aggregator (ReBIT) DEPOSIT account data, as an FIU's partner returns it
decrypted. Accepted shapes (key names per the ReBIT Deposit FI schema, see LAYOUTS.md):

* ``{"Account": {"type": "deposit", "maskedAccNumber": ..., "Profile": ..., "Summary": ...,
  "Transactions": {"startDate", "endDate", "Transaction": [...]}}}``
* the account object itself (``{"maskedAccNumber": ..., "Transactions": {...}}``);
* the lower-level ``{"Summary": ..., "Transactions": [...]}`` with a bare list;
* any wrapper around exactly one such account (``{"result": {"body": [{"fiObjects":
  [...]}]}}``), found by looking for the one object that holds "Transactions".

JSON numbers are read as Decimal (never float); the spec writes amounts as strings, some
partners send numbers. The row "line" of a JSON transaction is its 1-based position in the
Transaction array. The transaction date is ``transactionTimestamp`` converted to IST when
it carries a zone (an IST evening is the next day in UTC), else ``valueDate``.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from decimal import Decimal
from typing import Any

from .amounts import CellError, cell_text, parse_amount, parse_date, quote
from .balances import check_balances
from .model import CorruptFile, Statement, StatementRow, TooManyRows, UnknownLayout
from .ofx import IST
from .preamble import last_four
from .tables import rows_period

_MAX_DEPTH = 8


def parse_aa(text: str, max_rows: int) -> Statement:
    account = _one_account(_document(text))
    items, period = _transactions(account["Transactions"])
    rows: list[StatementRow] = []
    for position, item in enumerate(items, start=1):
        if len(rows) >= max_rows:
            raise TooManyRows(
                "too_many_rows", f"The statement has more than {max_rows:,} transactions."
            )
        rows.append(_row(item, position, rows[-1].date if rows else None))
    masked = cell_text(account.get("maskedAccNumber")) or None
    rows, opening, closing = check_balances(rows)
    return Statement(
        "aa_json",
        masked,
        period or rows_period(rows),
        rows,
        currency=_currency(account),
        account_number=masked,
        number_last4=last_four(masked),
        opening_balance=opening,
        closing_balance=closing,
    )


def _currency(account: dict[str, Any]) -> str | None:
    """``Summary.currency`` when given; Account Aggregator is India's (RBI) framework and
    its deposit accounts are in rupees unless they say otherwise."""
    summary = account.get("Summary")
    stated = cell_text(summary.get("currency")).upper() if isinstance(summary, dict) else ""
    if not stated:
        return "INR"
    return stated if re.fullmatch(r"[A-Z]{3}", stated) else None


def _document(text: str) -> Any:
    try:
        return json.loads(text, parse_float=Decimal, parse_int=Decimal)
    except json.JSONDecodeError as exc:
        raise CorruptFile(
            "corrupt_json",
            f"The JSON file is damaged or truncated at line {exc.lineno}, column {exc.colno} "
            f"({exc.msg.lower()}).",
        ) from exc
    except RecursionError as exc:
        raise CorruptFile("corrupt_json", "The JSON file is nested too deeply to read.") from exc


def _one_account(document: Any) -> dict[str, Any]:
    accounts = list(_accounts(document, 0))
    if not accounts:
        raise UnknownLayout(
            "unknown_layout",
            "This JSON is not Account Aggregator deposit data: expected an object with "
            '"Transactions" ({"Account": {"maskedAccNumber", "Summary", "Transactions": '
            '{"Transaction": [...]}}}).',
        )
    if len(accounts) > 1:
        raise UnknownLayout(
            "several_accounts",
            f"This Account Aggregator file holds {len(accounts)} accounts; import one account "
            "at a time.",
        )
    return accounts[0]


def _transactions(block: Any) -> tuple[list[Any], tuple[dt.date, dt.date] | None]:
    """The transaction list and the stated period of a "Transactions" value."""
    period = None
    if isinstance(block, dict):
        items = block.get("Transaction", [])
        if isinstance(items, dict):  # XML-to-JSON converters collapse a single element
            items = [items]
        try:
            if block.get("startDate") and block.get("endDate"):
                period = (parse_date(block["startDate"]), parse_date(block["endDate"]))
        except CellError:
            period = None
    else:
        items = block
    if not isinstance(items, list):
        raise UnknownLayout("unknown_layout", '"Transactions" must hold a list of transactions.')
    return items, period


def _accounts(node: Any, depth: int):
    if depth > _MAX_DEPTH:
        return
    if isinstance(node, dict):
        if "Transactions" in node:
            yield node
            return
        for value in node.values():
            yield from _accounts(value, depth + 1)
    elif isinstance(node, list):
        for value in node:
            yield from _accounts(value, depth + 1)


def _date_of(timestamp: object) -> dt.date:
    text = cell_text(timestamp)
    try:
        moment = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError as exc:
        raise CellError(f"{quote(text)} is not a timestamp") from exc
    if moment.tzinfo is not None:
        moment = moment.astimezone(IST)
    return moment.date()


def _row(item: object, position: int, previous: dt.date | None) -> StatementRow:
    if not isinstance(item, dict):
        return StatementRow(
            position,
            previous or dt.date.min,
            None,
            Decimal("0.00"),
            "debit",
            "",
            None,
            None,
            error="transaction is not an object",
        )
    problems: list[str] = []
    value_date = None
    if item.get("valueDate"):
        try:
            value_date = parse_date(cell_text(item["valueDate"]), ("%Y-%m-%d", "%d-%m-%Y"))
        except CellError as exc:
            problems.append(f"valueDate: {exc}")
    date: dt.date | None = None
    if item.get("transactionTimestamp"):
        try:
            date = _date_of(item["transactionTimestamp"])
        except CellError as exc:
            problems.append(f"transactionTimestamp: {exc}")
    if date is None:
        date = value_date
    if date is None:
        problems.append("no transactionTimestamp or valueDate")
    kind = cell_text(item.get("type")).upper()
    direction = {"DEBIT": "debit", "CREDIT": "credit"}.get(kind)
    if direction is None:
        problems.append(f"type: '{kind}' is neither DEBIT nor CREDIT")
    amount = None
    try:
        amount = parse_amount(item.get("amount"))
    except CellError as exc:
        problems.append(f"amount: {exc}")
    else:
        if amount is None or amount <= 0:
            problems.append("amount must be a positive number")
    balance = None
    try:
        balance = parse_amount(item.get("currentBalance"))
    except CellError as exc:
        problems.append(f"currentBalance: {exc}")
    reference = cell_text(item.get("txnId")) or cell_text(item.get("reference")) or None
    return StatementRow(
        line=position,
        date=date or previous or dt.date.min,
        value_date=value_date,
        amount=abs(amount) if amount else Decimal("0.00"),
        direction=direction or "debit",  # type: ignore[arg-type]
        narration=cell_text(item.get("narration")),
        reference=reference,
        balance=balance,
        error="; ".join(problems) or None,
    )
