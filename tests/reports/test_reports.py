"""Reports: the monthly and annual figures, the fiscal-year tax summary and the CSV export,
each checked against hand-computed values on a user seeded through the API."""

import csv
import io
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from bson import ObjectId

from core.dates import local_date
from reports.csv_export import CHUNK_BYTES, csv_rows, safe_cell
from tests.factories import (
    budget,
    contribute,
    debt,
    expense,
    get,
    goal,
    income,
    pay,
    seed_other_user,
)

# ---------------------------------------------------------------- seeding through the API


# ---------------------------------------------------------------- monthly report


async def seed_march_2025(client, user):
    """The month the figures below are computed for by hand (Asia/Kolkata)."""
    await income(client, user, 100000, "2025-03-01")
    await income(client, user, 20000, "2025-03-15T10:00:00", "freelance", "Client")
    await income(client, user, 90000, "2025-02-01")
    # 00:15 IST on 1 March is 28 Feb 18:45 UTC: it belongs to March.
    await expense(client, user, 3000, "2025-03-01T00:15:00+05:30")
    await expense(client, user, 2000.50, "2025-03-12")
    await expense(client, user, 25000, "2025-03-05", category="rent")
    await expense(client, user, 4000, "2025-03-31T23:30:00+05:30", category="travel")
    await expense(client, user, 4000, "2025-02-28T23:45:00+05:30")  # February
    await expense(client, user, 25000, "2025-02-05", category="rent")
    await expense(client, user, 1500, "2025-02-10", category="shopping")
    await expense(client, user, 999, "2025-04-01T00:30:00+05:30")  # April: in neither month
    await expense(client, user, 777, "2025-01-31")  # January: in neither month
    car = await debt(client, user, "Car loan", "car_loan", 100000, 12, tenure_months=12)
    personal = await debt(client, user, "Personal loan", "personal_loan", 50000, 0)
    await pay(client, user, car["id"], 10000, "2025-02-05")  # interest 1000, principal 9000
    await pay(client, user, car["id"], 10000, "2025-03-05")  # interest 910 on 91,000
    await pay(client, user, car["id"], 5000, "2025-03-25", payment_type="prepayment")
    await pay(client, user, personal["id"], 5000, "2025-03-10")  # 0 %: all principal
    emergency = await goal(client, user, "Emergency fund", 100000)
    trip = await goal(client, user, "Vacation", 50000)
    await contribute(client, user, emergency["id"], 5000, "2025-03-10")
    await contribute(client, user, emergency["id"], 2500, "2025-03-25")
    await contribute(client, user, emergency["id"], 1000, "2025-02-20")  # February
    await contribute(client, user, trip["id"], 3000, "2025-03-31")
    await budget(client, user, "food", 5000)
    await budget(client, user, "rent", 30000)
    await budget(client, user, "travel", 4000)
    await budget(client, user, "shopping", 1000, active=False)
    return {"car": car, "personal": personal, "emergency": emergency, "trip": trip}


