"""Card reminders and alerts, driven by the scheduler's pass at a chosen instant: the due date
approaching (with the total and minimum due), due today, past due (with the late fee after day
3), the card used above the user's threshold once per cycle; each exactly once, however many
passes run, in the user's calendar, and to nobody else.

Every figure is worked out beside its assertion: a card with statement day 15 and 20 due days,
a limit of ₹1,00,000 (₹40,000 for the utilisation alerts) and the slabs of test_cards (₹750 up to ₹10,000, ₹1,300 above)."""

import asyncio
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from bson import ObjectId

from loans.reminders import run_all
from tests.cards.test_cards import SLABS, expected_interest, paise, refund
from tests.factories import account, expense, transfer

IST = "Asia/Kolkata"
TERMS = {"statement_day": 15, "due_days": 20, "late_fee_slabs": SLABS}
DUE = date(2025, 3, 7)  # the 15 Feb statement + 20 days


def local(day: date, hour: int, tz: str = IST) -> datetime:
    """An instant: `hour` o'clock on `day` in `tz`."""
    return datetime(day.year, day.month, day.day, hour, tzinfo=ZoneInfo(tz)).astimezone(UTC)


async def card_with_a_statement(client, user, name="HDFC Regalia", limit=100000):
    """10,000 bought on 20 Jan, 5,000 on 1 Feb, 1,000 refunded on 5 Feb: the 15 Feb statement
    (the first: no interest) has a total due of 14,000 and an estimated minimum due of
    max(5 % x 14,000, 100) = 700, due on 7 Mar."""
    terms = TERMS | {"credit_limit": limit}
    card = await account(client, user, name, kind="credit_card", **terms)
    await expense(client, user, 10000, "2025-01-20", account_id=card["id"])
    await expense(client, user, 5000, "2025-02-01", account_id=card["id"])
    await refund(client, user, card["id"], 1000, "2025-02-05")
    return card


KINDS = ["payment_reminder", "payment_due", "payment_overdue", "card_utilisation"]


async def notes(db, user):
    """The user's card reminders and alerts (not the other notifications entries raise)."""
    query = {"user_id": ObjectId(user.id), "notification_type": {"$in": KINDS}}
    return await db.notifications.find(query).sort("created_at", 1).to_list(None)


async def titles(db, user):
    return [note["title"] for note in await notes(db, user)]


async def set_threshold(client, user, percent):
    body = {"profile": {"card_utilisation_alert": percent}}
    return await client.put("/api/users/me", json=body, headers=user.headers)


async def test_due_soon_due_today_past_due_each_once(
    client, db, settings, user, other_user, deliver, mailbox
):
    card = await card_with_a_statement(client, user)
    # A card paid in full before its reminders: none for it.
    paid = await card_with_a_statement(client, user, "Paid card")
    savings = await account(client, user, "Savings")
    await transfer(client, user, savings["id"], paid["id"], 14000, "2025-03-01")

    # 4 days before the due date: nothing; 3 days before (REMINDER_DAYS): the reminder.
    assert await run_all(db, settings, at=local(DUE - timedelta(days=4), 10)) == 0
    assert await run_all(db, settings, at=local(DUE - timedelta(days=3), 10)) == 1
    (soon,) = await notes(db, user)
    assert (soon["notification_type"], soon["title"]) == (
        "payment_reminder",
        "HDFC Regalia bill due in 3 days",
    )
    assert soon["message"] == (
        "Your HDFC Regalia bill is due on 07 Mar 2025: total due ₹14,000.00, minimum due ₹700.00."
    )
    assert soon["action_url"] == f"/accounts/{card['id']}"
    # The same day later, the days after, and the due date before 08:00: nothing new.
    for day, hour in ((DUE - timedelta(days=3), 18), (DUE - timedelta(days=1), 10), (DUE, 7)):
        assert await run_all(db, settings, at=local(day, hour)) == 0
    assert await run_all(db, settings, at=local(DUE, 9)) == 1
    assert await run_all(db, settings, at=local(DUE, 15)) == 0
    today = (await notes(db, user))[-1]
    assert (today["notification_type"], today["title"]) == (
        "payment_due",
        "HDFC Regalia bill is due today",
    )
    assert today["message"] == (
        "Your HDFC Regalia bill is due today (07 Mar 2025): total due ₹14,000.00, "
        "minimum due ₹700.00."
    )

    # 8 Mar, nothing paid: past due. 14,000 outstanding after the due date is in the slab above
    # 10,000: ₹1,300, GST 18 % x 1,300 = ₹234, levied when still unpaid on day 4 (11 Mar).
    assert await run_all(db, settings, at=local(DUE + timedelta(days=1), 10)) == 1
    assert await run_all(db, settings, at=local(DUE + timedelta(days=2), 10)) == 0
    late = (await notes(db, user))[-1]
    assert (late["notification_type"], late["title"]) == (
        "payment_overdue",
        "HDFC Regalia bill is past due",
    )
    assert late["message"] == (
        "The minimum due of ₹700.00 was not paid by 07 Mar 2025; ₹14,000.00 remains. "
        "From 11 Mar 2025 it brings a late fee of ₹1,300.00 + ₹234.00 GST on the next statement."
    )
    assert await db.card_alerts.count_documents({"account_id": ObjectId(card["id"])}) == 3
    assert await db.card_alerts.count_documents({"account_id": ObjectId(paid["id"])}) == 0
    assert await notes(db, other_user) == []
    titles = [note["title"] for note in await notes(db, user)]

    # Notification, push and email for each.
    sent = {"kind": "push", "payload.user_id": user.id, "payload.title": {"$in": titles}}
    assert await db.outbox.count_documents(sent) == 3
    await deliver()
    emails = {m["Subject"]: m.get_body(("plain",)).get_content() for m in mailbox()}
    early = emails["HDFC Regalia bill due on 07 March 2025"]
    assert "due in 3 days" in early and "₹14,000.00" in early and "₹700.00" in early
    assert f"/accounts/{card['id']}" in early
    assert "due today" in emails["HDFC Regalia bill is due today"]
    assert "₹1,300.00 + ₹234.00 GST" in emails["HDFC Regalia bill is past due"]


