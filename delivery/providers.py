"""The providers behind the outbox: email (a file per message in development, SES), push (the
log, OneSignal) and receipt storage (local files behind signed links, S3). Every blocking
client (boto3, file I/O) runs in a worker thread, never on the event loop."""

import hashlib
import hmac
import logging
import os
import shutil
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import make_msgid
from pathlib import Path
from typing import Any, BinaryIO
from urllib.parse import urlencode

import anyio
import httpx

from config import Settings
from core.dates import now_ms
from delivery.emails import Email

log = logging.getLogger("cleero.outbox")

# ---------------------------------------------------------------- email and push


class FileEmailBackend:
    """Development: every message becomes an .eml file (HTML + text) under MAIL_DIR."""

    def __init__(self, directory: Path, sender: str) -> None:
        self.directory = directory
        self.sender = sender

    async def send(self, message_id: str, email: Email) -> None:
        msg = EmailMessage()
        msg["From"] = self.sender
        msg["To"] = email.to
        msg["Subject"] = email.subject
        msg["Message-ID"] = make_msgid(idstring=message_id)
        msg.set_content(email.text)
        msg.add_alternative(email.html, subtype="html")
        await anyio.to_thread.run_sync(self._write, message_id, msg.as_bytes())

    def _write(self, message_id: str, data: bytes) -> None:
        self.directory.mkdir(parents=True, exist_ok=True)
        tmp = self.directory / f".{message_id}.tmp"
        tmp.write_bytes(data)
        os.replace(tmp, self.directory / f"{message_id}.eml")  # a retry overwrites, never doubles


class SesEmailBackend:
    def __init__(self, region: str, sender: str) -> None:
        import boto3
        from botocore.config import Config

        # Bounded waits: a slow SES call must not hold a dispatcher thread for minutes.
        config = Config(connect_timeout=5, read_timeout=15, retries={"max_attempts": 2})
        self.client = boto3.client("ses", region_name=region, config=config)
        self.sender = sender

    async def send(self, message_id: str, email: Email) -> None:
        # boto3 blocks: keep it off the event loop.
        await anyio.to_thread.run_sync(
            lambda: self.client.send_email(
                Source=self.sender,
                Destination={"ToAddresses": [email.to]},
                Message={
                    "Subject": {"Data": email.subject, "Charset": "UTF-8"},
                    "Body": {
                        "Text": {"Data": email.text, "Charset": "UTF-8"},
                        "Html": {"Data": email.html, "Charset": "UTF-8"},
                    },
                },
            )
        )


@dataclass(frozen=True)
class Push:
    user_id: str
    title: str
    message: str
    action_url: str | None = None


class LogPushBackend:
    async def send(self, message_id: str, push: Push) -> None:
        log.info("push %s to user %s: %s", message_id, push.user_id, push.title)


class OneSignalPushBackend:
    """Targets the user's OneSignal `external_id` (our user id)."""

    def __init__(
        self, app_id: str, api_key: str, url: str, client: httpx.AsyncClient | None = None
    ) -> None:
        self.app_id = app_id
        self.api_key = api_key
        self.url = url
        self.client = client or httpx.AsyncClient(timeout=httpx.Timeout(10.0))

    async def send(self, message_id: str, push: Push) -> None:
        body = {
            "app_id": self.app_id,
            "include_aliases": {"external_id": [push.user_id]},
            "target_channel": "push",
            "headings": {"en": push.title},
            "contents": {"en": push.message},
            "data": {"action_url": push.action_url},
            # OneSignal drops a repeat of the same key for 30 days: a retry never pushes twice.
            # Its docs accept v3 or v4 UUIDs; v3 is name-based, so every retry derives the same.
            "idempotency_key": str(uuid.uuid3(uuid.NAMESPACE_URL, f"cleero-outbox:{message_id}")),
        }
        response = await self.client.post(
            self.url, json=body, headers={"Authorization": f"Key {self.api_key}"}
        )
        response.raise_for_status()

    async def aclose(self) -> None:
        await self.client.aclose()


# ---------------------------------------------------------------- storage (receipts)

CHUNK = 1024 * 1024


def sign_download(secret: str, key: str, expires: int) -> str:
    """HMAC of a local-storage key and its expiry (unix seconds): the link's only credential."""
    message = f"receipt-download\n{key}\n{expires}".encode()
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


