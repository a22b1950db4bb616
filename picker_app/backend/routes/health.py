"""`GET /v1/health`, without auth: the devices' offline probe."""

from fastapi import APIRouter

from picker_app.backend.clock import now
from picker_app.wire import Health

router = APIRouter()


@router.get("/v1/health")
def health() -> Health:
    return Health(time=now())
