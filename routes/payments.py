"""Payments endpoints (being built: see the issue for this domain)."""

from fastapi import APIRouter

router = APIRouter(prefix="/payments", tags=["payments"])
