"""Providers: OneSignal push (respx), SES email (moto), the email templates (escaping, both
parts, Indian money grouping) and what happens when a provider is down."""

import json
import threading
import uuid
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import boto3
import httpx
import pytest
import respx
from bson import ObjectId
from jinja2 import meta, nodes
from moto import mock_aws
from moto.core import DEFAULT_ACCOUNT_ID
from moto.ses.models import ses_backends

from core.dates import start_of_day
from core.money import format_money
from delivery import emails
from delivery.outbox import retry_failed
from delivery.providers import OneSignalPushBackend
from loans.reminders import run_reminders
from schemas import NotificationType
from security import User
from services import Backends, notify, render_email
from tests.factories import signup

ONESIGNAL = "https://api.onesignal.com/notifications"
XSS = "<script>alert(1)</script>"
ESCAPED = "&lt;script&gt;alert(1)&lt;/script&gt;"
TEMPLATES = (
    "welcome",
    "password_reset",
    "payment_reminder",
    "payment_confirmation",
    "goal_milestone",
    "expense_alert",
)


async def push_to(db, user_id: str, title="EMI due", message="Pay ₹45,000.00", url="/debts/1"):
    doc = User.from_doc(await db.users.find_one({"_id": ObjectId(user_id)}))
    await notify(db, doc, NotificationType.payment_reminder, title, message, action_url=url)
    return await db.outbox.find_one({"kind": "push"})


@pytest.fixture
async def onesignal(app, settings):
    """The dispatcher wired to the real OneSignal backend, built from settings."""
    configured = settings.model_copy(
        update={
            "push_backend": "onesignal",
            "onesignal_app_id": "app-123",
            "onesignal_api_key": "rest-key-456",
        }
    )
    backends = Backends(configured)
    app.state.dispatcher.backends = backends
    yield backends.push
    await backends.aclose()


# ---------------------------------------------------------------- OneSignal


@respx.mock(assert_all_mocked=True)
async def test_onesignal_request_retry_after_500_pushes_once_with_one_key(
    db, user, deliver, onesignal, respx_mock
):
    route = respx_mock.post(ONESIGNAL).mock(
        side_effect=[
            httpx.Response(500, json={"errors": ["boom"]}),
            httpx.Response(200, json={"id": "n-1"}),
        ]
    )
    message = await push_to(db, user.id)
    expected_key = str(uuid.uuid3(uuid.NAMESPACE_URL, f"cleero-outbox:{message['_id']}"))
    assert uuid.UUID(expected_key).version == 3  # OneSignal takes v3 or v4 UUIDs

    await deliver()  # welcome email goes, the push meets the 500
    stored = await db.outbox.find_one({"_id": message["_id"]})
    assert stored["status"] == "pending" and stored["attempts"] == 1
    assert "HTTPStatusError" in stored["last_error"]
    assert await deliver() == 0  # backoff: not due again yet

    assert await deliver(at=datetime.now(UTC) + timedelta(seconds=5)) == 1
    stored = await db.outbox.find_one({"_id": message["_id"]})
    assert stored["status"] == "sent" and stored["attempts"] == 2
    assert await deliver(at=datetime.now(UTC) + timedelta(hours=1)) == 0  # never again

    assert route.call_count == 2
    bodies = [json.loads(call.request.content) for call in route.calls]
    assert (
        bodies[0]
        == bodies[1]
        == {
            "app_id": "app-123",
            "include_aliases": {"external_id": [user.id]},
            "target_channel": "push",
            "headings": {"en": "EMI due"},
            "contents": {"en": "Pay ₹45,000.00"},
            "data": {"action_url": "/debts/1"},
            "idempotency_key": expected_key,
        }
    )
    for call in route.calls:
        assert call.request.headers["Authorization"] == "Key rest-key-456"
        assert call.request.headers["Content-Type"] == "application/json"


@respx.mock(assert_all_mocked=True)
async def test_onesignal_timeout_is_retried_not_lost(db, user, deliver, onesignal, respx_mock):
    route = respx_mock.post(ONESIGNAL).mock(
        side_effect=[httpx.ReadTimeout("slow"), httpx.Response(200, json={"id": "n-2"})]
    )
    message = await push_to(db, user.id)
    await deliver()
    stored = await db.outbox.find_one({"_id": message["_id"]})
    assert stored["status"] == "pending" and "ReadTimeout" in stored["last_error"]
    assert await deliver(at=datetime.now(UTC) + timedelta(seconds=5)) == 1
    assert route.call_count == 2
    keys = {json.loads(c.request.content)["idempotency_key"] for c in route.calls}
    assert len(keys) == 1


def test_onesignal_client_has_a_timeout(settings):
    configured = settings.model_copy(
        update={"push_backend": "onesignal", "onesignal_app_id": "a", "onesignal_api_key": "k"}
    )
    push = Backends(configured).push
    assert isinstance(push, OneSignalPushBackend)
    timeout = push.client.timeout
    assert 0 < timeout.connect <= 10 and 0 < timeout.read <= 10


