"""Dashboard endpoints (being built: see the issue for this domain)."""

from fastapi import APIRouter

router = APIRouter(prefix="/dashboard", tags=["dashboard"])
