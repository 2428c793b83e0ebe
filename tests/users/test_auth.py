"""Sign-up, login, tokens, refresh rotation, logout, password reset and change."""

import asyncio
import re
import time
from datetime import UTC, datetime, timedelta

import jwt
import pytest

import routes.auth
import security
from core.errors import Unauthorized
from tests.factories import PASSWORD, signup


async def test_seed_example_signup_login_me(client):
    body = {
        "email": "user@example.com",
        "password": "SecurePass123!",
        "full_name": "John Doe",
        "phone": "+91 98765 43210",
    }
    r = await client.post("/api/auth/signup", json=body)
    assert r.status_code == 201, r.text
    data = r.json()
    assert data["token_type"] == "bearer"
    assert data["user"]["email"] == "user@example.com"
    assert data["user"]["profile"] == {
        "date_of_birth": None,
        "address": None,
        "preferred_currency": "INR",
        "timezone": "Asia/Kolkata",
        "tax_regime": "old",
        "card_utilisation_alert": 30,  # the default alert threshold, percent of a card's limit
        "low_balance_threshold": None,  # no low-balance warning until set
    }
    assert "hashed_password" not in r.text and "_id" not in data["user"]

    r = await client.post(
        "/api/auth/login", json={"email": "user@example.com", "password": "SecurePass123!"}
    )
    assert r.status_code == 200
    token = r.json()["access_token"]
    r = await client.get("/api/auth/me", headers={"Authorization": f"Bearer {token}"})
    assert r.status_code == 200
    assert r.json()["full_name"] == "John Doe"
    assert r.json()["phone"] == "+91 98765 43210"


async def test_welcome_email_is_sent_through_the_outbox(client, deliver, mailbox):
    await signup(client, "welcome@example.com", full_name="Asha <b>Rao</b>")
    assert mailbox() == []  # nothing leaves before the dispatcher runs
    assert await deliver() == 1
    (message,) = mailbox()
    assert message["To"] == "welcome@example.com"
    assert message["Subject"] == "Welcome to Cleero Financial Compass"
    html = message.get_body(("html",)).get_content()
    text = message.get_body(("plain",)).get_content()
    assert "Asha &lt;b&gt;Rao&lt;/b&gt;" in html and "<b>Rao" not in html
    assert "Asha <b>Rao</b>" in text


@pytest.mark.parametrize(
    "changes",
    [
        {"password": "short"},
        {"password": "é" * 37},  # 74 UTF-8 bytes
        {"email": "not-an-email"},
        {"full_name": ""},
        {"is_admin": True},
        {"user_id": "abc"},
        {"password": 12345678},
    ],
)
async def test_signup_rejects_bad_input(client, changes):
    body = {"email": "a@example.com", "password": PASSWORD, "full_name": "A"} | changes
    r = await client.post("/api/auth/signup", json=body)
    assert r.status_code == 422
    assert r.json()["code"] == "validation_error"


async def test_password_of_exactly_72_bytes_is_accepted(client):
    await signup(client, password="é" * 36)


async def test_duplicate_email_in_any_case_is_409(client):
    await signup(client, "Case@Example.com")
    r = await client.post(
        "/api/auth/signup",
        json={"email": "case@EXAMPLE.com", "password": PASSWORD, "full_name": "B"},
    )
    assert r.status_code == 409
    # About one field: the shape of a 422, so the form shows it under the email.
    assert r.json() == {
        "detail": [
            {"loc": ["body", "email"], "msg": "Email already registered", "type": "email_taken"}
        ],
        "code": "email_taken",
    }
    r = await client.post(
        "/api/auth/login", json={"email": "CASE@example.COM", "password": PASSWORD}
    )
    assert r.status_code == 200


async def test_concurrent_signups_with_one_email_create_one_account(client, db):
    body = {"email": "race@example.com", "password": PASSWORD, "full_name": "R"}
    results = await asyncio.gather(*[client.post("/api/auth/signup", json=body) for _ in range(5)])
    assert sorted(r.status_code for r in results) == [201, 409, 409, 409, 409]
    assert await db.users.count_documents({"email": "race@example.com"}) == 1