@respx.mock(assert_all_mocked=True)
async def test_onesignal_down_ends_failed_visible_and_requeued(
    client, app, db, user, deliver, onesignal, respx_mock
):
    app.state.dispatcher.settings = app.state.settings.model_copy(update={"outbox_max_attempts": 3})
    respx_mock.post(ONESIGNAL).mock(return_value=httpx.Response(503))
    message = await push_to(db, user.id)
    at = datetime.now(UTC)
    for _ in range(3):
        await deliver(at=at)
        at += timedelta(hours=2)
    stored = await db.outbox.find_one({"_id": message["_id"]})
    assert stored["status"] == "failed" and stored["attempts"] == 3
    r = await client.get("/health/ready")
    assert r.json()["outbox"] == {"backlog": 0, "failed": 1}

    assert await retry_failed(db) == 1
    r = await client.get("/health/ready")
    assert r.json()["outbox"] == {"backlog": 1, "failed": 0}
    respx_mock.post(ONESIGNAL).mock(return_value=httpx.Response(200, json={"id": "n-3"}))
    assert await deliver() == 1


# ---------------------------------------------------------------- SES


@pytest.fixture
def aws(monkeypatch):
    for key, value in {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_SESSION_TOKEN": "testing",
        "AWS_DEFAULT_REGION": "ap-south-1",
    }.items():
        monkeypatch.setenv(key, value)
    with mock_aws():
        yield


@pytest.fixture
def ses(aws, app, settings):
    """The dispatcher wired to the real SES backend (created inside the mock), plus a record
    of each SendEmail call's parameters and the thread it ran on."""
    configured = settings.model_copy(update={"email_backend": "ses"})
    backends = Backends(configured)
    calls = []

    def record(params, **_):
        calls.append((params, threading.current_thread()))

    backends.email.client.meta.events.register("provide-client-params.ses.SendEmail", record)
    app.state.dispatcher.backends = backends
    return calls


def sent_by_moto():
    return ses_backends[DEFAULT_ACCOUNT_ID]["ap-south-1"].sent_messages


async def test_ses_sends_html_and_text_from_the_configured_sender(db, user, ses, deliver):
    boto3.client("ses", region_name="ap-south-1").verify_email_identity(
        EmailAddress="no-reply@cleero.in"
    )
    welcome = await db.outbox.find_one({"kind": "email"})
    assert await deliver() == 1

    (moto_message,) = sent_by_moto()
    assert moto_message.destinations == {"ToAddresses": [user.email]}
    assert moto_message.subject == "Welcome to Cleero Financial Compass"
    assert moto_message.source == "Cleero Financial Compass <no-reply@cleero.in>"

    ((params, thread),) = ses
    assert thread is not threading.main_thread()  # boto3 blocks: never on the event loop
    assert params["Source"] == "Cleero Financial Compass <no-reply@cleero.in>"
    body = params["Message"]["Body"]
    assert body["Html"]["Data"] == welcome["payload"]["html"] == moto_message.body
    assert body["Text"]["Data"] == welcome["payload"]["text"]
    assert body["Html"]["Data"].startswith("<!doctype html>")
    assert "Welcome aboard!" in body["Text"]["Data"] and "<p>" not in body["Text"]["Data"]
    assert body["Html"]["Charset"] == body["Text"]["Charset"] == "UTF-8"
    stored = await db.outbox.find_one({"_id": welcome["_id"]})
    assert stored["status"] == "sent"


async def test_ses_rejection_is_retried_until_it_works(db, user, ses, deliver):
    # The sender is not verified yet: SES refuses, the message waits for a retry.
    welcome = await db.outbox.find_one({"kind": "email"})
    assert await deliver() == 0
    stored = await db.outbox.find_one({"_id": welcome["_id"]})
    assert stored["status"] == "pending" and "MessageRejected" in stored["last_error"]
    assert sent_by_moto() == []

    boto3.client("ses", region_name="ap-south-1").verify_email_identity(
        EmailAddress="no-reply@cleero.in"
    )
    assert await deliver(at=datetime.now(UTC) + timedelta(seconds=5)) == 1
    assert len(sent_by_moto()) == 1


def test_ses_region_comes_from_settings(aws, settings):
    backends = Backends(
        settings.model_copy(update={"email_backend": "ses", "aws_region": "eu-west-1"})
    )
    assert backends.email.client.meta.region_name == "eu-west-1"
    assert backends.email.sender == settings.email_from


# ---------------------------------------------------------------- templates


@pytest.mark.parametrize(
    ("amount", "currency", "text"),
    [
        (0, "INR", "₹0.00"),
        (Decimal("999.5"), "INR", "₹999.50"),
        (1000, "INR", "₹1,000.00"),
        (100000, "INR", "₹1,00,000.00"),
        (1234567, "INR", "₹12,34,567.00"),
        (Decimal("123456789.125"), "INR", "₹12,34,56,789.13"),  # half-up
        (Decimal("-1234567"), "INR", "-₹12,34,567.00"),
        (1234567, "USD", "$1,234,567.00"),
        (1234567, "AED", "AED 1,234,567.00"),
    ],
)
def test_money_format(amount, currency, text):
    assert format_money(amount, currency) == text