async def test_monthly_report_matches_hand_computed_figures(client, user, other_user):
    ids = await seed_march_2025(client, user)
    await seed_other_user(client, other_user)
    report = await get(client, user, "/api/reports/monthly", year=2025, month=3)

    assert report["month"] == "2025-03" and report["previous_month"] == "2025-02"
    assert report["currency"] == "INR" and report["timezone"] == "Asia/Kolkata"
    assert report["income"] == {
        "total": 120000,
        "count": 2,
        "by_type": {"freelance": 20000, "salary": 100000},
        "previous_total": 90000,
        "change": 30000,
        "change_percent": 33.33,
    }
    expenses = report["expenses"]
    assert (expenses["total"], expenses["count"], expenses["previous_total"]) == (34000.5, 4, 30500)
    assert (expenses["change"], expenses["change_percent"]) == (3500.5, 11.48)  # 3500.5/30500
    assert expenses["by_category"] == [
        {
            "category": "rent",
            "total": 25000,
            "previous_total": 25000,
            "change": 0,
            "change_percent": 0,
        },
        {
            "category": "food",
            "total": 5000.5,
            "previous_total": 4000,
            "change": 1000.5,
            "change_percent": 25.01,
        },
        {
            "category": "travel",
            "total": 4000,
            "previous_total": 0,
            "change": 4000,
            "change_percent": None,
        },
        {
            "category": "shopping",
            "total": 0,
            "previous_total": 1500,
            "change": -1500,
            "change_percent": -100,
        },
    ]
    payments = report["payments"]
    assert {k: payments[k] for k in ("total", "interest", "principal", "count")} == {
        "total": 20000,
        "interest": 910,
        "principal": 19090,
        "count": 3,
    }
    assert payments["by_debt"] == [
        {
            "debt_id": ids["car"]["id"],
            "name": "Car loan",
            "total": 15000,
            "interest": 910,
            "principal": 14090,
            "count": 2,
        },
        {
            "debt_id": ids["personal"]["id"],
            "name": "Personal loan",
            "total": 5000,
            "interest": 0,
            "principal": 5000,
            "count": 1,
        },
    ]
    assert report["goal_contributions"] == {
        "total": 10500,
        "count": 3,
        "by_goal": [
            {
                "goal_id": ids["emergency"]["id"],
                "title": "Emergency fund",
                "total": 7500,
                "count": 2,
            },
            {"goal_id": ids["trip"]["id"], "title": "Vacation", "total": 3000, "count": 1},
        ],
    }
    budgets = report["budgets"]
    assert [
        (b["category"], b["monthly_limit"], b["spent"], b["level"]) for b in budgets["items"]
    ] == [
        ("food", 5000, 5000.5, "exceeded"),
        ("rent", 30000, 25000, "warning"),
        ("travel", 4000, 4000, "exceeded"),  # exactly at the limit: used up, not over
    ]
    assert (budgets["within"], budgets["over"], budgets["month"]) == (2, 1, "2025-03")
    assert (budgets["total_monthly_limit"], budgets["total_spent"]) == (39000, 34000.5)
    assert report["net_savings"] == 85999.5
    assert report["savings_rate"] == 71.67  # 85999.50 / 120000


async def test_monthly_report_in_another_timezone(client, user):
    r = await client.put(
        "/api/users/me", json={"profile": {"timezone": "America/New_York"}}, headers=user.headers
    )
    assert r.status_code == 200, r.text
    # 2025-03-01T02:00Z is still 28 February, 21:00 in New York.
    await expense(client, user, 100, "2025-03-01T02:00:00Z")
    await expense(client, user, 40, "2025-03-01T06:00:00Z")
    report = await get(client, user, "/api/reports/monthly", year=2025, month=3)
    assert report["expenses"]["total"] == 40 and report["expenses"]["previous_total"] == 100
    assert report["timezone"] == "America/New_York"


async def test_empty_month_has_zeros_and_null_rates(client, user):
    report = await get(client, user, "/api/reports/monthly", year=2024, month=1)
    assert report["previous_month"] == "2023-12"
    assert report["income"]["total"] == 0 and report["income"]["change_percent"] is None
    assert report["expenses"]["by_category"] == [] and report["savings_rate"] is None
    assert report["payments"]["by_debt"] == [] and report["goal_contributions"]["total"] == 0
    assert report["budgets"]["items"] == [] and report["net_savings"] == 0


async def test_monthly_report_defaults_to_this_month(client, user):
    await expense(client, user, 12.34, datetime.now(UTC).isoformat())
    report = await get(client, user, "/api/reports/monthly")
    assert report["expenses"]["total"] == 12.34


@pytest.mark.parametrize(
    "params",
    [{"year": 2025}, {"month": 3}, {"year": 2025, "month": 13}, {"year": 1800, "month": 1}],
)
async def test_monthly_report_rejects_a_bad_period(client, user, params):
    await get(client, user, "/api/reports/monthly", status=422, **params)


# ---------------------------------------------------------------- annual report


