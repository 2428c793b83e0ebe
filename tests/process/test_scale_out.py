"""Two API processes on one database act as one system: nothing lives in process memory."""

import time
import uuid

import httpx
import pytest
from pymongo import MongoClient

from bench.load import start_server, stop_server

pytestmark = pytest.mark.process  # two API servers

PASSWORD = "SecurePass123!"


@pytest.fixture
def two_apis(mongo_url, tmp_path):
    db_name = f"test_scale_{uuid.uuid4().hex[:10]}"
    env = {
        "APP_ENV": "test",
        "SECRET_KEY": "shared-secret-key-for-both-replicas-0123456789",
        "MONGODB_URL": mongo_url,
        "MONGODB_DB": db_name,
        "MAIL_DIR": str(tmp_path / "mail"),
        "UPLOAD_DIR": str(tmp_path / "uploads"),
        "RUN_WORKER": "true",
        "OUTBOX_POLL_SECONDS": "0.2",
        "BCRYPT_ROUNDS": "4",
        "LOGIN_LIMIT": "3",
        "SIGNUP_LIMIT": "50",
    }
    started = [
        start_server("main:app", env, tmp_path / f"api-{i}.log", "/health/ready") for i in (1, 2)
    ]
    yield [url for _, url in started], db_name, tmp_path
    for proc, _ in started:
        stop_server(proc)
    MongoClient(mongo_url).drop_database(db_name)


def test_two_replicas_share_tokens_logout_rate_limits_and_outbox(two_apis, mongo_url):
    (a, b), db_name, tmp_path = two_apis
    with httpx.Client(timeout=10) as http:
        email = "replica@example.com"
        signup = http.post(
            f"{a}/api/auth/signup",
            json={"email": email, "password": PASSWORD, "full_name": "Two Replicas"},
        )
        assert signup.status_code == 201
        headers = {"Authorization": f"Bearer {signup.json()['access_token']}"}

        # A token issued by A is accepted by B.
        assert http.get(f"{b}/api/auth/me", headers=headers).status_code == 200
        # A logout on B is honoured by A.
        assert http.post(f"{b}/api/auth/logout", headers=headers).status_code == 204
        assert http.get(f"{a}/api/auth/me", headers=headers).status_code == 401

        # The login limit (3 per window) counts attempts on both replicas together.
        codes = [
            http.post(
                f"{url}/api/auth/login", json={"email": email, "password": "wrong-pass"}
            ).status_code
            for url in (a, b, a, b)
        ]
        assert codes == [401, 401, 401, 429]

        for i in range(10):
            http.post(
                f"{(a, b)[i % 2]}/api/auth/signup",
                json={"email": f"u{i}@example.com", "password": PASSWORD, "full_name": "U"},
            )

    # Both replicas run a dispatcher; every message is still sent exactly once.
    outbox = MongoClient(mongo_url)[db_name].outbox
    deadline = time.monotonic() + 30
    while outbox.count_documents({"status": {"$ne": "sent"}}) and time.monotonic() < deadline:
        time.sleep(0.3)
    messages = list(outbox.find())
    assert len(messages) == 11
    assert all(m["status"] == "sent" and m["attempts"] == 1 for m in messages)
    assert len(list((tmp_path / "mail").glob("*.eml"))) == 11
