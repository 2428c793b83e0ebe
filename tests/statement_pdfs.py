"""PDF statement fixtures, written at run time with fpdf2 (never committed as binaries) and
encrypted with pikepdf: each issuer's column order, wrapped narrations, the letterhead, the
table header and a page footer repeated on every page, opening and closing balances, and
for a card the summary block above the table."""

from __future__ import annotations

import datetime as dt
import io
import textwrap
from dataclasses import dataclass
from decimal import Decimal

import pikepdf
from fpdf import FPDF
from PIL import Image


@dataclass(frozen=True)
class Txn:
    day: dt.date
    narration: str
    debit: Decimal | None = None
    credit: Decimal | None = None
    reference: str = ""


@dataclass(frozen=True)
class BankPdf:
    """How one bank prints its account statement."""

    name: str
    header: tuple[str, ...]
    widths: tuple[int, ...]  # mm
    day_format: str
    # role of each column: day, value_day, narration, ref, debit, credit, balance, serial, blank
    roles: tuple[str, ...]


BANKS = {
    "hdfc": BankPdf(
        "HDFC BANK LIMITED",
        (
            "Date",
            "Narration",
            "Chq./Ref.No.",
            "Value Dt",
            "Withdrawal Amt.",
            "Deposit Amt.",
            "Closing Balance",
        ),
        (18, 62, 28, 18, 22, 22, 24),
        "%d/%m/%y",
        ("day", "narration", "ref", "value_day", "debit", "credit", "balance"),
    ),
    "icici": BankPdf(
        "ICICI Bank",
        (
            "S No.",
            "Value Date",
            "Transaction Date",
            "Cheque Number",
            "Transaction Remarks",
            "Withdrawal Amount (INR )",
            "Deposit Amount (INR )",
            "Balance (INR )",
        ),
        (10, 18, 22, 20, 42, 28, 26, 22),
        "%d/%m/%Y",
        ("serial", "value_day", "day", "ref", "narration", "debit", "credit", "balance"),
    ),
    "sbi": BankPdf(
        "State Bank of India",
        (
            "Txn Date",
            "Value Date",
            "Description",
            "Ref No./Cheque No.",
            "Debit",
            "Credit",
            "Balance",
        ),
        (22, 22, 58, 30, 20, 20, 24),
        "%d %b %Y",
        ("day", "value_day", "narration", "ref", "debit", "credit", "balance"),
    ),
    "axis": BankPdf(
        "Axis Bank Ltd",
        ("Tran Date", "Chq No", "Particulars", "Debit", "Credit", "Balance", "Init. Br"),
        (22, 20, 70, 22, 22, 24, 14),
        "%d-%m-%Y",
        ("day", "ref", "narration", "debit", "credit", "balance", "blank"),
    ),
    "kotak": BankPdf(
        "Kotak Mahindra Bank",
        ("Date", "Narration", "Chq/Ref No.", "Withdrawal (Dr)", "Deposit (Cr)", "Balance"),
        (20, 72, 28, 22, 22, 26),
        "%d-%m-%Y",
        ("day", "narration", "ref", "debit", "credit", "balance"),
    ),
}
RIGHT = {"debit", "credit", "balance"}
MM_PER_CHAR = 1.7  # a generous width of one 7 pt character: wrapped text fits its column


def money(value: Decimal | None) -> str:
    return "" if value is None else f"{value:,.2f}"


class _Doc(FPDF):
    def __init__(self, letterhead: list[str], footer: str) -> None:
        super().__init__(format="A4")
        self.letterhead = letterhead
        self.footer_text = footer
        self.set_auto_page_break(True, margin=20)
        self.set_font("Helvetica", size=7)

    def header(self) -> None:
        self.set_font("Helvetica", "B", 9)
        for line in self.letterhead:
            self.cell(0, 5, line, new_x="LMARGIN", new_y="NEXT")
        self.set_font("Helvetica", size=7)

    def footer(self) -> None:
        self.set_y(-15)
        self.cell(0, 5, f"{self.footer_text}   Page {self.page_no()} of {{nb}}", align="C")


def _table_header(doc: _Doc, header: tuple[str, ...], widths: tuple[int, ...]) -> None:
    doc.set_font("Helvetica", "B", 6)
    for text, width in zip(header, widths, strict=True):
        doc.cell(width, 6, text, border=1)
    doc.ln()
    doc.set_font("Helvetica", size=7)


def _lines_of(txn: Txn, bank: BankPdf, serial: int, balance: Decimal) -> list[list[str]]:
    width = bank.widths[bank.roles.index("narration")]
    narration = textwrap.wrap(txn.narration, int(width / MM_PER_CHAR), break_long_words=False)
    narration = narration or [""]
    values = {
        "day": txn.day.strftime(bank.day_format),
        "value_day": txn.day.strftime(bank.day_format),
        "narration": narration[0],
        "ref": txn.reference,
        "debit": money(txn.debit),
        "credit": money(txn.credit),
        "balance": money(balance),
        "serial": str(serial),
        "blank": "",
    }
    first = [values[role] for role in bank.roles]
    more = [[part if role == "narration" else "" for role in bank.roles] for part in narration[1:]]
    return [first, *more]


