"""Accounts through HTTP: create, read, change and delete; the balance (opening balance and
what moved it, or the last committed statement's closing balance and what came after); the
account a statement is imported into (chosen, found by its number, created), and the
statements refused for it (another number, another currency, no account at all); the gap a
missing statement leaves; entries naming only your own accounts; old imports' labels
becoming accounts.

Figures are computed beside their assertions. Statements are the `statements` fixtures and
small HDFC delimited files written here."""

from datetime import date
from decimal import Decimal

from bson import ObjectId

from imports.statements import fingerprints, parse_statement
from ops import migrations
from tests.factories import (
    account,
    all_rows,
    commit,
    create_debt,
    expense,
    get,
    income,
    pay,
    transfer,
    upload,
)
from tests.statement_workbooks import FIXTURES, hdfc_rows


def fixture(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


def money(value) -> Decimal:
    return Decimal(str(value))


async def refused(client, user, method, path, status, code, loc=None, **kw):
    r = await client.request(method, path, headers=user.headers, **kw)
    assert (r.status_code, r.json()["code"]) == (status, code), r.text
    if loc is not None:
        assert r.json()["detail"][0]["loc"] == loc, r.text
    return r.json()


# ---------------------------------------------------------------- the resource


async def test_an_account_is_created_read_listed_changed_and_deleted(client, user):
    body = {"institution": "HDFC Bank", "kind": "savings", "number_last4": "4321"}
    body |= {"opening_balance": 10000, "opening_date": "2024-01-01"}
    savings = await account(client, user, "HDFC Savings", **body)
    # Nothing entered yet: the balance is the opening balance, as of the opening day.
    assert {k: savings[k] for k in ("name", "currency", "balance", "balance_date")} == {
        "name": "HDFC Savings",
        "currency": "INR",  # the user's preferred currency
        "balance": 10000,
        "balance_date": "2024-01-01",
    }
    assert savings["number_last4"] == "4321" and savings["kind"] == "savings"
    wallet = await account(client, user, "Paytm", kind="wallet")
    listed = await get(client, user, "/api/accounts")
    assert [a["name"] for a in listed["items"]] == ["HDFC Savings", "Paytm"]  # by name
    assert listed["items"][0] == savings

    # PUT what you GET, with one change; the currency stays as created.
    changed = savings | {"name": "HDFC SB 4321"}
    r = await client.put(f"/api/accounts/{savings['id']}", headers=user.headers, json=changed)
    assert r.status_code == 200 and r.json()["name"] == "HDFC SB 4321", r.text
    # The currency is read-only (its entries are in it): sent back changed, it is ignored.
    r = await client.put(
        f"/api/accounts/{savings['id']}", headers=user.headers, json={"currency": "USD"}
    )
    assert (r.status_code, r.json()["currency"]) == (200, "INR"), r.text
    # One name per account, whatever its case and spacing.
    await refused(
        client, user, "POST", "/api/accounts", 409, "account_exists", ["body", "name"],
        json={"name": "  paytm "},
    )  # fmt: skip
    r = await client.delete(f"/api/accounts/{wallet['id']}", headers=user.headers)
    assert r.status_code == 204
    await refused(client, user, "GET", f"/api/accounts/{wallet['id']}", 404, "account_not_found")


async def test_an_account_is_created_once_per_idempotency_key(client, user):
    key = {"Idempotency-Key": "account-1", **user.headers}
    first = await client.post("/api/accounts", headers=key, json={"name": "Cash"})
    again = await client.post("/api/accounts", headers=key, json={"name": "Cash"})
    assert (first.status_code, again.status_code) == (201, 201)
    assert again.json() == first.json() and again.headers["idempotent-replayed"] == "true"
    assert (await get(client, user, "/api/accounts"))["total"] == 1


async def test_the_balance_is_the_opening_balance_and_what_moved_it(client, user):
    savings = await account(
        client, user, "Savings", opening_balance=50000, opening_date="2024-03-01"
    )
    card = await account(client, user, "Card", kind="credit_card")
    mine = {"account_id": savings["id"]}
    await income(client, user, 80000, "2024-03-01")  # in no account
    pay_in = await client.post(
        "/api/income",
        headers=user.headers,
        json={"source": "Salary", "amount": 80000, "date": "2024-03-01", **mine},
    )
    assert pay_in.status_code == 201 and pay_in.json()["account_id"] == savings["id"]
    spent = await expense(client, user, 1250.50, "2024-03-05", **mine)
    assert spent["account_id"] == savings["id"]
    await expense(client, user, 999, "2024-02-20", **mine)  # before the opening day
    loan = await create_debt(client, user, start_date="2024-01-15")
    paid = await pay(client, user, loan["id"], 12500, "2024-03-10", **mine)
    assert paid["account_id"] == savings["id"]
    await transfer(client, user, savings["id"], card["id"], 10000, "2024-03-15")
    await expense(client, user, 3000, "2024-03-16", account_id=card["id"])

    # 50,000 opening + 80,000 salary - 1,250.50 spent - 12,500 paid - 10,000 moved to the
    # card (the 999 of 20 Feb is before the opening day; the salary without an account is
    # no account's)
    assert (await get(client, user, f"/api/accounts/{savings['id']}"))["balance"] == (
        50000 + 80000 - 1250.50 - 12500 - 10000
    )
    shown = await get(client, user, f"/api/accounts/{card['id']}")
    # 0 opening + 10,000 in from savings - 3,000 spent, as of its last entry
    assert (shown["balance"], shown["balance_date"]) == (10000 - 3000, "2024-03-16")


async def test_an_account_that_entries_name_is_not_deleted(client, user):
    cash = await account(client, user, "Cash", kind="cash")
    spent = await expense(client, user, 40, "2024-05-01", account_id=cash["id"])
    body = await refused(
        client, user, "DELETE", f"/api/accounts/{cash['id']}", 409, "account_in_use"
    )
    assert "1 expenses" in body["detail"]
    assert (
        await client.delete(f"/api/expenses/{spent['id']}", headers=user.headers)
    ).status_code == 204
    assert (
        await client.delete(f"/api/accounts/{cash['id']}", headers=user.headers)
    ).status_code == 204


async def test_an_entry_can_move_to_another_account_or_to_none(client, user):
    cash = await account(client, user, "Cash", kind="cash")
    spent = await expense(client, user, 40, "2024-05-01")
    assert spent["account_id"] is None
    path = f"/api/expenses/{spent['id']}"
    r = await client.put(path, headers=user.headers, json={"account_id": cash["id"]})
    assert r.json()["account_id"] == cash["id"], r.text
    assert (await get(client, user, f"/api/accounts/{cash['id']}"))["balance"] == -40
    r = await client.put(path, headers=user.headers, json={"account_id": None})
    assert r.json()["account_id"] is None
    assert (await get(client, user, f"/api/accounts/{cash['id']}"))["balance"] == 0


async def test_another_users_account_is_404_everywhere(client, user, other_user):
    theirs = await account(client, other_user, "Their savings")
    mine = await account(client, user, "My savings")
    oid = theirs["id"]
    for method, path, body in (
        ("GET", f"/api/accounts/{oid}", None),
        ("PUT", f"/api/accounts/{oid}", {"name": "Mine now"}),
        ("DELETE", f"/api/accounts/{oid}", None),
        ("POST", "/api/expenses", {"title": "T", "category": "food", "amount": 1, "account_id": oid}),
        ("POST", "/api/income", {"source": "S", "amount": 1, "account_id": oid}),
        ("POST", "/api/transfers", {"from_account_id": mine["id"], "to_account_id": oid, "amount": 1}),
        ("POST", "/api/transfers", {"from_account_id": oid, "to_account_id": mine["id"], "amount": 1}),
        ("GET", f"/api/transfers?account_id={oid}", None),
        ("GET", "/api/accounts/not-an-id", None),
    ):  # fmt: skip
        r = await client.request(method, path, headers=user.headers, json=body)
        assert (r.status_code, r.json()["code"]) == (404, "account_not_found"), (method, path)
    spent = await expense(client, user, 5, "2024-05-01")
    await refused(
        client, user, "PUT", f"/api/expenses/{spent['id']}", 404, "account_not_found",
        json={"account_id": oid},
    )  # fmt: skip
    loan = await create_debt(client, user, start_date="2024-01-15")
    body = {"debt_id": loan["id"], "amount": 100, "account_id": oid}
    await refused(client, user, "POST", "/api/payments", 404, "account_not_found", json=body)
    files = {"file": ("axis.csv", fixture("axis_statement.csv"))}
    await refused(
        client, user, "POST", "/api/imports", 404, "account_not_found",
        files=files, data={"account_id": oid},
    )  # fmt: skip
    assert (await get(client, other_user, f"/api/accounts/{oid}")) == theirs  # untouched
    assert (await get(client, user, "/api/imports"))["total"] == 0


# ---------------------------------------------------------------- the account of a statement


async def test_a_statement_goes_to_the_account_its_number_names(client, user):
    data = fixture("axis_statement.csv")  # Axis 923010008070086, 1-31 Mar 2025
    first = await upload(client, user, data)
    assert first["account_created"] is True and first["number_last4"] == "0086"
    created = await get(client, user, f"/api/accounts/{first['account_id']}")
    # Named after its bank and number; its opening balance and day are the statement's.
    assert {k: created[k] for k in ("name", "institution", "number_last4", "currency")} == {
        "name": "Axis Bank ending 0086",
        "institution": "Axis Bank",
        "number_last4": "0086",
        "currency": "INR",
    }
    assert (created["opening_balance"], created["opening_date"]) == (60000, "2025-03-01")
    again = await upload(client, user, data)
    assert (again["account_id"], again["account_created"]) == (first["account_id"], False)
    # Two accounts ending 0086: the statement cannot choose; the API asks.
    await account(client, user, "Old Axis", number_last4="0086")
    files = {"file": ("axis.csv", data)}
    await refused(
        client, user, "POST", "/api/imports", 422, "account_required", ["body", "account_id"],
        files=files,
    )  # fmt: skip


async def test_a_statement_of_another_account_or_currency_is_refused(client, user):
    files = {"file": ("axis.csv", fixture("axis_statement.csv"))}  # ends 0086, in INR
    other = await account(client, user, "Axis Current", number_last4="1111")
    await refused(
        client, user, "POST", "/api/imports", 422, "account_mismatch", ["body", "account_id"],
        files=files, data={"account_id": other["id"]},
    )  # fmt: skip
    await refused(
        client, user, "POST", "/api/imports", 422, "account_mismatch", ["body", "account"],
        files=files, data={"account": "axis  current"},
    )  # fmt: skip
    dollars = await account(client, user, "US account", currency="USD")
    await refused(
        client, user, "POST", "/api/imports", 422, "currency_mismatch", ["body", "file"],
        files=files, data={"account_id": dollars["id"]},
    )  # fmt: skip
    # The HDFC delimited export prints no account number: the account must be chosen.
    files = {"file": ("hdfc.txt", fixture("hdfc_delimited.txt"))}
    await refused(
        client, user, "POST", "/api/imports", 422, "account_required", ["body", "account_id"],
        files=files,
    )  # fmt: skip
    assert (await get(client, user, "/api/imports"))["total"] == 0


async def test_after_a_commit_the_balance_is_the_statements_closing_balance(client, user):
    savings = await account(client, user, "HDFC Savings")
    data = fixture("hdfc_delimited.txt")  # 1-31 Jan 2024
    imp = await upload(client, user, data, account_id=savings["id"])
    rows = await all_rows(client, user, imp["id"])
    credits = sum(money(r["amount"]) for r in rows if r["direction"] == "credit")
    debits = sum(money(r["amount"]) for r in rows if r["direction"] == "debit")
    # The file runs from 50,000.00 to 93,985.50: its rows move it by exactly that.
    assert (imp["opening_balance"], imp["closing_balance"]) == (50000, 93985.50)
    assert money(imp["opening_balance"]) + credits - debits == money(imp["closing_balance"])
    assert (await get(client, user, f"/api/accounts/{savings['id']}"))["balance"] == 0
    await commit(client, user, imp["id"])
    shown = await get(client, user, f"/api/accounts/{savings['id']}")
    assert (shown["balance"], shown["balance_date"]) == (93985.50, "2024-01-31")
    # Spent after the statement's last day moves it; within its days, the statement says.
    await expense(client, user, 985.50, "2024-02-02", account_id=savings["id"])
    await expense(client, user, 123, "2024-01-20", account_id=savings["id"])
    shown = await get(client, user, f"/api/accounts/{savings['id']}")
    assert (shown["balance"], shown["balance_date"]) == (93985.50 - 985.50, "2024-02-02")


async def test_a_missing_statement_shows_as_a_balance_gap(client, user):
    savings = await account(client, user, "Savings")
    mine = {"account_id": savings["id"]}
    january = hdfc_rows(
        (date(2024, 1, 5), "UPI-SHOP-SHOP@YBL-YESB0000001-400000000001-X", "1000.00", "0.00",
         "400000000001", "9000.00"),
        (date(2024, 1, 20), "NEFT CR-ACME SALARY", "0.00", "50000.00", "N1", "59000.00"),
    )  # fmt: skip
    imp = await upload(client, user, january, **mine)
    assert (imp["opening_balance"], imp["balance_gap"]) == (9000 + 1000, None)  # the first
    await commit(client, user, imp["id"])
    march = hdfc_rows((date(2024, 3, 3), "POS DMART", "2000.00", "0.00", "", "61000.00"))
    found = 61000 + 2000  # before its one debit
    gap = (await upload(client, user, march, **mine))["balance_gap"]
    # January closed at 59,000 and nothing was entered since: 4,000 moved unseen.
    assert gap == {"expected": 59000, "found": found, "amount": found - 59000}
    await expense(client, user, 500, "2024-02-10", **mine)
    gap = (await upload(client, user, march, **mine))["balance_gap"]
    assert gap == {"expected": 59000 - 500, "found": found, "amount": found - (59000 - 500)}
    february = hdfc_rows((date(2024, 2, 10), "POS CAFE", "500.00", "0.00", "", "58500.00"))
    assert (await upload(client, user, february, **mine))["balance_gap"] is None  # it follows


# ---------------------------------------------------------------- old imports


async def test_old_imports_labels_become_accounts(client, db, user):
    """An import made before accounts: a free-text label, entries without an account, and
    fingerprints keyed by that label. The migration makes the label an account."""
    data = fixture("hdfc_delimited.txt")
    old = await upload(client, user, data, account="HDFC Savings")
    await commit(client, user, old["id"])
    uid, import_id = ObjectId(user.id), ObjectId(old["id"])
    owner = {"user_id": uid}
    # As the old version stored it: the label, and keys made from it.
    label_keys = fingerprints("HDFC Savings", parse_statement(data).rows)
    rows = await db.import_rows.find(owner | {"import_id": import_id}).sort("line").to_list(None)
    for row, key in zip(rows, label_keys, strict=True):
        await db.import_rows.update_one({"_id": row["_id"]}, {"$set": {"fingerprint": key}})
        await db.import_fingerprints.update_one(
            {"row_id": row["_id"]}, {"$set": {"fingerprint": key}}
        )
    unset = {"$unset": {"account_id": ""}}
    for name in ("imports", "import_rows", "import_fingerprints", "expenses", "income"):
        await db[name].update_many(owner, unset)
    await db.imports.update_one({"_id": import_id}, {"$set": {"account": "HDFC Savings"}})
    await db.accounts.delete_many(owner)
    await db.migrations.delete_one({"_id": "2026-12-import-accounts"})

    assert await migrations.migrate(db) == ["2026-12-import-accounts"]
    (made,) = (await get(client, user, "/api/accounts"))["items"]
    assert made["name"] == "HDFC Savings"
    assert (await get(client, user, f"/api/imports/{old['id']}"))["account_id"] == made["id"]
    spent = (await get(client, user, "/api/expenses"))["items"]
    assert {e["account_id"] for e in spent} == {made["id"]}
    # Its rows now dedupe under the account: the statement again is nine duplicates.
    again = await upload(client, user, data, account_id=made["id"])
    assert (again["counts"]["duplicate"], again["counts"]["new"]) == (9, 0)
    assert await migrations.migrate(db) == []  # recorded: a second start-up runs nothing


async def test_an_accounts_etag_follows_its_balance_and_if_match_guards_its_edits(client, user):
    cash = await account(client, user, "Cash", kind="cash")
    path = f"/api/accounts/{cash['id']}"
    first = await client.get(path, headers=user.headers)
    tag = first.headers["etag"]
    assert (
        await client.get(path, headers=user.headers | {"If-None-Match": tag})
    ).status_code == 304
    await expense(client, user, 100, "2024-03-05", account_id=cash["id"])
    # The expense moved the balance: the copy tagged before is not current.
    r = await client.get(path, headers=user.headers | {"If-None-Match": tag})
    assert (r.status_code, r.json()["balance"]) == (200, 0 - 100)
    assert r.headers["etag"] != tag
    # If-Match holds an edit to the account's own version (what a PUT can change): the
    # balance moving does not make a form stale, another edit does.
    renamed = await client.put(
        path, headers=user.headers | {"If-Match": tag}, json={"name": "Wallet cash"}
    )
    assert renamed.status_code == 200, renamed.text
    stale = await client.put(path, headers=user.headers | {"If-Match": tag}, json={"name": "X"})
    assert (stale.status_code, stale.json()["code"]) == (412, "precondition_failed")
    gone = await client.delete(path, headers=user.headers | {"If-Match": tag})
    assert gone.status_code == 412
    assert (await get(client, user, path))["name"] == "Wallet cash"