async def test_a_late_fee_already_brought(client, db, settings, user):
    """The first pass after the due date comes on day 5: the fee is already on its way."""
    await card_with_a_statement(client, user)
    assert await run_all(db, settings, at=local(DUE + timedelta(days=5), 10)) == 1
    (late,) = await notes(db, user)
    assert late["message"].endswith(
        "It already brings a late fee of ₹1,300.00 + ₹234.00 GST on the next statement."
    )


async def test_the_minimum_paid_is_not_past_due(client, db, settings, user):
    card = await card_with_a_statement(client, user)
    savings = await account(client, user, "Savings")
    await transfer(client, user, savings["id"], card["id"], 700, "2025-03-06")  # the minimum
    # 14,000 - 700 = 13,300 still to pay on the due date: reminded; the day after, the minimum
    # is paid, so it is not past due (interest will come, a late fee will not).
    assert await run_all(db, settings, at=local(DUE, 10)) == 1
    assert await run_all(db, settings, at=local(DUE + timedelta(days=1), 10)) == 0
    assert await run_all(db, settings, at=local(DUE + timedelta(days=4), 10)) == 0
    assert await titles(db, user) == ["HDFC Regalia bill is due today"]
    (today,) = await notes(db, user)
    assert today["message"] == (
        "Your HDFC Regalia bill is due today (07 Mar 2025): total due ₹14,000.00, "
        "minimum due ₹700.00, ₹13,300.00 still to pay."
    )


async def test_utilisation_above_the_threshold_once_per_cycle(client, db, settings, user):
    card = await card_with_a_statement(client, user, limit=40000)
    savings = await account(client, user, "Savings")
    await transfer(client, user, savings["id"], card["id"], 14000, "2025-02-20")  # all paid
    # 1 Mar: nothing owed; 8,000 then 6,000 bought: 8,000 / 40,000 = 20 %, then 35 %.
    await expense(client, user, 8000, "2025-03-01", account_id=card["id"])
    assert await run_all(db, settings, at=local(date(2025, 3, 2), 10)) == 0
    await expense(client, user, 6000, "2025-03-02", account_id=card["id"])
    assert await run_all(db, settings, at=local(date(2025, 3, 3), 10)) == 1
    (alert,) = await notes(db, user)
    # (8,000 + 6,000) / 40,000 x 100 = 35 %, above the default 30 %.
    assert (alert["notification_type"], alert["title"]) == (
        "card_utilisation",
        "HDFC Regalia: 35.00 % of the limit in use",
    )
    assert alert["message"] == (
        "₹14,000.00 of your ₹40,000.00 limit is in use, above your 30 % alert."
    )
    # More bought in the same cycle (to 15 Mar): no second alert.
    await expense(client, user, 4000, "2025-03-10", account_id=card["id"])
    assert await run_all(db, settings, at=local(date(2025, 3, 11), 10)) == 0
    # The next cycle (16 Mar - 15 Apr): 18,000 billed on 15 Mar, 18,000 / 40,000 = 45 %. The
    # user's own threshold (the profile's card_utilisation_alert, 1-100) decides: at 50 %,
    # no alert; at 40 %, one.
    assert (await set_threshold(client, user, 0)).status_code == 422
    assert (await set_threshold(client, user, 101)).status_code == 422
    r = await set_threshold(client, user, 50)
    assert (r.status_code, r.json()["profile"]["card_utilisation_alert"]) == (200, 50)
    assert await run_all(db, settings, at=local(date(2025, 3, 16), 10)) == 0
    assert (await set_threshold(client, user, 40)).status_code == 200
    assert await run_all(db, settings, at=local(date(2025, 3, 17), 10)) == 1
    assert await run_all(db, settings, at=local(date(2025, 3, 20), 10)) == 0
    last = (await notes(db, user))[-1]
    assert (last["title"], last["message"]) == (
        "HDFC Regalia: 45.00 % of the limit in use",
        "₹18,000.00 of your ₹40,000.00 limit is in use, above your 40 % alert.",
    )
    keys = sorted(r["key"] for r in await db.card_alerts.find({"kind": "utilisation"}).to_list(9))
    assert keys == ["2025-03-15", "2025-04-15"]


