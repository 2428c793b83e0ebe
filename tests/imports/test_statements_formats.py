"""Statement files of every supported layout: detection from content, rows, footers,
account and period, and the refusals (PDF, images, binary, archives, zip bombs, corrupt
files, too many rows). Figures are written out with how they were derived; every fixture's
running balance was checked by hand: previous balance - debit + credit."""

from __future__ import annotations

import datetime as dt
import io
import json
import struct
import time
import zipfile
from decimal import Decimal
from itertools import pairwise

import pytest

import imports.statements.parser as parser_module
from imports.statements import (
    ColumnMapping,
    CorruptFile,
    StatementError,
    TooManyRows,
    UnknownLayout,
    UnsupportedFile,
    parse_statement,
)
from tests.statement_pdfs import Txn, bank_pdf, encrypted, scanned_pdf
from tests.statement_workbooks import (
    HDFC_XLS_ROWS,
    ICICI_XLS_ROWS,
    STARS,
    fixture,
    sbi_xls_rows,
    xls_bytes,
    xlsx_bytes,
)

D = Decimal


def assert_balances_chain(rows, opening: Decimal) -> None:
    """Each row's balance = previous balance - debit + credit (the bank's own arithmetic)."""
    balance = opening
    for row in rows:
        balance += -row.amount if row.direction == "debit" else row.amount
        assert row.balance == balance, row


# --- HDFC -----------------------------------------------------------------------------


def test_hdfc_delimited_csv_is_detected_and_read():
    statement = parse_statement(fixture("hdfc_delimited.txt"))
    assert statement.format == "hdfc_csv"
    assert statement.account is None  # the delimited export has no preamble
    # No period in the file: min/max of the row dates, 01/01/24 .. 31/01/24.
    assert statement.period == (dt.date(2024, 1, 1), dt.date(2024, 1, 31))
    assert len(statement.rows) == 9
    first = statement.rows[0]
    # Line 1 is blank, line 2 the header, so the first row is line 3.
    assert (first.line, first.date, first.value_date) == (
        3,
        dt.date(2024, 1, 1),
        dt.date(2024, 1, 1),
    )
    assert (first.amount, first.direction) == (D("450.00"), "debit")
    # "0000400112345678" padded to 16 digits -> leading zeros dropped.
    assert first.reference == "400112345678"
    assert statement.rows[1].direction == "credit" and statement.rows[1].amount == D("85000.00")
    # "000000000000000" in the reference column means no reference.
    assert statement.rows[-1].reference is None
    # Opening balance 50,000.00 = first balance 49,550.00 + first debit 450.00.
    assert_balances_chain(statement.rows, D("50000.00"))
    # The unquoted comma in "NETBANK, MUM" stays inside the narration.
    assert statement.rows[4].narration == (
        "NEFT DR-BARB0VJSHAS-RAKESH KUMAR-NETBANK, MUM-N006241234567890-RENT JAN"
    )
    assert statement.rows[4].amount == D("25000.00")
    assert all(row.error is None for row in statement.rows)


def test_hdfc_xls_with_preamble_wrapped_narration_summary_and_error_row():
    statement = parse_statement(xls_bytes(HDFC_XLS_ROWS))
    assert statement.format == "hdfc_xls"
    assert statement.account == "XXXXXXXX1234"
    assert statement.period == (dt.date(2024, 2, 1), dt.date(2024, 2, 29))  # header period
    # 5 data rows: the continuation row joins row 2, the summary block is not data.
    assert len(statement.rows) == 5
    neft = statement.rows[1]
    assert neft.narration == (
        "NEFT CR-CITI0000002-ACME TECHNOLOGIES PVT LTD-RAVI KUMAR- CITIN24020212345678"
    )
    assert neft.line == 10  # sheet row 10 (header is row 7, stars row 8, data from row 9)
    ach = statement.rows[2]
    # Native date cell and float cells 15250.0 / 109101.0 -> exact Decimals.
    assert (ach.date, ach.amount, ach.balance) == (
        dt.date(2024, 2, 5),
        D("15250.00"),
        D("109101.00"),
    )
    bad = statement.rows[4]
    assert bad.error is not None and "4S0.00" in bad.error
    assert bad.line == 14 and bad.date == dt.date(2024, 2, 8)
    # Opening 40,000.00 (summary block) - 649.00 = 39,351.00; the error row's amount is
    # unknown (0.00), so the chain is checked on the four good rows only.
    assert_balances_chain(statement.rows[:4], D("40000.00"))