@pytest.mark.parametrize("password", ["wrong-password", "x" * 100, "", "é" * 40])
async def test_login_failures_are_plain_401(client, user, password):
    r = await client.post("/api/auth/login", json={"email": user.email, "password": password})
    assert r.status_code == 401
    assert r.json()["code"] == "invalid_credentials"
    assert r.headers["www-authenticate"] == "Bearer"


async def test_unknown_email_gets_the_same_401(client):
    r = await client.post(
        "/api/auth/login", json={"email": "ghost@example.com", "password": PASSWORD}
    )
    assert r.status_code == 401
    assert r.json()["detail"] == "Incorrect email or password"


async def test_oauth2_form_login_for_swagger(client, user):
    r = await client.post("/api/auth/token", data={"username": user.email, "password": PASSWORD})
    assert r.status_code == 200
    token = r.json()["access_token"]
    assert (
        await client.get("/api/auth/me", headers={"Authorization": f"Bearer {token}"})
    ).status_code == 200


def forge(settings, **claims):
    now = datetime.now(UTC)
    base = {
        "sub": "0" * 24,
        "sid": "x",
        "type": "access",
        "jti": "j",
        "iat": now,
        "exp": now + timedelta(minutes=5),
    }
    return jwt.encode(base | claims, settings.secret_key, algorithm="HS256")


async def test_bad_bearer_tokens_are_401(client, user, settings):
    me_claims = jwt.decode(user.tokens["access_token"], options={"verify_signature": False})
    now = datetime.now(UTC)
    header = jwt.utils.base64url_encode(b'{"alg":"none","typ":"JWT"}').decode()
    payload = jwt.utils.base64url_encode(jwt.api_jws.json.dumps({**me_claims}).encode()).decode()
    bad = {
        "garbled": "not.a.token",
        "expired": forge(
            settings, sub=user.id, sid=me_claims["sid"], exp=now - timedelta(seconds=1)
        ),
        "wrong signature": jwt.encode(
            me_claims, "another-secret-that-is-long-enough-000", algorithm="HS256"
        ),
        "alg none": f"{header}.{payload}.",
        "refresh as access": user.tokens["refresh_token"],
        "missing jti": jwt.encode(
            {k: v for k, v in me_claims.items() if k != "jti"},
            settings.secret_key,
            algorithm="HS256",
        ),
    }
    for name, token in bad.items():
        r = await client.get("/api/auth/me", headers={"Authorization": f"Bearer {token}"})
        assert r.status_code == 401, name
        assert r.headers["www-authenticate"] == "Bearer", name
    assert (await client.get("/api/auth/me")).status_code == 401
    assert (await client.get("/api/auth/me", headers=user.headers)).status_code == 200


async def test_a_token_accepted_before_is_refused_once_it_expires(client, user, settings):
    """Verified tokens are cached per process (security.verify_access_token): the cache must
    not outlive `exp`."""
    claims = jwt.decode(user.tokens["access_token"], options={"verify_signature": False})
    exp = datetime.now(UTC) + timedelta(seconds=2)
    token = forge(settings, sub=user.id, sid=claims["sid"], exp=exp)
    headers = {"Authorization": f"Bearer {token}"}
    assert (await client.get("/api/auth/me", headers=headers)).status_code == 200
    assert (await client.get("/api/auth/me", headers=headers)).status_code == 200  # cached
    expires_at = jwt.decode(token, options={"verify_signature": False})["exp"]
    await asyncio.sleep(max(0.0, expires_at - time.time()) + 0.05)
    r = await client.get("/api/auth/me", headers=headers)
    assert r.status_code == 401
    assert r.headers["www-authenticate"] == "Bearer"


def test_a_cached_token_is_not_valid_under_another_secret(settings):
    token = forge(settings, sub="0" * 24)
    assert security.verify_access_token(settings, token)["sub"] == "0" * 24
    rotated = settings.model_copy(update={"secret_key": "a-rotated-secret-key-long-enough-01234"})
    with pytest.raises(Unauthorized):
        security.verify_access_token(rotated, token)


