"""Application settings, read once from the environment (and `.env`)."""

from decimal import Decimal
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Literal

from pydantic import Field, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

DEFAULT_SECRET = "dev-only-secret-change-me-in-production"  # 32+ bytes: PyJWT warns below that
# Seconds before the database aborts a transaction its client left open (a crashed API
# process): writes to the same documents wait that long. MongoDB's default is 60.
DEFAULT_TRANSACTION_LIFETIME = 8


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", extra="ignore")

    app_env: Literal["development", "production", "test"] = "development"
    secret_key: str = DEFAULT_SECRET
    # `make run` listens on HOST:PORT. 127.0.0.1: this machine only; 0.0.0.0: every interface,
    # to reach the API from a phone on the same network or from another container.
    host: str = "127.0.0.1"
    port: int = 8000
    app_url: str = "http://localhost:3000"
    cors_origins: Annotated[list[str], NoDecode] = ["http://localhost:3000"]
    docs_enabled: bool = True

    # Database: MONGODB_URL unset means "start the embedded SecantusDB".
    mongodb_url: str | None = None
    mongodb_db: str = "cleero_financial"
    test_mongodb_url: str | None = None
    embedded_db_path: Path = Path("var/db")
    # Not MongoDB's 27017: a developer's own MongoDB there must never receive the app's writes.
    embedded_db_port: int = 27117
    db_timeout_ms: int = 3000
    # The embedded database's; set MongoDB's transactionLifetimeLimitSeconds to match.
    transaction_lifetime_seconds: int = Field(default=DEFAULT_TRANSACTION_LIFETIME, ge=1)

    # Tokens and passwords (tests lower the bcrypt cost; production keeps 12)
    bcrypt_rounds: int = Field(default=12, ge=4, le=16)
    access_token_minutes: int = 30
    refresh_token_days: int = 7
    # A refresh token presented again this soon after its swap gets the same new pair (two
    # requests that met a 401 together); later, reuse revokes the session.
    refresh_reuse_grace_seconds: float = Field(default=10, ge=0)
    reset_token_minutes: int = 60

    # Rate limits: attempts per window, per client address and per account.
    rate_limit_window_seconds: int = 60
    login_limit: int = 10
    signup_limit: int = 10
    reset_limit: int = 5

    # Request bodies: JSON is small; receipts get their own cap.
    max_body_bytes: int = 1_000_000
    max_upload_bytes: int = 10 * 1024 * 1024

    # Side effects
    email_backend: Literal["file", "ses"] = "file"
    mail_dir: Path = Path("var/mail")
    email_from: str = "Cleero Financial Compass <no-reply@cleero.in>"
    aws_region: str = "ap-south-1"
    storage_backend: Literal["local", "s3"] = "local"
    upload_dir: Path = Path("var/uploads")
    s3_bucket: str | None = None
    push_backend: Literal["log", "onesignal"] = "log"
    onesignal_app_id: str | None = None
    onesignal_api_key: str | None = None
    onesignal_url: str = "https://api.onesignal.com/notifications"

    # Background work
    run_worker: bool = True
    reminder_days: int = Field(default=3, ge=0, le=60)
    # Reminders wait for this hour of the user's own day: no EMI push at 2 a.m.
    reminder_local_hour: int = Field(default=8, ge=0, le=23)
    outbox_max_attempts: int = 8
    outbox_poll_seconds: float = 1.0
    scheduler_interval_seconds: float = 3600.0
    # A statement commit's lease (imports/jobs.py): renewed after every batch, which the
    # database bounds at 8 s a transaction x 5 attempts; a lease this old means its process
    # died, and the resume loop (polling this often) takes the commit over.
    import_lease_seconds: float = Field(default=60.0, gt=0)
    import_resume_seconds: float = Field(default=5.0, gt=0)
    # A PDF statement's read (imports/parsers.py): its parser process is killed past this.
    pdf_max_seconds: float = Field(default=30.0, gt=0)
    # Start one parser process with the app, so the first PDF does not wait for it.
    pdf_warm_parser: bool = True
    notification_ttl_days: int = 180

    # Indian income-tax caps, in rupees (the statutory figures since FY 2014-15; the section
    # numbers are the Income-tax Act 1961's, the 2025 Act keeps the figures: docs/tax-law.md).
    tax_cap_24b: Decimal = Field(default=Decimal("200000"))  # self-occupied interest; s.22(2)
    tax_cap_80c: Decimal = Field(default=Decimal("150000"))  # principal; s.123
    tax_cap_80eea: Decimal = Field(default=Decimal("150000"))  # affordable housing; s.131
    tax_cap_set_off: Decimal = Field(default=Decimal("200000"))  # s.71(3A); s.109(1)(b)

    @field_validator("cors_origins", mode="before")
    @classmethod
    def _comma_separated(cls, value: object) -> object:
        if isinstance(value, str):
            return [origin.strip() for origin in value.split(",") if origin.strip()]
        return value

    @model_validator(mode="after")
    def _production_is_safe(self) -> "Settings":
        if self.app_env != "production":
            return self
        problems = []
        if self.secret_key == DEFAULT_SECRET or len(self.secret_key) < 32:
            problems.append("SECRET_KEY must be set to a random value of 32+ characters")
        if self.email_backend == "file":
            problems.append("EMAIL_BACKEND=file is for development")
        if self.storage_backend == "local":
            problems.append("STORAGE_BACKEND=local is for development")
        if self.push_backend == "log":
            problems.append("PUSH_BACKEND=log is for development")
        if self.push_backend == "onesignal" and not (
            self.onesignal_app_id and self.onesignal_api_key
        ):
            problems.append("ONESIGNAL_APP_ID and ONESIGNAL_API_KEY are required")
        if not self.mongodb_url:
            problems.append("MONGODB_URL is required")
        if problems:
            raise ValueError("refusing to start in production: " + "; ".join(problems))
        return self


@lru_cache
def get_settings() -> Settings:
    return Settings()


def embedded_url(port: int, host: str = "127.0.0.1") -> str:
    """The embedded database's address. SecantusDB advertises a one-node replica set: talk to
    it directly."""
    return f"mongodb://{host}:{port}/?directConnection=true"
