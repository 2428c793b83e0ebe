"""An upload read in the background (`Prefer: respond-async` on POST /api/imports): 202 with
the import `parsing` and its pages, the progress moving page by page, the same preview a
synchronous upload gives, or `failed` with the code and field the upload would have answered;
the password checked in the request and never stored; the job resumed after its process died
and run once by two processes. And the PDF time limit, which holds inside one page: the
parser process is killed at the deadline."""

import asyncio
import io
import signal
import time
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pikepdf
import pytest
from bson import ObjectId

from main import create_app
from security import User
from tests.factories import account, all_rows, get, make_settings, upload
from tests.imports.test_pdf_statements import PASSWORD, month_of_txns, sums
from tests.statement_pdfs import bank_pdf, encrypted, scanned_pdf, slow_pdf

ASYNC = {"Prefer": "respond-async"}
POLL_SECONDS = 60  # a generous bound on a 3-page read on a loaded machine
# The fields that differ between two uploads of one file by two users.
OWN = {"id", "account_id", "created_at", "updated_at"}


def three_pages() -> tuple[bytes, list[Any]]:
    txns = month_of_txns()  # 45 rows at 20 a page: three pages
    return encrypted(bank_pdf("hdfc", txns, Decimal("50000.00"), rows_per_page=20), PASSWORD), txns


async def post(client, user, data, headers=None, **form):
    files = {"file": ("statement.pdf", data, "application/pdf")}
    return await client.post(
        "/api/imports", headers=user.headers | (headers or {}), files=files, data=form
    )


async def settled(client, user, import_id: str) -> dict:
    """GET the import until it is no longer `parsing`."""
    deadline = time.monotonic() + POLL_SECONDS
    while True:
        found = await get(client, user, f"/api/imports/{import_id}")
        if found["status"] != "parsing" or time.monotonic() > deadline:
            return found
        await asyncio.sleep(0.05)


async def test_an_async_upload_answers_202_parsing_then_the_synchronous_preview(
    client, user, other_user, db
):
    data, txns = three_pages()
    r = await post(client, user, data, ASYNC, password=PASSWORD)
    assert r.status_code == 202, r.text
    started = r.json()
    assert r.headers["Location"] == f"/api/imports/{started['id']}"
    assert r.headers["Preference-Applied"] == "respond-async"
    assert started["status"] == "parsing" and started["format"] is None
    assert started["progress"] == {"pages_done": 0, "pages": 3}
    done = await settled(client, user, started["id"])
    # The same file uploaded without the header, by another user: the same preview.
    same = await upload(client, other_user, data, "statement.pdf", password=PASSWORD)
    assert {k: v for k, v in done.items() if k not in OWN} == {
        k: v for k, v in same.items() if k not in OWN
    }
    assert done["status"] == "preview" and done["progress"] is None and done["error"] is None
    rows = await all_rows(client, user, started["id"])
    # Summed from the transactions the PDF was written from.
    want = (sum(t.debit for t in txns if t.debit), sum(t.credit for t in txns if t.credit))
    assert sums(rows) == want and len(rows) == 45
    assert await db.import_uploads.count_documents({}) == 0  # the file is gone once read


async def held_upload(app, client, user, db, monkeypatch) -> tuple[str, Any]:
    """A three-page PDF uploaded with the header, its job held back (the test drives it):
    (the import's id, the job to run: `await run()`)."""
    jobs = app.state.import_jobs
    started: list[dict] = []
    monkeypatch.setattr(jobs, "start", lambda _user, record: started.append(record))
    data, _ = three_pages()
    r = await post(client, user, data, ASYNC, password=PASSWORD)
    assert r.status_code == 202 and len(started) == 1, r.text
    owner = User.from_doc(await db.users.find_one({"_id": ObjectId(user.id)}))
    return r.json()["id"], lambda: jobs.run(owner, started[0])