def _probe_context(template: str) -> dict:
    """A context for any template: amounts (the `money` filter's input) and counts are numbers,
    the currency is INR, everything else (user text) is a <script> tag."""
    env = emails._jinja
    names, amounts = {"name"}, set()
    for suffix in ("html", "txt"):
        source = env.loader.get_source(env, f"{template}.{suffix}")[0]
        tree = env.parse(source)
        names |= meta.find_undeclared_variables(tree)
        for node in tree.find_all(nodes.Filter):
            if node.name == "money" and isinstance(node.node, nodes.Name):
                amounts.add(node.node.name)
    context = {n: XSS for n in names}
    context |= {n: Decimal("1234567") for n in amounts}
    counts = {"milestone": 50, "days_left": 2, "percent": 85, "threshold": 80, "minutes": 60}
    return context | {k: v for k, v in counts.items() if k in names} | {"currency": "INR"}


@pytest.mark.parametrize("template", TEMPLATES)
def test_every_template_escapes_user_text_and_has_both_parts(template):
    email = render_email(template, "a@example.com", **_probe_context(template))
    assert ESCAPED in email.html and "<script" not in email.html
    assert email.html.lstrip().startswith("<!doctype html>")  # the shared base layout
    assert "Cleero Financial Compass" in email.html
    assert XSS in email.text  # plain text is not HTML: shown as typed
    assert "<p>" not in email.text and "<table" not in email.text
    assert email.subject and "\n" not in email.subject and "&lt;" not in email.subject
    if "₹" in email.text:
        assert "₹12,34,567.00" in email.html and "₹12,34,567.00" in email.text


def test_all_six_templates_exist():
    folder = Path(emails.TEMPLATES)
    for template in TEMPLATES:
        assert (folder / f"{template}.html").is_file(), template
        assert (folder / f"{template}.txt").is_file(), template


async def test_script_full_name_arrives_escaped_in_every_email_sent(
    client, db, settings, deliver, mailbox
):
    """The real flows: sign-up, password reset, a goal milestone, an EMI reminder."""
    user = await signup(client, full_name=XSS)
    r = await client.post("/api/auth/password-reset-request", json={"email": user.email})
    assert r.status_code == 202
    r = await client.post(
        "/api/goals",
        json={"title": "Car <b>fund</b>", "target_amount": 1234567, "target_date": "2099-01-01"},
        headers=user.headers,
    )
    r = await client.post(
        f"/api/goals/{r.json()['id']}/contribute", json={"amount": 308641.75}, headers=user.headers
    )
    assert r.json()["new_milestones"] == [25]
    due = date.today() + timedelta(days=2)
    await db.debts.insert_one(
        {
            "user_id": ObjectId(user.id),
            "name": "Bike <i>loan</i>",
            "status": "active",
            "monthly_emi": Decimal("1234567"),
            "next_payment_date": start_of_day(due, "Asia/Kolkata"),
        }
    )
    at = start_of_day(due - timedelta(days=1), "Asia/Kolkata") + timedelta(hours=10)
    assert await run_reminders(db, settings, at=at) == 1
    await deliver()

    messages = mailbox()
    assert len(messages) == 4
    for message in messages:
        html = message.get_body(("html",)).get_content()
        text = message.get_body(("plain",)).get_content()
        assert f"Hi {ESCAPED}," in html and "<script" not in html, message["Subject"]
        assert f"Hi {XSS}," in text
    by_subject = {m["Subject"]: m.get_body(("html",)).get_content() for m in messages}
    goal_html = by_subject["25% of your goal Car <b>fund</b>"]
    assert "Car &lt;b&gt;fund&lt;/b&gt;" in goal_html and "₹12,34,567.00" in goal_html
    reminder_html = next(h for s, h in by_subject.items() if s.startswith("Bike"))
    assert "Bike &lt;i&gt;loan&lt;/i&gt;" in reminder_html and "₹12,34,567.00" in reminder_html


async def test_a_line_break_in_user_text_cannot_inject_headers(client, user, deliver, mailbox):
    r = await client.post(
        "/api/goals",
        json={
            "title": "Trip\r\nBcc: evil@example.com",
            "target_amount": 100,
            "target_date": "2099-01-01",
        },
        headers=user.headers,
    )
    await client.post(
        f"/api/goals/{r.json()['id']}/contribute", json={"amount": 30}, headers=user.headers
    )
    await deliver()
    milestone = next(m for m in mailbox() if "goal" in m["Subject"])
    assert milestone["Subject"] == "25% of your goal Trip Bcc: evil@example.com"
    assert milestone["Bcc"] is None
