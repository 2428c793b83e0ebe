"""Real files that read wrong: reversals as negative withdrawals, running balances that do
not chain, OFX decimal commas and header-less OFX, QIF comments and date orders, one
amount column with a Dr/Cr column, the statement's currency and account number, and the
wording of every refusal. Each expected figure is derived beside it."""

from __future__ import annotations

import datetime as dt
import io
import json
import re
import zipfile
from decimal import Decimal

import pytest

from imports.statements import (
    ColumnMapping,
    CorruptFile,
    StatementError,
    UnknownLayout,
    parse_statement,
)
from imports.statements.amounts import CellError, decimal_mark, parse_plain_amount
from tests.statement_workbooks import (
    HDFC_XLS_REFUND_ROWS,
    HDFC_XLS_ROWS,
    ICICI_XLS_ROWS,
    fixture,
    xls_bytes,
    xlsx_bytes,
)

D = Decimal


def moves(statement) -> list[tuple[Decimal, str]]:
    return [(row.amount, row.direction) for row in statement.rows]


def refused(data: bytes, code: str, **options) -> str:
    """The message of the refusal ``code`` that parsing ``data`` must raise."""
    with pytest.raises(StatementError) as caught:
        parse_statement(data, **options)
    assert caught.value.code == code, caught.value.message
    return caught.value.message


def assert_two_places(statement) -> None:
    for row in statement.rows:
        assert row.amount.as_tuple().exponent == -2, row
        assert row.balance is None or row.balance.as_tuple().exponent == -2, row


# --- 1. Direction from sign and column, confirmed by the running balance ----------------


def test_negative_withdrawal_in_hdfc_xls_is_a_credit():
    statement = parse_statement(xls_bytes(HDFC_XLS_REFUND_ROWS))
    assert statement.format == "hdfc_xls"
    assert moves(statement) == [
        (D("2499.00"), "debit"),
        (D("2499.00"), "credit"),  # -2499.0 under Withdrawal: 17,501 -> 20,000
        (D("1200.00"), "credit"),  # "-1,200.00" under Withdrawal: 20,000 -> 21,200
        (D("3000.00"), "credit"),
        (D("5000.00"), "debit"),
        (D("500.00"), "debit"),
    ]
    assert_two_places(statement)
    # 24,200.00 - 5,000.00 = 19,200.00, but the bank printed 19,000.00: that row only.
    assert [row.balance_mismatch for row in statement.rows] == [False] * 4 + [True, False]
    assert all(row.error is None for row in statement.rows)  # flagged, not dropped
    # Opening: first balance 17,501.00 + its debit 2,499.00; closing: the last balance.
    assert statement.opening_balance == D("17501.00") + D("2499.00") == D("20000.00")
    assert statement.closing_balance == D("18500.00")


def test_negative_debit_in_hdfc_delimited_text_is_a_credit():
    text = fixture("hdfc_delimited.txt").decode()
    # Row 3 (12,500.00 ACH debit, balance 1,22,050.00) rewritten as a reversal: -12,500.00
    # under Debit Amount, so 1,34,550.00 + 12,500.00 = 1,47,050.00.
    text = text.replace("       12500.00     ,", "      -12500.00     ,")
    text = text.replace("      122050.00  ", "      147050.00  ")
    statement = parse_statement(text.encode())
    assert moves(statement)[2] == (D("12500.00"), "credit")
    assert statement.rows[2].balance_mismatch is False
    # The next row's printed balance (1,20,050.00) no longer follows (1,47,050.00 - 2,000.00
    # = 1,45,050.00): the file was edited, and the parser says so on that row.
    assert statement.rows[3].balance_mismatch is True


def test_dr_marker_in_a_withdrawal_cell_stays_a_debit():
    # A "Dr" written in the cell states the direction; only a minus sign turns it round.
    rows = [list(row) for row in HDFC_XLS_ROWS[:9]]
    rows[8][4] = "649.00 Dr"
    statement = parse_statement(xls_bytes(rows))
    assert moves(statement) == [(D("649.00"), "debit")]
    assert statement.rows[0].balance_mismatch is False


