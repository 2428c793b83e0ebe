"""Passwords (bcrypt, off the event loop), JWTs (PyJWT, HS256 only) and the current user."""

import asyncio
import contextlib
import hashlib
import hmac
import math
import os
import secrets
import threading
import time
import uuid
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache
from types import MappingProxyType
from typing import Annotated, Any, Literal, TypeVar

import bcrypt
import jwt
from bson import ObjectId
from fastapi import Depends, Request
from fastapi.security import OAuth2PasswordBearer
from pymongo.errors import DuplicateKeyError

from config import Settings
from core.dates import DEFAULT_TZ, now_ms
from core.errors import TooManyRequests, Unauthorized
from core.observability import user_id_var
from database import Doc, object_id

ALGORITHM = "HS256"
TokenType = Literal["access", "refresh"]
# Compared against when the email is unknown, so a login takes as long either way.
_DUMMY_HASH = bcrypt.hashpw(b"not-a-real-password", bcrypt.gensalt()).decode()
R = TypeVar("R")


def _lower_priority() -> None:
    """bcrypt threads yield the CPU to the event loop and everything else (Linux sets the
    niceness per thread; elsewhere this is a no-op): a login storm then queues logins
    instead of slowing every other request (bench/RESULTS-load.md: /me p99 under 20
    concurrent logins)."""
    with contextlib.suppress(OSError, AttributeError):
        os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), 10)


# bcrypt is CPU-bound for ~0.25 s: at most 4 at a time, in their own low-priority threads.
_bcrypt_pool = ThreadPoolExecutor(4, thread_name_prefix="bcrypt", initializer=_lower_priority)


async def _bcrypt(fn: Callable[..., R], *args: Any) -> R:
    return await asyncio.get_running_loop().run_in_executor(_bcrypt_pool, fn, *args)


oauth2_scheme = OAuth2PasswordBearer(tokenUrl="/api/auth/token", auto_error=False)


async def hash_password(password: str, rounds: int = 12) -> str:
    hashed = await _bcrypt(bcrypt.hashpw, password.encode(), bcrypt.gensalt(rounds))
    return hashed.decode()


async def verify_password(password: str, hashed: str | None) -> bool:
    """Constant work whether or not the account exists; over-long input never matches."""
    candidate = password.encode()
    if len(candidate) > 72:
        candidate = b""  # still spend the time, never match
    ok = await _bcrypt(bcrypt.checkpw, candidate, (hashed or _DUMMY_HASH).encode())
    return ok and hashed is not None and len(password.encode()) <= 72


def hash_token(token: str) -> str:
    """Reset tokens are stored only as a digest; they are random, so no salt is needed."""
    return hashlib.sha256(token.encode()).hexdigest()


def random_token() -> str:
    return secrets.token_urlsafe(32)


def new_jti() -> str:
    return uuid.uuid4().hex


def successor_jtis(secret_key: str, session_id: str, refresh_jti: str) -> tuple[str, str]:
    """The ids (access, refresh) of the pair a refresh token is swapped for, derived from it
    with an HMAC keyed by SECRET_KEY: unguessable without the key, and the same every time,
    so a second presentation of the token can be answered with the very pair the first one
    got (`routes.auth.refresh`) with nothing secret stored."""

    def derive(purpose: str) -> str:
        message = f"{purpose}:{session_id}:{refresh_jti}".encode()
        return hmac.new(secret_key.encode(), message, hashlib.sha256).hexdigest()[:32]

    return derive("access"), derive("refresh")


def create_token(
    settings: Settings,
    *,
    user_id: ObjectId,
    session_id: str,
    kind: TokenType,
    jti: str,
    issued: datetime | None = None,
) -> str:
    """A signed token; the same claims (`issued` included) sign to the same token."""
    issued = issued or now_ms()
    lifetime = (
        timedelta(minutes=settings.access_token_minutes)
        if kind == "access"
        else timedelta(days=settings.refresh_token_days)
    )
    claims = {
        "sub": str(user_id),
        "sid": session_id,
        "type": kind,
        "jti": jti,
        "iat": issued,
        "exp": issued + lifetime,
    }
    return jwt.encode(claims, settings.secret_key, algorithm=ALGORITHM)


def decode_token(secret_key: str, token: str, kind: TokenType) -> dict[str, Any]:
    try:
        claims = jwt.decode(
            token,
            secret_key,
            algorithms=[ALGORITHM],
            options={"require": ["exp", "iat", "sub", "jti", "type", "sid"]},
        )
    except jwt.PyJWTError as exc:
        raise Unauthorized("Invalid or expired token") from exc
    if claims["type"] != kind or object_id(claims["sub"]) is None:
        raise Unauthorized("Invalid or expired token")
    return claims