@pytest.fixture
def clock(monkeypatch):
    """Moves the clock the refresh route reads (`now_ms`) `seconds` ahead of real time."""

    def move(seconds):
        real = routes.auth.now_ms
        monkeypatch.setattr(routes.auth, "now_ms", lambda: real() + timedelta(seconds=seconds))

    return move


async def test_refresh_rotates_and_reuse_revokes_the_family(client, user, settings, clock):
    old_refresh = user.tokens["refresh_token"]
    r = await client.post("/api/auth/refresh", json={"refresh_token": old_refresh})
    assert r.status_code == 200
    new = r.json()
    assert new["refresh_token"] != old_refresh
    new_headers = {"Authorization": f"Bearer {new['access_token']}"}
    assert (await client.get("/api/auth/me", headers=new_headers)).status_code == 200

    # The old refresh token is presented again, after the grace: someone holds a stolen copy.
    clock(settings.refresh_reuse_grace_seconds + 1)
    r = await client.post("/api/auth/refresh", json={"refresh_token": old_refresh})
    assert r.status_code == 401
    assert r.json()["code"] == "refresh_token_reused"
    # ...so the whole family is dead, including the newest pair.
    r = await client.post("/api/auth/refresh", json={"refresh_token": new["refresh_token"]})
    assert r.status_code == 401
    assert (await client.get("/api/auth/me", headers=new_headers)).status_code == 401


async def refresh(client, token):
    return await client.post("/api/auth/refresh", json={"refresh_token": token})


def pair_of(answer):
    return answer.json()["access_token"], answer.json()["refresh_token"]


async def test_two_refreshes_at_once_both_get_the_same_new_pair(client, user):
    """Two requests that met a 401 together (or React StrictMode's second effect) refresh
    with the same token: both get the pair the first swap issued, and it works."""
    old = user.tokens["refresh_token"]
    first, second = await asyncio.gather(refresh(client, old), refresh(client, old))
    assert (first.status_code, second.status_code) == (200, 200), (first.text, second.text)
    assert pair_of(first) == pair_of(second)
    access, new_refresh = pair_of(first)
    assert new_refresh != old
    headers = {"Authorization": f"Bearer {access}"}
    assert (await client.get("/api/auth/me", headers=headers)).status_code == 200
    # The session goes on: the new refresh token swaps as usual.
    r = await refresh(client, new_refresh)
    assert r.status_code == 200 and r.json()["refresh_token"] not in (old, new_refresh)
    assert (await client.get("/api/auth/me", headers=headers)).status_code == 200


async def test_reuse_within_the_grace_answers_the_same_pair(client, user, settings, clock, db):
    old = user.tokens["refresh_token"]
    first = await refresh(client, old)
    assert first.status_code == 200
    clock(settings.refresh_reuse_grace_seconds - 1)  # still within the grace
    again = await refresh(client, old)
    assert again.status_code == 200 and pair_of(again) == pair_of(first)
    # Nothing secret is stored to answer it: no token appears in the session document.
    (session,) = await db.sessions.find({}).to_list()
    assert not {str(v) for v in session.values()} & {old, *pair_of(first)}


async def test_reuse_after_the_grace_revokes_the_family(client, user, settings, clock):
    old = user.tokens["refresh_token"]
    first = await refresh(client, old)
    assert first.status_code == 200
    access, new_refresh = pair_of(first)
    clock(settings.refresh_reuse_grace_seconds + 1)
    r = await refresh(client, old)
    assert r.status_code == 401 and r.json()["code"] == "refresh_token_reused"
    headers = {"Authorization": f"Bearer {access}"}
    assert (await client.get("/api/auth/me", headers=headers)).status_code == 401
    assert (await refresh(client, new_refresh)).status_code == 401


