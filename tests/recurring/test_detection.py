"""Recurring items found in an 18-month ledger (tests/recurring/ledger.py), through HTTP: each
bill with its interval, next date and amount range, nothing in the noise; the notifications,
once each; the bills coming up; the forecast's balance on chosen days."""

import statistics
from datetime import UTC, datetime
from decimal import Decimal

import pytest
from bson import ObjectId

import core.dates
from accounts import months
from tests.factories import account, get
from tests.recurring import ledger


@pytest.fixture
def clock(monkeypatch):
    """`today` is ledger.TODAY for the user (Asia/Kolkata) until moved."""

    def set_to(instant: datetime) -> None:
        monkeypatch.setattr(core.dates, "now_ms", lambda: instant)

    set_to(ledger.NOW)
    return set_to


async def seeded(client, db, user):
    acct = await account(
        client, user, "HDFC Savings", opening_balance=500000, opening_date="2024-11-30"
    )
    book = ledger.build()
    expenses, income = ledger.documents(book, user.id, acct["id"])
    await db.expenses.insert_many(expenses)
    await db.income.insert_many(income)
    # Stored behind the API's back: the account's month counters are built as the
    # migration builds them for entries they never saw.
    await months.rebuild(db, ObjectId(user.id))
    return acct, book


async def detect(client, user):
    r = await client.post("/api/recurring/detect", headers=user.headers)
    assert r.status_code == 200, r.text
    return r.json()


async def items_by_title(client, user):
    page = await get(client, user, "/api/recurring", limit=100)
    return {item["title"]: item for item in page["items"]}


async def notifications(client, user):
    page = await get(client, user, "/api/notifications", limit=100)
    return [n for n in page["items"] if n["notification_type"] == "recurring"]


def money(value) -> float:
    return float(value)


async def test_each_bill_found_with_its_schedule_and_none_in_the_noise(client, db, user, clock):
    acct, book = await seeded(client, db, user)
    assert (await detect(client, user))["new"] == 8
    items = await items_by_title(client, user)
    # Swiggy and BigBasket (noise) are not items; the nine bills and the salary are.
    assert set(items) == {
        "Rent", "NETFLIX.COM", "Zerodha SIP", "Airtel Broadband", "BESCOM Electricity",
        "LIC Premium", "Namecheap Domain", "Acme Corp Salary",
    }  # fmt: skip
    expected = {
        # title: (interval, next date, min, max, typical, occurrences)
        "Rent": ("monthly", "2026-07-01", 25000, 25000, 25000, 19),
        # 649 for 14 months, then 799: the range and typical are the new price's.
        "NETFLIX.COM": ("monthly", "2026-07-07", 799, 799, 799, 19),
        "Zerodha SIP": ("monthly", "2026-07-05", 5000, 5000, 5000, 19),
        # June's was paid on the 10th, two days early: the next is July's.
        "Airtel Broadband": ("monthly", "2026-07-12", 999, 999, 999, 19),
        # Jan, Apr, Jul, Oct on the 15th since January 2025: 6 so far, July's next.
        "LIC Premium": ("quarterly", "2026-07-15", 12000, 12000, 12000, 6),
        "Namecheap Domain": ("yearly", "2027-03-03", 1200, 1200, 1200, 2),
        # The last working day of June 2026 is Tuesday the 30th; 18 salaries (Dec-May).
        "Acme Corp Salary": ("monthly", "2026-06-30", 150000, 150000, 150000, 18),
    }
    for title, (interval, next_date, low, high, typical, count) in expected.items():
        item = items[title]
        assert (item["interval"], item["next_date"], item["occurrences"]) == (
            interval, next_date, count
        ), title  # fmt: skip
        assert item["expected_amount"] == {"min": low, "max": high, "typical": typical}, title
        assert (item["status"], item["source"], item["account_id"]) == (
            "suggested", "detected", acct["id"]
        )  # fmt: skip
    assert items["Acme Corp Salary"]["kind"] == "income"
    # Electricity varies: its range is the last 12 bills' lowest and highest, its typical
    # their median; it comes around the 20th, so June's (the 18th-22nd) is next.
    bills = [a for _, a in sorted(book.of("BESCOM Electricity"))][-12:]
    power = items["BESCOM Electricity"]
    assert power["interval"] == "monthly"
    assert power["expected_amount"] == {
        "min": money(min(bills)),
        "max": money(max(bills)),
        "typical": money(statistics.median(bills).quantize(Decimal("0.01"))),
    }
    assert "2026-06-18" <= power["next_date"] <= "2026-06-22"


async def test_price_change_and_new_items_notified_once(client, db, user, clock):
    await seeded(client, db, user)
    await detect(client, user)
    await detect(client, user)  # again: nothing new to say
    found = await notifications(client, user)
    changes = [n for n in found if n["title"] == "Price change"]
    assert [n["message"] for n in changes] == ["NETFLIX.COM went from ₹649.00 to ₹799.00"]
    assert len([n for n in found if n["title"] == "New recurring payment found"]) == 8


