"""The API's answers as bytes: what Pydantic writes is what ``JSONResponse`` wrote."""

from __future__ import annotations

from fastapi.responses import JSONResponse

from rma.api import schemas
from rma.api.idempotency import run_idempotent
from rma.domain.statuses import ReturnStatus
from tests.unit.factories import return_in

AWKWARD = 'Zürich café ✓ "quoted" \\ back\nline\ttab \x01 \u2028 😀'


def test_an_answer_written_by_pydantic_is_the_bytes_json_response_wrote() -> None:
    ret = return_in(ReturnStatus.INSPECTED)
    ret.customer_email = "zoë@example.com"
    ret.items[0].comment = AWKWARD
    ret.items[0].inspection_note = AWKWARD
    public = schemas.ReturnPublic.of(ret)

    answer = run_idempotent(_Request(), _Container(), None, None, lambda uow: public)  # type: ignore[arg-type]
    assert answer.body == JSONResponse(public.model_dump(mode="json")).body
    assert answer.headers["content-type"] == "application/json"


class _Request:  # run_idempotent reads the key header only, and there is none
    headers: dict[str, str] = {}


class _Container:  # the unit of work goes to the action, which does not use it
    def uow(self) -> None:
        return None