async def seed_fiscal_boundaries(client, user):
    """Entries on both sides of 1 April 2024 and 1 April 2025, Asia/Kolkata."""
    await expense(client, user, 25, "2024-03-31T23:59:00+05:30")  # FY 2023-24
    await expense(client, user, 50, "2024-04-01T00:00:00+05:30")  # first instant of FY 2024-25
    await expense(client, user, 100, "2025-03-31T23:30:00+05:30", category="rent")  # 18:00Z
    await expense(client, user, 200, "2025-04-01T00:30:00+05:30")  # 2025-03-31T19:00Z: 2025-26
    await income(client, user, 1000, "2024-04-15")
    await income(client, user, 500, "2025-03-31T23:30:00+05:30", "interest", "Bank")
    loan = await debt(client, user, "Car", "car_loan", 100000, 12)
    await pay(client, user, loan["id"], 10000, "2024-04-01T00:30:00+05:30")  # 1000 + 9000
    await pay(client, user, loan["id"], 10000, "2025-04-01T00:30:00+05:30")  # 910 + 9090
    saving = await goal(client, user, "Fund", 100000)
    await contribute(client, user, saving["id"], 300, "2025-03-31")
    await budget(client, user, "rent", 99)


async def test_annual_fiscal_year_runs_april_to_march(client, user, other_user):
    await seed_fiscal_boundaries(client, user)
    await seed_other_user(client, other_user)
    report = await get(client, user, "/api/reports/annual", fy="2024-25")
    assert report["period"] == "FY 2024-25"
    assert (report["start"], report["end"]) == ("2024-04-01", "2025-03-31")
    months = report["months"]
    assert [m["month"] for m in months] == [
        *(f"2024-{m:02d}" for m in range(4, 13)),
        "2025-01",
        "2025-02",
        "2025-03",
    ]
    april, march = months[0], months[-1]
    assert (april["expenses"], april["income"], april["income_by_type"]) == (
        50,
        1000,
        {"salary": 1000},
    )
    assert april["payments"] == {"total": 10000, "interest": 1000, "principal": 9000, "count": 1}
    assert april["net_savings"] == 950 and april["savings_rate"] == 95
    assert march["expenses_by_category"] == {"rent": 100}
    assert march["income"] == 500 and march["goal_contributions"] == 300
    assert march["budgets_over"] == ["rent"] and april["budgets_over"] == []
    assert march["payments"]["count"] == 0
    assert all(m["expenses"] == 0 for m in months[1:-1])
    totals = report["totals"]
    assert totals["expenses"] == 150 and totals["expenses_by_category"] == {"food": 50, "rent": 100}
    assert totals["income"] == 1500 and totals["income_by_type"] == {
        "interest": 500,
        "salary": 1000,
    }
    assert totals["payments"] == {"total": 10000, "interest": 1000, "principal": 9000, "count": 1}
    assert totals["goal_contributions"] == 300
    assert totals["net_savings"] == 1350 and totals["savings_rate"] == 90

    following = await get(client, user, "/api/reports/annual", fy="2025-26")
    assert following["months"][0]["month"] == "2025-04"
    assert following["totals"]["expenses"] == 200
    assert following["totals"]["payments"]["interest"] == 910
    earlier = await get(client, user, "/api/reports/annual", fy="2023-24")
    assert earlier["totals"]["expenses"] == 25


async def test_annual_calendar_year(client, user):
    await seed_fiscal_boundaries(client, user)
    report = await get(client, user, "/api/reports/annual", year=2025)
    assert report["period"] == "2025" and len(report["months"]) == 12
    assert (report["start"], report["end"]) == ("2025-01-01", "2025-12-31")
    by_month = {m["month"]: m["expenses"] for m in report["months"] if m["expenses"]}
    assert by_month == {"2025-03": 100, "2025-04": 200}
    assert report["totals"]["payments"]["total"] == 10000


@pytest.mark.parametrize(
    "params",
    [
        {"fy": "2024-26"},
        {"fy": "2024-2025"},
        {"fy": "24-25"},
        {"fy": "2024-25", "year": 2024},
        {"year": 99999},
    ],
)
async def test_annual_rejects_a_bad_period(client, user, params):
    await get(client, user, "/api/reports/annual", status=422, **params)


async def test_fiscal_year_across_a_century(client, user):
    report = await get(client, user, "/api/reports/annual", fy="1999-00")
    assert (report["start"], report["end"]) == ("1999-04-01", "2000-03-31")


# ---------------------------------------------------------------- tax summary