def test_balances_that_chain_are_never_flagged_and_give_opening_and_closing():
    cases = [
        (parse_statement(fixture("hdfc_delimited.txt")), D("50000.00")),
        (parse_statement(fixture("sbi_statement.txt")), D("15000.00")),
        (parse_statement(fixture("axis_statement.csv")), D("60000.00")),
        (parse_statement(fixture("axis_detailed.csv")), D("125000.00")),
        (parse_statement(fixture("kotak_statement.csv")), D("5000.00")),
        (parse_statement(xls_bytes(ICICI_XLS_ROWS, start_column=1)), D("25000.00")),
        (parse_statement(fixture("aa_deposit.json")), D("75461.37")),
    ]
    for statement, opening in cases:
        assert not any(row.balance_mismatch for row in statement.rows), statement.format
        assert statement.opening_balance == opening, statement.format
        assert statement.closing_balance == statement.rows[-1].balance, statement.format


def test_no_balances_means_no_opening_or_closing():
    for name in ("statement_v1.ofx", "statement.qif", "generic_signed.csv"):
        mapping = (
            ColumnMapping(date="Value Date", narration="Description", amount="Amount",
                          date_format="%Y-%m-%d")
            if name.endswith(".csv") else None
        )  # fmt: skip
        statement = parse_statement(fixture(name), mapping=mapping)
        assert (statement.opening_balance, statement.closing_balance) == (None, None)
        assert not any(row.balance_mismatch for row in statement.rows)


def test_stated_opening_balance_checks_the_first_row():
    # Axis prints "OPENING BALANCE 1,25,000.00"; make it 1,24,000.00 and the first row
    # (credit 7,560.00, balance 1,32,560.00) no longer follows: 1,24,000 + 7,560 = 1,31,560.
    text = fixture("axis_detailed.csv").decode().replace('"1,25,000.00"', '"1,24,000.00"')
    statement = parse_statement(text.encode())
    assert [row.balance_mismatch for row in statement.rows] == [True, False, False]
    # The opening balance is the one the first row implies: 1,32,560.00 - 7,560.00.
    assert statement.opening_balance == D("125000.00")


def test_newest_first_file_is_checked_in_date_order():
    text = fixture("hdfc_delimited.txt").decode()
    lines = text.splitlines()
    header_at = next(i for i, line in enumerate(lines) if "Narration" in line)
    data = [line for line in lines[header_at + 1 :] if line.strip()]
    newest_first = "\n".join([*lines[: header_at + 1], *reversed(data)]) + "\n"
    statement = parse_statement(newest_first.encode())
    oldest_first = parse_statement(fixture("hdfc_delimited.txt"))
    assert not any(row.balance_mismatch for row in statement.rows)
    # Same opening and closing as the file in date order (50,000.00 and the last balance).
    assert statement.opening_balance == oldest_first.opening_balance == D("50000.00")
    assert statement.closing_balance == oldest_first.closing_balance


# --- 2. OFX amounts -----------------------------------------------------------------


def test_ofx_decimal_comma_amounts_are_exact():
    statement = parse_statement(fixture("statement_decimal_comma.ofx"))
    assert moves(statement) == [
        (D("200.00"), "debit"),  # -200,00 (not 20,000.00)
        (D("1250.50"), "credit"),  # 1.250,50: "." groups, "," is the decimal mark
        (D("35.50"), "debit"),  # -35,5
        (D("1000.00"), "debit"),  # -1.000: in a decimal-comma file "." groups thousands
    ]
    assert_two_places(statement)
    assert statement.rows[2].narration == "STROM & GAS"  # &amp; unescaped


def test_ofx_dot_amounts_stay_right():
    statement = parse_statement(fixture("statement_usd_card.ofx"))
    assert moves(statement)[:2] == [(D("45.99"), "debit"), (D("1200.00"), "credit")]
    v1 = parse_statement(fixture("statement_v1.ofx"))
    assert moves(v1) == [
        (D("450.00"), "debit"),
        (D("85000.00"), "credit"),
        (D("1234.50"), "debit"),  # -1,234.5: both marks, the last (".") is the decimal
    ]