@lru_cache(maxsize=4096)
def _verified_access_claims(secret_key: str, token: str) -> Mapping[str, Any]:
    """An access token's claims, verified once per process: a client sends the same token
    for up to `access_token_minutes`, and PyJWT's parsing and HMAC are the largest fixed cost
    of an authenticated request after the user lookup (bench/RESULTS-load.md). Only valid
    tokens are cached (an exception is never cached); expiry is checked on every use."""
    claims = decode_token(secret_key, token, "access")
    return MappingProxyType(claims)  # shared between requests: read-only


def verify_access_token(settings: Settings, token: str) -> Mapping[str, Any]:
    claims = _verified_access_claims(settings.secret_key, token)
    if claims["exp"] <= time.time():  # PyJWT's rule: expired from the second `exp` names
        raise Unauthorized("Invalid or expired token")
    return claims


@dataclass(frozen=True, slots=True)
class User:
    """The user a request acts for: what routes read on every request, typed, and the stored
    document for the rest (preferences, password hash)."""

    id: ObjectId
    email: str
    full_name: str
    timezone: str  # IANA name; "today" and "this month" are in it
    currency: str  # ISO 4217; amounts in responses and emails are in it
    doc: Doc

    @classmethod
    def from_doc(cls, doc: Doc) -> "User":
        profile = doc.get("profile") or {}
        return cls(
            id=doc["_id"],
            email=doc["email"],
            full_name=doc["full_name"],
            timezone=profile.get("timezone") or DEFAULT_TZ,
            currency=profile.get("preferred_currency") or "INR",
            doc=doc,
        )


async def current_user(
    request: Request, token: Annotated[str | None, Depends(oauth2_scheme)]
) -> User:
    """The user of a valid, live access token, or a 401."""
    if not token:
        raise Unauthorized("Not authenticated")
    # The app's state directly, not the Db and SettingsDep dependencies: this runs on every
    # authenticated request, and each dependency FastAPI resolves costs ~7 µs.
    state = request.app.state
    claims = verify_access_token(state.settings, token)
    # One lookup per request: the user document lists its live sessions, so a revoked session
    # (logout, password change, refresh reuse) ends its access tokens too, on every replica.
    doc = await state.db.users.find_one({"_id": ObjectId(claims["sub"])})
    if (
        doc is None
        or not doc.get("is_active", True)
        or claims["sid"] not in doc.get("active_sessions", ())
    ):
        raise Unauthorized("Invalid or expired token")
    request.state.user_id = str(doc["_id"])
    user_id_var.set(request.state.user_id)
    request.state.session_id = claims["sid"]
    return User.from_doc(doc)


def rate_spacing(window_seconds: int, limit: int) -> timedelta:
    """The time one hit uses of a limit of `limit` per window, in the whole milliseconds a
    BSON date holds: rounded up (at least 1 ms), so a limit never lets in more than it says
    (rounded down, 100,000 a minute would be 0 ms: no limit at all)."""
    return timedelta(milliseconds=max(1, -(-window_seconds * 1000 // limit)))


def _rate_update(at: datetime, spacing: timedelta, window: timedelta) -> list[Doc]:
    """One atomic pipeline update of a key's theoretical arrival time (GCRA): a hit is let
    through when, after it, the key's time is at most a window ahead of now."""
    base = {"$max": [{"$ifNull": ["$tat", at]}, at]}
    after = {"$add": ["$_base", spacing // timedelta(milliseconds=1)]}
    return [
        {"$set": {"_base": base}},
        {"$set": {"allowed": {"$lte": [after, at + window]}}},
        {"$set": {"tat": {"$cond": ["$allowed", after, "$_base"]}}},
        # Past its arrival time a key is as good as new, so the TTL index may drop it then.
        {"$set": {"expires_at": "$tat"}},
        {"$unset": "_base"},
    ]


async def rate_limit(db: Any, settings: Settings, scope: str, key: str, limit: int) -> None:
    """`limit` hits at once, then one more every window / limit (a generic cell rate
    algorithm), held in MongoDB so the limit holds across every API replica. Unlike a
    fixed window, two bursts cannot meet at a window's edge to let twice the limit in."""
    window = timedelta(seconds=settings.rate_limit_window_seconds)
    spacing = rate_spacing(settings.rate_limit_window_seconds, limit)
    at = now_ms()
    doc_id = f"{scope}:{hash_token(key.lower())}"
    doc = None
    for _ in range(3):  # first hits can race on the upsert; a loser retries as an update
        with contextlib.suppress(DuplicateKeyError):
            doc = await db.rate_limits.find_one_and_update(
                {"_id": doc_id},
                _rate_update(at, spacing, window),
                upsert=True,
                return_document=True,
            )
        if doc is not None:
            break
    if doc is None:
        # Under a storm SecantusDB can answer an upsert that raced with no document (seen in
        # the load benchmark): the key's own verdict is what it last decided.
        doc = await db.rate_limits.find_one({"_id": doc_id}) or {"allowed": True}
    if not doc["allowed"]:
        wait = doc["tat"] + spacing - window - at
        raise TooManyRequests(retry_after=math.ceil(wait.total_seconds()))