async def test_missed_bill_and_late_salary_notified_once(client, db, user, clock):
    await seeded(client, db, user)
    await detect(client, user)
    # 5 July: rent (due 1 July), electricity (due about 20 June) and the salary (due 30 June)
    # never came, and each is more than 3 days late. The SIP (5th) is not late yet.
    clock(datetime(2026, 7, 5, 6, 30, tzinfo=UTC))
    await detect(client, user)
    await detect(client, user)
    found = await notifications(client, user)
    missed = sorted(n["message"] for n in found if n["title"] == "Bill missed")
    late = [n["message"] for n in found if n["title"] == "Income not received"]
    assert missed[1] == "Rent was due on 2026-07-01"
    assert missed[0].startswith("BESCOM Electricity was due on 2026-06-")
    assert len(missed) == 2
    assert late == ["Acme Corp Salary was expected on 2026-06-30"]


async def test_dismissed_is_not_suggested_again(client, db, user, clock):
    await seeded(client, db, user)
    await detect(client, user)
    domain = (await items_by_title(client, user))["Namecheap Domain"]
    url = f"/api/recurring/{domain['id']}"
    r = await client.put(url, json=domain | {"status": "dismissed"}, headers=user.headers)
    assert r.status_code == 200, r.text
    assert (await detect(client, user))["new"] == 0
    assert (await items_by_title(client, user))["Namecheap Domain"]["status"] == "dismissed"


async def test_upcoming_bills_marks_this_periods_paid(client, db, user, clock):
    await seeded(client, db, user)
    await detect(client, user)
    bills = await get(client, user, "/api/bills/upcoming", days=30)
    assert (bills["start"], bills["end"]) == ("2026-06-10", "2026-07-10")
    seen = [(b["title"], b["date"], b["paid"]) for b in bills["items"]]
    power = next(b for b in bills["items"] if b["title"] == "BESCOM Electricity")
    # Broadband's June bill (due the 12th) was paid on the 10th: shown, paid. The rest of
    # the window: electricity around 20 June, rent 1 July, the SIP 5 July, Netflix 7 July.
    assert seen == [
        ("Airtel Broadband", "2026-06-12", True),
        ("BESCOM Electricity", power["date"], False),
        ("Rent", "2026-07-01", False),
        ("Zerodha SIP", "2026-07-05", False),
        ("NETFLIX.COM", "2026-07-07", False),
    ]
    # Unpaid: electricity's typical + 25,000 + 5,000 + 799.
    assert bills["total"] == power["amount"] + 25000 + 5000 + 799


async def test_forecast_balance_on_chosen_days(client, db, user, clock):
    acct, book = await seeded(client, db, user)
    await detect(client, user)
    power = (await items_by_title(client, user))["BESCOM Electricity"]
    elec = Decimal(str(power["expected_amount"]["typical"]))
    # Today's balance: the opening 5,00,000 plus every salary less every expense so far.
    opening = (
        Decimal(500000) + sum(a for _, _, a in book.income) - sum(a for _, _, a in book.expenses)
    )
    answer = await get(client, user, "/api/forecast", days=90)
    assert answer["opening"] == money(opening)
    by_day = {d["date"]: d for d in answer["days"]}
    assert len(answer["days"]) == 91 and answer["end"] == "2026-09-08"
    salary, rent, sip, netflix, broadband, lic = 150000, 25000, 5000, 799, 999, 12000
    month = salary - rent - sip - netflix - broadband - elec  # a whole month's moves
    expected = {"2026-06-15": opening}  # everything due so far this month is paid
    expected["2026-06-25"] = opening - elec  # electricity around the 20th
    # + June's salary (30th), - July's rent (1st)
    expected["2026-07-03"] = expected["2026-06-25"] + salary - rent
    # - July's SIP (5), Netflix (7), broadband (12), LIC (15), electricity (~20), + salary
    # (31st); - August's rent (1), SIP (5), Netflix (7)
    expected["2026-08-10"] = expected["2026-07-03"] + month - lic - sip - netflix
    # - August's broadband (12), electricity (~20), + salary (31st); - September's rent (1),
    # SIP (5), Netflix (7)
    expected["2026-09-08"] = expected["2026-08-10"] + month
    for day, balance in expected.items():
        assert by_day[day]["balance"] == money(balance), day
        assert by_day[day]["accounts"] == {acct["id"]: money(balance)}, day
    # The lowest point is the lowest of the days listed (the earliest of equals).
    lows = min((Decimal(str(d["balance"])), d["date"]) for d in answer["days"])
    assert (answer["lowest"]["balance"], answer["lowest"]["date"]) == (money(lows[0]), lows[1])
    one = await get(client, user, "/api/forecast", days=90, account_id=acct["id"])
    assert one["days"][-1]["balance"] == money(expected["2026-09-08"])