async def test_the_progress_moves_page_by_page_and_the_kept_file_has_no_password(
    app, client, user, db, monkeypatch
):
    import_id, run = await held_upload(app, client, user, db, monkeypatch)
    jobs = app.state.import_jobs
    # What the job keeps: the file opened (no password needed), and no password anywhere.
    kept = await db.import_uploads.find_one({"_id": ObjectId(import_id)})
    assert not pikepdf.open(io.BytesIO(kept["data"])).is_encrypted
    assert PASSWORD not in repr({k: v for k, v in kept.items() if k != "data"})
    assert PASSWORD.encode() not in kept["data"]

    seen: list[tuple[str, dict]] = []
    advance = jobs._advance

    async def watched(record, change):  # a reader GETs the import after every step
        moved = await advance(record, change)
        found = await get(client, user, f"/api/imports/{import_id}")
        seen.append((found["status"], found["progress"]))
        return moved

    monkeypatch.setattr(jobs, "_advance", watched)
    await run()
    assert seen == [("parsing", {"pages_done": n, "pages": 3}) for n in (1, 2, 3)]
    assert (await get(client, user, f"/api/imports/{import_id}"))["status"] == "preview"
    assert await db.import_uploads.count_documents({}) == 0


async def test_what_the_request_can_tell_is_answered_at_once(client, user):
    data, _ = three_pages()
    for form, code in (({}, "pdf_password_required"), ({"password": "WRONG"}, "pdf_password")):
        r = await post(client, user, data, ASYNC, **form)
        assert (r.status_code, r.json()["code"]) == (422, code), r.text
        assert r.json()["detail"][0]["loc"] == ["body", "password"]
        assert "WRONG" not in r.text
    assert (await get(client, user, "/api/imports"))["total"] == 0


async def test_a_refusal_found_while_reading_is_recorded_on_the_import(client, user, db):
    r = await post(client, user, scanned_pdf(), ASYNC)
    assert r.status_code == 202, r.text
    failed = await settled(client, user, r.json()["id"])
    assert failed["status"] == "failed" and failed["progress"] is None
    # What the synchronous upload answers: 415 pdf_scanned.
    sync = await post(client, user, scanned_pdf())
    assert (sync.status_code, sync.json()["code"]) == (415, "pdf_scanned")
    assert failed["error"] == {
        "status": 415, "code": "pdf_scanned", "detail": sync.json()["detail"], "field": None
    }  # fmt: skip

    # A number other than the chosen account's: 422 on account_id, as the upload says it.
    other = await account(client, user, "SBI", number_last4="9999")
    data, _ = three_pages()
    r = await post(client, user, data, ASYNC, password=PASSWORD, account_id=other["id"])
    failed = await settled(client, user, r.json()["id"])
    assert (failed["status"], failed["error"]["code"]) == ("failed", "account_mismatch")
    assert (failed["error"]["status"], failed["error"]["field"]) == (422, "account_id")
    assert await db.import_uploads.count_documents({}) == 0
    # A failed import has no rows, is not committed, and can be discarded.
    assert await all_rows(client, user, failed["id"]) == []
    r = await client.post(f"/api/imports/{failed['id']}/commit", headers=user.headers)
    assert (r.status_code, r.json()["code"]) == (409, "import_not_in_preview")
    r = await client.delete(f"/api/imports/{failed['id']}", headers=user.headers)
    assert r.status_code == 204


async def test_other_formats_go_the_same_way_as_one_page(client, user):
    from bench.statements_bench import hdfc_csv

    r = await client.post(
        "/api/imports",
        headers=user.headers | ASYNC,
        files={"file": ("s.csv", hdfc_csv(30), "text/csv")},
        data={"account": "Savings"},
    )
    assert r.status_code == 202 and r.json()["progress"] == {"pages_done": 0, "pages": 1}
    done = await settled(client, user, r.json()["id"])
    assert done["status"] == "preview" and done["counts"]["rows"] == 30


