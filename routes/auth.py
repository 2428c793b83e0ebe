"""Sign-up, login, token refresh with rotation, logout, password reset and change."""

from datetime import datetime, timedelta
from typing import Annotated

from bson import ObjectId
from fastapi import APIRouter, Form, Request, status
from pymongo import ReturnDocument
from pymongo.asynchronous.client_session import AsyncClientSession
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import DuplicateKeyError

from config import Settings
from core.dates import now_ms
from core.errors import BadRequest, Conflict, ErrorCode, Unauthorized
from core.sync import stamp
from database import Doc, in_transaction, update_stamped
from routes.deps import NO_CONTENT, CurrentUser, Db, IfNoneMatch, SettingsDep, responses, tagged
from schemas import (
    AccessToken,
    ChangePasswordRequest,
    LoginRequest,
    Message,
    PasswordResetConfirm,
    PasswordResetRequest,
    Profile,
    RefreshRequest,
    SignupRequest,
    TokenPair,
    UserOut,
)
from security import (
    create_token,
    decode_token,
    hash_password,
    hash_token,
    new_jti,
    random_token,
    rate_limit,
    successor_jtis,
    verify_password,
)
from services import enqueue_email

router = APIRouter(prefix="/auth", tags=["auth"])
E401 = responses((401, "Invalid credentials or token"))
E429 = responses(429)
MAX_SESSIONS = 20  # devices logged in at once; a 21st login ends the oldest session


def client_ip(request: Request) -> str:
    return request.client.host if request.client else "unknown"


async def open_session(db: AsyncDatabase, settings: Settings, user: Doc) -> TokenPair:
    """A login starts a session (a refresh-token family) and returns its first token pair."""
    session_id, jti = new_jti(), new_jti()
    at = now_ms()
    await db.sessions.insert_one(
        {
            "_id": session_id,
            "user_id": user["_id"],
            "refresh_jti": jti,
            "revoked": False,
            "created_at": at,
            "expires_at": at + timedelta(days=settings.refresh_token_days),
        }
    )
    # The live sessions also sit on the user, so authenticating a request is one lookup;
    # the oldest beyond MAX_SESSIONS are logged out.
    await db.users.update_one(
        {"_id": user["_id"]},
        {"$push": {"active_sessions": {"$each": [session_id], "$slice": -MAX_SESSIONS}}},
    )
    return token_pair(settings, user, session_id, (new_jti(), jti), at)


def token_pair(
    settings: Settings, user: Doc, session_id: str, jtis: tuple[str, str], issued: datetime
) -> TokenPair:
    """The pair with these ids (access, refresh) issued at `issued`: the same arguments sign
    to the same tokens."""
    ids = {"user_id": user["_id"], "session_id": session_id, "issued": issued}
    access_jti, refresh_jti = jtis
    return TokenPair(
        access_token=create_token(settings, kind="access", jti=access_jti, **ids),
        refresh_token=create_token(settings, kind="refresh", jti=refresh_jti, **ids),
        expires_in=settings.access_token_minutes * 60,
        user=UserOut.model_validate(user),
    )


async def revoke_session(db: AsyncDatabase, user_id: object, session_id: str) -> None:
    await db.sessions.update_one(
        {"_id": session_id, "user_id": user_id}, {"$set": {"revoked": True}}
    )
    await db.users.update_one({"_id": user_id}, {"$pull": {"active_sessions": session_id}})


async def revoke_all_sessions(db: AsyncDatabase, user_id: object) -> None:
    await db.sessions.update_many({"user_id": user_id}, {"$set": {"revoked": True}})
    await db.users.update_one({"_id": user_id}, {"$set": {"active_sessions": []}})


async def authenticate(
    db: AsyncDatabase, settings: Settings, request: Request, email: str, password: str
) -> Doc:
    email = email.strip().lower()
    await rate_limit(db, settings, "login-ip", client_ip(request), settings.login_limit * 5)
    await rate_limit(db, settings, "login", email, settings.login_limit)
    user = await db.users.find_one({"email": email})
    ok = await verify_password(password, user["hashed_password"] if user else None)
    if not ok or user is None or not user.get("is_active", True):
        raise Unauthorized("Incorrect email or password", code=ErrorCode.invalid_credentials)
    return user