async def seed_loans_for_tax(client, user):
    home_a = await debt(client, user, "Home loan A", "home_loan", 10000000, 12, bank_name="HDFC")
    home_b = await debt(client, user, "Home loan B", "home_loan", 1000000, 12)
    education = await debt(client, user, "Masters", "education_loan", 500000, 9)
    car = await debt(client, user, "Car", "car_loan", 600000, 9.6)
    # The book splits EMIs in date order, whatever order they are recorded in (1 % a month
    # at 12 %, on the balance left by the EMIs dated before):
    await pay(client, user, home_a["id"], 150000, "2024-04-01T00:30:00+05:30")  # 99500 + 50500
    await pay(client, user, home_a["id"], 150000, "2025-03-31T23:30:00+05:30")  # 98995 + 51005
    await pay(client, user, home_a["id"], 150000, "2025-04-01T00:30:00+05:30")  # 98484.95 + ...
    await pay(client, user, home_a["id"], 150000, "2024-03-31T23:30:00+05:30")  # 100000 + 50000
    await pay(client, user, home_b["id"], 60000, "2024-10-15")  # 10000 + 50000
    await pay(client, user, education["id"], 10000, "2024-06-10")  # 3750 + 6250 (0.75 %)
    await pay(client, user, car["id"], 15000, "2024-07-05")  # 4800 + 10200 (0.8 %)
    return {"home_a": home_a, "home_b": home_b, "education": education, "car": car}


async def test_tax_summary_for_a_fiscal_year(client, user, other_user):
    ids = await seed_loans_for_tax(client, user)
    await seed_other_user(client, other_user)
    summary = await get(client, user, "/api/reports/tax-summary", fy="2024-25")
    assert (summary["fy"], summary["start"], summary["end"]) == (
        "2024-25",
        "2024-04-01",
        "2025-03-31",
    )
    loans = {loan["name"]: loan for loan in summary["loans"]}
    assert [loan["name"] for loan in summary["loans"]] == [
        "Car",
        "Masters",
        "Home loan A",
        "Home loan B",
    ]
    assert (summary["law"], summary["regime"]) == ("Income-tax Act, 1961", "old")
    home = loans["Home loan A"]
    assert (home["debt_id"], home["bank_name"], home["debt_type"]) == (
        ids["home_a"]["id"],
        "HDFC",
        "home_loan",
    )
    # 1 Apr 2024: 1 % of 99,50,000 = 99,500; 31 Mar 2025: 1 % of 98,99,500 = 98,995.
    assert (home["interest_paid"], home["principal_paid"]) == (99500 + 98995, 50500 + 51005)
    assert (home["total_paid"], home["payments_count"]) == (300000, 2)
    assert home["sections"] == ["24(b)", "80C"]
    assert (loans["Home loan B"]["interest_paid"], loans["Home loan B"]["principal_paid"]) == (
        10000,
        50000,
    )
    assert loans["Masters"]["interest_paid"] == 3750 and loans["Masters"]["sections"] == ["80E"]
    assert loans["Car"]["interest_paid"] == 4800 and loans["Car"]["sections"] == []
    # Each home loan alone is under both caps; together they are over: caps are per taxpayer.
    lines = [
        (d["key"], d["section"], d["paid"], d["cap"], d["deductible"], d["counts_in_total"])
        for d in summary["deductions"]
    ]
    assert lines == [
        ("self_occupied_interest", "24(b)", 198495 + 10000, 200000, 200000, True),
        ("home_loan_principal", "80C", 101505 + 50000, 150000, 150000, True),
        ("education_loan_interest", "80E", 3750, None, 3750, True),
    ]
    assert summary["total_deductible"] == 200000 + 150000 + 3750
    assert any("consult a tax adviser" in note for note in summary["notes"])


async def test_tax_summary_fiscal_year_boundaries(client, user):
    await seed_loans_for_tax(client, user)
    later = await get(client, user, "/api/reports/tax-summary", fy="2025-26")
    # 1 Apr 2025: 1 % of 98,48,495 = 98,484.95; 1,50,000 - 98,484.95 = 51,515.05.
    assert [(loan["name"], loan["interest_paid"]) for loan in later["loans"]] == [
        ("Home loan A", 98484.95)
    ]
    deductible = {d["key"]: d["deductible"] for d in later["deductions"]}
    assert deductible["self_occupied_interest"] == 98484.95
    assert deductible["home_loan_principal"] == 51515.05
    earlier = await get(client, user, "/api/reports/tax-summary", fy="2023-24")
    # 31 Mar 2024, the first EMI by date: 1 % of 1,00,00,000.
    assert [(loan["interest_paid"], loan["principal_paid"]) for loan in earlier["loans"]] == [
        (100000, 50000)
    ]
    empty = await get(client, user, "/api/reports/tax-summary", fy="2019-20")
    assert empty["loans"] == [] and empty["total_deductible"] == 0


