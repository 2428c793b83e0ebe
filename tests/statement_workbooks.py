"""Spreadsheet fixtures for the statement tests, built at run time (never committed as
binaries): .xls through xlwt (a real BIFF8/OLE2 workbook), .xlsx through openpyxl; and HDFC
delimited text statements."""

from __future__ import annotations

import datetime as dt
import io
from pathlib import Path

import openpyxl
import xlwt

FIXTURES = Path(__file__).parent / "fixtures" / "statements"
STARS = ["*" * 10] * 7


def fixture(name: str) -> bytes:
    """A committed statement file's bytes."""
    return (FIXTURES / name).read_bytes()


HDFC_HEADER = "Date,Narration,Value Dat,Debit Amount,Credit Amount,Chq/Ref Number,Closing Balance"


def hdfc_rows(*rows: tuple[dt.date, str, str, str, str, str]) -> bytes:
    """An HDFC delimited statement: (day, narration, debit, credit, reference, balance)."""
    lines = ["", HDFC_HEADER]
    for day, narration, debit, credit, ref, balance in rows:
        d = day.strftime("%d/%m/%y")
        lines.append(f" {d},{narration},{d},{debit},{credit},{ref},{balance}")
    return ("\r\n".join(lines) + "\r\n").encode()


def xls_bytes(rows: list[list[object]], start_column: int = 0) -> bytes:
    book = xlwt.Workbook()
    sheet = book.add_sheet("Sheet1")
    date_style = xlwt.easyxf(num_format_str="DD/MM/YYYY")
    for r, row in enumerate(rows):
        for c, value in enumerate(row, start=start_column):
            if value is None or value == "":
                continue
            if isinstance(value, dt.date):
                sheet.write(r, c, value, date_style)
            else:
                sheet.write(r, c, value)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def xlsx_bytes(rows: list[list[object]]) -> bytes:
    book = openpyxl.Workbook()
    sheet = book.active
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def hdfc_xls_head(account: str, start: str, end: str) -> list[list[object]]:
    """An HDFC XLS download's preamble, header row and the asterisk rows around it."""
    return [
        ["HDFC BANK Ltd.", "", "", "", "Page No .: 1", "", "Statement of accounts"],
        ["MR RAVI KUMAR", "", "", "", "Account Branch :", "HSR LAYOUT"],
        ["12 MG ROAD", "", "", "", "Account No :", account],
        ["BANGALORE 560001", "", "", "", "A/C Open Date :", "01/04/18"],
        ["Statement From :", start, "To :", end],
        STARS,
        ["Date", "Narration", "Chq./Ref.No.", "Value Dt", "Withdrawal Amt.", "Deposit Amt.",
         "Closing Balance"],
        STARS,
    ]  # fmt: skip


def hdfc_xls_tail(summary: list[object], generated: str) -> list[list[object]]:
    """The asterisk row, summary block and footer after an HDFC XLS download's rows."""
    return [
        STARS,
        ["STATEMENT SUMMARY  :-"],
        ["Opening Balance", "", "Dr Count", "Cr Count", "Debits", "Credits", "Closing Bal"],
        summary,
        [f"Generated On: {generated}"],
        ["This is a computer generated statement and does not require signature."],
    ]


HDFC_XLS_ROWS: list[list[object]] = [
    *hdfc_xls_head("XXXXXXXX1234", "01/02/2024", "29/02/2024"),
    # Opening balance before the first row: 40,000.00
    ["01/02/24", "UPI-ZOMATO-ZOMATO.ORDER@HDFCBANK-HDFC0000499-403212345678-ORDER",
     "0000403212345678", "01/02/24", "649.00", "", "39,351.00"],
    # A narration wrapped onto a second row: no date, no amounts.
    ["02/02/24", "NEFT CR-CITI0000002-ACME TECHNOLOGIES PVT LTD-RAVI KUMAR-",
     "CITIN24020212345678", "02/02/24", "", "85,000.00", "1,24,351.00"],
    ["", "CITIN24020212345678", "", "", "", "", ""],
    # A native spreadsheet date and a numeric amount (float cell), as Excel stores them.
    [dt.date(2024, 2, 5), "ACH D- HDFC BANK LTD-LN44556677", "0000000000004455",
     dt.date(2024, 2, 5), 15250.0, "", 109101.0],
    ["07/02/24", "POS 512967XXXXXX1234 AMAZON PAY INDIA", "0000000000000000", "07/02/24",
     "1,299.00", "", "1,07,802.00"],
    # An unreadable amount: kept as an error row, not an exception.
    ["08/02/24", "UPI-SWIGGY-SWIGGY@ICICI-ICIC0DC0099-403912345678-ORDER", "0000403912345678",
     "08/02/24", "4S0.00", "", "1,07,352.00"],
    *hdfc_xls_tail([40000.0, "", 4, 1, 17648.0, 85000.0, 107352.0], "01/03/2024 10:15:22"),
]  # fmt: skip