@router.post(
    "/signup",
    status_code=status.HTTP_201_CREATED,
    responses={**responses((409, "Email already registered")), **E429},
)
async def signup(body: SignupRequest, request: Request, db: Db, settings: SettingsDep) -> TokenPair:
    """Create an account and log in."""
    await rate_limit(db, settings, "signup", client_ip(request), settings.signup_limit)
    at = now_ms()
    user = {
        "email": body.email.lower(),
        "full_name": body.full_name,
        "phone": body.phone,
        "hashed_password": await hash_password(body.password, settings.bcrypt_rounds),
        "profile": Profile().model_dump(),
        "notification_preferences": {},
        "is_active": True,
        "created_at": at,
        "updated_at": at,
    }

    async def create(session: AsyncClientSession) -> None:
        user["_id"] = ObjectId()
        user["sync_seq"] = await stamp(db, user["_id"], session)  # the profile's first version
        await db.users.insert_one(user, session=session)
        await enqueue_email(
            db,
            "welcome",
            user["email"],
            session=session,
            name=user["full_name"],
            app_url=settings.app_url,
        )

    try:
        await in_transaction(db, create)
    except DuplicateKeyError as exc:
        raise Conflict(
            "Email already registered", code=ErrorCode.email_taken, loc=("body", "email")
        ) from exc
    return await open_session(db, settings, user)


@router.post("/login", responses={**E401, **E429})
async def login(body: LoginRequest, request: Request, db: Db, settings: SettingsDep) -> TokenPair:
    """Log in with email and password."""
    user = await authenticate(db, settings, request, body.email, body.password)
    return await open_session(db, settings, user)


@router.post("/token", responses={**E401, **E429})
async def oauth2_token(
    username: Annotated[str, Form(min_length=1, max_length=320)],
    password: Annotated[
        str, Form(min_length=1, max_length=1024, json_schema_extra={"format": "password"})
    ],
    request: Request,
    db: Db,
    settings: SettingsDep,
) -> AccessToken:
    """OAuth2 password flow (used by Swagger UI's Authorize button); username is the email."""
    # The fields of OAuth2PasswordRequestForm that are used, with the bounds the schema states
    # (an empty form field counts as missing).
    user = await authenticate(db, settings, request, username, password)
    pair = await open_session(db, settings, user)
    return AccessToken(access_token=pair.access_token)


@router.post("/refresh", responses=E401)
async def refresh_tokens(body: RefreshRequest, db: Db, settings: SettingsDep) -> TokenPair:
    """Swap a refresh token for a new pair. The same token presented again within
    REFRESH_REUSE_GRACE_SECONDS (two requests that met a 401 together, React StrictMode's
    second effect) gets the same new pair; presented later, it ends the session."""
    claims = decode_token(settings.secret_key, body.refresh_token, "refresh")
    session_id, jti, user_id = claims["sid"], claims["jti"], ObjectId(claims["sub"])
    # The new pair is derived from the token it replaces (an HMAC keyed by SECRET_KEY) and
    # the moment of the swap, so answering a second presentation needs only `rotated_at`:
    # no token, raw or encrypted, is ever stored.
    jtis = successor_jtis(settings.secret_key, session_id, jti)
    at = now_ms()
    # The decision, atomic across replicas: exactly one presentation moves the session on to
    # the successor and records when; every other one then finds it moved.
    session = await db.sessions.find_one_and_update(
        {"_id": session_id, "user_id": user_id, "refresh_jti": jti, "revoked": False},
        {
            "$set": {
                "refresh_jti": jtis[1],
                "previous_jti": jti,
                "rotated_at": at,
                "expires_at": at + timedelta(days=settings.refresh_token_days),
            }
        },
        return_document=ReturnDocument.AFTER,
    )
    if session is None:  # moved on by an earlier presentation of this token: how long ago?
        grace = timedelta(seconds=settings.refresh_reuse_grace_seconds)
        session = await db.sessions.find_one(
            {
                "_id": session_id,
                "user_id": user_id,
                "previous_jti": jti,
                "revoked": False,
                "rotated_at": {"$gte": at - grace},
            }
        )
    if session is None:
        # The session is gone, or this token was swapped before the grace (or its successor
        # already was too): a stolen copy is in play, so the whole family is revoked and both
        # holders must log in again.
        await revoke_session(db, user_id, session_id)
        raise Unauthorized("Refresh token is no longer valid", code=ErrorCode.refresh_token_reused)
    user = await db.users.find_one({"_id": session["user_id"]})
    if user is None or not user.get("is_active", True):
        raise Unauthorized()
    if session["_id"] not in user.get("active_sessions", ()):  # pushed out by newer logins
        await revoke_session(db, user["_id"], session["_id"])
        raise Unauthorized("Session has ended", code=ErrorCode.session_ended)
    return token_pair(settings, user, session_id, jtis, session["rotated_at"])