async def test_a_token_two_swaps_old_revokes_even_within_the_grace(client, user):
    """The grace covers the latest swap only: once the new token has been swapped too, the
    old one is a copy someone kept."""
    old = user.tokens["refresh_token"]
    first = await refresh(client, old)
    second = await refresh(client, first.json()["refresh_token"])
    assert (first.status_code, second.status_code) == (200, 200)
    r = await refresh(client, old)
    assert r.status_code == 401 and r.json()["code"] == "refresh_token_reused"
    assert (await refresh(client, second.json()["refresh_token"])).status_code == 401


async def test_access_token_cannot_refresh(client, user):
    r = await client.post("/api/auth/refresh", json={"refresh_token": user.tokens["access_token"]})
    assert r.status_code == 401


async def test_logout_ends_the_session_only(client, user):
    r2 = await client.post("/api/auth/login", json={"email": user.email, "password": PASSWORD})
    other_device = {"Authorization": f"Bearer {r2.json()['access_token']}"}
    assert (await client.post("/api/auth/logout", headers=user.headers)).status_code == 204
    assert (await client.get("/api/auth/me", headers=user.headers)).status_code == 401
    r = await client.post("/api/auth/refresh", json={"refresh_token": user.tokens["refresh_token"]})
    assert r.status_code == 401
    assert (await client.get("/api/auth/me", headers=other_device)).status_code == 200


async def test_change_password_revokes_earlier_tokens(client, user):
    r = await client.post(
        "/api/auth/change-password",
        headers=user.headers,
        json={"current_password": "wrong-one", "new_password": "NewPass456!"},
    )
    assert r.status_code == 400 and r.json()["code"] == "wrong_password"
    r = await client.post(
        "/api/auth/change-password",
        headers=user.headers,
        json={"current_password": PASSWORD, "new_password": "NewPass456!"},
    )
    assert r.status_code == 200
    fresh = {"Authorization": f"Bearer {r.json()['access_token']}"}
    assert (await client.get("/api/auth/me", headers=user.headers)).status_code == 401
    r = await client.post("/api/auth/refresh", json={"refresh_token": user.tokens["refresh_token"]})
    assert r.status_code == 401
    assert (await client.get("/api/auth/me", headers=fresh)).status_code == 200
    bad = await client.post("/api/auth/login", json={"email": user.email, "password": PASSWORD})
    assert bad.status_code == 401
    ok = await client.post("/api/auth/login", json={"email": user.email, "password": "NewPass456!"})
    assert ok.status_code == 200


def reset_token_from(mailbox):
    message = mailbox()[-1]
    assert message["Subject"] == "Reset your Cleero password"
    text = message.get_body(("plain",)).get_content()
    return re.search(r"reset-password\?token=([A-Za-z0-9_-]+)", text).group(1)


async def test_password_reset_end_to_end(client, user, deliver, mailbox, db):
    await deliver()  # the welcome email
    r = await client.post("/api/auth/password-reset-request", json={"email": user.email.upper()})
    assert r.status_code == 202
    await deliver()
    token = reset_token_from(mailbox)
    assert await db.password_resets.count_documents({"_id": token}) == 0  # stored hashed only

    r = await client.post(
        "/api/auth/password-reset-confirm", json={"token": token, "new_password": "Brand-new-1"}
    )
    assert r.status_code == 200
    assert (await client.get("/api/auth/me", headers=user.headers)).status_code == 401
    ok = await client.post("/api/auth/login", json={"email": user.email, "password": "Brand-new-1"})
    assert ok.status_code == 200

    again = await client.post(
        "/api/auth/password-reset-confirm", json={"token": token, "new_password": "Another-1"}
    )
    assert again.status_code == 400
    assert again.json()["code"] == "invalid_reset_token"


async def test_reset_request_is_202_for_unknown_email_and_sends_nothing(client, deliver, mailbox):
    r = await client.post("/api/auth/password-reset-request", json={"email": "nobody@example.com"})
    assert r.status_code == 202
    assert await deliver() == 0
    assert mailbox() == []


