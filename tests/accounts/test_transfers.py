"""Transfers through HTTP: typed in by hand (both accounts yours, different, one currency;
Idempotency-Key), and made by statements: a credit card bill paid from savings is one
transfer whichever statement comes first (committed, or both previewed), never an expense
in one account and income in the other; a statement row joins a transfer typed in by hand;
an undo gives back what the transfer replaced; deleting a transfer gives its rows back as
the entries they were. Budgets, statistics, reports and the dashboard leave transfers out;
account balances count them.

Figures are computed beside their assertions. The statements are HDFC delimited files
written here: the savings account pays the card's bill of Rs 25,000 on 10 March 2024 and
the card is credited on 11 March (one day apart: within the two-day window)."""

from datetime import date

import pytest

from tests.factories import account, all_rows, budget, commit, get, transfer, upload
from tests.statement_workbooks import hdfc_rows

SALARY, SWIGGY, BILL = 150000, 1200, 25000
AMAZON, ZOMATO = 4000, 600
SAVINGS_OPENING = 10000
SAVINGS = hdfc_rows(
    (date(2024, 3, 1), "NEFT CR-ACME TECHNOLOGIES-SALARY MAR", "0.00", f"{SALARY}.00", "N1",
     f"{SAVINGS_OPENING + SALARY}.00"),
    (date(2024, 3, 5), "UPI-SWIGGY-SWIGGY.ORDER@ICICI-ICIC0DC0099-400000000001-FOOD",
     f"{SWIGGY}.00", "0.00", "400000000001", f"{SAVINGS_OPENING + SALARY - SWIGGY}.00"),
    (date(2024, 3, 10), "CC 4111XXXXXXXX1111 AUTOPAY SI-TAD", f"{BILL}.00", "0.00", "C1",
     f"{SAVINGS_OPENING + SALARY - SWIGGY - BILL}.00"),
)  # fmt: skip
CARD = hdfc_rows(
    (date(2024, 3, 3), "POS 4111XXXXXXXX1111 AMAZON", f"{AMAZON}.00", "0.00", "", f"-{AMAZON}.00"),
    (date(2024, 3, 11), "PAYMENT RECEIVED THANK YOU", "0.00", f"{BILL}.00", "",
     f"{BILL - AMAZON}.00"),
    (date(2024, 3, 12), "POS 4111XXXXXXXX1111 ZOMATO", f"{ZOMATO}.00", "0.00", "",
     f"{BILL - AMAZON - ZOMATO}.00"),
)  # fmt: skip
SAVINGS_CLOSING = SAVINGS_OPENING + SALARY - SWIGGY - BILL  # 1,33,800
CARD_CLOSING = 0 - AMAZON + BILL - ZOMATO  # 20,400: the card owes you, after the bill


async def accounts(client, user):
    savings = await account(client, user, "HDFC Savings")
    card = await account(client, user, "HDFC Card", kind="credit_card")
    return savings, card


def line_of(rows, amount):
    (row,) = [r for r in rows if r["amount"] == amount]
    return row


async def march(client, user):
    """March 2024 as every statistic sees it: (spending, income) by the expense and income
    statistics, the monthly report and nothing else."""
    spent = await get(client, user, "/api/expenses/stats/monthly", year=2024)
    earned = await get(client, user, "/api/income/stats/monthly", year=2024)
    report = await get(client, user, "/api/reports/monthly", year=2024, month=3)
    assert spent["months"][2]["total"] == report["expenses"]["total"]
    assert earned["months"][2]["total"] == report["income"]["total"]
    return report["expenses"]["total"], report["income"]["total"]


async def balances(client, user, *accounts_):
    return [(await get(client, user, f"/api/accounts/{a['id']}"))["balance"] for a in accounts_]


# ---------------------------------------------------------------- from statements


