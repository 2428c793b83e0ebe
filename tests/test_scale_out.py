"""Two API processes on one database act as one system: nothing lives in process memory."""

import os
import subprocess
import sys
import time
import uuid
from pathlib import Path

import httpx
import pytest
from pymongo import MongoClient

import embedded_db

ROOT = Path(__file__).resolve().parent.parent
PASSWORD = "SecurePass123!"


def start_api(port: int, env: dict[str, str], log: Path) -> subprocess.Popen:
    proc = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "main:app", "--host", "127.0.0.1", "--port", str(port)],
        cwd=ROOT,
        env=os.environ | env,
        stdout=log.open("ab"),
        stderr=subprocess.STDOUT,
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/health/ready", timeout=1).status_code == 200:
                return proc
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    proc.kill()
    raise RuntimeError(f"API on {port} did not start: {log.read_text()[-2000:]}")


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
    ports = [embedded_db.free_port(), embedded_db.free_port()]
    procs = [start_api(p, env, tmp_path / f"api-{p}.log") for p in ports]
    yield [f"http://127.0.0.1:{p}" for p in ports], db_name, tmp_path
    for proc in procs:
        proc.terminate()
        proc.wait(timeout=20)
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