async def test_expired_reset_token_is_400(client, user, deliver, mailbox, db):
    await client.post("/api/auth/password-reset-request", json={"email": user.email})
    await deliver()
    token = reset_token_from(mailbox)
    await db.password_resets.update_many(
        {}, {"$set": {"expires_at": datetime.now(UTC) - timedelta(seconds=1)}}
    )
    r = await client.post(
        "/api/auth/password-reset-confirm", json={"token": token, "new_password": "Brand-new-1"}
    )
    assert r.status_code == 400


async def test_login_rate_limit_answers_429_with_retry_after(mongo_url, tmp_path):
    import httpx

    from main import create_app
    from tests.factories import make_settings

    settings = make_settings(mongo_url, tmp_path, login_limit=3)
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://t"
        ) as c:
            u = await signup(c)
            codes = [
                (
                    await c.post(
                        "/api/auth/login", json={"email": u.email, "password": "nope-nope"}
                    )
                ).status_code
                for _ in range(3)
            ]
            assert codes == [401, 401, 401]
            r = await c.post("/api/auth/login", json={"email": u.email, "password": PASSWORD})
            assert r.status_code == 429
            assert 1 <= int(r.headers["retry-after"]) <= settings.rate_limit_window_seconds
            assert r.json()["code"] == "rate_limited"
        await app.state.db.client.drop_database(settings.mongodb_db)


async def test_a_refused_login_comes_back_one_attempt_per_window_share(mongo_url, tmp_path):
    """Two logins per 4 s: a burst of two, then one every 2 s (4 s / 2). Retry-After names
    when the next attempt fits, and waiting it out lets exactly one more in; a refused
    attempt does not push the wait further."""
    import httpx

    from main import create_app
    from tests.factories import make_settings

    settings = make_settings(mongo_url, tmp_path, login_limit=2, rate_limit_window_seconds=4)
    app = create_app(settings)
    login = "/api/auth/login"
    async with app.router.lifespan_context(app):
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://t"
        ) as c:
            u = await signup(c)
            bad = {"email": u.email, "password": "nope-nope"}
            assert [(await c.post(login, json=bad)).status_code for _ in range(2)] == [401, 401]
            refused = await c.post(login, json=bad)
            again = await c.post(login, json=bad)
            assert (refused.status_code, again.status_code) == (429, 429)
            # The third attempt fits 2 s after the first: under 2 s from now, rounded up.
            wait = int(refused.headers["retry-after"])
            assert 1 <= wait <= 2 and int(again.headers["retry-after"]) <= wait
            await asyncio.sleep(wait)
            r = await c.post(login, json={"email": u.email, "password": PASSWORD})
            assert r.status_code == 200
            # The fourth would fit 4 s after the first: the one just let in used the share.
            assert (await c.post(login, json=bad)).status_code == 429
        await app.state.db.client.drop_database(settings.mongodb_db)


def test_a_limit_finer_than_a_millisecond_still_limits():
    """Rate-limit times are BSON dates (whole milliseconds): a hit's share of the window
    rounds up, never to nothing. 10 a minute: 6 s each; 100,000 a minute: 0.6 ms, kept as
    1 ms (60,000 a minute at most); 7 in 1 s: 142.86 ms, kept as 143 ms."""
    assert security.rate_spacing(60, 10) == timedelta(seconds=6)
    assert security.rate_spacing(60, 100_000) == timedelta(milliseconds=1)
    assert security.rate_spacing(1, 7) == timedelta(milliseconds=143)


async def test_at_most_twenty_sessions_the_oldest_ends_first(client, user):
    from routes.auth import MAX_SESSIONS

    for _ in range(MAX_SESSIONS):  # the signup session plus these: one too many
        r = await client.post("/api/auth/login", json={"email": user.email, "password": PASSWORD})
        assert r.status_code == 200
    newest = {"Authorization": f"Bearer {r.json()['access_token']}"}
    assert (await client.get("/api/auth/me", headers=user.headers)).status_code == 401
    r = await client.post("/api/auth/refresh", json={"refresh_token": user.tokens["refresh_token"]})
    assert r.status_code == 401
    assert (await client.get("/api/auth/me", headers=newest)).status_code == 200