def bank_pdf(
    bank: str,
    txns: list[Txn],
    opening: Decimal,
    account: str = "XXXXXXXX1234",
    rows_per_page: int = 30,
) -> bytes:
    """An account statement as ``bank`` prints it: letterhead and table header on every
    page, the opening balance above the table, running balances, a closing line."""
    spec = BANKS[bank]
    first, last = txns[0].day, txns[-1].day
    doc = _Doc([spec.name, f"Account No : {account}"], f"{spec.name} - computer statement")
    doc.add_page()
    doc.cell(
        0,
        5,
        f"Statement From : {first:%d/%m/%Y} To : {last:%d/%m/%Y}",
        new_x="LMARGIN",
        new_y="NEXT",
    )
    doc.cell(0, 5, f"Opening Balance : {money(opening)}", new_x="LMARGIN", new_y="NEXT")
    _table_header(doc, spec.header, spec.widths)
    balance = opening
    for serial, txn in enumerate(txns, start=1):
        balance += (txn.credit or 0) - (txn.debit or 0)
        if serial > 1 and (serial - 1) % rows_per_page == 0:
            doc.add_page()
            _table_header(doc, spec.header, spec.widths)
        for cells in _lines_of(txn, spec, serial, balance):
            for text, width, role in zip(cells, spec.widths, spec.roles, strict=True):
                doc.cell(width, 4, text, align="R" if role in RIGHT else "L")
            doc.ln()
    doc.ln(4)
    doc.cell(0, 5, f"Closing Balance : {money(balance)}", new_x="LMARGIN", new_y="NEXT")
    return bytes(doc.output())


CARD_HEADERS = {
    "hdfc": (("Date", "Transaction Description", "Amount (in Rs.)"), (30, 110, 40)),
    "icici": (
        ("Date", "SerNo.", "Transaction Details", "Reward Points", "Amount (in Rs.)"),
        (25, 25, 80, 20, 30),
    ),
    "sbi": (("Date", "Transaction Details", "Amount (Rs)"), (30, 110, 40)),
    "axis": (
        ("Date", "Transaction Details", "Merchant Category", "Amount (Rs.)"),
        (25, 85, 40, 30),
    ),
}
CARD_MARK = {"hdfc": " Cr", "icici": " CR", "sbi": " C", "axis": " Cr"}


@dataclass(frozen=True)
class CardFigures:
    statement_date: dt.date
    due_date: dt.date
    total_due: Decimal
    minimum_due: Decimal
    credit_limit: Decimal
    available_limit: Decimal
    previous_balance: Decimal


def card_pdf(issuer: str, card: str, txns: list[Txn], figures: CardFigures) -> bytes:
    """A card statement: summary labels in one line with their values under them, then the
    table; charges unmarked, refunds and payments marked as the issuer marks them."""
    header, widths = CARD_HEADERS[issuer]
    doc = _Doc([f"{issuer.upper()} Credit Card Statement", f"Card No: {card}"], "Card services")
    doc.add_page()
    labels = ("Statement Date", "Payment Due Date", "Total Amount Due", "Minimum Amount Due")
    values = (
        f"{figures.statement_date:%d/%m/%Y}",
        f"{figures.due_date:%d/%m/%Y}",
        money(figures.total_due),
        money(figures.minimum_due),
    )
    for row in (labels, values):
        for text in row:
            doc.cell(45, 5, text)
        doc.ln()
    doc.cell(60, 5, f"Credit Limit : {money(figures.credit_limit)}")
    doc.cell(60, 5, f"Available Credit Limit : {money(figures.available_limit)}")
    doc.ln()
    doc.cell(
        60,
        5,
        f"Previous Balance : {money(figures.previous_balance)}",
        new_x="LMARGIN",
        new_y="NEXT",
    )
    doc.ln(3)
    _table_header(doc, header, widths)
    for serial, txn in enumerate(txns, start=1):
        amount = money(txn.debit) if txn.debit else money(txn.credit) + CARD_MARK[issuer]
        cells = {
            "Date": f"{txn.day:%d/%m/%Y}",
            "SerNo.": str(1000 + serial),
            "Reward Points": "0",
            "Merchant Category": "RETAIL",
        }
        for text, width in zip(header, widths, strict=True):
            value = amount if text.startswith("Amount") else cells.get(text, txn.narration)
            doc.cell(width, 4, value, align="R" if text.startswith("Amount") else "L")
        doc.ln()
    return bytes(doc.output())


def encrypted(data: bytes, password: str) -> bytes:
    with pikepdf.open(io.BytesIO(data)) as pdf:
        out = io.BytesIO()
        pdf.save(out, encryption=pikepdf.Encryption(user=password, owner=password + "-owner"))
        return out.getvalue()


def scanned_pdf() -> bytes:
    """A page that is only a picture (a scan): no text at all."""
    image = Image.new("RGB", (200, 100), "white")
    doc = FPDF()
    doc.add_page()
    doc.image(image, x=10, y=10, w=100)
    return bytes(doc.output())


def slow_pdf(lines: int = 400, width: int = 500) -> bytes:
    """One page of `lines` x `width` characters in one content stream (1.6 KB compressed):
    reading it takes seconds inside that one page (about 2 s here for 200,000 characters)."""
    pdf = pikepdf.new()
    font = pdf.make_indirect(
        pikepdf.Dictionary(
            Type=pikepdf.Name.Font, Subtype=pikepdf.Name.Type1, BaseFont=pikepdf.Name.Helvetica
        )
    )
    line = b"0 -1 Td (" + b"ab " * (width // 3) + b") Tj "
    page = pikepdf.Dictionary(
        Type=pikepdf.Name.Page,
        MediaBox=pikepdf.Array([0, 0, 612, 792]),
        Resources=pikepdf.Dictionary(Font=pikepdf.Dictionary(F1=font)),
        Contents=pdf.make_stream(b"BT /F1 1 Tf " + line * lines + b"ET"),
    )
    pdf.pages.append(pikepdf.Page(page))
    out = io.BytesIO()
    pdf.save(out)
    return out.getvalue()