async def test_tax_summary_defaults_to_this_fiscal_year(client, user):
    summary = await get(client, user, "/api/reports/tax-summary")
    today = date.today()
    first = today.year if today.month >= 4 else today.year - 1
    assert summary["start"] == f"{first}-04-01"


@pytest.mark.parametrize("fy", ["2024-26", "2024", "abcd-ef", "2024-25x"])
async def test_tax_summary_rejects_a_bad_fiscal_year(client, user, fy):
    await get(client, user, "/api/reports/tax-summary", status=422, fy=fy)


# ---------------------------------------------------------------- CSV export


async def export(client, user, status=200, **params):
    r = await client.get("/api/reports/export", params=params, headers=user.headers)
    assert r.status_code == status, r.text
    return r


def rows_of(response):
    return list(csv.reader(io.StringIO(response.content.decode("utf-8"))))


async def test_export_expenses_neutralises_formulas(client, user, other_user):
    await expense(client, user, 1234.5, "2025-03-02", title='=HYPERLINK("http://x.test","Click")')
    await expense(client, user, 10, "2025-03-03", title="+91 98765 43210", tags=["-work"])
    await expense(client, user, 20, "2025-03-04", title="-5 discount", description="=1+2")
    await expense(client, user, 30, "2025-03-05", title='Café ₹ दाल, "quoted"', category="food")
    await expense(client, user, 40, "2025-03-31T23:30:00+05:30", title="Last evening")
    await expense(client, user, 50, "2025-04-01T00:30:00+05:30", title="Next month")
    await seed_other_user(client, other_user)

    r = await export(
        client, user, kind="expenses", format="csv", **{"from": "2025-03-01"}, to="2025-03-31"
    )
    assert r.headers["content-type"] == "text/csv; charset=utf-8"
    assert r.headers["content-disposition"] == (
        'attachment; filename="cleero-expenses-2025-03-01-to-2025-03-31.csv"'
    )
    rows = rows_of(r)
    assert rows[0] == [
        "date",
        "title",
        "category",
        "amount",
        "refund",  # "yes" for money back (an expense with refund: true)
        "currency",
        "tags",
        "description",
        "id",
    ]
    body = rows[1:]
    assert [row[:4] for row in body] == [
        ["2025-03-02", '\'=HYPERLINK("http://x.test","Click")', "food", "1234.50"],
        ["2025-03-03", "'+91 98765 43210", "food", "10.00"],
        ["2025-03-04", "'-5 discount", "food", "20.00"],
        ["2025-03-05", 'Café ₹ दाल, "quoted"', "food", "30.00"],
        ["2025-03-31", "Last evening", "food", "40.00"],  # `to` covers its whole day
    ]
    assert body[1][5:7] == ["INR", "'-work"] and body[2][7] == "'=1+2"
    assert all(row[4] == "" for row in body)  # none is a refund
    assert all(ObjectId.is_valid(row[8]) for row in body)
    assert "Not yours" not in r.text and "Next month" not in r.text


