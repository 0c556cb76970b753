"""The API's answers as bytes: what Pydantic writes is what ``JSONResponse`` wrote."""

from __future__ import annotations

from fastapi.responses import JSONResponse

from rma.api import schemas
from rma.api.idempotency import run_idempotent
from rma.api.schemas.base import held
from rma.domain.addresses import Address
from rma.domain.returns import Return
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


def test_a_return_is_answered_with_what_each_of_its_attributes_reads() -> None:
    # ``ReturnPublic.of`` reads the values a return holds, not its attributes one by one:
    # it must answer the same, and read an attribute the return does not hold as usual.
    ret = return_in(ReturnStatus.AUTHORIZED)
    ret.return_address = Address("Returns desk", "1 Dock Rd", "Reno", "89501", "US", region="NV")
    ret.routing = {"rule_name": "Tees to the supplier", "legs": 2, "partner_kind": "supplier"}
    ret.violations = [{"code": "window_closed", "line_id": "1", "message": "too late"}]
    expected = _read_one_by_one(ret)
    assert schemas.ReturnPublic.of(ret) == expected


def test_a_value_an_entity_does_not_hold_is_read_through_its_attribute() -> None:
    class Partly:
        def __init__(self) -> None:
            self.held = "in its __dict__"

        @property
        def computed(self) -> str:
            return "through the attribute"

    values = held(Partly(), frozenset({"held", "computed"}))
    assert values == {"held": "in its __dict__", "computed": "through the attribute"}


def _read_one_by_one(ret: Return) -> schemas.ReturnPublic:
    nested = {"items", "history", "return_address", "routing"}
    fields = schemas.ReturnPublic.model_fields
    return schemas.ReturnPublic(
        **{name: getattr(ret, name) for name in fields if name not in nested},
        items=[
            {name: getattr(item, name) for name in schemas.ReturnItemPublic.model_fields}
            for item in ret.items
        ],
        history=[
            {name: getattr(entry, name) for name in schemas.HistoryEntryPublic.model_fields}
            for entry in ret.history
        ],
        return_address=ret.return_address.as_dict() if ret.return_address else None,
        routing=schemas.RoutingPublic.of(ret.routing) if ret.routing else None,
    )
