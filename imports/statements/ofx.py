"""OFX/QFX 1.x (SGML) and 2.x (XML) bank and card statements.

The body (from ``<OFX>`` to ``</OFX>``) is read by ``ofxtree.py`` into an element tree;
the header in front of it is not needed and not required: real files start with blank
lines, carry no header at all, a commented-out one, or one missing fields, and every one
of them is readable. ``ofxtools`` is used for zoned datetimes only: its header parser
refuses those files (with the file object's repr or the header's text as the message) and
its model conversion enforces US field limits that Indian exports break (BANKID holds an
11-character IFSC; the spec allows 9).

Amounts follow the OFX rule that the decimal mark is a point or a comma (``-200,00``),
decided once per file from all its amounts (``amounts.decimal_mark``).
"""

from __future__ import annotations

import datetime as dt
import html
import re
import xml.etree.ElementTree as ET
from decimal import Decimal

from ofxtools.Types import DateTime, OFXTypeError

from .amounts import CellError, cell_text, decimal_mark, parse_plain_amount, quote
from .model import Statement, StatementRow, TooManyRows, UnknownLayout
from .ofxtree import LINE, ofx_tree
from .preamble import last_four
from .tables import clean_reference, rows_period

IST = dt.timezone(dt.timedelta(hours=5, minutes=30))
_STATEMENTS = ("STMTRS", "CCSTMTRS")


def parse_ofx(text: str, max_rows: int) -> Statement:
    root = ofx_tree(text)
    statements = [element for tag in _STATEMENTS for element in root.iter(tag)]
    accounts = {_text(s.find("BANKACCTFROM/ACCTID")) or _text(s.find("CCACCTFROM/ACCTID"))
                for s in statements}  # fmt: skip
    if len(accounts) > 1:
        raise UnknownLayout(
            "several_accounts",
            f"This OFX file holds statements of {len(accounts)} accounts; download one "
            "account at a time.",
        )
    account = accounts.pop() if accounts else ""
    currency = _text(root.find(".//CURDEF")).upper() or None
    transactions = list(root.iter("STMTTRN"))
    if len(transactions) > max_rows:
        raise TooManyRows(
            "too_many_rows", f"The statement has more than {max_rows:,} transactions."
        )
    mark = decimal_mark([_text(t.find("TRNAMT")) for t in transactions])
    rows: list[StatementRow] = []
    for element in transactions:
        rows.append(_row(element, mark, currency, rows[-1].date if rows else None))
    period = None
    start, end = root.find(".//BANKTRANLIST/DTSTART"), root.find(".//BANKTRANLIST/DTEND")
    if start is not None and end is not None:
        try:
            period = (ofx_date(_text(start)), ofx_date(_text(end)))
        except CellError:
            period = None
    return Statement(
        "ofx",
        account or None,
        period or rows_period(rows),
        rows,
        currency=currency if currency and re.fullmatch(r"[A-Z]{3}", currency) else None,
        account_number=account or None,
        number_last4=last_four(account),
    )


def _text(element: ET.Element | None) -> str:
    if element is None or not element.text:
        return ""
    return cell_text(html.unescape(element.text))


def ofx_date(value: str) -> dt.date:
    """An OFX datetime as an Indian calendar date. With a zone ("[+5.30:IST]", "[0:GMT]")
    the instant is converted to IST; without one the written date is taken as is, since
    Indian exports write local dates and the spec's "assume GMT" would move late-evening
    transactions to the previous day."""
    if not re.match(r"^\d{8}", value):
        raise CellError(f"{quote(value)} is not an OFX date")
    if "[" in value:
        try:
            return DateTime().convert(value).astimezone(IST).date()
        except (OFXTypeError, ValueError) as exc:
            raise CellError(f"{quote(value)} is not an OFX date") from exc
    try:
        return dt.datetime.strptime(value[:8], "%Y%m%d").date()
    except ValueError as exc:
        raise CellError(f"{quote(value)} is not an OFX date") from exc


def _row(
    element: ET.Element, mark: str | None, currency: str | None, previous: dt.date | None
) -> StatementRow:
    def field(tag: str) -> str:
        return _text(element.find(tag))

    problems = []
    try:
        date = ofx_date(field("DTPOSTED"))
    except CellError as exc:
        problems.append(f"date: {exc}")
        date = previous or dt.date.min
    value_date = None
    if field("DTAVAIL"):
        try:
            value_date = ofx_date(field("DTAVAIL"))
        except CellError as exc:
            problems.append(f"value date: {exc}")
    try:
        amount = parse_plain_amount(field("TRNAMT"), mark)
    except CellError as exc:
        problems.append(f"amount: {exc}")
        amount = None
    if (amount is None or amount == 0) and not any(p.startswith("amount") for p in problems):
        problems.append("no amount")
    # <CURRENCY> means TRNAMT is in that currency, not the statement's (<ORIGCURRENCY>
    # only names where a converted amount came from, so it is fine).
    foreign = field("CURRENCY/CURSYM").upper()
    if foreign and foreign != (currency or ""):
        problems.append(f"amount is in {foreign}, not the statement's {currency or 'currency'}")
    name, memo = field("NAME"), field("MEMO")
    narration = memo if name and memo.upper().startswith(name.upper()) else f"{name} {memo}"
    return StatementRow(
        line=int(element.get(LINE, "0")),
        date=date,
        value_date=value_date,
        amount=abs(amount) if amount else Decimal("0.00"),
        direction="credit" if amount is not None and amount > 0 else "debit",
        narration=narration.strip(),
        reference=clean_reference(field("FITID")) or clean_reference(field("CHECKNUM")),
        balance=None,
        error="; ".join(problems) or None,
    )
