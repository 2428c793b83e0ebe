"""Receipt uploads: type by magic bytes, size caps, local signed links, S3 (moto), cleanup."""

import re
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import boto3
import httpx
import pytest
from moto import mock_aws

from core.dates import today
from ledger.receipts import EXTENSION_TYPES, HEAD_BYTES, detect_file_type
from main import create_app
from tests.factories import commit, get, make_settings, signup
from tests.factories import upload as upload_statement
from tests.statement_workbooks import hdfc_rows

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + b"\x01" * 64
SAMPLES = {
    "jpg": (b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"\x02" * 64, "image/jpeg"),
    "png": (PNG, "image/png"),
    "webp": (b"RIFF\x24\x00\x00\x00WEBPVP8 " + b"\x03" * 64, "image/webp"),
    "heic": (b"\x00\x00\x00\x18ftypheic\x00\x00\x00\x00mif1heic" + b"\x04" * 64, "image/heic"),
    "pdf": (b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n" + b"5" * 64, "application/pdf"),
}
KEY = re.compile(r"^attachments/[0-9a-f]{24}/[0-9a-f]{32}\.(jpg|png|webp|heic|pdf)$")
MB = 1024 * 1024


async def new_expense(client, user):
    body = {"title": "Dinner", "category": "food", "amount": 420}
    r = await client.post("/api/expenses", json=body, headers=user.headers)
    assert r.status_code == 201, r.text
    return r.json()


async def upload(client, user, expense_id, data, name="receipt.png", content_type="image/png"):
    return await client.post(
        f"/api/expenses/{expense_id}/receipt",
        files={"file": (name, data, content_type)},
        headers=user.headers,
    )


async def stored_key(db, expense_id):
    from bson import ObjectId

    doc = await db.expenses.find_one({"_id": ObjectId(expense_id)})
    return doc["receipt_key"]


def stored_files(settings):
    root = Path(settings.upload_dir)
    return sorted(p for p in root.rglob("*") if p.is_file()) if root.exists() else []


# ---------------------------------------------------------------- local storage


async def test_upload_and_download_through_a_signed_link(client, user, db, settings):
    expense = await new_expense(client, user)
    r = await upload(client, user, expense["id"], PNG)
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["receipt_url"] == f"/api/expenses/{expense['id']}/receipt"
    assert body["receipt_content_type"] == "image/png"
    key = await stored_key(db, expense["id"])
    assert KEY.match(key) and key.startswith(f"attachments/{user.id}/")
    assert (Path(settings.upload_dir) / key).read_bytes() == PNG

    r = await client.get(f"/api/expenses/{expense['id']}/receipt", headers=user.headers)
    assert r.status_code == 200
    link = r.json()
    assert link["expires_in"] == 3600
    assert link["url"].startswith("http://test/api/expenses/receipts/download?")
    query = parse_qs(urlsplit(link["url"]).query)
    assert query["key"] == [key]

    download = await client.get(link["url"])  # the link itself is the credential
    assert download.status_code == 200
    assert download.content == PNG
    assert download.headers["content-type"] == "image/png"
    assert download.headers["x-content-type-options"] == "nosniff"


async def test_tampered_or_expired_links_are_refused(client, user, db, app):
    expense = await new_expense(client, user)
    await upload(client, user, expense["id"], PNG)
    r = await client.get(f"/api/expenses/{expense['id']}/receipt", headers=user.headers)
    url = r.json()["url"]
    query = parse_qs(urlsplit(url).query)
    base = "/api/expenses/receipts/download"
    key, expires, sig = query["key"][0], query["expires"][0], query["sig"][0]

    async def fetch(**params):
        return await client.get(base, params={"key": key, "expires": expires, "sig": sig} | params)

    assert (await fetch()).status_code == 200
    assert (await fetch(sig="0" * 64)).status_code == 403
    assert (await fetch(expires=int(expires) + 3600)).status_code == 403
    other_key = f"attachments/{user.id}/{'a' * 32}.png"
    r = await fetch(key=other_key)
    assert r.status_code == 403 and r.json()["code"] == "invalid_signature"
    # A validly signed key that escapes the upload directory is still refused.
    storage = app.state.backends.storage
    sneaky = parse_qs(urlsplit(await storage.url("../../etc/passwd")).query)
    r = await client.get(base, params={k: v[0] for k, v in sneaky.items()})
    assert r.status_code == 403
    expired = parse_qs(urlsplit(await storage.url(key, expires=-1)).query)
    r = await client.get(base, params={k: v[0] for k, v in expired.items()})
    assert r.status_code == 410 and r.json()["code"] == "link_expired"


@pytest.mark.parametrize("ext", list(SAMPLES))
async def test_types_are_recognised_by_their_first_bytes(client, user, db, ext):
    data, content_type = SAMPLES[ext]
    expense = await new_expense(client, user)
    # The client's name and content type are ignored: only the bytes count.
    r = await upload(client, user, expense["id"], data, "scan.bin", "application/octet-stream")
    assert r.status_code == 200, r.text
    assert r.json()["receipt_content_type"] == content_type
    assert (await stored_key(db, expense["id"])).endswith(f".{ext}")


@pytest.mark.parametrize(
    "data",
    [
        b"just some text, honestly a receipt\n" * 10,
        b"",
        b"GIF89a" + b"\x00" * 32,
        b"<svg xmlns='http://www.w3.org/2000/svg'><script>alert(1)</script></svg>",
        b"RIFF\x24\x00\x00\x00WAVEfmt ",
        b"\x00\x00\x00\x18ftypmp42",
    ],
)
async def test_other_files_are_415(client, user, db, settings, data):
    expense = await new_expense(client, user)
    r = await upload(client, user, expense["id"], data, "receipt.png", "image/png")
    assert r.status_code == 415
    assert r.json()["code"] == "unsupported_file_type"
    assert await stored_key(db, expense["id"]) is None
    assert stored_files(settings) == []


async def test_missing_file_field_is_422(client, user):
    expense = await new_expense(client, user)
    r = await client.post(
        f"/api/expenses/{expense['id']}/receipt",
        files={"other": ("r.png", PNG, "image/png")},
        headers=user.headers,
    )
    assert r.status_code == 422


async def test_a_20_mb_upload_is_413_before_it_is_read(client, user, db, settings):
    expense = await new_expense(client, user)
    sent = 0

    async def body():
        nonlocal sent
        for _ in range(20):
            sent += MB
            yield b"\x89PNG\r\n\x1a\n".ljust(MB, b"\0")

    r = await client.post(
        f"/api/expenses/{expense['id']}/receipt",
        content=body(),
        headers=user.headers
        | {
            "Content-Type": "multipart/form-data; boundary=xyz",
            "Content-Length": str(20 * MB),
        },
    )
    assert r.status_code == 413
    assert r.json()["code"] == "payload_too_large"
    assert sent <= MB  # refused on the declared length, not after reading 20 MB
    assert stored_files(settings) == []
    assert await stored_key(db, expense["id"]) is None


async def test_a_20_mb_chunked_upload_is_cut_off(client, user, db, settings):
    expense = await new_expense(client, user)
    sent = 0
    head = b'--xyz\r\nContent-Disposition: form-data; name="file"; filename="r.png"\r\n\r\n'

    async def body():
        nonlocal sent
        yield head + PNG
        for _ in range(20):
            sent += MB
            yield b"\0" * MB

    r = await client.post(
        f"/api/expenses/{expense['id']}/receipt",
        content=body(),  # no Content-Length: the byte count is enforced while reading
        headers=user.headers | {"Content-Type": "multipart/form-data; boundary=xyz"},
    )
    assert r.status_code == 413
    assert sent <= 12 * MB
    assert stored_files(settings) == []


async def test_a_file_of_exactly_10_mb_is_accepted(client, user, db, settings):
    expense = await new_expense(client, user)
    data = SAMPLES["pdf"][0].ljust(10 * MB, b"\0")  # the body cap allows for the framing
    r = await upload(client, user, expense["id"], data, "scan.pdf", "application/pdf")
    assert r.status_code == 200, r.text
    key = await stored_key(db, expense["id"])
    assert (Path(settings.upload_dir) / key).stat().st_size == len(data)


async def test_the_file_itself_must_fit_the_limit(client, user, app, db):
    # The body cap admits this body, but the file inside is over the (lowered) file limit.
    app.state.settings = app.state.settings.model_copy(update={"max_upload_bytes": 1000})
    expense = await new_expense(client, user)
    r = await upload(client, user, expense["id"], PNG.ljust(1001, b"\0"))
    assert r.status_code == 413
    assert r.json()["code"] == "file_too_large"
    r = await upload(client, user, expense["id"], PNG.ljust(900, b"\0"))
    assert r.status_code == 200


async def test_replacing_and_deleting_remove_old_objects(client, user, db, settings, deliver):
    expense = await new_expense(client, user)
    await upload(client, user, expense["id"], PNG)
    first = await stored_key(db, expense["id"])
    r = await upload(client, user, expense["id"], SAMPLES["pdf"][0], "r.pdf")
    assert r.json()["receipt_content_type"] == "application/pdf"
    second = await stored_key(db, expense["id"])
    assert second != first
    root = Path(settings.upload_dir)
    assert (root / first).exists()  # removed by the outbox, not inside the request
    await deliver()
    assert not (root / first).exists() and (root / second).exists()

    r = await client.delete(f"/api/expenses/{expense['id']}", headers=user.headers)
    assert r.status_code == 204
    await deliver()
    assert stored_files(settings) == []


async def test_deletion_is_retried_while_storage_is_down(client, user, db, app, deliver):
    expense = await new_expense(client, user)
    await upload(client, user, expense["id"], PNG)
    key = await stored_key(db, expense["id"])
    storage = app.state.backends.storage
    real_delete = storage.delete

    async def down(key):
        raise OSError("disk unavailable")

    storage.delete = down
    await client.delete(f"/api/expenses/{expense['id']}", headers=user.headers)
    await deliver()
    message = await db.outbox.find_one({"kind": "storage_delete"})
    assert message["status"] == "pending" and message["payload"] == {"key": key}
    assert message["attempts"] == 1 and "disk unavailable" in message["last_error"]
    assert storage.path(key).exists()
    storage.delete = real_delete
    await deliver(at=message["next_attempt_at"])
    assert (await db.outbox.find_one({"_id": message["_id"]}))["status"] == "sent"
    assert not storage.path(key).exists()


async def test_upload_while_storage_is_down_is_503(client, user, db, app):
    expense = await new_expense(client, user)

    async def down(key, data, content_type):
        raise OSError("disk full")

    app.state.backends.storage.put = down
    r = await upload(client, user, expense["id"], PNG)
    assert r.status_code == 503
    assert r.json()["code"] == "storage_unavailable"
    assert await stored_key(db, expense["id"]) is None


async def test_no_receipt_yet_is_404(client, user):
    expense = await new_expense(client, user)
    r = await client.get(f"/api/expenses/{expense['id']}/receipt", headers=user.headers)
    assert r.status_code == 404
    assert r.json()["code"] == "receipt_not_found"


async def test_deleting_the_account_deletes_its_receipts(
    client, user, other_user, db, settings, deliver
):
    mine = await new_expense(client, user)
    theirs = await new_expense(client, other_user)
    await upload(client, user, mine["id"], PNG)
    await upload(client, other_user, theirs["id"], PNG)
    kept = await stored_key(db, theirs["id"])
    r = await client.request(
        "DELETE", "/api/users/me", json={"password": user.password}, headers=user.headers
    )
    assert r.status_code == 204
    await deliver()
    assert stored_files(settings) == [Path(settings.upload_dir) / kept]


# ---------------------------------------------------------------- S3 through moto


@pytest.fixture
async def s3(mongo_url, tmp_path, monkeypatch):
    """An app whose storage is S3 (moto), with a private bucket; yields (client, s3 client)."""
    for name, value in {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_SESSION_TOKEN": "testing",
        "AWS_DEFAULT_REGION": "ap-south-1",
    }.items():
        monkeypatch.setenv(name, value)
    with mock_aws():
        settings = make_settings(mongo_url, tmp_path, storage_backend="s3", s3_bucket="test-bucket")
        s3_client = boto3.client("s3", region_name="ap-south-1")
        s3_client.create_bucket(
            Bucket="test-bucket",
            CreateBucketConfiguration={"LocationConstraint": "ap-south-1"},
        )
        app = create_app(settings)
        async with app.router.lifespan_context(app):
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
                yield client, s3_client, app
            await app.state.db.client.drop_database(settings.mongodb_db)


async def test_s3_upload_is_encrypted_and_links_expire_in_an_hour(s3):
    client, s3_client, app = s3
    user = await signup(client)
    expense = await new_expense(client, user)
    data, _ = SAMPLES["jpg"]
    r = await upload(client, user, expense["id"], data, "r.jpg", "image/png")
    assert r.status_code == 200, r.text
    key = await stored_key(app.state.db, expense["id"])
    assert KEY.match(key) and key.startswith(f"attachments/{user.id}/") and key.endswith(".jpg")
    head = s3_client.head_object(Bucket="test-bucket", Key=key)
    assert head["ServerSideEncryption"] == "AES256"
    assert head["ContentType"] == "image/jpeg"
    body = s3_client.get_object(Bucket="test-bucket", Key=key)["Body"].read()
    assert body == data

    r = await client.get(f"/api/expenses/{expense['id']}/receipt", headers=user.headers)
    assert r.status_code == 200
    link = r.json()
    assert link["expires_in"] == 3600
    url = urlsplit(link["url"])
    assert (url.scheme, url.netloc) == ("https", "test-bucket.s3.ap-south-1.amazonaws.com")
    assert url.path == "/" + key
    query = parse_qs(url.query)
    assert query["X-Amz-Expires"] == ["3600"]
    assert query["X-Amz-Algorithm"] == ["AWS4-HMAC-SHA256"]
    assert "X-Amz-Signature" in query


async def test_s3_objects_are_removed_on_replace_and_delete(s3):
    client, s3_client, app = s3
    deliver = app.state.dispatcher.run_once
    user = await signup(client)
    expense = await new_expense(client, user)
    await upload(client, user, expense["id"], PNG)
    first = await stored_key(app.state.db, expense["id"])
    await upload(client, user, expense["id"], SAMPLES["webp"][0], "r.webp")
    second = await stored_key(app.state.db, expense["id"])

    def keys():
        listing = s3_client.list_objects_v2(Bucket="test-bucket")
        return sorted(o["Key"] for o in listing.get("Contents", []))

    assert keys() == sorted([first, second])
    await deliver()
    assert keys() == [second]
    await client.delete(f"/api/expenses/{expense['id']}", headers=user.headers)
    await deliver()
    assert keys() == []


async def test_s3_big_upload_streams_in_parts(s3):
    client, s3_client, app = s3
    user = await signup(client)
    expense = await new_expense(client, user)
    data = SAMPLES["pdf"][0].ljust(9 * MB, b"\0")  # above boto3's 8 MB multipart threshold
    r = await upload(client, user, expense["id"], data, "big.pdf", "application/pdf")
    assert r.status_code == 200, r.text
    key = await stored_key(app.state.db, expense["id"])
    head = s3_client.head_object(Bucket="test-bucket", Key=key)
    assert head["ContentLength"] == 9 * MB
    assert head["ServerSideEncryption"] == "AES256"


# ---------------------------------------------------------------- what detects a type


@pytest.mark.parametrize("ext", sorted(SAMPLES))
def test_the_first_bytes_name_the_type(ext):
    data, content_type = SAMPLES[ext]
    assert detect_file_type(data[:HEAD_BYTES]) == ext
    assert EXTENSION_TYPES[ext] == content_type


def test_anything_else_has_no_type():
    for data in (b"", b"GIF89a" + b"\0" * 10, b"RIFF\0\0\0\0WAVE", b"\0\0\0\x18ftypisom"):
        assert detect_file_type(data[:HEAD_BYTES]) is None


# ---------------------------------------------------------------- an undone import


async def test_undoing_an_import_removes_its_expenses_receipts(client, user, db, settings, deliver):
    day = today("Asia/Kolkata")
    data = hdfc_rows((day, "POS 4321 DMART", "5.00", "0.00", "1", "100.00"))
    imp = await upload_statement(client, user, data)
    await commit(client, user, imp["id"])
    (expense,) = (await get(client, user, "/api/expenses"))["items"]
    assert (await upload(client, user, expense["id"], PNG)).status_code == 200
    assert len(stored_files(settings)) == 1
    r = await client.post(f"/api/imports/{imp['id']}/undo", headers=user.headers)
    assert r.json()["removed"]["expenses"] == 1
    await deliver()
    assert stored_files(settings) == []
