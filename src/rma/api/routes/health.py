"""Operations: is the service up and its database reachable."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from sqlalchemy import text

from rma.api.deps import ContainerDep

router = APIRouter(tags=["operations"])


class Health(BaseModel):
    status: str
    database: str


@router.get(
    "/healthz",
    operation_id="healthz",
    response_model=Health,
    responses={503: {"model": Health, "description": "The database is unreachable"}},
)
def healthz(container: ContainerDep) -> JSONResponse:
    try:
        with container.engine.connect() as connection:
            connection.execute(text("SELECT 1"))
    except Exception:  # any failure to reach the database means unhealthy, whatever its kind
        return JSONResponse({"status": "unavailable", "database": "unreachable"}, status_code=503)
    return JSONResponse({"status": "ok", "database": "ok"})
