"""Loans as Indian lenders run them, through HTTP: floating-rate resets with the borrower's
choice, the prepayment choice, the schedule of actuals then projection, the periodic
statement, and the tax summary by the law of the year.

Every expected figure is computed here, independently of the app: the EMI formula at 50
digits, and month-by-month loops that round each month's interest half-up to the paisa."""

from datetime import date
from decimal import ROUND_HALF_UP, Decimal, localcontext

import pytest

from loans.rules import add_months
from tests.factories import get, post

D = Decimal
CENT = D("0.01")
START, FIRST_DUE = date(2024, 1, 1), date(2024, 2, 1)
LOAN = {
    "name": "Home loan",
    "debt_type": "home_loan",
    "principal": 3000000,
    "interest_rate": 8.5,
    "tenure_months": 240,
    "bank_name": "HDFC",
    "start_date": START.isoformat(),
}


def formula_emi(principal: Decimal, rate: Decimal, months: int) -> Decimal:
    """P·r·(1+r)^n / ((1+r)^n - 1), r = rate / 1200, rounded half-up once at the end."""
    with localcontext(prec=50):
        r = rate / 1200
        growth = (1 + r) ** months
        return (principal * r * growth / (growth - 1)).quantize(CENT, ROUND_HALF_UP)


def interest(balance: Decimal, rate: Decimal) -> Decimal:
    return (balance * rate / 1200).quantize(CENT, ROUND_HALF_UP)


def after_emis(balance: Decimal, rate: Decimal, emi: Decimal, count: int) -> Decimal:
    for _ in range(count):
        balance -= emi - interest(balance, rate)
    return balance


def instalments(balance: Decimal, rate: Decimal, emi: Decimal) -> int:
    """EMIs of `emi` that clear `balance`, the last one paying what is left."""
    months = 0
    while balance > 0:
        months += 1
        due = interest(balance, rate)
        balance -= min(emi - due, balance)
    return months


EMI = formula_emi(D(3000000), D("8.5"), 240)  # 26,034.70
B12 = after_emis(D(3000000), D("8.5"), EMI, 12)  # 29,40,293.09
B24 = after_emis(D(3000000), D("8.5"), EMI, 24)  # 28,75,308.65


def test_the_independent_figures_are_the_known_ones():
    assert (D("26034.70"), D("2940293.09"), D("2875308.65")) == (EMI, B12, B24)


async def loan_with_emis(client, user, count: int) -> dict:
    debt = await post(client, user, "/api/debts", LOAN)
    assert debt["monthly_emi"] == float(EMI)
    for k in range(count):
        await post(
            client,
            user,
            "/api/payments",
            {
                "debt_id": debt["id"],
                "amount": str(EMI),
                "payment_date": add_months(FIRST_DUE, k).isoformat(),
            },
        )
    return debt


async def reset(client, user, debt, rate, treatment, on="2026-01-20"):
    return await client.post(
        f"/api/debts/{debt['id']}/rate-changes",
        json={"effective_date": on, "interest_rate": rate, "treatment": treatment},
        headers=user.headers,
    )


async def test_a_reset_that_keeps_the_tenure_raises_the_emi(client, user):
    debt = await loan_with_emis(client, user, 24)
    r = await reset(client, user, debt, 9.25, "increase_emi")
    assert r.status_code == 201, r.text
    # 216 EMIs were left after 24 of 240: the formula on the balance at the new rate.
    new_emi = formula_emi(B24, D("9.25"), 216)
    assert new_emi == D("27376.36")
    change = r.json()
    assert (change["interest_rate"], change["previous_rate"], change["treatment"]) == (
        9.25,
        8.5,
        "increase_emi",
    )
    assert (change["monthly_emi"], change["remaining_tenure_months"]) == (float(new_emi), 216)
    shown = await get(client, user, f"/api/debts/{debt['id']}")
    assert (shown["interest_rate"], shown["monthly_emi"], shown["remaining_tenure_months"]) == (
        9.25,
        float(new_emi),
        216,
    )
    assert shown["tenure_months"] == 240 and shown["remaining_amount"] == float(B24)
    # The next EMI pays a month's interest at the new rate.
    paid = await post(
        client,
        user,
        "/api/payments",
        {"debt_id": debt["id"], "amount": str(new_emi), "payment_date": "2026-02-01"},
    )
    assert paid["interest_component"] == float(interest(B24, D("9.25")))  # 22,163.84
    assert paid["interest_rate"] == 9.25
    history = await get(client, user, f"/api/debts/{debt['id']}/rate-changes")
    assert [c["id"] for c in history] == [change["id"]]