async def test_a_replayed_async_upload_answers_the_import_as_it_stands(client, user):
    data, _ = three_pages()
    key = {"Idempotency-Key": "async-upload-1"}
    first = await post(client, user, data, ASYNC | key, password=PASSWORD)
    done = await settled(client, user, first.json()["id"])
    again = await post(client, user, data, ASYNC | key, password=PASSWORD)
    assert again.status_code == 201 and again.headers["Idempotent-Replayed"] == "true"
    assert again.json()["id"] == done["id"] and again.json()["status"] == "preview"


async def test_a_read_whose_process_died_is_resumed_once_by_two_processes(
    app, client, settings, user, db, monkeypatch
):
    # The API process dies right after its 202: its job never ran and its lease expires.
    monkeypatch.setattr(app.state.import_jobs, "start", lambda *_: None)
    data, _ = three_pages()
    r = await post(client, user, data, ASYNC, password=PASSWORD)
    import_id = ObjectId(r.json()["id"])
    expired = {"lease.expires_at": datetime(2026, 1, 1, tzinfo=UTC)}
    await db.imports.update_one({"_id": import_id}, {"$set": expired})
    other = create_app(settings)  # a second API process on the same database
    async with other.router.lifespan_context(other):
        instances = (app.state.import_jobs, other.state.import_jobs)
        taken = await asyncio.gather(*(jobs.resume_expired() for jobs in instances))
    assert sorted(taken) == [0, 1]
    done = await get(client, user, f"/api/imports/{import_id}")
    assert done["status"] == "preview" and done["counts"]["rows"] == 45
    assert await db.import_rows.count_documents({"import_id": import_id}) == 45


@pytest.fixture
async def slow_app(mongo_url, tmp_path):
    """The app with a PDF time limit of half a second (the slow page takes about 2 s)."""
    application = create_app(make_settings(mongo_url, tmp_path, pdf_max_seconds=0.5))
    async with application.router.lifespan_context(application):
        yield application
        await application.state.db.client.drop_database(application.state.settings.mongodb_db)


async def test_a_page_that_takes_too_long_is_stopped_at_the_time_limit(slow_app):
    import httpx

    from tests.factories import signup

    transport = httpx.ASGITransport(app=slow_app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        user = await signup(client)
        # A worker read a small PDF first: the one that then reads the slow page.
        await post(client, user, bank_pdf("hdfc", month_of_txns(3), Decimal(1)), account="A")
        (worker,) = slow_app.state.import_jobs.parsers._idle
        r = await post(client, user, slow_pdf(), account="Savings")
        assert (r.status_code, r.json()["code"]) == (422, "pdf_too_slow"), r.text
        assert r.json()["detail"][0]["loc"] == ["body", "file"]
        # Stopped inside its one page: the worker was killed, not left to finish it.
        assert worker.process.returncode == -signal.SIGKILL
        assert slow_app.state.import_jobs.parsers._idle == []
        # The same file read in the background ends `failed` with the same code and field.
        r = await post(client, user, slow_pdf(), ASYNC, account="Savings")
        failed = await settled(client, user, r.json()["id"])
        assert (failed["error"]["code"], failed["error"]["field"]) == ("pdf_too_slow", "file")


async def test_a_runner_that_lost_its_lease_stops_and_leaves_the_job_alone(
    app, client, user, db, monkeypatch
):
    held, run = await held_upload(app, client, user, db, monkeypatch)
    import_id, jobs = ObjectId(held), app.state.import_jobs
    advance = jobs._advance

    async def taken_over(record, change):  # another process claims the job after page 1
        await db.imports.update_one({"_id": import_id}, {"$set": {"lease.owner": "another"}})
        return await advance(record, change)

    monkeypatch.setattr(jobs, "_advance", taken_over)
    assert await run() is None
    found = await get(client, user, f"/api/imports/{import_id}")
    assert found["status"] == "parsing" and found["progress"] == {"pages_done": 0, "pages": 3}
    assert await db.import_rows.count_documents({"import_id": import_id}) == 0
    assert await db.import_uploads.count_documents({"_id": import_id}) == 1  # the new owner's
