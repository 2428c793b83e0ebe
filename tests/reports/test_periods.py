"""One period rule for every monthly statistic, one fiscal year, one clock: the cases that had
drifted apart between domains, now each answered the same way everywhere."""

from datetime import date

import pytest

from core.dates import fiscal_period, fiscal_year, stats_period
from core.errors import Unprocessable

STATS = ["/api/payments/stats/monthly", "/api/income/stats/monthly", "/api/expenses/stats/monthly"]


@pytest.mark.parametrize("path", STATS)
@pytest.mark.parametrize(
    "params",
    [
        {"year": 2150},  # outside 1900-2100
        {"year": 1899},
        {"from": "2024-01-01"},  # `from` without `to`
        {"to": "2024-12-31"},
        {"year": 2024, "from": "2024-01-01", "to": "2024-12-31"},
        {"from": "2024-12-31", "to": "2024-01-01"},
    ],
)
async def test_every_stats_endpoint_refuses_the_same_periods(client, user, path, params):
    r = await client.get(path, params=params, headers=user.headers)
    assert r.status_code == 422, r.text


@pytest.mark.parametrize("path", STATS)
@pytest.mark.parametrize(
    "params", [{}, {"year": 1900}, {"year": 2100}, {"from": "2024-01-01", "to": "2024-03-31"}]
)
async def test_every_stats_endpoint_accepts_the_same_periods(client, user, path, params):
    r = await client.get(path, params=params, headers=user.headers)
    assert r.status_code == 200, r.text


def test_the_period_rule_itself():
    assert stats_period(2024, None, None, "Asia/Kolkata").month_keys()[0] == "2024-01"
    with pytest.raises(Unprocessable):
        stats_period(None, date(2024, 1, 1), None, "Asia/Kolkata")


def test_the_fiscal_year_starts_on_1_april():
    assert fiscal_year(date(2025, 3, 31)) == 2024
    assert fiscal_year(date(2025, 4, 1)) == 2025
    period = fiscal_period(2024)
    assert (period.start, period.end) == (date(2024, 4, 1), date(2025, 3, 31))


async def test_the_annual_report_and_the_tax_summary_agree_on_a_fiscal_year(client, user):
    params = {"fy": "2024-25"}
    annual = (await client.get("/api/reports/annual", params=params, headers=user.headers)).json()
    tax = (await client.get("/api/reports/tax-summary", params=params, headers=user.headers)).json()
    assert (
        (annual["start"], annual["end"])
        == (tax["start"], tax["end"])
        == (
            "2024-04-01",
            "2025-03-31",
        )
    )
    assert annual["months"][0]["month"] == "2024-04" and annual["months"][-1]["month"] == "2025-03"


async def test_a_goal_reads_back_exactly_as_created(client, user):
    body = {"title": "Trip", "target_amount": 1000, "target_date": "2099-01-01"}
    created = (await client.post("/api/goals", json=body, headers=user.headers)).json()
    read = (await client.get(f"/api/goals/{created['id']}", headers=user.headers)).json()
    assert read["created_at"] == created["created_at"]
    assert read["updated_at"] == created["updated_at"]
    assert read == created


async def test_a_user_reads_back_exactly_as_signed_up(client, user):
    me = (await client.get("/api/users/me", headers=user.headers)).json()
    assert me["created_at"] == user.tokens["user"]["created_at"]
    assert me == user.tokens["user"]