class LocalStorage:
    """Development: files under UPLOAD_DIR, handed out through signed, expiring API links."""

    DOWNLOAD_PATH = "/api/expenses/receipts/download"

    def __init__(self, directory: Path, secret: str) -> None:
        self.directory = directory
        self.secret = secret

    def path(self, key: str) -> Path:
        """The file for `key`, refusing anything that would land outside the upload directory."""
        root = self.directory.resolve()
        target = (root / key).resolve()
        if not target.is_relative_to(root) or target == root:
            raise ValueError("storage key escapes the upload directory")
        return target

    async def put(self, key: str, data: bytes | BinaryIO, content_type: str) -> None:
        await anyio.to_thread.run_sync(self._write, self.path(key), data)

    @staticmethod
    def _write(target: Path, data: bytes | BinaryIO) -> None:
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp = target.with_name(f".{target.name}.{uuid.uuid4().hex}.tmp")
        with tmp.open("wb") as out:
            if isinstance(data, bytes):
                out.write(data)
            else:
                shutil.copyfileobj(data, out, CHUNK)  # streamed: never the whole file in memory
        os.replace(tmp, target)

    async def delete(self, key: str) -> None:
        await anyio.to_thread.run_sync(lambda: self.path(key).unlink(missing_ok=True))

    async def url(self, key: str, expires: int = 3600) -> str:
        until = int(now_ms().timestamp()) + expires
        signature = sign_download(self.secret, key, until)
        query = urlencode({"key": key, "expires": until, "sig": signature})
        return f"{self.DOWNLOAD_PATH}?{query}"

    def verify(self, key: str, expires: int, signature: str) -> bool:
        # As bytes: compare_digest refuses a str with non-ASCII characters (a 500 before).
        expected = sign_download(self.secret, key, expires).encode()
        return hmac.compare_digest(expected, signature.encode())


class S3Storage:
    """A private bucket; objects encrypted at rest (SSE-S3), read through presigned GET URLs."""

    def __init__(self, bucket: str, region: str, client: Any = None) -> None:
        import boto3
        from botocore.config import Config

        self.bucket = bucket
        # SigV4 on the regional virtual-host endpoint: presigned links to a bucket outside
        # us-east-1 then work at once, without the global endpoint's redirect.
        self.client = client or boto3.client(
            "s3",
            region_name=region,
            config=Config(signature_version="s3v4", s3={"addressing_style": "virtual"}),
        )

    async def put(self, key: str, data: bytes | BinaryIO, content_type: str) -> None:
        extra = {"ContentType": content_type, "ServerSideEncryption": "AES256"}
        if isinstance(data, bytes):
            await anyio.to_thread.run_sync(
                lambda: self.client.put_object(Bucket=self.bucket, Key=key, Body=data, **extra)
            )
        else:  # a spooled upload: streamed in parts, never read whole
            await anyio.to_thread.run_sync(
                lambda: self.client.upload_fileobj(data, self.bucket, key, ExtraArgs=extra)
            )

    async def delete(self, key: str) -> None:
        await anyio.to_thread.run_sync(
            lambda: self.client.delete_object(Bucket=self.bucket, Key=key)
        )

    async def url(self, key: str, expires: int = 3600) -> str:
        # Signing is local, but resolving credentials may do I/O: keep it off the event loop.
        return await anyio.to_thread.run_sync(
            lambda: self.client.generate_presigned_url(
                "get_object", Params={"Bucket": self.bucket, "Key": key}, ExpiresIn=expires
            )
        )


def make_storage(settings: Settings) -> LocalStorage | S3Storage:
    if settings.storage_backend == "s3":
        if not settings.s3_bucket:
            raise ValueError("STORAGE_BACKEND=s3 needs S3_BUCKET")
        return S3Storage(settings.s3_bucket, settings.aws_region)
    return LocalStorage(settings.upload_dir, settings.secret_key)


class Backends:
    """The configured providers; tests swap in fakes by replacing attributes."""

    def __init__(self, settings: Settings) -> None:
        self.email: Any = (
            SesEmailBackend(settings.aws_region, settings.email_from)
            if settings.email_backend == "ses"
            else FileEmailBackend(settings.mail_dir, settings.email_from)
        )
        self.push: Any = (
            OneSignalPushBackend(
                settings.onesignal_app_id or "",
                settings.onesignal_api_key or "",
                settings.onesignal_url,
            )
            if settings.push_backend == "onesignal"
            else LogPushBackend()
        )
        self.storage: Any = make_storage(settings)
        self.handlers: dict[str, Callable[[str, dict[str, Any]], Awaitable[None]]] = {
            "email": lambda mid, p: self.email.send(mid, Email(**p)),
            "push": lambda mid, p: self.push.send(mid, Push(**p)),
            # Receipt objects left behind by a replaced or deleted expense (or account).
            "storage_delete": lambda mid, p: self.storage.delete(p["key"]),
        }

    async def aclose(self) -> None:
        """Close pooled provider connections (the OneSignal HTTP client) at shutdown."""
        close = getattr(self.push, "aclose", None)
        if close is not None:
            await close()