def test_hdfc_xls_layout_saved_as_csv_is_still_hdfc_xls():
    text = "\n".join(",".join(f'"{c}"' for c in row) for row in HDFC_XLS_ROWS[:9] if row)
    statement = parse_statement(text.encode())
    assert statement.format == "hdfc_xls"
    assert [r.amount for r in statement.rows] == [D("649.00")]


# --- ICICI ----------------------------------------------------------------------------


def test_icici_xls_drops_zero_opening_row_and_stops_at_legends():
    # Table written from column B, as ICICI's download leaves column A empty.
    statement = parse_statement(xls_bytes(ICICI_XLS_ROWS, start_column=1))
    assert statement.format == "icici_xls"
    assert statement.account == "084601501234"
    assert statement.period == (dt.date(2024, 8, 1), dt.date(2024, 8, 31))
    # 5 numbered rows - the zero-amount "B/F" row = 4.
    assert [r.amount for r in statement.rows] == [
        D("386.00"),
        D("5000.00"),
        D("12000.00"),
        D("1845.50"),
    ]
    assert [r.direction for r in statement.rows] == ["debit", "credit", "debit", "debit"]
    assert statement.rows[0].reference is None  # "-" cheque number
    assert statement.rows[2].reference == "123"  # "000123"
    assert_balances_chain(statement.rows, D("25000.00"))


# --- SBI ------------------------------------------------------------------------------


def test_sbi_tab_separated_text():
    statement = parse_statement(fixture("sbi_statement.txt"))
    assert statement.format == "sbi"
    assert statement.account == "00000031234567890"
    assert statement.period == (dt.date(2024, 1, 1), dt.date(2024, 1, 31))
    assert len(statement.rows) == 7
    assert statement.rows[0].date == dt.date(2024, 1, 2)  # "2 Jan 2024"
    # "1,00,000.00" (lakh grouping) credit; "600" and "125.5" with 0 and 1 decimals.
    assert statement.rows[1].amount == D("100000.00")
    assert statement.rows[3].amount == D("600.00")
    assert statement.rows[6].amount == D("125.50")
    # "TRANSFER TO 4897..." is SBI's transfer leg, not a reference.
    assert statement.rows[0].reference is None
    assert statement.rows[4].reference == "ATM 4321"
    # Opening 15,000.00 ("Balance as on 1 Jan 2024").
    assert_balances_chain(statement.rows, D("15000.00"))


def test_sbi_xls_with_wrapped_description_cell():
    statement = parse_statement(xls_bytes(sbi_xls_rows()))
    assert statement.format == "sbi"
    assert len(statement.rows) == 7
    # The line break inside the cell becomes one space.
    assert statement.rows[2].narration == (
        "WDL TFR UPI/DR/400512345678/MEENA STORES/SBIN/ meena.stores@oksbi/groceries--"
    )
    assert_balances_chain(statement.rows, D("15000.00"))


# --- Axis -----------------------------------------------------------------------------


def test_axis_csv_padded_amounts_and_disclaimer_footer():
    statement = parse_statement(fixture("axis_statement.csv"))
    assert statement.format == "axis"
    assert statement.account == "923010008070086"
    assert statement.period == (dt.date(2025, 3, 1), dt.date(2025, 3, 31))
    assert len(statement.rows) == 5  # the disclaimer line is a footer
    assert statement.rows[3].reference == "45"  # CHQNO "000045"
    # Opening 60,000.00 = 59,351.00 + 649.00.
    assert_balances_chain(statement.rows, D("60000.00"))