async def test_a_card_bill_paid_from_savings_is_one_transfer_not_spending_or_income(client, user):
    savings, card = await accounts(client, user)
    first = await upload(client, user, SAVINGS, account_id=savings["id"])
    result = await commit(client, user, first["id"])
    # Alone, the bill is an expense: Swiggy and the bill spent, the salary earned.
    assert result["created"] == {"expenses": 2, "income": 1, "payments": 0}
    assert await march(client, user) == (SWIGGY + BILL, SALARY)
    bill = line_of(await all_rows(client, user, first["id"]), BILL)

    second = await upload(client, user, CARD, account_id=card["id"])
    credit = line_of(await all_rows(client, user, second["id"]), BILL)
    assert (credit["kind"], credit["transfer_account_id"]) == ("transfer", savings["id"])
    assert credit["transfer_pair"] == {"kind": "expense", "id": bill["entry_id"]}
    result = await commit(client, user, second["id"])
    # Amazon and Zomato spent on the card; the bill's credit makes the one transfer.
    assert result["created"] == {"expenses": 2, "income": 0, "payments": 0, "transfers": 1}
    (moved,) = (await get(client, user, "/api/transfers"))["items"]
    assert (moved["from_account_id"], moved["to_account_id"]) == (savings["id"], card["id"])
    assert (moved["amount"], moved["date"]) == (BILL, "2024-03-10")  # the day it left
    # The bill is neither spending nor income in March: only what was bought, and the salary.
    assert await march(client, user) == (SWIGGY + AMAZON + ZOMATO, SALARY)
    assert (await get(client, user, "/api/expenses"))["total"] == 3  # Swiggy, Amazon, Zomato
    assert await balances(client, user, savings, card) == [SAVINGS_CLOSING, CARD_CLOSING]
    # Either statement again adds nothing.
    for data, where in ((SAVINGS, savings), (CARD, card)):
        again = await upload(client, user, data, account_id=where["id"])
        assert again["counts"]["duplicate"] == 3
    assert (await get(client, user, "/api/transfers"))["total"] == 1


@pytest.mark.parametrize("order", ["savings first", "card first"])
async def test_two_previews_committed_in_either_order_make_one_transfer(client, user, order):
    savings, card = await accounts(client, user)
    mine = await upload(client, user, SAVINGS, account_id=savings["id"])
    theirs = await upload(client, user, CARD, account_id=card["id"])
    # The card's preview finds the bill in the savings preview, and marks both rows.
    debit = line_of(await all_rows(client, user, mine["id"]), BILL)
    credit = line_of(await all_rows(client, user, theirs["id"]), BILL)
    assert credit["transfer_pair"] == {"kind": "row", "id": debit["id"]}
    assert (debit["kind"], debit["transfer_account_id"]) == ("transfer", card["id"])
    imports = [mine, theirs] if order == "savings first" else [theirs, mine]
    made = await commit(client, user, imports[0]["id"])
    joined = await commit(client, user, imports[1]["id"])
    # The first commit starts the transfer; the second's row joins it (linked).
    assert made["created"]["transfers"] == 1 and "transfers" not in joined["created"]
    assert joined["linked"] == 1
    (moved,) = (await get(client, user, "/api/transfers"))["items"]
    assert (moved["from_account_id"], moved["to_account_id"], moved["amount"]) == (
        savings["id"],
        card["id"],
        BILL,
    )
    assert await march(client, user) == (SWIGGY + AMAZON + ZOMATO, SALARY)
    assert await balances(client, user, savings, card) == [SAVINGS_CLOSING, CARD_CLOSING]