@pytest.mark.parametrize(
    ("texts", "cell", "expected"),
    [
        (["-200,00"], "-200,00", D("-200.00")),
        (["450.00"], "450.00", D("450.00")),
        (["-1,234.5"], "-1,234.5", D("-1234.50")),
        (["1.234,56"], "1.234,56", D("1234.56")),
        (["1,23,456"], "1,23,456", D("123456.00")),  # a comma twice is grouping
        (["-5.00", "1,230"], "1,230", D("1230.00")),  # the file's "." decides
        (["-5,00", "1,230"], "1,230", D("1.23")),  # the file's "," decides
        (["-5,00", "1.230"], "1.230", D("1230.00")),
    ],
)
def test_plain_amounts_use_the_files_decimal_mark(texts, cell, expected):
    assert parse_plain_amount(cell, decimal_mark(texts)) == expected


@pytest.mark.parametrize("cell", ["1,230", "1,2,3", "12.345", "abc", "1.2.3"])
def test_plain_amounts_refuse_what_cannot_be_told(cell):
    # "1,230" alone: 1,230.00 or 1.23? Refused rather than guessed.
    with pytest.raises(CellError):
        parse_plain_amount(cell, decimal_mark([cell]))


def test_ofx_ambiguous_comma_amount_is_an_error_row_not_a_guess():
    text = fixture("statement_usd_card.ofx").decode()
    text = text.replace("<TRNAMT>-45.99</TRNAMT>", "<TRNAMT>-1,230</TRNAMT>")
    text = text.replace("<TRNAMT>1200.00</TRNAMT>", "<TRNAMT>1200</TRNAMT>")
    text = text.replace("<TRNAMT>-120.00</TRNAMT>", "<TRNAMT>-120</TRNAMT>")
    statement = parse_statement(text.encode())
    assert statement.rows[0].error is not None and "ambiguous" in statement.rows[0].error


# --- 3. OFX files that must be read; refusals that read as sentences ------------------


def test_ofx_starting_with_blank_lines_is_read():
    # ofxtools gives up after 8 blank lines, with the file object's repr as its message.
    data = b"\r\n" * 12 + fixture("statement_v1.ofx")
    statement = parse_statement(data)
    assert statement.format == "ofx" and len(statement.rows) == 3
    assert statement.rows[0].line == 33 + 12  # still the <STMTTRN> line in the file


def test_ofx_without_a_header_is_read():
    statement = parse_statement(fixture("statement_no_header.ofx"))
    assert statement.format == "ofx"
    assert moves(statement) == [(D("5.50"), "debit"), (D("64.20"), "debit")]
    assert statement.rows[1].date == dt.date(2024, 5, 9)
    assert statement.rows[0].line == 27  # CRLF file: the first <STMTTRN> is on line 27


def test_ofx_v2_body_without_header_and_with_a_commented_header_is_read():
    body = fixture("statement_v2.ofx").decode().split("?>", 2)[2]
    assert len(parse_statement(body.lstrip().encode()).rows) == 2
    commented = "<!--\nOFXHEADER:100\nDATA:OFXSGML\n-->\n" + body
    assert len(parse_statement(commented.encode()).rows) == 2


def _assert_a_sentence(message: str, data: bytes) -> None:
    assert not re.search(r"0x[0-9a-f]{6,}|<_io\.|object at", message), message
    assert len(message) < 300, message
    for line in data.decode(errors="replace").splitlines():
        if len(line.strip()) > 45:
            assert line.strip() not in message, message


@pytest.mark.parametrize(
    ("damage", "where"),
    [
        # </BANKTRANLIST> is on line 55: a second </STMTTRN> after it, on line 56.
        (("</BANKTRANLIST>", "</BANKTRANLIST>\n</STMTTRN>"), "line 56: </STMTTRN> closes"),
        # <NAME>UPI-SWIGGY is line 38; its XML-style end tag and the stray text on 39.
        (("<NAME>UPI-SWIGGY\n", "<NAME>UPI-SWIGGY\n</NAME>junk text\n"), "line 39: text"),
        # <FITID>POS0131 is line 52; "<A B>" (not a tag) on 53.
        (("<FITID>POS0131", "<FITID>POS0131\n<A B>"), "line 53: a '<'"),
    ],
    ids=["stray-end-tag", "text-between-elements", "bad-tag"],
)
def test_damaged_ofx_says_where_without_dumping_the_file(damage, where):
    data = fixture("statement_v1.ofx").decode().replace(*damage).encode()
    message = refused(data, "corrupt_ofx")
    assert where in message
    _assert_a_sentence(message, data)