def test_axis_detailed_layout_with_dr_cr_column_and_totals():
    statement = parse_statement(fixture("axis_detailed.csv"))
    assert statement.format == "axis"
    assert statement.period == (dt.date(2025, 8, 1), dt.date(2025, 8, 3))
    # OPENING BALANCE row skipped, TRANSACTION TOTAL / CLOSING BALANCE end the table.
    assert [(r.amount, r.direction) for r in statement.rows] == [
        (D("7560.00"), "credit"),  # "\t7,560.00": tab inside the quoted cell
        (D("1023.00"), "debit"),
        (D("18450.00"), "debit"),
    ]
    assert_balances_chain(statement.rows, D("125000.00"))


# --- Kotak ----------------------------------------------------------------------------


def test_kotak_amount_with_dr_cr_and_signed_balance():
    statement = parse_statement(fixture("kotak_statement.csv"))
    assert statement.format == "kotak"
    assert statement.account == "3349936986"
    assert statement.period == (dt.date(2026, 3, 1), dt.date(2026, 3, 31))
    assert statement.rows[0].date == dt.date(2026, 3, 2)  # "02-03-2026 09:14:05"
    # 3,500.00 CR - 5,200.00 = -1,700.00, printed "1,700.00 | DR".
    assert statement.rows[1].balance == D("-1700.00")
    assert statement.rows[3].amount == D("999.00")
    assert_balances_chain(statement.rows, D("5000.00"))


# --- Generic --------------------------------------------------------------------------


def test_generic_csv_with_debit_credit_mapping():
    mapping = ColumnMapping(
        date="Txn Dt",
        narration="Particulars",
        debit="Withdrawals",
        credit="Deposits",
        reference="Cheque / Ref",
        balance="Balance (INR)",
    )
    statement = parse_statement(fixture("generic_debit_credit.csv"), mapping=mapping)
    assert statement.format == "generic"
    assert statement.account == "XXXXXX7788"
    assert statement.period == (dt.date(2024, 2, 1), dt.date(2024, 2, 29))
    assert [(r.amount, r.direction) for r in statement.rows] == [
        (D("1250.00"), "debit"),
        (D("75000.00"), "credit"),
        (D("980.50"), "debit"),  # "980.5"
    ]
    assert_balances_chain(statement.rows, D("50000.00"))


def test_generic_csv_with_signed_amount_and_dr_cr_suffixes():
    mapping = ColumnMapping(
        date="Value Date", narration="Description", amount="Amount", reference="Ref",
        date_format="%Y-%m-%d",
    )  # fmt: skip
    statement = parse_statement(fixture("generic_signed.csv"), mapping=mapping)
    assert [(r.amount, r.direction) for r in statement.rows] == [
        (D("25000.00"), "debit"),  # -25,000.00
        (D("1299.00"), "credit"),  # 1,299.00 Cr
        (D("420.00"), "debit"),  # 420.00 Dr
        (D("2000.00"), "debit"),  # -2,000 (no decimals)
    ]
    assert statement.rows[0].date == dt.date(2024, 3, 1)


def test_generic_xlsx_with_explicit_header_row():
    rows = [
        ["My bank export"],
        ["When", "What", "Out", "In"],
        [dt.datetime(2024, 4, 1, 9, 30), "RENT APRIL", 25000, None],
        [dt.datetime(2024, 4, 2), "CASHBACK", None, 12.5],
    ]
    mapping = ColumnMapping(date="when", narration="WHAT", debit="Out", credit="In", header_row=2)
    statement = parse_statement(xlsx_bytes(rows), mapping=mapping)
    assert [(r.line, r.amount, r.direction) for r in statement.rows] == [
        (3, D("25000.00"), "debit"),
        (4, D("12.50"), "credit"),
    ]


def test_mapping_naming_missing_columns_is_422_naming_them():
    mapping = ColumnMapping(date="Txn Dt", narration="Remarks", debit="Withdrawals", credit="Cr")
    with pytest.raises(UnknownLayout) as caught:
        parse_statement(fixture("generic_debit_credit.csv"), mapping=mapping)
    assert caught.value.code == "mapping_columns_missing"
    assert "'Remarks'" in caught.value.message and "'Cr'" in caught.value.message
    assert "'Txn Dt'" not in caught.value.message
    assert caught.value.http_status == 422