async def test_a_statement_row_joins_a_transfer_typed_in_by_hand(client, user):
    savings, card = await accounts(client, user)
    key = user.headers | {"Idempotency-Key": "bill-march"}
    body = {"from_account_id": savings["id"], "to_account_id": card["id"], "amount": BILL}
    body |= {"date": "2024-03-10", "note": "Card bill"}
    first = await client.post("/api/transfers", headers=key, json=body)
    again = await client.post("/api/transfers", headers=key, json=body)
    assert (first.status_code, again.status_code) == (201, 201)
    assert again.json() == first.json() and again.headers["idempotent-replayed"] == "true"
    typed = first.json()
    for data, where in ((SAVINGS, savings), (CARD, card)):
        imp = await upload(client, user, data, account_id=where["id"])
        row = line_of(await all_rows(client, user, imp["id"]), BILL)
        assert row["transfer_pair"] == {"kind": "transfer", "id": typed["id"]}
        result = await commit(client, user, imp["id"])
        assert result["linked"] == 1 and "transfers" not in result["created"]
        (row,) = [r for r in await all_rows(client, user, imp["id"]) if r["amount"] == BILL]
        assert (row["outcome"], row["entry_id"]) == ("linked", typed["id"])
    assert (await get(client, user, "/api/transfers"))["items"] == [typed]
    assert await march(client, user) == (SWIGGY + AMAZON + ZOMATO, SALARY)
    assert await balances(client, user, savings, card) == [SAVINGS_CLOSING, CARD_CLOSING]


async def test_an_undo_gives_back_what_the_transfer_replaced(client, user):
    savings, card = await accounts(client, user)
    first = await upload(client, user, SAVINGS, account_id=savings["id"])
    await commit(client, user, first["id"])
    bill = line_of(await all_rows(client, user, first["id"]), BILL)
    second = await upload(client, user, CARD, account_id=card["id"])
    await commit(client, user, second["id"])

    r = await client.post(f"/api/imports/{second['id']}/undo", headers=user.headers)
    # The card's two expenses and its transfer go; the bill is the savings expense again.
    assert r.json()["removed"] == {"expenses": 2, "income": 0, "payments": 0, "transfers": 1}
    assert (await get(client, user, "/api/transfers"))["total"] == 0
    back = await get(client, user, f"/api/expenses/{bill['entry_id']}")
    assert (back["amount"], back["account_id"], back["import_id"]) == (
        BILL,
        savings["id"],
        first["id"],
    )
    assert await march(client, user) == (SWIGGY + BILL, SALARY)

    # The card again: the transfer again. Then the savings statement undone: the transfer
    # stays (the card's credit says the money came), its savings side open for a statement.
    again = await upload(client, user, CARD, account_id=card["id"])
    await commit(client, user, again["id"])
    r = await client.post(f"/api/imports/{first['id']}/undo", headers=user.headers)
    assert r.json()["removed"] == {"expenses": 1, "income": 1, "payments": 0}  # Swiggy, salary
    (kept,) = (await get(client, user, "/api/transfers"))["items"]
    assert await march(client, user) == (AMAZON + ZOMATO, 0)
    # The savings account is back at its opening balance (0) less the bill it sent.
    assert await balances(client, user, savings, card) == [0 - BILL, CARD_CLOSING]
    redo = await upload(client, user, SAVINGS, account_id=savings["id"])
    row = line_of(await all_rows(client, user, redo["id"]), BILL)
    assert row["transfer_pair"] == {"kind": "transfer", "id": kept["id"]}
    assert (await commit(client, user, redo["id"]))["linked"] == 1
    assert await balances(client, user, savings, card) == [SAVINGS_CLOSING, CARD_CLOSING]


async def test_deleting_a_transfer_gives_its_rows_back_as_entries(client, user):
    savings, card = await accounts(client, user)
    for data, where in ((SAVINGS, savings), (CARD, card)):
        await commit(client, user, (await upload(client, user, data, account_id=where["id"]))["id"])
    (moved,) = (await get(client, user, "/api/transfers"))["items"]
    r = await client.delete(f"/api/transfers/{moved['id']}", headers=user.headers)
    assert r.status_code == 204
    # Not a transfer after all: the bill is spending again, the card's credit income.
    assert await march(client, user) == (SWIGGY + BILL + AMAZON + ZOMATO, SALARY + BILL)
    assert await balances(client, user, savings, card) == [SAVINGS_CLOSING, CARD_CLOSING]
    again = await upload(client, user, CARD, account_id=card["id"])
    assert again["counts"]["duplicate"] == 3  # its rows are imported, as entries now
    await get(client, user, f"/api/transfers/{moved['id']}", status=404)