async def test_a_reset_that_keeps_the_emi_extends_the_tenure(client, user):
    debt = await loan_with_emis(client, user, 24)
    r = await reset(client, user, debt, 9.25, "extend_tenure")
    assert r.status_code == 201, r.text
    months = instalments(B24, D("9.25"), EMI)
    assert months == 249
    assert (r.json()["monthly_emi"], r.json()["remaining_tenure_months"]) == (float(EMI), months)
    schedule = await get(client, user, f"/api/debts/{debt['id']}/schedule")
    assert len(schedule["items"]) == months and schedule["items"][-1]["balance"] == 0
    assert schedule["items"][0]["month"] == 25  # the loan's 25th instalment comes next


async def test_a_reset_that_would_amortise_negatively_is_refused_with_the_minimum_emi(client, user):
    debt = await loan_with_emis(client, user, 24)
    # 11.5 %: a month's interest on 28,75,308.65 is 27,555.04, more than the EMI of 26,034.70.
    month = interest(B24, D("11.5"))
    assert month == D("27555.04") and month > EMI
    r = await reset(client, user, debt, 11.5, "extend_tenure")
    assert r.status_code == 422
    (issue,) = r.json()["detail"]
    assert (issue["loc"], issue["type"]) == (["body", "treatment"], "emi_below_minimum")
    assert str(month) in issue["msg"]
    # The minimum EMI named: the smallest that repays within the longest tenure (1,200 months
    # from the first due date, 1,176 left): searched here paisa by paisa with the loop.
    lo, hi = int(month * 100), int(month * 100) + 100_000
    while hi - lo > 1:
        mid = (lo + hi) // 2
        ok = instalments_within(B24, D("11.5"), D(mid).scaleb(-2), 1176)
        lo, hi = (lo, mid) if ok else (mid, hi)
    assert f"at least {D(hi).scaleb(-2)}" in issue["msg"]
    shown = await get(client, user, f"/api/debts/{debt['id']}")
    assert shown["interest_rate"] == 8.5  # nothing recorded
    # The other choice is allowed: the EMI rises instead.
    assert (await reset(client, user, debt, 11.5, "increase_emi")).status_code == 201


async def test_a_reset_dated_in_the_future_is_refused_by_its_own_rule(client, user):
    debt = await post(client, user, "/api/debts", LOAN)
    r = await reset(client, user, debt, 9.25, "increase_emi", on="2099-01-01")
    assert r.status_code == 422
    assert r.json()["code"] == "rate_change_date_in_future"
    (issue,) = r.json()["detail"]
    assert (issue["loc"], issue["type"]) == (
        ["body", "effective_date"],
        "rate_change_date_in_future",
    )
    assert await get(client, user, f"/api/debts/{debt['id']}/rate-changes") == []
    # A payment dated that day is refused by the payment's rule, under its own code.
    body = {"debt_id": debt["id"], "amount": str(EMI), "payment_date": "2099-01-01"}
    r = await client.post("/api/payments", json=body, headers=user.headers)
    assert r.status_code == 422 and r.json()["code"] == "payment_date_in_future"
    assert r.json()["detail"][0]["loc"] == ["body", "payment_date"]


def instalments_within(balance: Decimal, rate: Decimal, emi: Decimal, limit: int) -> bool:
    for _ in range(limit):
        due = interest(balance, rate)
        if emi >= balance + due:
            return True
        if emi <= due:
            return False
        balance -= emi - due
    return False