ICICI_XLS_ROWS: list[list[object]] = [
    [],
    ["DETAILED STATEMENT"],
    [],
    ["Account Number", "", "084601501234 ( INR )  - RAVI KUMAR"],
    ["Transaction Date from", "", "01/08/2024", "to", "31/08/2024"],
    [],
    ["Transactions List - RAVI KUMAR (INR) - 084601501234"],
    ["S No.", "Value Date", "Transaction Date", "Cheque Number", "Transaction Remarks",
     "Withdrawal Amount (INR )", "Deposit Amount (INR )", "Balance (INR )"],
    # Zero-amount opening balance row: dropped.
    ["1", "01/08/2024", "01/08/2024", "-", "B/F", "0.00", "0.00", "25,000.00"],
    ["2", "02/08/2024", "02/08/2024", "-",
     "UPI/421512345678/Payment from Ph/swiggy.stores@axb/AXIS BANK/AXL1234567890", "386.00",
     "0.00", "24,614.00"],
    ["3", "03/08/2024", "03/08/2024", "-", "MMT/IMPS/421612345678/NA/ANIL KUMAR/HDFC0000443",
     "0.00", "5,000.00", "29,614.00"],
    ["4", "05/08/2024", "05/08/2024", "000123", "CLG/RAMESH TRADERS/000123", "12,000.00",
     "0.00", "17,614.00"],
    ["5", "10/08/2024", "10/08/2024", "-", "BIL/ONL/000912345678/BESCOM BANGALORE/BILLDESK",
     "1,845.50", "0.00", "15,768.50"],
    [],
    ["Legends Used in Account Statement"],
    ["1. INFT - Internal Fund Transfer (Within ICICI Bank)", "", "2. BIL - Internet Bill Payment"],
]  # fmt: skip


def sbi_xls_rows() -> list[list[object]]:
    """The committed SBI text fixture as spreadsheet cells, with one description wrapped
    inside its cell the way the XLS download does."""
    text = (FIXTURES / "sbi_statement.txt").read_text(encoding="utf-8")
    rows: list[list[object]] = [line.split("\t") for line in text.splitlines()]
    for row in rows:
        if row and row[0] == "5 Jan 2024":
            row[2] = (
                "WDL TFR UPI/DR/400512345678/MEENA STORES/SBIN/\nmeena.stores@oksbi/groceries--"
            )
    return rows


# An HDFC XLS download with reversals written as NEGATIVE withdrawals (the closing balance
# rises), once as a numeric cell and once as text, and one row whose printed balance does
# not follow from the row before it.
HDFC_XLS_REFUND_ROWS: list[list[object]] = [
    *hdfc_xls_head("XXXXXXXX5678", "01/03/2024", "31/03/2024"),
    # Opening balance before the first row: 20,000.00
    ["01/03/24", "POS 512967XXXXXX1234 AMAZON PAY INDIA", "0000000000000000", "01/03/24",
     2499.0, "", 17501.0],
    # The refund of that order: -2,499.00 under Withdrawal, balance 17,501.00 -> 20,000.00.
    ["04/03/24", "REV-POS 512967XXXXXX1234 AMAZON PAY INDIA", "0000000000000000", "04/03/24",
     -2499.0, "", 20000.0],
    # A failed UPI payment reversed, as text: 20,000.00 + 1,200.00 = 21,200.00.
    ["05/03/24", "REV-UPI-MEENA STORES-MEENA@OKSBI-SBIN0001234-406512345678-UPI",
     "0000406512345678", "05/03/24", "-1,200.00", "", "21,200.00"],
    ["06/03/24", "NEFT CR-ICIC0000001-RAVI KUMAR-SELF", "ICICN52024030600001", "06/03/24",
     "", "3,000.00", "24,200.00"],
    # Printed balance 19,000.00; 24,200.00 - 5,000.00 is 19,200.00: flagged, kept.
    ["08/03/24", "ATW-512967XXXXXX1234-S1ANBY92-MG ROAD BANGALORE", "0000000000007301",
     "08/03/24", "5,000.00", "", "19,000.00"],
    # The chain resumes from the bank's 19,000.00: 19,000.00 - 500.00 = 18,500.00.
    ["09/03/24", "UPI-BMTC BUS-BMTC.PAY@AXISBANK-UTIB0000100-406912345601-TICKET",
     "0000406912345601", "09/03/24", "500.00", "", "18,500.00"],
    *hdfc_xls_tail([20000.0, "", 3, 3, 7999.0, 6699.0, 18500.0], "01/04/2024 10:15:22"),
]  # fmt: skip