def test_other_refusals_are_sentences_about_the_file():
    broken_json = fixture("aa_deposit.json")[:200]
    message = refused(broken_json, "corrupt_json")
    assert "line " in message and "column " in message
    _assert_a_sentence(message, broken_json)

    runaway = b'Date,Narration,Amount\n01/01/2024,"' + b"x" * 200_000 + b"\n"
    mapping = ColumnMapping(date="Date", narration="Narration", amount="Amount")
    message = refused(runaway, "corrupt_csv", mapping=mapping)
    assert "line 2" in message and "quote" in message
    _assert_a_sentence(message, runaway)

    for damaged in (xls_bytes(HDFC_XLS_ROWS)[:1500], _xlsx_with_broken_sheet()):
        with pytest.raises(CorruptFile) as caught:
            parse_statement(damaged)
        assert "(" not in caught.value.message  # no library error text in brackets
        assert caught.value.message.startswith("The X")


def _xlsx_with_broken_sheet() -> bytes:
    source = zipfile.ZipFile(io.BytesIO(xlsx_bytes([["Date", "Narration"], ["a", "b"]])))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as target:
        for item in source.infolist():
            content = source.read(item)
            if item.filename.startswith("xl/worksheets/"):
                content = content[: len(content) // 2]  # the sheet's XML cut in half
            target.writestr(item, content)
    return buffer.getvalue()


def test_long_cells_are_shortened_in_row_errors():
    rows = [list(row) for row in HDFC_XLS_ROWS[:9]]
    rows[8][4] = "4S" + "9" * 500
    (row,) = parse_statement(xls_bytes(rows)).rows
    assert row.error is not None and len(row.error) < 120 and "..." in row.error


# --- 4. QIF with comment lines ---------------------------------------------------------


def test_qif_starting_with_comment_lines_is_qif():
    statement = parse_statement(fixture("statement_comments.qif"))
    assert statement.format == "qif"
    assert moves(statement) == [(D("649.00"), "debit"), (D("85000.00"), "credit")]
    assert [row.date for row in statement.rows] == [dt.date(2024, 1, 5), dt.date(2024, 1, 15)]
    assert statement.rows[1].line == 10  # the D line after "# salary" (line 9)


# --- 5. One date order per file -------------------------------------------------------


def test_us_qif_dates_are_all_month_first():
    statement = parse_statement(fixture("statement_us.qif"))
    # 2/14'2020 can only be month-first, so 2/12'2020 is 12 February, not 2 December.
    assert [row.date for row in statement.rows] == [
        dt.date(2020, 2, 14),
        dt.date(2020, 2, 12),
        dt.date(2020, 2, 3),  # " 2/ 3'20": spaces pad, "'" means 2000 and later
        dt.date(2019, 12, 31),
    ]
    assert moves(statement)[1] == (D("1200.00"), "credit")  # T1,200.00


def test_ambiguous_qif_is_refused_unless_the_order_is_given():
    qif = b"!Type:Bank\nD02/01/2024\nT-20.00\nPBUS\n^\nD03/01/2024\nT-30.00\nPTEA\n^\n"
    message = refused(qif, "ambiguous_date_order")
    assert "'02/01/2024'" in message and "date_order" in message
    day_first = parse_statement(qif, date_order="dmy")
    assert [row.date for row in day_first.rows] == [dt.date(2024, 1, 2), dt.date(2024, 1, 3)]
    month_first = parse_statement(qif, date_order="mdy")
    assert [row.date for row in month_first.rows] == [dt.date(2024, 2, 1), dt.date(2024, 3, 1)]


def test_dates_that_read_the_same_either_way_need_no_order():
    qif = b"!Type:Bank\nD05/05/2024\nT-20.00\nPBUS\n^\n"
    assert parse_statement(qif).rows[0].date == dt.date(2024, 5, 5)


def test_qif_dates_that_disagree_are_refused_and_a_given_order_makes_error_rows():
    qif = b"!Type:Bank\nD14/02/2024\nT-1.00\n^\nD02/14/2024\nT-2.00\n^\n"
    message = refused(qif, "ambiguous_date_order")
    assert "'14/02/2024'" in message and "'02/14/2024'" in message
    rows = parse_statement(qif, date_order="dmy").rows
    assert rows[0].error is None and rows[1].error is not None
    assert "day first" in rows[1].error


def test_unknown_date_order_is_refused():
    refused(fixture("statement.qif"), "invalid_date_order", date_order="ymd")


def test_generic_csv_with_us_dates_is_month_first():
    mapping = ColumnMapping(date="Posting Date", narration="Description", amount="Amount",
                            balance="Running Balance")  # fmt: skip
    statement = parse_statement(fixture("generic_us.csv"), mapping=mapping)
    # 02/14/2024 decides month-first for the whole file: 02/01 is 1 Feb, 03/01 is 1 Mar.
    assert [row.date for row in statement.rows] == [
        dt.date(2024, 2, 1),
        dt.date(2024, 2, 14),
        dt.date(2024, 3, 1),
    ]
    # 1,000.00 - 45.99 = 954.01; 954.01 - 38.20 = 915.81: the chain holds.
    assert not any(row.balance_mismatch for row in statement.rows)
    assert (statement.opening_balance, statement.closing_balance) == (D("0.00"), D("915.81"))


def test_ambiguous_generic_csv_asks_for_date_format():
    text = "Date,Details,Amount\n02/01/2024,TEA,-20.00\n03/01/2024,BUS,-30.00\n"
    mapping = ColumnMapping(date="Date", narration="Details", amount="Amount")
    assert "date_format" in refused(text.encode(), "ambiguous_date_order", mapping=mapping)
    # Either the mapping's date_format or the parse's date_order settles it.
    explicit = ColumnMapping(date="Date", narration="Details", amount="Amount",
                             date_format="%m/%d/%Y")  # fmt: skip
    assert parse_statement(text.encode(), mapping=explicit).rows[0].date == dt.date(2024, 2, 1)
    ordered = parse_statement(text.encode(), mapping=mapping, date_order="dmy")
    assert ordered.rows[0].date == dt.date(2024, 1, 2)


def test_generic_preamble_period_counts_toward_the_order_and_is_read_in_it():
    text = (
        "Statement period: 02/01/2024 to 02/29/2024\n"
        "Date,Details,Amount\n02/01/2024,TEA,-20.00\n02/03/2024,BUS,-30.00\n"
    )
    mapping = ColumnMapping(date="Date", narration="Details", amount="Amount")
    statement = parse_statement(text.encode(), mapping=mapping)
    # 02/29/2024 is only possible month-first; the rows follow: 1 and 3 February.
    assert statement.period == (dt.date(2024, 2, 1), dt.date(2024, 2, 29))
    assert [row.date for row in statement.rows] == [dt.date(2024, 2, 1), dt.date(2024, 2, 3)]


def test_generic_xlsx_with_us_text_dates_is_month_first():
    rows = [["Date", "Details", "Amount"], ["12/25/2024", "GIFT", -50], ["12/05/2024", "TEA", -2]]
    mapping = ColumnMapping(date="Date", narration="Details", amount="Amount")
    statement = parse_statement(xlsx_bytes(rows), mapping=mapping)
    assert [row.date for row in statement.rows] == [dt.date(2024, 12, 25), dt.date(2024, 12, 5)]


def test_indian_bank_layouts_stay_day_first_even_when_every_date_is_ambiguous():
    text = fixture("hdfc_delimited.txt").decode()
    ambiguous = text.replace("31/01/24", "08/01/24")  # now every day is 12 or less
    statement = parse_statement(ambiguous.encode(), date_order="mdy")  # ignored: day-first
    assert statement.rows[0].date == dt.date(2024, 1, 1)
    assert statement.rows[2].date == dt.date(2024, 1, 3)  # 03/01/24 is 3 January


# --- 6. One amount column with a Dr/Cr column ----------------------------------------


def test_generic_amount_with_dr_cr_column():
    mapping = ColumnMapping(date="Tran Date", narration="Particulars", amount="Amount",
                            direction="Dr/Cr", reference="Chq/Ref No", balance="Balance",
                            value_date="Value Date")  # fmt: skip
    statement = parse_statement(fixture("generic_amount_drcr.csv"), mapping=mapping)
    assert moves(statement) == [
        (D("118000.00"), "credit"),
        (D("21240.00"), "debit"),
        (D("75000.00"), "debit"),
        # "-75,000.00" marked DR: a negative debit is the RTGS coming back, a credit;
        # the balance confirms it: 1,21,760.00 + 75,000.00 = 1,96,760.00.
        (D("75000.00"), "credit"),
    ]
    assert not any(row.balance_mismatch for row in statement.rows)
    # Opening: 2,18,000.00 - 1,18,000.00 credit = 1,00,000.00.
    assert statement.opening_balance == D("100000.00")
    assert statement.closing_balance == D("196760.00")
    assert statement.currency == "INR"  # "Currency : INR" in the preamble
    assert (statement.account_number, statement.number_last4) == ("10012345678", "5678")


def test_generic_direction_values_can_be_named():
    text = (
        "Date,Details,Amount,Type\n"
        "15/05/2024,SALARY,50000.00,Deposit\n"
        "16/05/2024,RENT,20000.00,Withdrawal\n"
        "17/05/2024,ODD,10.00,Transfer\n"
    )
    mapping = ColumnMapping(date="Date", narration="Details", amount="Amount", direction="Type",
                            debit_values=["Withdrawal"], credit_values=["Deposit"])  # fmt: skip
    statement = parse_statement(text.encode(), mapping=mapping)
    assert moves(statement)[:2] == [(D("50000.00"), "credit"), (D("20000.00"), "debit")]
    assert "'Transfer'" in (statement.rows[2].error or "")  # neither: an error row
    assert mapping.debit_values == ("Withdrawal",)  # stored as a tuple


def test_generic_direction_defaults_accept_common_markers():
    text = "Date,Details,Amount,Dr/Cr\n15/05/2024,A,1.00,Dr.\n16/05/2024,B,2.00,C\n"
    mapping = ColumnMapping(date="Date", narration="Details", amount="Amount", direction="Dr/Cr")
    assert moves(parse_statement(text.encode(), mapping=mapping)) == [
        (D("1.00"), "debit"),
        (D("2.00"), "credit"),
    ]


@pytest.mark.parametrize(
    "fields",
    [
        {"debit": "Out", "direction": "Dr/Cr"},  # direction goes with one amount column
        {"amount": "Amt", "debit_values": ["DR"]},  # values without a direction column
        {"amount": "Amt", "direction": "T", "debit_values": ["X"], "credit_values": ["x"]},
        {"amount": "Amt", "direction": "T", "debit_values": []},
        {"amount": "Amt", "direction": "T", "credit_values": "CR"},  # a text, not a list
        {"amount": "Amt", "debit": "Out"},
        {},
    ],
)
def test_mapping_validation(fields):
    with pytest.raises(UnknownLayout) as caught:
        ColumnMapping(date="Date", narration="Narration", **fields)
    assert caught.value.code == "invalid_mapping"


def test_mapping_direction_column_missing_from_file_is_named():
    mapping = ColumnMapping(date="Tran Date", narration="Particulars", amount="Amount",
                            direction="Txn Type")  # fmt: skip
    message = refused(
        fixture("generic_amount_drcr.csv"), "mapping_columns_missing", mapping=mapping
    )
    assert "'Txn Type'" in message


# --- 7 and 8. Currency and the account the file names -------------------------------


@pytest.mark.parametrize(
    ("name", "currency", "number", "last4"),
    [
        ("statement_v1.ofx", "INR", "XXXXXXXX1234", "1234"),
        ("statement_decimal_comma.ofx", "EUR", "DE89370400440532013000", "3000"),
        ("statement_usd_card.ofx", "USD", "4111XXXXXXXX1111", "1111"),
        ("statement_no_header.ofx", "AUD", "1234123412349876", "9876"),
        ("aa_deposit.json", "INR", "XXXXXXXX6789", "6789"),
        ("sbi_statement.txt", "INR", "00000031234567890", "7890"),
        ("axis_statement.csv", "INR", "923010008070086", "0086"),
        ("axis_detailed.csv", "INR", "922030048910705", "0705"),
        ("kotak_statement.csv", "INR", "3349936986", "6986"),
        ("hdfc_delimited.txt", "INR", None, None),  # the delimited export names no account
        ("statement.qif", None, "XXXX4321", "4321"),  # QIF says nothing of currency
    ],
)
def test_currency_and_account_number(name, currency, number, last4):
    statement = parse_statement(fixture(name))
    assert statement.currency == currency
    assert (statement.account_number, statement.number_last4) == (number, last4)


def test_spreadsheet_layouts_name_currency_and_account():
    hdfc = parse_statement(xls_bytes(HDFC_XLS_REFUND_ROWS))
    assert (hdfc.currency, hdfc.account_number, hdfc.number_last4) == (
        "INR", "XXXXXXXX5678", "5678",
    )  # fmt: skip
    icici = parse_statement(xls_bytes(ICICI_XLS_ROWS, start_column=1))
    # "084601501234 ( INR ) - RAVI KUMAR": the currency printed after the number.
    assert (icici.currency, icici.account_number, icici.number_last4) == (
        "INR", "084601501234", "1234",
    )  # fmt: skip


def test_kotak_preamble_currency_is_read():
    text = fixture("kotak_statement.csv").decode().replace("Currency,INR", "Currency,USD")
    assert parse_statement(text.encode()).currency == "USD"


def test_generic_file_without_a_currency_says_none():
    mapping = ColumnMapping(date="Posting Date", narration="Description", amount="Amount")
    assert parse_statement(fixture("generic_us.csv"), mapping=mapping).currency is None


def test_account_aggregator_currency():
    document = json.loads(fixture("aa_deposit.json"))
    document["Account"]["Summary"]["currency"] = "usd"
    assert parse_statement(json.dumps(document).encode()).currency == "USD"
    del document["Account"]["Summary"]["currency"]
    assert parse_statement(json.dumps(document).encode()).currency == "INR"


def test_ofx_row_in_another_currency_is_an_error_row():
    statement = parse_statement(fixture("statement_usd_card.ofx"))
    hotel = statement.rows[2]
    # <CURRENCY><CURSYM>GBP: TRNAMT -120.00 is pounds, not the statement's dollars.
    assert hotel.error is not None and "GBP" in hotel.error and "USD" in hotel.error
    assert statement.rows[0].error is None


def test_ofx_with_two_accounts_is_refused():
    text = fixture("statement_v2.ofx").decode()
    start, end = text.index("<STMTTRNRS>"), text.index("</STMTTRNRS>") + len("</STMTTRNRS>")
    second = text[start:end].replace("XXXXXXXX5678", "XXXXXXXX9999")
    doubled = text[:end] + second + text[end:]
    refused(doubled.encode(), "several_accounts")


def test_stated_zero_opening_balance_is_still_checked():
    # "Opening Balance : 0.00" (a new account): 0.00 + 100.00 credit should be 100.00.
    head = "Opening Balance : 0.00\nDate,Details,Amount,Balance\n"
    mapping = ColumnMapping(date="Date", narration="Details", amount="Amount", balance="Balance")
    right = parse_statement((head + "15/05/2024,SALARY,100.00,100.00\n").encode(), mapping=mapping)
    assert right.rows[0].balance_mismatch is False
    wrong = parse_statement((head + "15/05/2024,SALARY,100.00,90.00\n").encode(), mapping=mapping)
    assert wrong.rows[0].balance_mismatch is True


def test_amount_marker_against_the_direction_column_is_an_error_row():
    text = "Date,Details,Amount,Dr/Cr\n15/05/2024,A,500.00 Dr,CR\n16/05/2024,B,20.00,DR\n"
    mapping = ColumnMapping(date="Date", narration="Details", amount="Amount", direction="Dr/Cr")
    first, second = parse_statement(text.encode(), mapping=mapping).rows
    assert first.error is not None and "'500.00 Dr' is marked debit" in first.error
    assert (second.error, second.direction) == (None, "debit")