async def test_a_reduce_emi_prepayment_and_its_deletion(client, user):
    debt = await loan_with_emis(client, user, 12)
    r = await client.post(
        "/api/payments",
        json={
            "debt_id": debt["id"],
            "amount": 200000,
            "payment_type": "prepayment",
            "prepayment_effect": "reduce_emi",
            "payment_date": "2025-01-10",
        },
        headers=user.headers,
    )
    assert r.status_code == 201, r.text
    assert r.json()["prepayment_effect"] == "reduce_emi"
    # 228 EMIs left; the formula on 29,40,293.09 - 2,00,000.
    lower = formula_emi(B12 - 200000, D("8.5"), 228)
    assert lower == D("24263.81")
    shown = await get(client, user, f"/api/debts/{debt['id']}")
    assert (shown["monthly_emi"], shown["remaining_tenure_months"]) == (float(lower), 228)
    # With `reduce_tenure` (the default) the EMI would have stayed and the loan shortened.
    await client.delete(f"/api/payments/{r.json()['id']}", headers=user.headers)
    restored = await get(client, user, f"/api/debts/{debt['id']}")
    assert (restored["monthly_emi"], restored["remaining_tenure_months"]) == (float(EMI), 228)
    assert restored["remaining_amount"] == float(B12)


async def test_a_payment_before_the_reset_pays_the_old_rate(client, user):
    debt = await loan_with_emis(client, user, 23)  # the 24th (1 Jan 2026) is recorded later
    assert (await reset(client, user, debt, 9.25, "increase_emi")).status_code == 201
    late = await post(
        client,
        user,
        "/api/payments",
        {"debt_id": debt["id"], "amount": str(EMI), "payment_date": "2026-01-01"},
    )
    b23 = after_emis(D(3000000), D("8.5"), EMI, 23)
    assert late["interest_component"] == float(interest(b23, D("8.5")))
    assert late["interest_rate"] == 8.5
    # Replayed in date order, the reset still recomputes the EMI on B24 over 216 months.
    shown = await get(client, user, f"/api/debts/{debt['id']}")
    assert shown["monthly_emi"] == float(formula_emi(B24, D("9.25"), 216))


async def test_the_schedule_as_it_stood_and_the_quarters_statement(client, user):
    debt = await loan_with_emis(client, user, 24)
    assert (await reset(client, user, debt, 9.25, "increase_emi")).status_code == 201
    new_emi = formula_emi(B24, D("9.25"), 216)
    for due in ("2026-02-01", "2026-03-01"):
        await post(
            client,
            user,
            "/api/payments",
            {"debt_id": debt["id"], "amount": str(new_emi), "payment_date": due},
        )
    url = f"/api/debts/{debt['id']}/schedule"
    before = await get(client, user, url, as_of="2026-01-15")
    assert (before["interest_rate"], before["monthly_emi"]) == (8.5, float(EMI))
    assert before["totals"]["paid"]["months"] == 24 and len(before["history"]) == 24
    assert before["totals"]["projected"]["months"] == 216
    after = await get(client, user, url, as_of="2026-03-15")
    assert (after["interest_rate"], after["monthly_emi"]) == (9.25, float(new_emi))
    kinds = [e["kind"] for e in after["history"][-3:]]
    assert kinds == ["rate_change", "emi", "emi"]
    paid, projected = after["totals"]["paid"], after["totals"]["projected"]
    assert paid["total_principal"] + after["remaining_amount"] == pytest.approx(3000000)
    assert after["items"][-1]["balance"] == 0 and projected["months"] == 214

    statement = await get(
        client,
        user,
        f"/api/debts/{debt['id']}/statement",
        **{"from": "2026-01-01"},
        to="2026-03-31",
    )
    # The quarter: the 24th EMI at 8.5 %, the reset, the 25th and 26th at 9.25 %.
    b23 = after_emis(D(3000000), D("8.5"), EMI, 23)
    i24, i25 = interest(b23, D("8.5")), interest(B24, D("9.25"))
    b25 = B24 - (new_emi - i25)
    i26 = interest(b25, D("9.25"))
    b26 = b25 - (new_emi - i26)
    assert statement["interest_in_period"] == float(i24 + i25 + i26)
    assert statement["outstanding_at_start"] == float(b23)
    assert statement["outstanding_at_end"] == float(b26)
    assert statement["principal_in_period"] == float(b23 - b26)
    assert (statement["emis_paid_in_period"], statement["emis_paid_to_date"]) == (3, 26)
    assert (statement["emis_left"], statement["interest_rate"]) == (214, 9.25)
    assert statement["principal_to_date"] == float(D(3000000) - b26)


