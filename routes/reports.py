"""Reports: a month, a calendar or fiscal year, the fiscal-year tax summary, and CSV export.
The reports are assembled in `reports.service` from aggregations grouped in the database."""

from typing import Annotated, Literal

from fastapi import APIRouter, Query
from fastapi.responses import StreamingResponse

from reports import service
from routes.deps import CurrentUser, Db, FromDate, SettingsDep, ToDate, Year, responses
from schemas import AnnualReport, MonthlyReport, TaxRegime, TaxSummary

router = APIRouter(prefix="/reports", tags=["reports"])
E401 = responses(401)
E422 = responses((422, "Invalid period, fiscal year or date range"))
Month = Annotated[int | None, Query(ge=1, le=12)]
FiscalYear = Annotated[
    str | None,
    Query(pattern=r"^\d{4}-\d{2}$", description="Indian fiscal year, April to March: 2024-25"),
]
Regime = Annotated[
    TaxRegime | None, Query(description="old or new; default: the regime in your profile")
]


# ---------------------------------------------------------------- reports


@router.get("/monthly", responses={**E401, **E422})
async def get_monthly_report(
    user: CurrentUser, db: Db, year: Year = None, month: Month = None
) -> MonthlyReport:
    """One month in your timezone (this month by default), compared with the month before."""
    return await service.monthly_report(db, user, year, month)


@router.get("/annual", responses={**E401, **E422})
async def get_annual_report(
    user: CurrentUser, db: Db, year: Year = None, fy: FiscalYear = None
) -> AnnualReport:
    """Each month of a calendar year (`year`) or Indian fiscal year (`fy=2024-25`), and totals."""
    return await service.annual_report(db, user, year, fy)


@router.get("/tax-summary", responses={**E401, **E422})
async def get_tax_summary(
    user: CurrentUser,
    db: Db,
    settings: SettingsDep,
    fy: FiscalYear = None,
    regime: Regime = None,
) -> TaxSummary:
    """Interest and principal repaid per loan in a fiscal year, and the deductions they allow
    under that year's law (the Income-tax Act 1961 up to 2025-26, the 2025 Act from 2026-27)
    and regime."""
    return await service.tax_summary(db, user, fy, regime, settings)


@router.get(
    "/export",
    response_class=StreamingResponse,
    responses={
        200: {"content": {"text/csv": {}}, "description": "A CSV file (attachment)"},
        **E401,
        **E422,
    },
)
async def export_csv(
    user: CurrentUser,
    db: Db,
    kind: Literal["expenses", "income", "payments"],
    file_format: Annotated[Literal["csv"], Query(alias="format")] = "csv",
    start: FromDate = None,
    end: ToDate = None,
) -> StreamingResponse:
    """Download your expenses, income or payments between two days (default: 12 months)."""
    chunks, filename = service.export(db, user, kind, start, end, file_format)
    return StreamingResponse(
        chunks,
        media_type="text/csv; charset=utf-8",
        headers={
            "Content-Disposition": f'attachment; filename="{filename}"',
            "Cache-Control": "no-store",
            "X-Content-Type-Options": "nosniff",
        },
    )