def test_mapping_needs_amount_columns():
    with pytest.raises(UnknownLayout):
        ColumnMapping(date="Date", narration="Narration")
    with pytest.raises(UnknownLayout):
        ColumnMapping(date="Date", narration="Narration", amount="Amt", debit="Dr")


# --- OFX / QIF / AA -------------------------------------------------------------------


def test_ofx_v1_sgml():
    statement = parse_statement(fixture("statement_v1.ofx"))
    assert statement.format == "ofx"
    assert statement.account == "XXXXXXXX1234"
    assert statement.period == (dt.date(2024, 1, 1), dt.date(2024, 1, 31))
    assert [(r.amount, r.direction) for r in statement.rows] == [
        (D("450.00"), "debit"),
        (D("85000.00"), "credit"),  # "85000"
        (D("1234.50"), "debit"),  # "-1,234.5"
    ]
    assert statement.rows[0].reference == "400512345678"  # FITID, zero padding dropped
    # 20:00 IST stays 31 Jan; 20:30 GMT is 02:00 IST on 1 Feb.
    assert [r.date for r in statement.rows[1:]] == [dt.date(2024, 1, 31), dt.date(2024, 2, 1)]
    # Narration: MEMO when it starts with NAME, else NAME + MEMO.
    assert statement.rows[0].narration.startswith("UPI-SWIGGY-SWIGGY.ORDER@ICICI")
    assert statement.rows[0].line == 33  # the <STMTTRN> line in the file


def test_ofx_v2_xml_with_a_bad_row():
    statement = parse_statement(fixture("statement_v2.ofx"))
    assert statement.format == "ofx"
    good, bad = statement.rows
    assert (good.date, good.value_date, good.amount) == (
        dt.date(2024, 2, 3), dt.date(2024, 2, 4), D("649.00"),
    )  # fmt: skip
    assert good.narration == "ZOMATO UPI/P2M/403412345678/ZOMATO LIMITED/Pay/HDFC BANK"
    assert bad.error is not None and "not-a-date" in bad.error
    assert bad.date == good.date  # best effort: the previous row's date