async def test_concurrent_passes_send_each_once(client, db, settings, user):
    await card_with_a_statement(client, user)
    at = local(DUE, 10)
    sent = await asyncio.gather(*(run_all(db, settings, at=at) for _ in range(4)))
    assert sum(sent) == 1
    assert await titles(db, user) == ["HDFC Regalia bill is due today"]


async def test_days_are_the_users_own(client, db, settings, user):
    tz = "America/Los_Angeles"
    r = await client.put("/api/users/me", json={"profile": {"timezone": tz}}, headers=user.headers)
    assert r.status_code == 200
    await card_with_a_statement(client, user)
    # 10:00 UTC on 7 Mar is 02:00 in Los Angeles: a quiet hour there; 16:00 UTC is 08:00.
    assert await run_all(db, settings, at=datetime(2025, 3, 7, 10, tzinfo=UTC)) == 0
    assert await run_all(db, settings, at=datetime(2025, 3, 7, 16, tzinfo=UTC)) == 1
    assert await titles(db, user) == ["HDFC Regalia bill is due today"]


async def test_interest_on_a_carried_balance_is_in_the_total_due(client, db, settings, user):
    """The reminder shows the statement's total due with its charges: 14,000 carried (not
    paid by 7 Mar), paid on 9 Mar (day 2: no fee), the 15 Mar statement charges interest from
    each purchase's date and GST on it; its due date is 4 Apr."""
    card = await card_with_a_statement(client, user)
    savings = await account(client, user, "Savings")
    await transfer(client, user, savings["id"], card["id"], 14000, "2025-03-09")
    moves = {date(2025, 1, 20): 10000, date(2025, 2, 1): 5000, date(2025, 2, 5): -1000}
    interest = expected_interest(
        date(2025, 1, 20), date(2025, 3, 15), moves | {date(2025, 3, 9): -14000}
    )
    gst = paise(interest * Decimal("0.18"))
    total = interest + gst  # all 14,000 paid: the charges are what is due
    minimum = min(total, max(total, Decimal(100)))  # charges + 5 % of nothing, at least 100
    assert await run_all(db, settings, at=local(date(2025, 4, 4), 10)) == 1
    (today,) = [n for n in await notes(db, user) if n["notification_type"] == "payment_due"]
    money = f"₹{total:,.2f}"
    assert today["message"] == (
        f"Your HDFC Regalia bill is due today (04 Apr 2025): total due {money}, "
        f"minimum due ₹{minimum:,.2f}."
    )


async def test_past_due_in_the_slab_without_a_fee(client, db, settings, user):
    """₹400 bought: its minimum due is ₹100 (5 % is 20, at least 100); ₹400 outstanding after
    the due date is in the default lowest slab (up to ₹500: no fee), so no fee is promised."""
    card = await account(client, user, "Small", kind="credit_card", statement_day=15)
    await expense(client, user, 400, "2025-02-01", account_id=card["id"])
    assert await run_all(db, settings, at=local(DUE + timedelta(days=1), 10)) == 1
    (late,) = await notes(db, user)
    assert (
        late["message"]
        == "The minimum due of ₹100.00 was not paid by 07 Mar 2025; ₹400.00 remains."
    )