async def test_export_payments_and_income(client, user, other_user):
    await seed_other_user(client, other_user)
    loan = await debt(client, user, "@Car", "car_loan", 100000, 12)
    await pay(client, user, loan["id"], 10000, "2025-01-10", notes="-first")
    await pay(client, user, loan["id"], 2500.5, "2025-02-10", payment_type="prepayment")
    r = await export(client, user, kind="payments", **{"from": "2025-01-01"}, to="2025-02-28")
    assert r.headers["content-disposition"].endswith(
        'filename="cleero-payments-2025-01-01-to-2025-02-28.csv"'
    )
    header, first, second = rows_of(r)
    # The columns are the API's field names.
    assert header[:10] == [
        "payment_date",
        "debt_name",
        "payment_type",
        "payment_method",
        "status",
        "amount",
        "currency",
        "interest_component",
        "principal_component",
        "remaining_after",
    ]
    assert first[:11] == [
        "2025-01-10",
        "'@Car",
        "emi",
        "other",
        "completed",
        "10000.00",
        "INR",
        "1000.00",
        "9000.00",
        "91000.00",
        "'-first",
    ]
    assert second[5:10] == ["2500.50", "INR", "0.00", "2500.50", "88499.50"]

    await income(client, user, 5000, "2025-01-05", "freelance", "=cmd|' /C calc'!A0")
    r = await export(client, user, kind="income", **{"from": "2025-01-01"}, to="2025-01-31")
    header, row = rows_of(r)
    assert header[:5] == ["date", "source", "income_type", "frequency", "amount"]
    assert row[:6] == [
        "2025-01-05",
        "'=cmd|' /C calc'!A0",
        "freelance",
        "one_time",
        "5000.00",
        "INR",
    ]
    assert "777777" not in r.text


async def test_export_defaults_to_the_last_twelve_months(client, user):
    now = datetime.now(UTC)
    await expense(client, user, 1, now.isoformat(), title="Today")
    await expense(client, user, 2, (now - timedelta(days=400)).isoformat(), title="Old")
    r = await export(client, user, kind="expenses")
    titles = [row[1] for row in rows_of(r)[1:]]
    assert titles == ["Today"]
    today = local_date(now, "Asia/Kolkata")
    months_back = today.year * 12 + today.month - 1 - 11
    first = date(months_back // 12, months_back % 12 + 1, 1)
    assert r.headers["content-disposition"] == (
        f'attachment; filename="cleero-expenses-{first.isoformat()}-to-{today.isoformat()}.csv"'
    )


async def test_export_with_no_rows_is_just_the_header(client, user):
    r = await export(client, user, kind="income", **{"from": "2020-01-01"}, to="2020-01-31")
    assert r.text == "date,source,income_type,frequency,amount,currency,tags,description,id\r\n"


@pytest.mark.parametrize(
    "params",
    [
        {"kind": "debts"},
        {},
        {"kind": "expenses", "format": "xlsx"},
        {"kind": "expenses", "from": "2025-03-02", "to": "2025-03-01"},
        {"kind": "expenses", "from": "not-a-date"},
    ],
)
async def test_export_rejects_bad_parameters(client, user, params):
    await export(client, user, status=422, **params)


async def test_reports_need_authentication(client):
    for path in ("monthly", "annual", "tax-summary", "export?kind=expenses"):
        r = await client.get(f"/api/reports/{path}")
        assert r.status_code == 401, path


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("=1+1", "'=1+1"),
        ("+1", "'+1"),
        ("-1", "'-1"),
        ("@A1", "'@A1"),
        ("\tx", "'\tx"),
        ("\rx", "'\rx"),
        ("a=b", "a=b"),
        ("", ""),
        (None, ""),
    ],
)
def test_safe_cell(value, expected):
    assert safe_cell(value) == expected


class FakeCursor:
    """An async cursor that counts how many documents have been taken from it."""

    def __init__(self, count):
        self.count, self.taken, self.closed = count, 0, False

    def __aiter__(self):
        return self

    async def __anext__(self):
        if self.taken == self.count:
            raise StopAsyncIteration
        self.taken += 1
        return {
            "_id": ObjectId(),
            "title": "Coffee at the usual place, with a long enough description",
            "category": "food",
            "amount": Decimal("123.40"),
            "date": datetime(2025, 3, 1, tzinfo=UTC),
            "tags": ["daily"],
        }

    async def close(self):
        self.closed = True


async def test_export_streams_in_bounded_chunks_as_the_cursor_is_read():
    cursor = FakeCursor(20000)
    stream = csv_rows(cursor, "expenses", "INR")
    first = await anext(stream)
    # The first chunk leaves before the cursor is drained: rows are never all held at once.
    assert CHUNK_BYTES <= len(first) < CHUNK_BYTES + 1024
    assert cursor.taken < 1000
    sizes, lines = [len(first)], first.count(b"\r\n")
    async for chunk in stream:
        sizes.append(len(chunk))
        lines += chunk.count(b"\r\n")
    assert max(sizes) < CHUNK_BYTES + 1024
    assert lines == 20001 and cursor.closed