def test_truncated_ofx_is_corrupt():
    data = fixture("statement_v1.ofx")
    with pytest.raises(CorruptFile):
        parse_statement(data[: len(data) // 2])


def test_qif_with_account_and_a_bad_record():
    statement = parse_statement(fixture("statement.qif"))
    assert statement.format == "qif"
    assert statement.account == "Savings XXXX4321"
    amounts = [(r.amount, r.direction, r.error is None) for r in statement.rows]
    assert amounts == [
        (D("1250.50"), "debit", True),  # T-1,250.50
        (D("85000.00"), "credit", True),
        (D("0.00"), "debit", False),  # D31/13/2024: no 13th month
        (D("599.00"), "debit", True),
    ]
    assert statement.rows[0].date == dt.date(2024, 1, 2)  # 02/01/2024 read day-first
    assert statement.rows[0].reference == "400212345678"
    assert statement.rows[0].narration == "BIGBASKET UPI/400212345678/groceries"
    assert statement.rows[2].line == 17


def test_account_aggregator_deposit_json():
    statement = parse_statement(fixture("aa_deposit.json"))
    assert statement.format == "aa_json"
    assert statement.account == "XXXXXXXX6789"
    assert statement.period == (dt.date(2024, 1, 1), dt.date(2024, 1, 31))
    assert [r.reference for r in statement.rows] == ["S48064790", "S48064791", "S48064792"]
    # amount 431.53 arrives as a JSON number: read as Decimal, never float.
    assert statement.rows[1].amount == D("431.53")
    # 2024-01-02T20:04:31Z is 01:34 IST on 3 Jan.
    assert statement.rows[1].date == dt.date(2024, 1, 3)
    # Opening 75,461.37 = 72,961.37 + 2,500.00.
    assert_balances_chain(statement.rows, D("75461.37"))


def test_account_aggregator_lower_level_shape_and_wrapper():
    bare = {
        "Summary": {"currentBalance": "900.00"},
        "Transactions": [
            {"txnId": "T1", "type": "DEBIT", "amount": "100.00", "currentBalance": "900.00",
             "valueDate": "2024-05-02", "narration": "UPI/P2M/412312345678/ZEPTO/Pay/YES BANK"},
        ],
    }  # fmt: skip
    statement = parse_statement(json.dumps(bare).encode())
    assert statement.account is None
    assert statement.rows[0].date == dt.date(2024, 5, 2)  # no timestamp: valueDate
    wrapped = {"result": {"body": [{"fiObjects": [{"maskedAccNumber": "XX12", **bare}]}]}}
    assert parse_statement(json.dumps(wrapped).encode()).account == "XX12"
    two = {"fiObjects": [bare, bare]}
    with pytest.raises(UnknownLayout):
        parse_statement(json.dumps(two).encode())


def test_truncated_json_is_corrupt():
    data = fixture("aa_deposit.json")
    with pytest.raises(CorruptFile):
        parse_statement(data[:200])


# --- Detection and forcing ------------------------------------------------------------


def test_unknown_csv_layout_names_what_is_expected():
    with pytest.raises(UnknownLayout) as caught:
        parse_statement(fixture("unknown_layout.csv"))
    message = caught.value.message
    for expected in ("HDFC delimited CSV", "ICICI", "SBI", "Axis", "Kotak", "OFX", "QIF",
                     "Account Aggregator", "column mapping"):  # fmt: skip
        assert expected in message
    assert caught.value.code == "unknown_layout"


def test_forced_format_that_does_not_fit_is_422():
    with pytest.raises(UnknownLayout):
        parse_statement(fixture("hdfc_delimited.txt"), format="sbi")
    with pytest.raises(UnknownLayout):
        parse_statement(fixture("hdfc_delimited.txt"), format="ofx")
    assert parse_statement(fixture("sbi_statement.txt"), format="sbi").format == "sbi"


def test_html_saved_as_xls_gets_a_clear_message():
    page = b"<html><body><table><tr><td>Date</td><td>Narration</td></tr></table></body></html>"
    with pytest.raises(UnknownLayout) as caught:
        parse_statement(page)
    assert caught.value.code == "html"
    assert "save it as CSV or XLSX" in caught.value.message


def test_detection_ignores_file_names_entirely():
    # parse_statement takes bytes only; the same bytes give the same answer.
    assert parse_statement(fixture("kotak_statement.csv")).format == "kotak"


# --- Refusals -------------------------------------------------------------------------


def test_a_pdf_without_text_is_a_scan():
    with pytest.raises(UnsupportedFile) as caught:
        parse_statement(scanned_pdf())
    assert caught.value.code == "pdf_scanned"
    assert "scanned" in caught.value.message
    assert caught.value.http_status == 415


def test_an_encrypted_pdf_asks_for_its_password():
    data = encrypted(bank_pdf("hdfc", [Txn(dt.date(2026, 4, 1), "TEA", Decimal("20"))], 0), "pw")
    with pytest.raises(StatementError) as caught:
        parse_statement(data)
    assert caught.value.code == "pdf_password_required"
    assert "password-protected" in caught.value.message
    with pytest.raises(StatementError) as caught:
        parse_statement(data, password="not-it")
    assert caught.value.code == "pdf_password"
    assert len(parse_statement(data, password="pw").rows) == 1


@pytest.mark.parametrize(
    "data",
    [b"\x89PNG\r\n\x1a\n" + b"\x00" * 32, b"\xff\xd8\xff\xe0" + b"\x00" * 32],
    ids=["png", "jpeg"],
)
def test_images_are_unsupported(data):
    with pytest.raises(UnsupportedFile) as caught:
        parse_statement(data)
    assert caught.value.code == "image"


def test_binary_disguised_as_csv_is_unsupported():
    data = b"Date,Narration,Amount\n" + bytes(range(256)) * 4
    with pytest.raises(UnsupportedFile) as caught:
        parse_statement(data)
    assert caught.value.code == "binary"


def test_zip_that_is_not_a_spreadsheet_is_unsupported():
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("statement.csv", fixture("hdfc_delimited.txt"))
    with pytest.raises(UnsupportedFile) as caught:
        parse_statement(buffer.getvalue())
    assert caught.value.code == "archive"


def _refuse_extraction(monkeypatch):
    def no_open(*args, **kwargs):
        raise AssertionError("a member was extracted")

    monkeypatch.setattr(zipfile.ZipFile, "open", no_open)


def test_zip_bomb_by_compression_ratio_is_refused_unopened(monkeypatch):
    # A real XLSX plus a 64 MiB sheet of spaces: deflate squeezes it ~1000:1, far past the
    # 100:1 limit for members of 4 MiB or more.
    buffer = io.BytesIO(xlsx_bytes([["Date", "Narration"]]))
    with zipfile.ZipFile(buffer, "a", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("xl/worksheets/sheet2.xml", b" " * (64 * 1024 * 1024))
    data = buffer.getvalue()
    assert len(data) < 1024 * 1024
    _refuse_extraction(monkeypatch)
    with pytest.raises(UnsupportedFile) as caught:
        parse_statement(data)
    assert caught.value.code == "zip_bomb"


def test_zip_bomb_declared_in_central_directory_is_refused_unopened(monkeypatch):
    # Patch the central directory so one small member declares 3.75 GiB uncompressed;
    # the data itself stays small, so only the directory can reveal it.
    data = bytearray(xlsx_bytes([["Date", "Narration"]]))
    entry = data.find(b"PK\x01\x02")
    struct.pack_into("<I", data, entry + 24, 0xF0000000)  # uncompressed size field
    _refuse_extraction(monkeypatch)
    with pytest.raises(UnsupportedFile) as caught:
        parse_statement(bytes(data))
    assert caught.value.code == "zip_bomb"


def test_truncated_xlsx_and_xls_are_corrupt():
    with pytest.raises(CorruptFile):
        parse_statement(xlsx_bytes([["a"]])[:-200])
    with pytest.raises(CorruptFile):
        parse_statement(xls_bytes(HDFC_XLS_ROWS)[:1500])


def test_sixty_thousand_rows_raise_too_many_rows_without_reading_the_rest(monkeypatch):
    header = " Date     ,Narration ,Value Dat,Debit Amount ,Credit Amount ,Chq/Ref Number ,Closing Balance"
    line = " 01/01/24 ,UPI-TEA STALL-TEA@YBL-YESB0YBLUPI-400112345678-UPI,01/01/24 ,10.00 ,0.00 ,1 ,100.00"
    data = ("\n".join([header] + [line] * 60_000) + "\n").encode()
    consumed = 0
    real_csv_rows = parser_module.csv_rows

    def counting(text, delimiter):
        nonlocal consumed
        for item in real_csv_rows(text, delimiter):
            consumed += 1
            yield item

    monkeypatch.setattr(parser_module, "csv_rows", counting)
    started = time.perf_counter()
    with pytest.raises(TooManyRows) as caught:
        parse_statement(data)
    elapsed = time.perf_counter() - started
    assert caught.value.http_status == 413
    # Header-prefix scan (150 records) + header + 50,001 data records, not 60,001.
    assert consumed <= 150 + 1 + 50_001
    assert elapsed < 30  # generous for a shared 2-core machine; typically ~2 s


def test_max_rows_is_configurable():
    with pytest.raises(TooManyRows):
        parse_statement(fixture("hdfc_delimited.txt"), max_rows=8)  # the file has 9
    assert len(parse_statement(fixture("hdfc_delimited.txt"), max_rows=9).rows) == 9


def test_dates_in_rows_are_ordered_as_in_the_file():
    rows = parse_statement(fixture("hdfc_delimited.txt")).rows
    assert all(a.line < b.line for a, b in pairwise(rows))


def test_header_repeated_at_a_page_break_is_skipped():
    rows = [*HDFC_XLS_ROWS[:9], STARS, HDFC_XLS_ROWS[6], STARS, *HDFC_XLS_ROWS[9:14]]
    statement = parse_statement(xls_bytes(rows))
    # The same five rows as without the repeated header (one of them the error row).
    assert len(statement.rows) == 5
    assert sum(r.error is not None for r in statement.rows) == 1


def test_classic_mac_line_endings():
    text = fixture("kotak_statement.csv").decode().replace("\n", "\r")
    assert len(parse_statement(text.encode()).rows) == 4


def test_row_with_a_bad_date_is_kept_as_an_error_row():
    text = fixture("hdfc_delimited.txt").decode().replace(" 05/01/24  ,ATW", " 35/01/24  ,ATW")
    rows = parse_statement(text.encode()).rows
    bad = rows[3]
    assert bad.error is not None and "35/01/24" in bad.error
    # Best effort: the previous row's date (03/01/24) and the amount it did carry.
    assert (bad.date, bad.amount, bad.direction) == (dt.date(2024, 1, 3), D("2000.00"), "debit")
    assert len(rows) == 9


@pytest.mark.parametrize(
    ("data", "rows_in_file"),
    [
        (lambda: fixture("statement_v1.ofx"), 3),
        (lambda: fixture("statement.qif"), 4),
        (lambda: fixture("aa_deposit.json"), 3),
        (lambda: xls_bytes(ICICI_XLS_ROWS), 4),
    ],
    ids=["ofx", "qif", "aa_json", "xls"],
)
def test_row_cap_applies_to_every_format(data, rows_in_file):
    with pytest.raises(TooManyRows):
        parse_statement(data(), max_rows=rows_in_file - 1)
    assert len(parse_statement(data(), max_rows=rows_in_file).rows) == rows_in_file


def test_format_argument_is_validated():
    with pytest.raises(UnknownLayout) as caught:
        parse_statement(fixture("hdfc_delimited.txt"), format="pdf")
    assert caught.value.code == "unknown_format"
    with pytest.raises(UnknownLayout) as caught:
        parse_statement(fixture("hdfc_delimited.txt"), format="generic")
    assert caught.value.code == "mapping_required"
    mapping = ColumnMapping(date="Date", narration="Narration", debit="Debit Amount")
    with pytest.raises(UnknownLayout) as caught:
        parse_statement(fixture("hdfc_delimited.txt"), format="sbi", mapping=mapping)
    assert caught.value.code == "mapping_conflict"


def test_package_is_pure():
    import subprocess
    import sys

    probe = (
        "import sys, imports.statements; "
        "print(sorted({m.split('.')[0] for m in sys.modules} & {'fastapi', 'pymongo', 'bson'}))"
    )
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                            check=True)  # fmt: skip
    assert result.stdout.strip() == "[]"


def test_spreadsheet_cells_right_of_the_table_are_not_narration():
    rows = [list(row) for row in HDFC_XLS_ROWS[:9]]
    rows[8] = [*rows[8], "reviewed"]  # a note typed beside the table
    statement = parse_statement(xls_bytes(rows))
    assert statement.rows[0].narration.endswith("403212345678-ORDER")
    assert statement.rows[0].amount == D("649.00")


def test_text_encodings_utf16_excel_unicode_text_and_windows_1252():
    sbi = fixture("sbi_statement.txt").decode("utf-8")
    # Excel's "Unicode Text" save: UTF-16 with a BOM, tab-separated.
    assert len(parse_statement(sbi.encode("utf-16")).rows) == 7
    # An older export in Windows-1252 with a curly apostrophe (byte 0x92) in a narration.
    legacy = sbi.replace("CREDIT INTEREST--", "CREDIT INTEREST\u2019S--").encode("cp1252")
    rows = parse_statement(legacy).rows
    assert rows[-1].narration == "CREDIT INTEREST\u2019S--"
