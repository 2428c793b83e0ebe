"""A statement commit in the background (`Prefer: respond-async`, RFC 7240): 202 at once, the
import's progress advancing batch by batch, the same end as a synchronous commit; without the
header the commit answers as before. The commit is a durable job: an API process killed
half-way leaves it to the next process, which finishes it with every row written once, and
of two processes resuming one commit only one runs it.

The statement is generated here (HDFC delimited, as bench/statements_bench.py writes it): a
row a few hours apart over the last 95 days, four narration families (Swiggy: a food expense;
DMART: shopping; a cash withdrawal; a salary credit) and three Bajaj Finance EMIs, which the
preview books as payments on the user's Bajaj loan. Expected figures are summed from the
generated rows."""

import asyncio
import os
import signal
import time
import uuid
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import httpx
import pytest
from bson import ObjectId
from pymongo import MongoClient

from bench import import_bench
from bench.processes import api_env, start_server, stop_server
from bench.statements_bench import hdfc_csv
from core.dates import today
from database import CODEC_OPTIONS
from imports.store import COMMIT_BATCH
from loans.rules import add_months
from main import create_app
from tests.factories import budget, commit, create_debt, get, signup, upload

TZ = "Asia/Kolkata"  # the users' timezone (the default)
HEADER = "Date,Narration,Value Dat,Debit Amount,Credit Amount,Chq/Ref Number,Closing Balance"
FIRST_ROW_LINE = 3  # a blank line and the header come first
SPAN_DAYS = 95
FAMILIES = (  # (narration, credit?, category of the expense)
    ("UPI-SWIGGY-SWIGGY.ORDER@ICICI-ICIC0DC0099-{ref}-ORDER", False, "food"),
    ("POS 512967XXXXXX1234 DMART HSR LAYOUT", False, "shopping"),
    ("NEFT CR-HDFC0000240-ACME TECHNOLOGIES PVT LTD-RAVI KUMAR-HDFCN5{ref}", True, None),
    ("ATW-512967XXXXXX1234-S1ANBY92-MG ROAD BANGALORE", False, "other"),
)
EMI = Decimal("12500.00")
EMI_NARRATION = "ACH D- BAJAJ FINANCE LTD-P402PHR{ref}"
ASYNC = {"Prefer": "respond-async"}


@dataclass
class Statement:
    data: bytes
    rows: int
    expenses: list[tuple[date, Decimal, str]] = field(default_factory=list)  # day, amount, cat.
    income: list[Decimal] = field(default_factory=list)
    emis: list[date] = field(default_factory=list)

    def food_this_month(self, day: date) -> Decimal:
        """The food spend the budget counts: this month's Swiggy rows."""
        return sum(
            (amount for when, amount, category in self.expenses
             if category == "food" and (when.year, when.month) == (day.year, day.month)),
            Decimal(0),
        )  # fmt: skip


def loan_start(day: date) -> date:
    """The Bajaj loan's start: the 1st, three months back; its EMIs fall due on the 1st of
    each of the next three months, all within the statement's 95 days."""
    return add_months(day.replace(day=1), -3)