# ---------------------------------------------------------------- the tax year's own law


async def test_tax_summary_by_the_law_and_regime_of_the_year(client, user):
    """One home loan: EMIs in FY 2025-26 (the 1961 Act) and in tax year 2026-27 (the 2025
    Act), in both regimes and for both uses of the house."""
    debt = await loan_with_emis(client, user, 34)  # to 1 Nov 2026
    # FY 2025-26: EMIs 15..26 (1 Apr 2025 .. 1 Mar 2026); 2026-27: EMIs 27..34.
    balance, by_year = D(3000000), {2025: [D(0), D(0)], 2026: [D(0), D(0)]}
    for k in range(34):
        due = add_months(FIRST_DUE, k)
        part = interest(balance, D("8.5"))
        balance -= EMI - part
        fy = due.year if due.month >= 4 else due.year - 1
        if fy in by_year:
            by_year[fy][0] += part
            by_year[fy][1] += EMI - part

    async def summary(fy, regime):
        return await get(client, user, "/api/reports/tax-summary", fy=fy, regime=regime)

    old_2025 = await summary("2025-26", "old")
    assert (old_2025["law"], old_2025["label"]) == ("Income-tax Act, 1961", "FY 2025-26")
    lines = {d["key"]: d for d in old_2025["deductions"]}
    interest_2025, principal_2025 = by_year[2025]
    assert lines["self_occupied_interest"]["section"] == "24(b)"
    assert lines["self_occupied_interest"]["paid"] == float(interest_2025)
    assert lines["self_occupied_interest"]["deductible"] == 200000  # over the 2,00,000 cap
    assert lines["home_loan_principal"]["section"] == "80C"
    assert lines["home_loan_principal"]["deductible"] == float(min(principal_2025, D(150000)))

    old_2026 = await summary("2026-27", "old")
    assert (old_2026["law"], old_2026["label"]) == ("Income-tax Act, 2025", "tax year 2026-27")
    lines = {d["key"]: d for d in old_2026["deductions"]}
    assert lines["self_occupied_interest"]["section"].startswith("22")
    assert lines["self_occupied_interest"]["paid"] == float(by_year[2026][0])
    assert lines["home_loan_principal"]["section"].startswith("123")
    # The profile's regime is the default.
    r = await client.put(
        "/api/users/me", json={"profile": {"tax_regime": "new"}}, headers=user.headers
    )
    assert r.status_code == 200 and r.json()["profile"]["tax_regime"] == "new"
    for fy in ("2025-26", "2026-27"):
        new = await get(client, user, "/api/reports/tax-summary", fy=fy)
        assert new["regime"] == "new" and new["total_deductible"] == 0

    # A let-out house: the interest is not capped, the loss set off against other income is
    # (2,00,000), under s.71(3A) of the 1961 Act and s.109(1)(b) of the 2025 Act.
    r = await client.put(
        f"/api/debts/{debt['id']}", json={"property_use": "let_out"}, headers=user.headers
    )
    assert r.status_code == 200 and r.json()["property_use"] == "let_out"
    for fy, section in (("2025-26", "71(3A)"), ("2026-27", "109(1)(b)")):
        let_out = await summary(fy, "old")
        lines = {d["key"]: d for d in let_out["deductions"]}
        assert "self_occupied_interest" not in lines or lines["self_occupied_interest"]["paid"] == 0
        set_off = lines["house_property_set_off"]
        assert set_off["section"] == section and set_off["cap"] == 200000
        year = 2025 if fy == "2025-26" else 2026
        assert set_off["deductible"] == float(min(by_year[year][0], D(200000)))