@router.post("/logout", **NO_CONTENT, responses=E401)
async def logout(request: Request, user: CurrentUser, db: Db) -> None:
    """End this session: its refresh token and access tokens stop working."""
    await revoke_session(db, user.id, request.state.session_id)


@router.post("/password-reset-request", status_code=status.HTTP_202_ACCEPTED, responses=E429)
async def request_password_reset(
    body: PasswordResetRequest, request: Request, db: Db, settings: SettingsDep
) -> Message:
    """Email a single-use reset link; the answer is the same whether or not the email exists."""
    email = body.email.strip().lower()
    await rate_limit(db, settings, "reset-ip", client_ip(request), settings.reset_limit * 5)
    await rate_limit(db, settings, "reset", email, settings.reset_limit)
    user = await db.users.find_one({"email": email})
    if user is not None:
        token = random_token()
        at = now_ms()

        async def store(session: AsyncClientSession) -> None:
            await db.password_resets.insert_one(
                {
                    "_id": hash_token(token),
                    "user_id": user["_id"],
                    "used": False,
                    "created_at": at,
                    "expires_at": at + timedelta(minutes=settings.reset_token_minutes),
                },
                session=session,
            )
            await enqueue_email(
                db,
                "password_reset",
                user["email"],
                session=session,
                name=user["full_name"],
                reset_url=f"{settings.app_url}/reset-password?token={token}",
                minutes=settings.reset_token_minutes,
            )

        await in_transaction(db, store)
    return Message(detail="If that email is registered, a reset link is on its way")


@router.post(
    "/password-reset-confirm",
    responses=responses((400, "Invalid, used or expired token")),
)
async def confirm_password_reset(
    body: PasswordResetConfirm, db: Db, settings: SettingsDep
) -> Message:
    """Set a new password with a reset token; every existing session is logged out."""
    reset = await db.password_resets.find_one_and_update(
        {"_id": hash_token(body.token), "used": False, "expires_at": {"$gt": now_ms()}},
        {"$set": {"used": True, "used_at": now_ms()}},
    )
    if reset is None:
        raise BadRequest(
            "Reset token is invalid, used or expired", code=ErrorCode.invalid_reset_token
        )
    await set_password(db, settings, reset["user_id"], body.new_password)
    return Message(detail="Password has been reset")


async def set_password(
    db: AsyncDatabase, settings: Settings, user_id: object, password: str
) -> None:
    hashed = await hash_password(password, settings.bcrypt_rounds)
    # The profile shows `updated_at`: a new version of it.
    update = {"$set": {"hashed_password": hashed, "updated_at": now_ms()}}
    await update_stamped(db.users, user_id, {"_id": user_id}, update)
    await revoke_all_sessions(db, user_id)


@router.post(
    "/change-password",
    responses={**E401, **responses((400, "Current password is wrong"))},
)
async def change_password(
    body: ChangePasswordRequest, user: CurrentUser, db: Db, settings: SettingsDep
) -> TokenPair:
    """Change the password; all sessions end and this device gets a fresh token pair."""
    if not await verify_password(body.current_password, user.doc["hashed_password"]):
        raise BadRequest("Current password is incorrect", code=ErrorCode.wrong_password)
    await set_password(db, settings, user.id, body.new_password)
    return await open_session(db, settings, user.doc)


@router.get("/me", responses={**tagged(), **responses(304), **E401})
async def get_session_user(user: CurrentUser, tag: IfNoneMatch) -> UserOut:
    """The logged-in user."""
    return tag(UserOut.model_validate(user.doc))