def statement(rows: int, day: date) -> Statement:
    """`rows` rows over the SPAN_DAYS days up to `day`, three of them the EMIs (12,500 each on
    the loan's due dates); every other amount Rs 100-1,000 with paise; a running balance."""
    first = day - timedelta(days=SPAN_DAYS - 1)
    due = [add_months(loan_start(day), k) for k in (1, 2, 3)]
    spread = rows - len(due)
    plan: list[tuple[date, int | None, Decimal]] = [
        (first + timedelta(days=i * SPAN_DAYS // spread), i % len(FAMILIES),
         Decimal(100 + (i * 37) % 900) + Decimal(i % 100) / 100)
        for i in range(spread)
    ]  # fmt: skip
    plan += [(when, None, EMI) for when in due]
    plan.sort(key=lambda p: p[0])  # stable: an EMI last on its day
    out = Statement(b"", rows, emis=due)
    balance, lines = Decimal("9000000.00"), ["", HEADER]
    for n, (when, family, amount) in enumerate(plan):
        ref = str(700000000000 + n)
        narration, credit = EMI_NARRATION, False  # a payment on the loan
        if family is not None:
            narration, credit, category = FAMILIES[family]
            if credit:
                out.income.append(amount)
            else:
                out.expenses.append((when, amount, str(category)))
        balance += amount if credit else -amount
        debit, credit_cell = ("0.00", f"{amount}") if credit else (f"{amount}", "0.00")
        d = when.strftime("%d/%m/%y")
        lines.append(f" {d},{narration.format(ref=ref)},{d},{debit},{credit_cell},{ref},{balance}")
    out.data = ("\r\n".join(lines) + "\r\n").encode()
    return out


async def books(client: httpx.AsyncClient, user: Any, loan_id: str) -> dict[str, Any]:
    """What the user's books hold: entries (count and sum over the statement's days), the
    loan, the food budget's spend, the notifications by title."""
    found: dict[str, Any] = {}
    day = today(TZ)
    period = {"from": (day - timedelta(days=SPAN_DAYS)).isoformat(), "to": day.isoformat()}
    for kind in ("expenses", "income"):
        stats = await get(client, user, f"/api/{kind}/stats/monthly", **period)
        found[kind] = (stats["count"], Decimal(str(stats["total"])))
    payments = (await get(client, user, "/api/payments", limit=100))["items"]
    found["payments"] = (len(payments), sum(Decimal(str(p["amount"])) for p in payments))
    debt = await get(client, user, f"/api/debts/{loan_id}")
    found["debt"] = {k: debt[k] for k in ("remaining_amount", "total_paid", "total_interest_paid",
                                          "payments_count", "next_payment_date")}  # fmt: skip
    status = (await get(client, user, "/api/budgets/status"))["items"]
    found["food_spent"] = {s["category"]: Decimal(str(s["spent"])) for s in status}["food"]
    inbox = (await get(client, user, "/api/notifications", limit=100))["items"]
    found["notices"] = sorted(n["title"] for n in inbox)
    return found


def expected_books(st: Statement, day: date) -> dict[str, Any]:
    """Entries as the generated rows add up; the loan's own figures are the synchronous
    commit's, compared separately."""
    return {
        "expenses": (len(st.expenses), sum((a for _, a, _ in st.expenses), Decimal(0))),
        "income": (len(st.income), sum(st.income, Decimal(0))),
        "payments": (len(st.emis), EMI * len(st.emis)),
        "food_spent": st.food_this_month(day),
    }


async def set_up(client: httpx.AsyncClient, user: Any, day: date) -> str:
    """The Bajaj loan (EMI 12,500) and a food budget of Rs 5,000 the import overruns."""
    loan = await create_debt(
        client, user, name="Bajaj personal loan", debt_type="personal_loan", principal=500000,
        interest_rate=12, tenure_months=48, monthly_emi=12500, bank_name="Bajaj Finance",
        start_date=loan_start(day).isoformat(),
    )  # fmt: skip
    await budget(client, user, "food", 5000)
    return loan["id"]


async def poll(client: httpx.AsyncClient, user: Any, import_id: str) -> list[dict[str, Any]]:
    """GET the import until it is committed; every answer seen, in order."""
    seen = []
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        seen.append(await get(client, user, f"/api/imports/{import_id}"))
        if seen[-1]["status"] != "committing":
            return seen
        await asyncio.sleep(0.02)
    raise AssertionError(f"still committing after 120 s: {seen[-1]}")


async def halfway(client: httpx.AsyncClient, user: Any, import_id: str) -> dict[str, Any]:
    """GET the import until its commit has gone through a batch (but not all of them)."""
    for _ in range(6000):
        progress = (await get(client, user, f"/api/imports/{import_id}"))["progress"]
        if 0 < progress["done"] < progress["total"]:
            return progress
        await asyncio.sleep(0.02)
    raise AssertionError(f"no batch done after 120 s: {progress}")


async def commit_async(client: httpx.AsyncClient, user: Any, import_id: str) -> dict[str, Any]:
    r = await client.post(f"/api/imports/{import_id}/commit", headers=user.headers | ASYNC)
    assert r.status_code == 202, r.text
    assert r.headers["Preference-Applied"] == "respond-async"
    assert r.headers["Location"] == f"/api/imports/{import_id}"
    return r.json()


# ---------------------------------------------------------------- in the API's background


async def test_an_async_commit_answers_202_advances_and_ends_as_a_synchronous_one(client):
    day = today(TZ)
    # 1,203 rows on lines 3..1205: three batches of COMMIT_BATCH (500) lines, 0-499 (497
    # rows), 500-999 (500 rows), 1000-1499 (206 rows).
    st = statement(1203, day)
    mine, theirs = await signup(client), await signup(client)
    loans = {u.id: await set_up(client, u, day) for u in (mine, theirs)}
    imp = await upload(client, mine, st.data)
    assert imp["counts"]["new"] == st.rows and imp["progress"] is None

    started = await commit_async(client, mine, imp["id"])
    assert started["status"] == "committing"
    assert started["progress"] == {"done": 0, "total": st.rows} and started["result"] is None
    seen = await poll(client, mine, imp["id"])
    done = [s["progress"]["done"] for s in seen if s["status"] == "committing"]
    # Each batch moves `done` by its rows: 497, then 997, then all 1,203 (then committed).
    halfway = {COMMIT_BATCH - FIRST_ROW_LINE, 2 * COMMIT_BATCH - FIRST_ROW_LINE}
    assert done == sorted(done) and set(done) <= {0, *halfway, st.rows}, done
    print("progress seen:", sorted(set(done)))
    assert set(done) & halfway, done  # seen advancing, batch by batch
    assert {s["progress"]["total"] for s in seen if s["status"] == "committing"} == {st.rows}
    assert set(started) == set(seen[0])  # the 202's body is the import, as GET answers it
    final = seen[-1]
    assert (final["status"], final["progress"]) == ("committed", None)

    theirs_imp = await upload(client, theirs, st.data)
    result = await commit(client, theirs, theirs_imp["id"])  # no header: 200 with the result
    assert (
        final["result"]
        == result
        == {
            "created": {"expenses": len(st.expenses), "income": len(st.income), "payments": 3},
            "linked": 0,
            "skipped": 0,
        }
    )
    ours, sync = await books(client, mine, loans[mine.id]), await books(client, theirs,
                                                                        loans[theirs.id])  # fmt: skip
    assert {k: ours[k] for k in expected_books(st, day)} == expected_books(st, day)
    assert ours == sync  # the loan, the budget's spend and the notifications too
    assert ours["debt"]["payments_count"] == 3 and ours["debt"]["total_paid"] == 37500
    assert ours["notices"].count("Statement imported") == 1
    assert ours["notices"].count("Budget exceeded: food") == 1  # food this month > 5,000
    assert st.food_this_month(day) > 5000

    # Asked again, with or without the header: what it added, as a synchronous commit says.
    for headers in (ASYNC, {}):
        r = await client.post(f"/api/imports/{imp['id']}/commit", headers=mine.headers | headers)
        assert (r.status_code, r.json()) == (200, result)
        assert "Preference-Applied" not in r.headers
    assert await books(client, mine, loans[mine.id]) == ours


async def test_without_respond_async_the_commit_answers_200_as_before(client, user):
    data = statement(40, today(TZ)).data  # imported again: every row a duplicate
    for prefer in (None, "return=minimal", "respond-asynchronously", "wait=10"):
        imp = await upload(client, user, data)
        headers = user.headers | ({"Prefer": prefer} if prefer else {})
        r = await client.post(f"/api/imports/{imp['id']}/commit", headers=headers)
        assert r.status_code == 200, r.text
        assert set(r.json()) == {"created", "linked", "skipped"}
        assert "Preference-Applied" not in r.headers
        after = await get(client, user, f"/api/imports/{imp['id']}")
        assert (after["status"], after["progress"], after["result"]) == (
            "committed", None, r.json())  # fmt: skip
    # The preference among others, any case: RFC 7240 names are case-insensitive.
    imp = await upload(client, user, statement(30, today(TZ) - timedelta(days=800)).data)
    headers = user.headers | {"Prefer": "wait=5, Respond-Async; x=1"}
    r = await client.post(f"/api/imports/{imp['id']}/commit", headers=headers)
    assert (r.status_code, r.headers["Preference-Applied"]) == (202, "respond-async")
    assert (await poll(client, user, imp["id"]))[-1]["result"]["created"]["expenses"] > 0


async def test_a_synchronous_commit_waits_for_the_background_one(client, user):
    st = statement(1100, today(TZ))
    await set_up(client, user, today(TZ))
    imp = await upload(client, user, st.data)
    await commit_async(client, user, imp["id"])
    # The lease keeps one runner: the plain request waits for the background commit.
    result = await commit(client, user, imp["id"])
    assert result["created"] == {"expenses": len(st.expenses), "income": len(st.income),
                                 "payments": 3}  # fmt: skip
    assert (await get(client, user, f"/api/imports/{imp['id']}"))["result"] == result
    inbox = (await get(client, user, "/api/notifications"))["items"]
    assert [n["title"] for n in inbox].count("Statement imported") == 1


async def test_an_undone_import_is_not_committed_in_the_background(client, user):
    imp = await upload(client, user, statement(20, today(TZ)).data)
    await commit(client, user, imp["id"])
    r = await client.post(f"/api/imports/{imp['id']}/undo", headers=user.headers)
    assert r.status_code == 200, r.text
    r = await client.post(f"/api/imports/{imp['id']}/commit", headers=user.headers | ASYNC)
    assert (r.status_code, r.json()["code"]) == (409, "import_not_in_preview")


async def test_the_import_benchmarks_background_commit_step_runs(client):
    # bench/import_bench.py times the async commit to `committed`; 120 rows, each created.
    assert set(await import_bench.async_run(client, 0, hdfc_csv(120), rows=120)) == {"async commit"}


# ---------------------------------------------------------------- resumed elsewhere


async def test_two_instances_resuming_one_commit_run_it_once(app, client, settings, user, db):
    day = today(TZ)
    loan_id = await set_up(client, user, day)
    st = statement(1500, day)
    imp = await upload(client, user, st.data)
    await commit_async(client, user, imp["id"])
    await halfway(client, user, imp["id"])
    await app.state.import_jobs.stop()  # this process stops: its lease let go, at once
    stopped = await db.imports.find_one({"_id": ObjectId(imp["id"])})
    assert stopped["status"] == "committing"
    assert 0 < stopped["progress"]["done"] < st.rows

    other = create_app(settings)  # a second API process on the same database
    async with other.router.lifespan_context(other):
        instances = [app.state.import_jobs, other.state.import_jobs]
        claimed: list[list[str]] = [[], []]
        for n, jobs in enumerate(instances):
            jobs.claim = _recording(jobs.claim, claimed[n])  # type: ignore[method-assign]
        taken = await asyncio.gather(*(jobs.resume_expired() for jobs in instances))
    # Both saw the expired lease and tried to claim it; one update won.
    assert sorted(taken) == [0, 1] and sorted(map(len, claimed)) == [0, 1]
    assert [len(c) for c in claimed] == taken
    final = await get(client, user, f"/api/imports/{imp['id']}")
    assert final["status"] == "committed" and final["result"]["created"]["payments"] == 3
    found = await books(client, user, loan_id)
    assert {k: found[k] for k in expected_books(st, day)} == expected_books(st, day)
    assert found["debt"]["payments_count"] == 3
    assert found["notices"].count("Statement imported") == 1
    assert await db.import_fingerprints.count_documents(
        {"user_id": ObjectId(user.id), "import_id": ObjectId(imp["id"])}
    ) == st.rows  # fmt: skip


async def test_a_commit_interrupted_without_a_lease_is_finished_too(app, client, user, db):
    # An import left `committing` by a process that kept no lease (before leases existed):
    # the resume loop takes it over; so does asking again.
    for back, finish in ((0, "resume loop"), (400, "request")):
        st = statement(30, today(TZ) - timedelta(days=back))
        imp = await upload(client, user, st.data)
        owned = {"_id": ObjectId(imp["id"]), "user_id": ObjectId(user.id)}
        await db.imports.update_one(owned, {"$set": {"status": "committing"}})
        if finish == "resume loop":
            assert await app.state.import_jobs.resume_expired() == 1
            result = (await get(client, user, f"/api/imports/{imp['id']}"))["result"]
        else:
            result = await commit(client, user, imp["id"])
        assert result["created"]["income"] == len(st.income), finish
        final = await get(client, user, f"/api/imports/{imp['id']}")
        assert (final["status"], final["progress"], final["result"]) == (
            "committed", None, result)  # fmt: skip


def _recording(claim: Any, owners: list[str]) -> Any:
    async def recorded(user_id: ObjectId, record: dict[str, Any]) -> Any:
        won = await claim(user_id, record)
        if won is not None:
            owners.append(won["lease"]["owner"])
        return won

    return recorded


# ---------------------------------------------------------------- the API process killed


@pytest.mark.process  # the API as two real processes, the first SIGKILLed mid-commit
async def test_a_commit_whose_api_process_is_killed_is_finished_by_the_next(mongo_url, tmp_path):
    day = today(TZ)
    st = statement(5000, day)
    db_name = f"test_async_commit_{uuid.uuid4().hex[:8]}"
    # One environment (one secret) for both processes: the tokens outlive the first.
    env = api_env(
        mongo_url, db_name, tmp_path, RUN_WORKER="true",  # the resume loop runs with it
        BCRYPT_ROUNDS="4", IMPORT_LEASE_SECONDS="3", IMPORT_RESUME_SECONDS="0.5",
    )  # fmt: skip
    api, url = start_server("main:app", env, tmp_path / "api-1.log", "/health/ready")
    try:
        async with httpx.AsyncClient(base_url=url, timeout=120) as http:
            mine, theirs = await signup(http), await signup(http)
            loans = {u.id: await set_up(http, u, day) for u in (mine, theirs)}
            imp = await upload(http, mine, st.data)
            await commit_async(http, mine, imp["id"])
            await halfway(http, mine, imp["id"])
        os.kill(api.pid, signal.SIGKILL)  # half-way, most likely inside a batch
        api.wait()
        with MongoClient(mongo_url, directConnection=True) as sync_client:
            db = sync_client.get_database(db_name, codec_options=CODEC_OPTIONS)
            dead = db.imports.find_one({"_id": ObjectId(imp["id"])})
            assert dead["status"] == "committing" and 0 < dead["progress"]["done"] < st.rows

        api, url = start_server("main:app", env, tmp_path / "api-2.log", "/health/ready")
        async with httpx.AsyncClient(base_url=url, timeout=120) as http:
            final = (await poll(http, mine, imp["id"]))[-1]
            theirs_imp = await upload(http, theirs, st.data)
            result = await commit(http, theirs, theirs_imp["id"])
            ours = await books(http, mine, loans[mine.id])
            sync = await books(http, theirs, loans[theirs.id])
        with MongoClient(mongo_url, directConnection=True) as sync_client:
            db = sync_client.get_database(db_name, codec_options=CODEC_OPTIONS)
            prints = db.import_fingerprints.count_documents({"import_id": ObjectId(imp["id"])})
            sync_client.drop_database(db_name)
    finally:
        stop_server(api)
    print(f"killed at {dead['progress']['done']} of {st.rows} rows; resumed and committed")
    assert final["status"] == "committed" and final["result"] == result
    # Every row once: no duplicate, none missing (each committed row has one fingerprint).
    assert prints == st.rows
    assert {k: ours[k] for k in expected_books(st, day)} == expected_books(st, day)
    assert ours == sync  # the loan's figures, the food budget's counter, the notifications
    assert ours["debt"]["payments_count"] == 3 and ours["debt"]["total_paid"] == 37500
    assert ours["notices"].count("Statement imported") == 1
    assert "resuming the commit of import" in (tmp_path / "api-2.log").read_text()
