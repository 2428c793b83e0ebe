"""Income endpoints (being built: see the issue for this domain)."""

from fastapi import APIRouter

router = APIRouter(prefix="/income", tags=["income"])