async def test_a_row_made_a_transfer_by_hand(client, user):
    savings, _ = await accounts(client, user)
    wallet = await account(client, user, "Paytm wallet", kind="wallet")
    imp = await upload(client, user, SAVINGS, account_id=savings["id"])
    row = line_of(await all_rows(client, user, imp["id"]), SWIGGY)
    path = f"/api/imports/{imp['id']}/rows/{row['id']}"
    for body, status, code in (
        ({"kind": "transfer"}, 422, "transfer_needs_account"),
        ({"kind": "transfer", "transfer_account_id": savings["id"]}, 422, "same_account"),
        ({"kind": "transfer", "transfer_account_id": "nope"}, 404, "account_not_found"),
    ):
        r = await client.put(path, headers=user.headers, json=body)
        assert (r.status_code, r.json()["code"]) == (status, code), r.text
    body = {"kind": "transfer", "transfer_account_id": wallet["id"]}
    r = await client.put(path, headers=user.headers, json=body)
    assert r.status_code == 200 and r.json()["suggested_rule"] is None, r.text
    result = await commit(client, user, imp["id"])
    assert result["created"] == {"expenses": 1, "income": 1, "payments": 0, "transfers": 1}
    # Swiggy topped up the wallet: no longer spent, the wallet holds it.
    assert await march(client, user) == (BILL, SALARY)
    assert await balances(client, user, wallet) == [SWIGGY]


# ---------------------------------------------------------------- typed in by hand


async def test_a_transfer_by_hand_moves_balances_and_no_statistic(client, user, other_user):
    savings, card = await accounts(client, user)
    await budget(client, user, "bills", 1000)
    moved = await transfer(client, user, savings["id"], card["id"], 5000, "2024-03-10")
    assert (moved["note"], moved["import_id"]) == (None, None)
    assert await get(client, user, f"/api/transfers/{moved['id']}") == moved
    assert await balances(client, user, savings, card) == [0 - 5000, 0 + 5000]
    assert await march(client, user) == (0, 0)
    status = await get(client, user, "/api/budgets/status")
    assert status["total_spent"] == 0
    listed = await get(client, user, "/api/transfers", account_id=card["id"])
    assert [t["id"] for t in listed["items"]] == [moved["id"]]
    dollars = await account(client, user, "US", currency="USD")
    for body, code in (
        ({"to_account_id": savings["id"]}, "same_account"),
        ({"to_account_id": dollars["id"]}, "currency_mismatch"),
    ):
        r = await client.post(
            "/api/transfers",
            headers=user.headers,
            json={"from_account_id": savings["id"], "amount": 1} | body,
        )
        assert (r.status_code, r.json()["code"]) == (422, code)
        assert r.json()["detail"][0]["loc"] == ["body", "to_account_id"]
    exported = (await client.get("/api/users/me/export", headers=user.headers)).json()
    assert [t["id"] for t in exported["transfers"]] == [moved["id"]]
    assert {a["name"] for a in exported["accounts"]} == {"HDFC Savings", "HDFC Card", "US"}
    for method in ("GET", "DELETE"):
        r = await client.request(
            method, f"/api/transfers/{moved['id']}", headers=other_user.headers
        )
        assert (r.status_code, r.json()["code"]) == (404, "transfer_not_found")
    r = await client.delete(f"/api/transfers/{moved['id']}", headers=user.headers)
    assert r.status_code == 204
    assert await balances(client, user, savings, card) == [0, 0]
