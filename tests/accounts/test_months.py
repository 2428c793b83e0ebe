"""The movement counters per account and month (`account_months`) that make a balance cheap:
after creates, edits, deletes, transfers (typed, then deleted), payments (recorded, deleted,
a debt deleted with its payments), a statement's commit and its undo, they agree with a full
recount of the stored entries (computed here, in Python, from the documents themselves), and
each account's balance is its opening balance plus that recount."""

from collections import defaultdict
from datetime import date, datetime
from decimal import Decimal

from bson import ObjectId

from accounts import months
from tests.factories import (
    account,
    commit,
    create_debt,
    expense,
    get,
    income,
    pay,
    transfer,
    upload,
)
from tests.statement_workbooks import hdfc_rows


def _month(day) -> str:
    day = day.date() if isinstance(day, datetime) else day
    return f"{day.year:04d}-{day.month:02d}"


async def recount(db, user_id) -> dict:
    """(account, month) -> (net, count) from the documents: income in, expenses and payments
    out, a transfer out of its source and into its target. Zero counters left out."""
    counts: dict = defaultdict(lambda: [Decimal("0"), 0])
    mine = {"user_id": ObjectId(user_id)}
    for name, field, sign in (
        ("income", "date", 1),
        ("expenses", "date", -1),
        ("payments", "payment_date", -1),
    ):
        async for doc in db[name].find(mine):
            if doc.get("account_id") is not None:
                counter = counts[(doc["account_id"], _month(doc[field]))]
                back = -1 if doc.get("refund") else 1  # a refund is money back into the account
                counter[0] += back * sign * doc["amount"]
                counter[1] += 1
    async for doc in db.transfers.find(mine):
        for side, sign in (("from_account_id", -1), ("to_account_id", 1)):
            counter = counts[(doc[side], _month(doc["date"]))]
            counter[0] += sign * doc["amount"]
            counter[1] += 1
    return {key: (net, n) for key, (net, n) in counts.items() if net or n}


async def stored(db, user_id) -> dict:
    docs = await db.account_months.find({"user_id": ObjectId(user_id)}).to_list(None)
    return {
        (d["account_id"], d["month"]): (d["net"], d["count"])
        for d in docs
        if d["net"] or d["count"]
    }


async def agree(db, user_id) -> dict:
    expected = await recount(db, user_id)
    assert await stored(db, user_id) == expected
    return expected


async def test_the_counters_agree_with_a_recount_after_every_kind_of_write(client, user, db):
    opening = {"opening_balance": 10000, "opening_date": "2024-01-01"}
    a = await account(client, user, "Savings", **opening)
    b = await account(client, user, "Wallet", **opening)
    # Typed entries in two accounts and two months; one in no account.
    spend = await expense(client, user, 500, "2024-03-10", account_id=a["id"])
    await income(client, user, 80000, "2024-03-31")
    r = await client.post(
        "/api/income",
        headers=user.headers,
        json={"source": "Employer", "amount": 80000, "income_type": "salary",
              "date": "2024-04-30", "account_id": a["id"]},
    )  # fmt: skip
    salary = r.json()
    await expense(client, user, 120.50, "2024-04-02", account_id=b["id"])
    await agree(db, user.id)
    # A refund comes back into its account; made a plain expense again by an edit, it goes out.
    refund = await expense(client, user, 99, "2024-04-03", account_id=b["id"], refund=True)
    await agree(db, user.id)
    url = f"/api/expenses/{refund['id']}"
    r = await client.put(url, headers=user.headers, json=refund | {"refund": False})
    assert r.status_code == 200, r.text
    await agree(db, user.id)
    r = await client.put(url, headers=user.headers, json=refund)
    assert r.status_code == 200, r.text
    # An edit moves the expense to the other account, another month and amount.
    url = f"/api/expenses/{spend['id']}"
    moved = spend | {"account_id": b["id"], "date": "2024-05-15", "amount": 750.25}
    assert (await client.put(url, headers=user.headers, json=moved)).status_code == 200
    await agree(db, user.id)
    # A delete.
    r = await client.delete(f"/api/income/{salary['id']}", headers=user.headers)
    assert r.status_code == 204
    await agree(db, user.id)
    # Transfers: one kept, one deleted.
    await transfer(client, user, a["id"], b["id"], 2000, "2024-05-31")
    gone = await transfer(client, user, b["id"], a["id"], 300, "2024-06-01")
    r = await client.delete(f"/api/transfers/{gone['id']}", headers=user.headers)
    assert r.status_code == 204
    await agree(db, user.id)
    # Payments from an account: recorded, one deleted, then a debt deleted with its payments.
    loan = await create_debt(client, user, start_date="2024-01-15")
    await pay(client, user, loan["id"], 90000, "2024-02-15", account_id=a["id"])
    late = await pay(client, user, loan["id"], 90000, "2024-03-15", account_id=a["id"])
    assert (
        await client.delete(f"/api/payments/{late['id']}", headers=user.headers)
    ).status_code == 204
    await agree(db, user.id)
    other = await create_debt(client, user, name="Bike loan", start_date="2024-01-20")
    await pay(client, user, other["id"], 90000, "2024-02-20", account_id=b["id"])
    await agree(db, user.id)
    assert (
        await client.delete(f"/api/debts/{other['id']}", headers=user.headers)
    ).status_code == 204
    before = await agree(db, user.id)
    # A statement of the savings account committed, then undone.
    rows = hdfc_rows(
        (date(2024, 6, 3), "UPI-SWIGGY-SWIGGY@ICICI-ICIC0DC0099-500112345678-ORDER", "850.00",
         "0.00", "500112345678", "9150.00"),
        (date(2024, 7, 1), "NEFT CR-ACME CORP-SALARY JUNE", "0.00", "90000.00",
         "N123456789", "99150.00"),
    )  # fmt: skip
    imp = await upload(client, user, rows, account_id=a["id"])
    await commit(client, user, imp["id"])
    counted = await agree(db, user.id)
    # Its two rows are counted: 6 documents in accounts before (an expense in each, a refund,
    # both sides of the kept transfer, one payment), 8 now.
    assert sum(n for _, n in before.values()) + 2 == sum(n for _, n in counted.values()) == 8
    r = await client.post(f"/api/imports/{imp['id']}/undo", headers=user.headers)
    assert r.status_code == 200, r.text
    counted = await agree(db, user.id)
    assert counted == before
    # Each account's balance: its opening balance and every movement counted above.
    for acct in (a, b):
        shown = await get(client, user, f"/api/accounts/{acct['id']}")
        oid = ObjectId(acct["id"])
        net = sum((v for (key, _), (v, _) in counted.items() if key == oid), Decimal("0"))
        assert Decimal(str(shown["balance"])) == Decimal("10000") + net
    # A rebuild (the migration's) finds nothing to change.
    mine = ObjectId(user.id)
    assert await months.rebuild(db, mine) == 0
