"""Bank statement import through HTTP: every layout previewed, dedupe (re-imports, overlaps,
same-day repeats, hand entries), EMI matching and its loan book, commit and undo, refusals,
templates, idempotency, corrections, exports, ownership and account deletion.

Figures are written with how they were derived. Statement files are the `statements`
package's fixtures (tests/fixtures/statements) and the workbooks tests/statement_workbooks.py
builds at run time; a few small HDFC delimited files are written here."""

import asyncio
import csv
import io
import json
import struct
import zipfile
from datetime import date, timedelta
from decimal import Decimal

import pytest

from core.dates import today
from database import USER_COLLECTIONS
from main import create_app
from tests.factories import (
    all_rows,
    commit,
    create_debt,
    expense,
    get,
    make_settings,
    signup,
    upload,
)
from tests.statement_pdfs import scanned_pdf
from tests.statement_workbooks import (
    FIXTURES,
    HDFC_HEADER,
    HDFC_XLS_ROWS,
    ICICI_XLS_ROWS,
    hdfc_rows,
    sbi_xls_rows,
    xls_bytes,
    xlsx_bytes,
)

TZ = "Asia/Kolkata"


def fixture(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


async def totals(client, user):
    """How many expenses, income records and payments the user has."""
    return {
        kind: (await get(client, user, f"/api/{kind}"))["total"]
        for kind in ("expenses", "income", "payments")
    }


NOTHING = {"expenses": 0, "income": 0, "payments": 0}


# ---------------------------------------------------------------- every layout


LAYOUTS = [
    # (id, file, format, rows, period, account, {line: (title, kind, category or income type)})
    (
        "hdfc_csv",
        lambda: fixture("hdfc_delimited.txt"),
        "hdfc_csv",
        9,
        ("2024-01-01", "2024-01-31"),  # no period in the file: its first and last row
        None,
        {
            3: ("Swiggy", "expense", "food"),  # UPI-SWIGGY-SWIGGY.ORDER@ICICI-...
            4: ("Acme Technologies Pvt Ltd Salary", "income", "salary"),  # NEFT CR-...SALARY
            6: ("Cash withdrawal", "expense", "cash"),  # ATW-512967XXXXXX1234-...
            11: ("Interest", "income", "interest"),  # INTEREST PAID TILL 31-JAN-2024
        },
    ),
    (
        "hdfc_xls",  # preamble, asterisk rows, a wrapped narration, summary block, bad amount
        lambda: xls_bytes(HDFC_XLS_ROWS),
        "hdfc_xls",
        5,
        ("2024-02-01", "2024-02-29"),  # "Statement From : 01/02/2024 To : 29/02/2024"
        "XXXXXXXX1234",
        {9: ("Zomato", "expense", "food"), 13: ("Amazon", "expense", "shopping")},
    ),
    (
        "icici_xls",  # column A empty, B/F opening row dropped, legends end the table
        lambda: xls_bytes(ICICI_XLS_ROWS, start_column=1),
        "icici_xls",
        4,
        ("2024-08-01", "2024-08-31"),
        "084601501234",
        {10: ("Swiggy", "expense", "food"), 11: ("Anil Kumar", "income", "other")},
    ),
    (
        "sbi",  # tab-separated text named .xls, Indian grouping 1,00,000.00
        lambda: fixture("sbi_statement.txt"),
        "sbi",
        7,
        ("2024-01-01", "2024-01-31"),
        "00000031234567890",
        {
            20: ("Acme Technologies", "income", "other"),
            21: ("Meena Stores", "expense", "groceries"),  # .../meena.stores@oksbi/groceries
        },
    ),
    (
        "sbi_xls",  # a description wrapped inside its cell
        lambda: xls_bytes(sbi_xls_rows()),
        "sbi",
        7,
        ("2024-01-01", "2024-01-31"),
        "00000031234567890",
        {21: ("Meena Stores", "expense", "groceries")},
    ),
    (
        "axis",  # padded amounts, a disclaimer footer
        lambda: fixture("axis_statement.csv"),
        "axis",
        5,
        ("2025-03-01", "2025-03-31"),
        "923010008070086",
        {11: ("Zomato", "expense", "food"), 15: ("Interest", "income", "interest")},
    ),
    (
        "axis_detailed",  # OPENING BALANCE row, TRANSACTION TOTAL and CLOSING BALANCE rows
        lambda: fixture("axis_detailed.csv"),
        "axis",
        3,
        ("2025-08-01", "2025-08-03"),
        "922030048910705",
        {7: ("Blinkit", "expense", "groceries")},
    ),
    (
        "kotak",  # amount with Dr/Cr, an overdrawn balance
        lambda: fixture("kotak_statement.csv"),
        "kotak",
        4,
        ("2026-03-01", "2026-03-31"),
        "3349936986",
        {12: ("Acme Technologies Salary Mar", "income", "salary")},
    ),
    (
        "ofx_v1",
        lambda: fixture("statement_v1.ofx"),
        "ofx",
        3,
        ("2024-01-01", "2024-01-31"),
        "XXXXXXXX1234",
        {33: ("Swiggy", "expense", "food"), 41: ("Salary", "income", "salary")},
    ),
    (
        "ofx_v2",
        lambda: fixture("statement_v2.ofx"),
        "ofx",
        2,
        ("2024-02-01", "2024-02-29"),
        "XXXXXXXX5678",
        {25: ("Zomato", "expense", "food")},
    ),
    (
        "qif",
        lambda: fixture("statement.qif"),
        "qif",
        4,
        ("2024-01-02", "2024-01-15"),  # no period in QIF: first and last row
        "Savings XXXX4321",
        {6: ("BigBasket", "expense", "groceries"), 21: ("Netflix", "expense", "subscriptions")},
    ),
    (
        "aa_json",
        lambda: fixture("aa_deposit.json"),
        "aa_json",
        3,
        ("2024-01-01", "2024-01-31"),
        "XXXXXXXX6789",
        {
            1: ("Satish Kumar", "expense", "other"),
            3: ("Medium Bucks Finance Ltd", "income", "other"),
        },
    ),
]


@pytest.mark.parametrize(
    ("data", "fmt", "count", "period", "account", "expected"),
    [case[1:] for case in LAYOUTS],
    ids=[case[0] for case in LAYOUTS],
)
async def test_every_layout_is_previewed_and_nothing_is_written(
    client, user, data, fmt, count, period, account, expected
):
    imp = await upload(client, user, data())
    assert (imp["format"], imp["status"], imp["account"]) == (fmt, "preview", account)
    assert (imp["period"]["from"], imp["period"]["to"]) == period
    assert imp["counts"]["rows"] == count
    rows = await all_rows(client, user, imp["id"])
    assert len(rows) == count and [r["line"] for r in rows] == sorted(r["line"] for r in rows)
    by_line = {row["line"]: row for row in rows}
    for line, (title, kind, label) in expected.items():
        row = by_line[line]
        field = "category" if kind == "expense" else "income_type"
        assert (row["title"], row["kind"], row[field]) == (title, kind, label), row
    for row in rows:
        assert row["title"] != row["narration"]  # the cleaned payee, never the raw narration
        assert row["direction"] in ("debit", "credit") and row["amount"] >= 0
    errors = [row for row in rows if row["status"] == "error"]
    assert imp["counts"]["error"] == len(errors)
    assert all(row["error"] and row["kind"] == "skip" for row in errors)
    assert await totals(client, user) == NOTHING  # a preview writes nothing to the books


async def test_the_bad_rows_of_a_statement_are_error_rows_that_never_commit(client, user):
    # HDFC XLS: line 14's withdrawal reads "4S0.00" (an S for a 5); QIF: "D31/13/2024".
    for data, line in ((xls_bytes(HDFC_XLS_ROWS), 14), (fixture("statement.qif"), 17)):
        imp = await upload(client, user, data)
        (bad,) = await all_rows(client, user, imp["id"], status="error")
        assert bad["line"] == line and bad["error"]
        result = await commit(client, user, imp["id"])
        # every row but the bad one becomes an entry
        assert sum(result["created"].values()) == imp["counts"]["rows"] - 1
        assert result["skipped"] == 1


# ---------------------------------------------------------------- dedupe


async def test_reimporting_a_file_finds_only_duplicates(client, user):
    data = fixture("hdfc_delimited.txt")
    first = await upload(client, user, data)
    result = await commit(client, user, first["id"])
    # 9 rows: 7 debits (expenses) and 2 credits (salary, interest)
    assert result == {"created": {"expenses": 7, "income": 2, "payments": 0}, "linked": 0,
                      "skipped": 0}  # fmt: skip
    again = await upload(client, user, data)
    assert again["counts"] | {"rows": 9} == {"rows": 9, "new": 0, "duplicate": 9,
                                            "possible_duplicate": 0, "error": 0}  # fmt: skip
    assert all(r["kind"] == "skip" for r in await all_rows(client, user, again["id"]))
    assert await commit(client, user, again["id"]) == {
        "created": NOTHING, "linked": 0, "skipped": 9}  # fmt: skip
    assert await totals(client, user) == {"expenses": 7, "income": 2, "payments": 0}


async def test_overlapping_statements_give_no_new_rows_for_the_overlap(client, user):
    lines = fixture("hdfc_delimited.txt").decode().splitlines()
    header, body = lines[:2], lines[2:]  # a blank line and the header; then 9 rows
    january_start = "\r\n".join(header + body[:6]).encode()  # rows 1-6: 1-7 Jan
    january_end = "\r\n".join(header + body[3:]).encode()  # rows 4-9: overlap rows 4-6
    await commit(client, user, (await upload(client, user, january_start))["id"])
    later = await upload(client, user, january_end)
    # 6 rows in the second file, 3 of them (rows 4, 5, 6) already imported
    assert (later["counts"]["new"], later["counts"]["duplicate"]) == (3, 3)
    result = await commit(client, user, later["id"])
    assert sum(result["created"].values()) == 3
    # The two files together hold the fixture's 9 rows once each: 7 expenses, 2 income
    assert await totals(client, user) == {"expenses": 7, "income": 2, "payments": 0}


async def test_two_imports_of_one_statement_committed_at_once_create_each_row_once(client, user):
    data = fixture("hdfc_delimited.txt")
    first, second = [await upload(client, user, data) for _ in range(2)]
    assert first["counts"]["new"] == second["counts"]["new"] == 9  # neither committed yet
    results = await asyncio.gather(
        commit(client, user, first["id"]), commit(client, user, second["id"])
    )
    # A fingerprint's `_id` lets one commit take each row: 9 rows in all.
    created = [sum(r["created"].values()) for r in results]
    assert sum(created) == 9 and sorted(r["skipped"] for r in results) == sorted(
        9 - n for n in created
    )
    assert await totals(client, user) == {"expenses": 7, "income": 2, "payments": 0}
    # One import committed twice at once: both answers say the same, each row made once.
    axis = await upload(client, user, fixture("axis_statement.csv"))
    twice = await asyncio.gather(*(commit(client, user, axis["id"]) for _ in range(2)))
    # Axis: 2 debits (Zomato, a cheque) and 3 credits (UPI, IMPS, interest)
    assert twice[0] == twice[1] == {"created": {"expenses": 2, "income": 3, "payments": 0},
                                    "linked": 0, "skipped": 0}  # fmt: skip
    assert await totals(client, user) == {"expenses": 7 + 2, "income": 2 + 3, "payments": 0}


async def test_a_long_statement_is_committed_in_batches_each_row_once(client, user):
    # 1,201 rows: the rows of three windows of 500 lines, each its own transaction.
    day, rows = date(2024, 1, 1), []
    for i in range(1201):
        when = day + timedelta(days=i % 28)
        rows.append((when, f"UPI-SHOP {i}-SHOP{i}@YBL-YESB0000001-{600000000000 + i}-BUY",
                     "1.00", "0.00", str(600000000000 + i), "100.00"))  # fmt: skip
    imp = await upload(client, user, hdfc_rows(*rows))
    assert imp["counts"]["new"] == 1201
    result = await commit(client, user, imp["id"])
    assert result["created"]["expenses"] == 1201
    assert (await get(client, user, "/api/expenses"))["total"] == 1201
    page = await get(client, user, f"/api/imports/{imp['id']}/rows", skip=1100, limit=100)
    assert {r["outcome"] for r in page["items"]} == {"created"}


async def test_identical_same_day_repeats_stay_two_rows_and_two_expenses(client, user):
    # QIF has no balance and no reference: two Rs 20 bus tickets on one day differ only by
    # their place in the file (the fingerprint's occurrence index).
    qif = b"!Type:Bank\n" + b"D07/01/2024\nT-20.00\nPBMTC BUS TICKET\n^\n" * 2
    # Every date reads both ways (7 January, 1 July): the order is said (day first).
    imp = await upload(client, user, qif, name="bus.qif", date_order="dmy")
    rows = await all_rows(client, user, imp["id"])
    assert [(r["amount"], r["status"]) for r in rows] == [(20, "new"), (20, "new")]
    result = await commit(client, user, imp["id"])
    assert result["created"]["expenses"] == 2
    expenses = (await get(client, user, "/api/expenses"))["items"]
    assert [e["amount"] for e in expenses] == [20, 20]
    again = await upload(client, user, qif, name="bus.qif", date_order="dmy")
    assert again["counts"]["duplicate"] == 2  # both seen again, neither new


async def test_a_hand_entry_the_import_finds_is_linked_not_created(client, user):
    # The statement's Swiggy debit is Rs 450 on 1 Jan 2024; typed in by hand on 3 Jan
    # (two days later: within the 3-day window).
    mine = await expense(client, user, 450, "2024-01-03", title="Dinner order")
    imp = await upload(client, user, fixture("hdfc_delimited.txt"))
    assert imp["counts"]["possible_duplicate"] == 1
    (row,) = await all_rows(client, user, imp["id"], status="possible_duplicate")
    assert (row["line"], row["matches"]) == (3, [mine["id"]])
    result = await commit(client, user, imp["id"])
    # 9 rows: the Swiggy debit linked, the other 6 debits and 2 credits created
    assert result == {"created": {"expenses": 6, "income": 2, "payments": 0}, "linked": 1,
                      "skipped": 0}  # fmt: skip
    (linked,) = [r for r in await all_rows(client, user, imp["id"]) if r["line"] == 3]
    assert (linked["outcome"], linked["entry_id"]) == ("linked", mine["id"])
    assert await get(client, user, f"/api/expenses/{mine['id']}") == mine  # left as it was
    assert await totals(client, user) == {"expenses": 1 + 6, "income": 2, "payments": 0}
    # The linked row is imported all the same: the same file again finds 9 duplicates.
    assert (await upload(client, user, fixture("hdfc_delimited.txt")))["counts"]["new"] == 0


async def test_setting_the_kind_of_a_possible_duplicate_creates_it(client, user):
    await expense(client, user, 450, "2024-01-01", title="Dinner order")
    imp = await upload(client, user, fixture("hdfc_delimited.txt"))
    (row,) = await all_rows(client, user, imp["id"], status="possible_duplicate")
    r = await client.put(
        f"/api/imports/{imp['id']}/rows/{row['id']}", headers=user.headers, json={"kind": "expense"}
    )
    assert r.status_code == 200, r.text
    result = await commit(client, user, imp["id"])
    assert (result["created"]["expenses"], result["linked"]) == (7, 0)
    assert (await totals(client, user))["expenses"] == 1 + 7


async def test_a_possible_duplicate_sent_back_whole_still_links(client, user):
    # An edit form sends the row back as GET answered it, with a new title: its unchanged
    # kind is an echo, not a choice, so the row still links to the typed-in expense (creating
    # it would count the Rs 450 twice).
    mine = await expense(client, user, 450, "2024-01-01", title="Dinner order")
    imp = await upload(client, user, fixture("hdfc_delimited.txt"))
    (row,) = await all_rows(client, user, imp["id"], status="possible_duplicate")
    url = f"/api/imports/{imp['id']}/rows/{row['id']}"
    r = await client.put(url, headers=user.headers, json=row | {"title": "Dinner"})
    assert r.status_code == 200, r.text
    result = await commit(client, user, imp["id"])
    assert (result["created"]["expenses"], result["linked"]) == (6, 1)
    assert (await totals(client, user))["expenses"] == 1 + 6
    assert await get(client, user, f"/api/expenses/{mine['id']}") == mine


async def test_two_same_amount_rows_never_link_to_one_hand_entry(client, user):
    # The two Rs 20 BMTC tickets of 7 Jan; one typed in by hand: one row links, one is new.
    await expense(client, user, 20, "2024-01-07", title="Bus")
    imp = await upload(client, user, fixture("hdfc_delimited.txt"))
    possible = await all_rows(client, user, imp["id"], status="possible_duplicate")
    assert [r["line"] for r in possible] == [9]
    result = await commit(client, user, imp["id"])
    assert (result["created"]["expenses"], result["linked"]) == (6, 1)


# ---------------------------------------------------------------- EMI matching


async def bajaj_loan(client, user):
    # Rs 5,00,000 at 12 % with an EMI of Rs 12,500; started 3 Dec 2023, so due 3 Jan 2024.
    return await create_debt(
        client,
        user,
        name="Personal loan",
        debt_type="personal_loan",
        principal=500000,
        interest_rate=12,
        tenure_months=48,
        monthly_emi=12500,
        bank_name="Bajaj Finance",
        start_date="2023-12-03",
    )


async def test_an_emi_in_the_statement_is_booked_as_a_payment_with_its_split(client, user):
    loan = await bajaj_loan(client, user)
    assert loan["next_payment_date"] == "2024-01-03"
    imp = await upload(client, user, fixture("hdfc_delimited.txt"))
    (row,) = [r for r in await all_rows(client, user, imp["id"]) if r["line"] == 5]
    # "ACH D- BAJAJ FINANCE LTD-P402PHR1234567", Rs 12,500 on 3 Jan: the EMI, on its due day
    assert (row["kind"], row["debt_id"], row["amount"]) == ("payment", loan["id"], 12500)
    result = await commit(client, user, imp["id"])
    assert result["created"] == {"expenses": 6, "income": 2, "payments": 1}
    (payment,) = (await get(client, user, "/api/payments"))["items"]
    # A month's interest on Rs 5,00,000 at 12 %/12 = 1 %: Rs 5,000; the rest is principal.
    assert (payment["interest_component"], payment["principal_component"]) == (5000, 7500)
    assert (payment["payment_date"], payment["import_id"]) == ("2024-01-03", imp["id"])
    after = await get(client, user, f"/api/debts/{loan['id']}")
    assert after["remaining_amount"] == 500000 - 7500
    assert after["next_payment_date"] == "2024-02-03"  # advanced a month
    assert after["total_interest_paid"] == 5000


async def test_an_emi_is_found_by_the_loan_account_the_narration_names(client, user):
    # Neither the lender's name (none given) nor the amount (EMI 9,000 vs the debit 12,500)
    # nor the due day (20 Jan vs 3 Jan: 17 days) match the debit "ACH D- BAJAJ FINANCE
    # LTD-P402PHR1234567": only the account number, as the user typed it, does.
    body = dict(
        name="Personal loan",
        debt_type="personal_loan",
        principal=500000,
        interest_rate=12,
        tenure_months=48,
        monthly_emi=9000,
        start_date="2023-12-20",
    )
    named = await create_debt(client, user, **body, loan_account="P402-PHR-1234567")
    other = await create_debt(client, user, **body, loan_account="P402PHR7654321")
    assert named["loan_account"] == "P402-PHR-1234567"
    imp = await upload(client, user, fixture("hdfc_delimited.txt"))
    (row,) = [r for r in await all_rows(client, user, imp["id"]) if r["line"] == 5]
    assert (row["kind"], row["debt_id"]) == ("payment", named["id"])
    assert other["id"] not in [r["debt_id"] for r in await all_rows(client, user, imp["id"])]
    # The edit form's PUT of the debt as read keeps it; a fragment too short to tell is a 422.
    r = await client.put(f"/api/debts/{named['id']}", json=named, headers=user.headers)
    assert (r.status_code, r.json()["loan_account"]) == (200, "P402-PHR-1234567")
    r = await client.put(
        f"/api/debts/{named['id']}", json={"loan_account": "4567"}, headers=user.headers
    )
    assert r.status_code == 422 and r.json()["detail"][0]["loc"] == ["body", "loan_account"]


async def test_undo_removes_what_the_import_made_and_restores_the_debt_exactly(client, user):
    loan = await bajaj_loan(client, user)
    before = await get(client, user, f"/api/debts/{loan['id']}")
    mine = await expense(client, user, 99, "2024-01-10", title="Typed in")
    imp = await upload(client, user, fixture("hdfc_delimited.txt"))
    await commit(client, user, imp["id"])
    assert await totals(client, user) == {"expenses": 1 + 6, "income": 2, "payments": 1}
    r = await client.post(f"/api/imports/{imp['id']}/undo", headers=user.headers)
    assert r.status_code == 200, r.text
    assert r.json() == {"removed": {"expenses": 6, "income": 2, "payments": 1}}
    assert await totals(client, user) == {"expenses": 1, "income": 0, "payments": 0}
    assert (await get(client, user, "/api/expenses"))["items"] == [mine]
    restored = await get(client, user, f"/api/debts/{loan['id']}")
    assert {k: v for k, v in restored.items() if k != "updated_at"} == {
        k: v for k, v in before.items() if k != "updated_at"
    }
    assert (await get(client, user, f"/api/imports/{imp['id']}"))["status"] == "undone"
    r = await client.post(f"/api/imports/{imp['id']}/undo", headers=user.headers)
    assert r.json() == {"removed": NOTHING}  # a second undo removes nothing
    # Undone, the statement can be imported afresh.
    assert (await upload(client, user, fixture("hdfc_delimited.txt")))["counts"]["new"] == 9


async def test_budget_alert_fires_once_for_the_whole_import_and_undo_restores_it(client, user):
    day = today(TZ)
    await client.post(
        "/api/budgets", headers=user.headers, json={"category": "food", "monthly_limit": 1000}
    )
    data = hdfc_rows(
        (day, "UPI-SWIGGY-SWIGGY@ICICI-ICIC0DC0099-500112345678-ORDER", "850.00", "0.00",
         "500112345678", "9150.00"),
        (day, "UPI-ZOMATO-ZOMATO@HDFCBANK-HDFC0000499-500112345679-ORDER", "300.00", "0.00",
         "500112345679", "8850.00"),
    )  # fmt: skip
    imp = await upload(client, user, data)
    await commit(client, user, imp["id"])
    status = (await get(client, user, "/api/budgets/status"))["items"][0]
    # 850 + 300 = 1,150 of 1,000: 115 %. One row at a time would alert twice (85 % crosses
    # the 80 % threshold, then 115 % the limit); the import alerts once, for the limit.
    assert (status["spent"], status["percent"], status["level"]) == (1150, 115, "exceeded")
    alerts = (await get(client, user, "/api/notifications"))["items"]
    assert [n["title"] for n in alerts if n["notification_type"] == "expense_alert"] == [
        "Budget exceeded: food"
    ]
    assert [n["title"] for n in alerts if n["notification_type"] == "system"] == [
        "Statement imported"
    ]
    assert not [n for n in alerts if n["notification_type"] == "income_received"]
    await client.post(f"/api/imports/{imp['id']}/undo", headers=user.headers)
    status = (await get(client, user, "/api/budgets/status"))["items"][0]
    assert (status["spent"], status["remaining"], status["level"]) == (0, 1000, "ok")


# ---------------------------------------------------------------- commit, discard


async def test_commit_twice_changes_nothing(client, user):
    imp = await upload(client, user, fixture("axis_statement.csv"))
    first = await commit(client, user, imp["id"])
    books = await totals(client, user)
    assert await commit(client, user, imp["id"]) == first
    assert await totals(client, user) == books
    assert (await get(client, user, f"/api/imports/{imp['id']}"))["result"] == first


async def test_a_preview_can_be_discarded_but_a_committed_import_is_undone(client, user):
    imp = await upload(client, user, fixture("kotak_statement.csv"))
    r = await client.delete(f"/api/imports/{imp['id']}", headers=user.headers)
    assert r.status_code == 204 and not r.content
    await get(client, user, f"/api/imports/{imp['id']}", status=404)
    imp = await upload(client, user, fixture("kotak_statement.csv"))
    await commit(client, user, imp["id"])
    r = await client.delete(f"/api/imports/{imp['id']}", headers=user.headers)
    assert (r.status_code, r.json()["code"]) == (409, "import_committed")
    r = await client.post(f"/api/imports/{imp['id']}/undo", headers=user.headers)
    assert r.status_code == 200
    assert (
        await client.delete(f"/api/imports/{imp['id']}", headers=user.headers)
    ).status_code == 204


async def test_undo_of_a_preview_and_commit_of_an_undone_import_are_409(client, user):
    imp = await upload(client, user, fixture("kotak_statement.csv"))
    r = await client.post(f"/api/imports/{imp['id']}/undo", headers=user.headers)
    assert (r.status_code, r.json()["code"]) == (409, "import_not_committed")
    await commit(client, user, imp["id"])
    await client.post(f"/api/imports/{imp['id']}/undo", headers=user.headers)
    r = await client.post(f"/api/imports/{imp['id']}/commit", headers=user.headers)
    assert (r.status_code, r.json()["code"]) == (409, "import_not_in_preview")


async def test_imports_are_listed_newest_first(client, user):
    first = await upload(client, user, fixture("axis_statement.csv"))
    second = await upload(client, user, fixture("kotak_statement.csv"))
    page = await get(client, user, "/api/imports")
    assert [i["id"] for i in page["items"]] == [second["id"], first["id"]]
    assert page["total"] == 2


# ---------------------------------------------------------------- corrections and rules


async def test_put_what_you_get_on_a_row_and_a_suggested_rule(client, user):
    imp = await upload(client, user, fixture("hdfc_delimited.txt"))
    rows = await all_rows(client, user, imp["id"])
    rent = next(r for r in rows if r["line"] == 7)  # NEFT DR-...-RAKESH KUMAR-...-RENT JAN
    assert (rent["title"], rent["category"]) == ("Rakesh Kumar", "rent")
    url = f"/api/imports/{imp['id']}/rows/{rent['id']}"
    r = await client.put(url, headers=user.headers, json=rent | {"category": "housing"})
    assert r.status_code == 200, r.text
    change = r.json()
    assert change["row"] == rent | {"category": "housing", "kind": "expense"}
    assert change["suggested_rule"] == {
        "name": "Rakesh Kumar → housing",
        "match": {"payee": "Rakesh Kumar", "vpa": None, "narration": None,
                  "direction": "debit", "min_amount": None, "max_amount": None},
        "set": {"kind": "expense", "title": None, "category": "housing", "income_type": None,
                "tags": []},
        "order": 0,
    }  # fmt: skip
    assert change["rule"] is None and (await get(client, user, "/api/rules"))["total"] == 0
    # A read-only field is ignored (an edit form sends it back), not refused.
    r = await client.put(url, headers=user.headers, json={"line": 8})
    assert (r.status_code, r.json()["row"]["line"]) == (200, 7)


async def test_remember_creates_the_rule_and_applies_it_to_the_preview(client, user):
    imp = await upload(client, user, fixture("hdfc_delimited.txt"))
    rows = await all_rows(client, user, imp["id"])
    bus = [r for r in rows if r["title"] == "Bmtc Bus"]  # two Rs 20 tickets, lines 9 and 10
    assert [r["category"] for r in bus] == ["transport", "transport"]  # shipped: BMTC
    url = f"/api/imports/{imp['id']}/rows/{bus[0]['id']}"
    body = {"category": "commute", "remember": True}  # a category of the user's own
    change = (await client.put(url, headers=user.headers, json=body)).json()
    assert change["rule"]["match"]["payee"] == "Bmtc Bus"
    assert change["applied"] == 1  # the other ticket
    rows = await all_rows(client, user, imp["id"])
    assert [r["category"] for r in rows if r["title"] == "Bmtc Bus"] == ["commute"] * 2
    # The next statement from this payee follows the rule at preview.
    imp = await upload(client, user, xls_bytes(HDFC_XLS_ROWS))  # no BMTC there: nothing to do
    assert (await get(client, user, "/api/rules"))["total"] == 1


async def test_a_payment_row_needs_one_of_your_debts(client, user, other_user):
    theirs = await bajaj_loan(client, other_user)
    imp = await upload(client, user, fixture("hdfc_delimited.txt"))
    row = (await all_rows(client, user, imp["id"]))[0]
    url = f"/api/imports/{imp['id']}/rows/{row['id']}"
    r = await client.put(url, headers=user.headers, json={"kind": "payment"})
    assert (r.status_code, r.json()["detail"][0]["loc"]) == (422, ["body", "debt_id"])
    body = {"kind": "payment", "debt_id": theirs["id"]}
    r = await client.put(url, headers=user.headers, json=body)
    assert (r.status_code, r.json()["code"]) == (404, "debt_not_found")


async def test_rows_of_a_committed_import_cannot_change(client, user):
    imp = await upload(client, user, fixture("axis_statement.csv"))
    row = (await all_rows(client, user, imp["id"]))[0]
    await commit(client, user, imp["id"])
    r = await client.put(
        f"/api/imports/{imp['id']}/rows/{row['id']}", headers=user.headers, json={"title": "X"}
    )
    assert (r.status_code, r.json()["code"]) == (409, "import_not_in_preview")
    committed = await all_rows(client, user, imp["id"])
    assert {r["outcome"] for r in committed} == {"created"}
    assert all(r["entry_id"] == r["id"] for r in committed)  # an entry takes its row's id


# ---------------------------------------------------------------- generic files and templates


MAPPING = {"date": "Txn Dt", "narration": "Particulars", "debit": "Withdrawals",
           "credit": "Deposits", "reference": "Cheque / Ref", "balance": "Balance (INR)"}  # fmt: skip


async def test_a_generic_mapping_is_saved_as_a_template_and_reused(client, user):
    data = fixture("generic_debit_credit.csv")
    r = await client.post(
        "/api/imports", headers=user.headers, files={"file": ("federal.csv", data)}
    )
    assert (r.status_code, r.json()["code"]) == (422, "unknown_layout")
    form = {"mapping": json.dumps(MAPPING), "template": "Federal Bank"}
    imp = await upload(client, user, data, **form)
    assert (imp["format"], imp["counts"]["rows"]) == ("generic", 3)
    rows = await all_rows(client, user, imp["id"])
    # 1,250.00 Swiggy; 75,000.00 salary; 980.5 BESCOM electricity
    assert [(r["amount"], r["kind"], r["category"] or r["income_type"]) for r in rows] == [
        (1250, "expense", "food"),
        (75000, "income", "salary"),
        (980.5, "expense", "utilities"),
    ]
    (saved,) = (await get(client, user, "/api/imports/templates"))["items"]
    assert saved["name"] == "Federal Bank" and saved["mapping"]["debit"] == "Withdrawals"
    again = await upload(client, user, data, template="Federal Bank")
    assert again["format"] == "generic" and again["counts"]["rows"] == 3
    r = await client.post(
        "/api/imports",
        headers=user.headers,
        files={"file": ("f.csv", data)},
        data={"template": "Nobody"},
    )
    assert (r.status_code, r.json()["detail"][0]["loc"]) == (422, ["body", "template"])


@pytest.mark.parametrize(
    ("mapping", "code"),
    [
        ("{not json", "invalid_mapping"),
        (json.dumps({"date": "Txn Dt", "narration": "Particulars"}), "invalid_mapping"),
        (json.dumps(MAPPING | {"amount": "Amount"}), "invalid_mapping"),
        (json.dumps(MAPPING | {"debit": "Debits Column"}), "mapping_columns_missing"),
    ],
    ids=["not-json", "no-amount-column", "amount-and-debit", "missing-column"],
)
async def test_a_bad_mapping_is_a_422_on_the_mapping(client, user, mapping, code):
    data = fixture("generic_debit_credit.csv")
    r = await client.post(
        "/api/imports",
        headers=user.headers,
        files={"file": ("f.csv", data)},
        data={"mapping": mapping},
    )
    assert (r.status_code, r.json()["code"]) == (422, code), r.text
    assert r.json()["detail"][0]["loc"] == ["body", "mapping"]
    assert (await get(client, user, "/api/imports"))["total"] == 0


# ---------------------------------------------------------------- refusals and limits


def zip_bomb() -> bytes:
    # A real XLSX plus a 64 MiB sheet of spaces: deflate squeezes it ~1000:1.
    buffer = io.BytesIO(xlsx_bytes([["Date", "Narration"]]))
    with zipfile.ZipFile(buffer, "a", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("xl/worksheets/sheet2.xml", b" " * (64 * 1024 * 1024))
    return buffer.getvalue()


def lying_zip() -> bytes:
    data = bytearray(xlsx_bytes([["Date", "Narration"]]))
    entry = data.find(b"PK\x01\x02")
    struct.pack_into("<I", data, entry + 24, 0xF0000000)  # declares 3.75 GiB
    return bytes(data)


@pytest.mark.parametrize(
    ("name", "data", "status", "code"),
    [
        ("scan.pdf", scanned_pdf(), 415, "pdf_scanned"),
        ("broken.pdf", b"%PDF-1.7\n1 0 obj\n<< >>\nendobj\n%%EOF\n", 422, "corrupt_pdf"),
        ("photo.jpg", b"\xff\xd8\xff\xe0" + b"\x00" * 32, 415, "image"),
        ("statement.csv", b"Date,Narration,Amount\n" + bytes(range(256)) * 4, 415, "binary"),
        ("statement.xlsx", zip_bomb(), 415, "zip_bomb"),
        ("statement.xlsx", lying_zip(), 415, "zip_bomb"),
        ("statement.xlsx", xlsx_bytes([["a"]])[:-200], 422, "corrupt_zip"),
        ("statement.csv", fixture("unknown_layout.csv"), 422, "unknown_layout"),
        ("statement.ofx", fixture("statement_v1.ofx")[:-40], 422, "corrupt_ofx"),
        ("statement.csv", b"", 415, "empty"),
    ],
    ids=[
        "scanned-pdf",
        "broken-pdf",
        "image",
        "binary-as-csv",
        "zip-bomb",
        "lying-zip",
        "truncated-xlsx",
        "unknown-layout",
        "truncated-ofx",
        "empty",
    ],
)
async def test_files_that_are_not_statements_are_refused_and_nothing_is_stored(
    client, user, name, data, status, code
):
    r = await client.post("/api/imports", headers=user.headers, files={"file": (name, data)})
    assert (r.status_code, r.json()["code"]) == (status, code), r.text
    message = r.json()["detail"] if status == 415 else r.json()["detail"][0]["msg"]
    assert len(message) > 20  # a sentence saying what was expected
    assert (await get(client, user, "/api/imports"))["total"] == 0


async def test_a_forced_format_that_does_not_fit_names_the_format(client, user):
    r = await client.post(
        "/api/imports",
        headers=user.headers,
        files={"file": ("s.csv", fixture("axis_statement.csv"))},
        data={"format": "ofx"},
    )
    assert (r.status_code, r.json()["detail"][0]["loc"]) == (422, ["body", "format"])


async def test_sixty_thousand_rows_are_refused_before_the_rest_is_read(client, user):
    day = date(2024, 1, 1)
    lines = ["", HDFC_HEADER]
    lines += [f" 01/01/24,UPI-X-{i},01/01/24,1.00,0.00,{i},1.00" for i in range(60_000)]
    data = "\n".join(lines).encode()
    assert len(data) < 10 * 1024 * 1024 and day.year == 2024  # under the size cap
    r = await client.post("/api/imports", headers=user.headers, files={"file": ("big.csv", data)})
    assert (r.status_code, r.json()["code"]) == (413, "too_many_rows")
    assert (await get(client, user, "/api/imports"))["total"] == 0


async def test_a_file_over_the_size_cap_is_413_before_parsing(mongo_url, tmp_path, monkeypatch):
    import imports.upload

    def never(*args, **kwargs):
        raise AssertionError("parsed")

    monkeypatch.setattr(imports.upload, "parse_statement", never)
    settings = make_settings(mongo_url, tmp_path, max_upload_bytes=1000)
    app = create_app(settings)
    import httpx

    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as c:
            owner = await signup(c)
            data = fixture("hdfc_delimited.txt")  # about 1.8 KB
            assert len(data) > 1000
            r = await c.post("/api/imports", headers=owner.headers, files={"file": ("s", data)})
            assert (r.status_code, r.json()["code"]) == (413, "file_too_large")
        await app.state.db.client.drop_database(settings.mongodb_db)


# ---------------------------------------------------------------- idempotency


async def test_idempotency_key_replays_the_first_preview(client, user):
    key = {"Idempotency-Key": "statement-upload-1"}
    data = fixture("axis_statement.csv")
    first = await upload(client, user, data, headers=key)
    r = await client.post(
        "/api/imports", headers=user.headers | key, files={"file": ("s.csv", data)}
    )
    assert r.status_code == 201 and r.json() == first
    assert r.headers["idempotent-replayed"] == "true"
    r = await client.post(
        "/api/imports",
        headers=user.headers | key,
        files={"file": ("s.csv", fixture("kotak_statement.csv"))},
    )
    assert (r.status_code, r.json()["code"]) == (422, "idempotency_key_reused")
    assert (await get(client, user, "/api/imports"))["total"] == 1


# ---------------------------------------------------------------- exports, ownership, deletion


async def test_a_formula_in_a_statement_stays_text_in_every_export(client, user):
    narration = "=cmd|' /C calc'!A0"
    data = hdfc_rows((date(2024, 3, 5), narration, "10.00", "0.00", "", "90.00"))
    imp = await upload(client, user, data)
    (row,) = await all_rows(client, user, imp["id"])
    assert row["narration"] == narration
    await commit(client, user, imp["id"])
    r = await client.get(
        "/api/reports/export",
        headers=user.headers,
        params={"kind": "expenses", "from": "2024-03-01", "to": "2024-03-31"},
    )
    (header, line) = list(csv.reader(io.StringIO(r.text)))
    cells = dict(zip(header, line, strict=True))
    assert cells["description"] == "'" + narration  # a spreadsheet shows it, never runs it
    assert not any(cell.startswith(("=", "+", "-", "@")) for cell in line)
    exported = (await client.get("/api/users/me/export", headers=user.headers)).json()
    assert exported["expenses"][0]["description"] == narration  # JSON keeps text as text
    assert exported["import_rows"][0]["narration"] == narration
    assert exported["imports"][0]["id"] == imp["id"]


async def test_another_users_import_is_404_everywhere(client, user, other_user):
    imp = await upload(client, other_user, fixture("axis_statement.csv"))
    row = (await all_rows(client, other_user, imp["id"]))[0]
    base = f"/api/imports/{imp['id']}"
    for method, path, body in (
        ("GET", base, None),
        ("GET", f"{base}/rows", None),
        ("PUT", f"{base}/rows/{row['id']}", {"title": "Mine now"}),
        ("POST", f"{base}/commit", None),
        ("POST", f"{base}/undo", None),
        ("DELETE", base, None),
    ):
        r = await client.request(method, path, headers=user.headers, json=body)
        assert (r.status_code, r.json()["code"]) == (404, "import_not_found"), (method, path)
    # A row id of another import of one's own is a 404 too.
    mine = await upload(client, user, fixture("kotak_statement.csv"))
    r = await client.put(
        f"/api/imports/{mine['id']}/rows/{row['id']}", headers=user.headers, json={"title": "X"}
    )
    assert (r.status_code, r.json()["code"]) == (404, "row_not_found")
    assert (await get(client, other_user, base))["status"] == "preview"
    assert (await get(client, user, "/api/imports"))["total"] == 1


async def test_account_deletion_empties_every_import_collection(client, db, user):
    from bson import ObjectId

    form = {"mapping": json.dumps(MAPPING), "template": "Federal"}
    imp = await upload(client, user, fixture("generic_debit_credit.csv"), **form)
    await commit(client, user, imp["id"])
    rule = {"name": "Cabs", "match": {"narration": "UBER"}, "set": {"category": "transport"}}
    assert (await client.post("/api/rules", headers=user.headers, json=rule)).status_code == 201
    owner = {"user_id": ObjectId(user.id)}
    names = ("imports", "import_rows", "import_fingerprints", "import_templates", "rules")
    assert set(names) <= set(USER_COLLECTIONS)
    assert all([await db[name].count_documents(owner) for name in names])
    r = await client.request(
        "DELETE", "/api/users/me", headers=user.headers, json={"password": user.password}
    )
    assert r.status_code == 204
    assert [await db[name].count_documents(owner) for name in USER_COLLECTIONS] == [0] * len(
        USER_COLLECTIONS
    )


async def test_a_statement_in_a_timezone_keeps_its_days(client, user):
    # Days are the bank's days, whatever the user's timezone; the expense's day is the row's.
    await client.put("/api/users/me", headers=user.headers, json={"profile": {"timezone": "UTC"}})
    day = date(2024, 5, 31)
    imp = await upload(client, user, hdfc_rows((day, "POS 4321 DMART", "5.00", "0.00", "", "1")))
    await commit(client, user, imp["id"])
    (spent,) = (await get(client, user, "/api/expenses"))["items"]
    assert spent["date"] == day.isoformat() == (day + timedelta(days=0)).isoformat()
    assert Decimal(str(spent["amount"])) == Decimal("5.00")


# ---------------------------------------------------------------- accounts: counted once


async def test_one_statement_under_two_labels_of_one_account_is_counted_once(client, user):
    # Axis prints its number (ending 0086): both labels find the account the first made.
    data = fixture("axis_statement.csv")
    first = await upload(client, user, data, account="Axis Savings")
    result = await commit(client, user, first["id"])
    # Axis: 2 debits (Zomato, a cheque) and 3 credits (UPI, IMPS, interest)
    assert result["created"] == {"expenses": 2, "income": 3, "payments": 0}
    again = await upload(client, user, data, account="AXIS SB  0086")
    assert again["account_id"] == first["account_id"] and not again["account_created"]
    assert (again["counts"]["duplicate"], again["counts"]["new"]) == (5, 0)
    assert (await commit(client, user, again["id"]))["created"] == NOTHING
    # HDFC's export prints no number: uploaded twice into one account, the second is 9
    # duplicates whatever label comes with it.
    hdfc = fixture("hdfc_delimited.txt")
    savings = (await upload(client, user, hdfc, account="HDFC Savings"))["account_id"]
    await commit(client, user, (await upload(client, user, hdfc, account_id=savings))["id"])
    twice = await upload(client, user, hdfc, account_id=savings, account="HDFC SB  4321")
    assert (twice["counts"]["duplicate"], twice["counts"]["new"]) == (9, 0)
    assert await totals(client, user) == {"expenses": 2 + 7, "income": 3 + 2, "payments": 0}


async def test_a_statement_already_imported_into_another_account_links_to_it(client, user):
    # The same HDFC file under two names: two accounts. Each row of the second looks like
    # an entry the first imported (same direction, amount and day): linked, never created.
    data = fixture("hdfc_delimited.txt")
    await commit(client, user, (await upload(client, user, data, account="HDFC Savings"))["id"])
    other = await upload(client, user, data, account="HDFC SB  4321")
    assert other["counts"]["possible_duplicate"] == 9
    rows = await all_rows(client, user, other["id"])
    assert all(len(r["matches"]) >= 1 for r in rows)
    result = await commit(client, user, other["id"])
    assert result == {"created": NOTHING, "linked": 9, "skipped": 0}
    # 9 rows once: 7 debits (expenses) and 2 credits (salary, interest)
    assert await totals(client, user) == {"expenses": 7, "income": 2, "payments": 0}


async def test_a_skipped_row_stays_skipped_when_imported_again(client, user):
    data = fixture("hdfc_delimited.txt")
    imp = await upload(client, user, data)
    (swiggy,) = [r for r in await all_rows(client, user, imp["id"]) if r["line"] == 3]
    path = f"/api/imports/{imp['id']}/rows/{swiggy['id']}"
    assert (await client.put(path, headers=user.headers, json={"kind": "skip"})).status_code == 200
    result = await commit(client, user, imp["id"])
    # 9 rows: the skipped Swiggy debit, 6 other debits and 2 credits
    assert result == {"created": {"expenses": 6, "income": 2, "payments": 0}, "linked": 0,
                      "skipped": 1}  # fmt: skip
    again = await upload(client, user, data)
    rows = {r["line"]: r for r in await all_rows(client, user, again["id"])}
    assert (rows[3]["status"], rows[3]["kind"], rows[3]["skipped_before"]) == ("new", "skip", True)
    assert again["counts"]["duplicate"] == 8  # the 8 committed
    assert (await commit(client, user, again["id"]))["created"] == NOTHING
    # Changed your mind: made an expense, it is imported (and no longer remembered).
    third = await upload(client, user, data)
    (row,) = [r for r in await all_rows(client, user, third["id"]) if r["line"] == 3]
    path = f"/api/imports/{third['id']}/rows/{row['id']}"
    r = await client.put(path, headers=user.headers, json={"kind": "expense"})
    assert r.status_code == 200, r.text
    assert (await commit(client, user, third["id"]))["created"]["expenses"] == 1
    assert (await upload(client, user, data))["counts"]["duplicate"] == 9


async def test_a_row_whose_running_balance_breaks_says_so(client, user):
    # 1,000 - 100 = 900; then 900 - 50 is 850, but the bank printed 800.
    data = hdfc_rows(
        (date(2024, 4, 1), "POS DMART", "100.00", "0.00", "", "900.00"),
        (date(2024, 4, 2), "POS CAFE", "50.00", "0.00", "", "800.00"),
    )
    imp = await upload(client, user, data)
    rows = await all_rows(client, user, imp["id"])
    assert [(r["balance"], r["balance_mismatch"]) for r in rows] == [(900, False), (800, True)]


async def test_a_statements_rows_come_500_a_page(client, user):
    day = date(2024, 1, 1)
    rows = [(day + timedelta(days=i % 28), f"POS SHOP {i}", "1.00", "0.00", str(i), "")
            for i in range(600)]  # fmt: skip
    imp = await upload(client, user, hdfc_rows(*rows))
    page = await get(client, user, f"/api/imports/{imp['id']}/rows", limit=500)
    assert (len(page["items"]), page["total"], page["limit"]) == (500, 600, 500)
    rest = await get(client, user, f"/api/imports/{imp['id']}/rows", skip=500, limit=500)
    assert len(rest["items"]) == 600 - 500
    await get(client, user, f"/api/imports/{imp['id']}/rows", status=422, limit=501)


async def test_dates_that_read_both_ways_ask_for_the_date_order(client, user):
    qif = b"!Type:Bank\nD02/01/2024\nT-20.00\nPBUS\n^\nD03/01/2024\nT-30.00\nPBUS\n^\n"
    files = {"file": ("s.qif", qif)}
    r = await client.post("/api/imports", headers=user.headers, files=files)
    assert (r.status_code, r.json()["code"]) == (422, "ambiguous_date_order")
    assert r.json()["detail"][0]["loc"] == ["body", "date_order"]
    r = await client.post(
        "/api/imports", headers=user.headers, files=files, data={"date_order": "ymd"}
    )
    assert (r.status_code, r.json()["detail"][0]["loc"]) == (422, ["body", "date_order"])
    imp = await upload(client, user, qif, name="s.qif", date_order="mdy")
    # Month first: 2 January and 3 January are 1 February and 1 March.
    rows = await all_rows(client, user, imp["id"])
    assert [r["date"] for r in rows] == ["2024-02-01", "2024-03-01"]
    generic = b"Date,Narration,Amount\n02/01/2024,SHOP,-10\n03/01/2024,SHOP,-5\n"
    mapping = json.dumps({"date": "Date", "narration": "Narration", "amount": "Amount"})
    files = {"file": ("g.csv", generic)}
    r = await client.post(
        "/api/imports", headers=user.headers, files=files, data={"mapping": mapping}
    )
    assert (r.status_code, r.json()["code"]) == (422, "ambiguous_date_order")
    assert r.json()["detail"][0]["loc"] == ["body", "mapping"]
    imp = await upload(client, user, generic, mapping=mapping, date_order="dmy")
    assert [r["date"] for r in await all_rows(client, user, imp["id"])] == [
        "2024-01-02", "2024-01-03"]  # fmt: skip


async def test_a_mapping_reads_one_amount_column_with_a_dr_cr_column(client, user):
    mapping = {"date": "Tran Date", "narration": "Particulars", "amount": "Amount",
               "direction": "Dr/Cr", "debit_values": ["DR"], "credit_values": ["CR"],
               "reference": "Chq/Ref No", "balance": "Balance"}  # fmt: skip
    form = {"mapping": json.dumps(mapping), "template": "IDFC"}
    imp = await upload(client, user, fixture("generic_amount_drcr.csv"), **form)
    rows = await all_rows(client, user, imp["id"])
    # A 1,18,000 credit, a 21,240 and a 75,000 debit, and the 75,000 reversed (a credit)
    assert [(r["amount"], r["direction"]) for r in rows] == [
        (118000, "credit"), (21240, "debit"), (75000, "debit"), (75000, "credit")]  # fmt: skip
    # 1,00,000 opening + 1,18,000 - 21,240 - 75,000 + 75,000
    assert imp["closing_balance"] == 100000 + 118000 - 21240 - 75000 + 75000
    (saved,) = (await get(client, user, "/api/imports/templates"))["items"]
    assert (saved["mapping"]["direction"], saved["mapping"]["debit_values"]) == ("Dr/Cr", ["DR"])
    bad = {"mapping": json.dumps(mapping | {"debit": "Amount", "amount": None})}
    r = await client.post(
        "/api/imports", headers=user.headers,
        files={"file": ("f.csv", fixture("generic_amount_drcr.csv"))}, data=bad,
    )  # fmt: skip
    assert (r.status_code, r.json()["detail"][0]["loc"]) == (422, ["body", "mapping"])


# ---------------------------------------------------------------- importing.py (pure)


def test_importing_is_pure():
    import subprocess
    import sys

    probe = (
        "import sys, imports.rules; "
        "print(sorted({m.split('.')[0] for m in sys.modules} & {'fastapi', 'pymongo', 'bson'}))"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "[]"


@pytest.mark.parametrize(
    ("next_due", "day", "nearest"),
    [
        (date(2024, 3, 5), date(2024, 1, 3), date(2024, 1, 5)),  # two months back
        (date(2024, 3, 5), date(2024, 2, 28), date(2024, 3, 5)),  # 6 days before it
        (date(2024, 1, 31), date(2024, 2, 27), date(2024, 2, 29)),  # 31 Jan -> 29 Feb
        (date(2024, 3, 5), date(2024, 5, 20), date(2024, 5, 5)),  # after it
    ],
)
def test_a_loan_is_compared_at_its_due_date_nearest_the_row(next_due, day, nearest):
    from imports.rules import nearest_due

    assert nearest_due(next_due, day) == nearest


def test_a_hand_entry_is_offered_to_one_row_only_closest_day_first():
    from imports.rules import HandEntry, HandMatcher
    from imports.statements import StatementRow

    entries = [
        HandEntry("far", "expense", date(2024, 1, 4), Decimal("20.00")),
        HandEntry("near", "payment", date(2024, 1, 2), Decimal("20.00")),
        HandEntry("income", "income", date(2024, 1, 1), Decimal("20.00")),  # a credit's
        HandEntry("old", "expense", date(2023, 12, 20), Decimal("20.00")),  # 12 days off
    ]
    matcher = HandMatcher(entries, claimed={"nobody"})

    def row(n: int) -> StatementRow:
        return StatementRow(n, date(2024, 1, 1), None, Decimal("20.00"), "debit", "BUS", None,
                            None)  # fmt: skip

    assert [e.id for e in matcher.matches(row(1))] == ["near", "far"]  # 1 day, then 3
    assert [e.id for e in matcher.matches(row(2))] == ["far"]  # "near" went to row 1
    assert matcher.matches(row(3)) == []


def test_a_change_that_is_no_change_suggests_no_rule():
    from imports.rules import suggested_rule

    row = {"kind": "expense", "category": "food", "title": "Swiggy", "payee": "Swiggy",
           "narration": "UPI-SWIGGY-...", "direction": "debit"}  # fmt: skip
    assert suggested_rule(row, {"kind": "expense", "category": "food", "title": "Swiggy"}) is None
    rule = suggested_rule(row, {"kind": "skip"})
    assert rule["set"] == {"kind": "skip"} and rule["match"] == {"payee": "Swiggy",
                                                                "direction": "debit"}  # fmt: skip
