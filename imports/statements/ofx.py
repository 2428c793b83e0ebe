"""OFX/QFX 1.x (SGML) and 2.x (XML) bank statements.

The file is parsed by ``ofxtools`` (header, SGML with unclosed elements, XML), which builds
an element tree. We read the few elements we need from that tree instead of calling
``ofxtools``' model conversion, because the conversion enforces US field limits that
Indian exports break (BANKID holds an 11-character IFSC; the spec allows 9).
"""

from __future__ import annotations

import datetime as dt
import io
import re
import xml.etree.ElementTree as ET
from decimal import Decimal

from ofxtools.header import OFXHeaderError
from ofxtools.Parser import OFXTree, ParseError
from ofxtools.Types import DateTime, OFXTypeError

from .amounts import CellError, cell_text, parse_amount
from .model import CorruptFile, Statement, StatementRow, TooManyRows
from .tables import clean_reference, rows_period

IST = dt.timezone(dt.timedelta(hours=5, minutes=30))
_TRANSACTION_START = re.compile(r"<STMTTRN>", re.IGNORECASE)


def parse_ofx(data: bytes, text: str, max_rows: int) -> Statement:
    if "</OFX>" not in text.upper():
        raise CorruptFile("corrupt_ofx", "The OFX file is truncated: it has no closing </OFX>.")
    tree = OFXTree()
    try:
        tree.parse(io.BytesIO(data))
    except (OFXHeaderError, ParseError, ET.ParseError, ValueError) as exc:
        raise CorruptFile("corrupt_ofx", f"The OFX file is damaged: {exc}.") from exc
    root = tree.getroot()
    # Line of each <STMTTRN> in the source, for messages; SGML files may be one long line.
    lines = [text.count("\n", 0, m.start()) + 1 for m in _TRANSACTION_START.finditer(text)]
    rows: list[StatementRow] = []
    for position, element in enumerate(root.iter("STMTTRN")):
        if len(rows) >= max_rows:
            raise TooManyRows(
                "too_many_rows", f"The statement has more than {max_rows:,} transactions."
            )
        line = lines[position] if position < len(lines) else position + 1
        rows.append(_row(element, line, rows[-1].date if rows else None))
    account = _text(root.find(".//BANKACCTFROM/ACCTID")) or _text(root.find(".//CCACCTFROM/ACCTID"))
    period = None
    start, end = root.find(".//BANKTRANLIST/DTSTART"), root.find(".//BANKTRANLIST/DTEND")
    if start is not None and end is not None:
        try:
            period = (ofx_date(_text(start)), ofx_date(_text(end)))
        except CellError:
            period = None
    return Statement("ofx", account or None, period or rows_period(rows), rows)


def _text(element: ET.Element | None) -> str:
    return cell_text(element.text) if element is not None and element.text else ""


def ofx_date(value: str) -> dt.date:
    """An OFX datetime as an Indian calendar date. With a zone ("[+5.30:IST]", "[0:GMT]")
    the instant is converted to IST; without one the written date is taken as is, since
    Indian exports write local dates and the spec's "assume GMT" would move late-evening
    transactions to the previous day."""
    if not re.match(r"^\d{8}", value):
        raise CellError(f"'{value}' is not an OFX date")
    if "[" in value:
        try:
            return DateTime().convert(value).astimezone(IST).date()
        except (OFXTypeError, ValueError) as exc:
            raise CellError(f"'{value}' is not an OFX date") from exc
    try:
        return dt.datetime.strptime(value[:8], "%Y%m%d").date()
    except ValueError as exc:
        raise CellError(f"'{value}' is not an OFX date") from exc


def _row(element: ET.Element, line: int, previous: dt.date | None) -> StatementRow:
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
        amount = parse_amount(field("TRNAMT"))
    except CellError as exc:
        problems.append(f"amount: {exc}")
        amount = None
    if (amount is None or amount == 0) and not any(p.startswith("amount") for p in problems):
        problems.append("no amount")
    name, memo = field("NAME"), field("MEMO")
    narration = memo if name and memo.upper().startswith(name.upper()) else f"{name} {memo}"
    return StatementRow(
        line=line,
        date=date,
        value_date=value_date,
        amount=abs(amount) if amount else Decimal("0.00"),
        direction="credit" if amount is not None and amount > 0 else "debit",
        narration=narration.strip(),
        reference=clean_reference(field("FITID")) or clean_reference(field("CHECKNUM")),
        balance=None,
        error="; ".join(problems) or None,
    )
