"""Fuzz every operation of the served OpenAPI document with schemathesis.

Cases are generated from the live ``/openapi.json``, valid and invalid ones, and sent with a
seller's key (and, for the SP-API routes, an access token) to a seeded shop. Every answer must
be free of server errors, use a documented status code and content type, and match the
documented schema. (``negative_data_rejection`` is left out: FastAPI reads a repeated scalar
query parameter as its last value, by design.) ``RMA_FUZZ_EXAMPLES`` sets the examples per
operation and mode (CI keeps the default).
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any

import httpx
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from tests.amazon_support import SellingPartner
from tests.support import bearer, customer_token, open_shop

EXAMPLES = int(os.environ.get("RMA_FUZZ_EXAMPLES", "6"))
# What uvicorn answers a message that is not HTTP (a negative case may send
# ``Content-Length: /``): the request never reaches rma, so rma's document cannot describe it.
NOT_HTTP = (400, "Invalid HTTP request received.")


def _when_rma_answered(check: Callable[..., bool | None]) -> Callable[..., bool | None]:
    def checked(ctx: Any, response: Any, case: Any) -> bool | None:
        if (response.status_code, response.text) == NOT_HTTP:
            return None
        return check(ctx, response, case)

    checked.__name__ = check.__name__  # schemathesis names the failed check by it
    return checked


CHECKS = [
    not_a_server_error,
    *(
        _when_rma_answered(check)
        for check in (
            status_code_conformance,
            content_type_conformance,
            response_schema_conformance,
        )
    ),
]


def test_no_operation_fails_or_strays_from_its_schema(http: httpx.Client) -> None:
    base_url = str(http.base_url).rstrip("/")
    shop = open_shop(http)
    shop.order("1001")
    shop.order("1002", delivered_days_ago=45)
    shop.request_return("1001", [("1", 1)])
    customer_token(http, "1001")
    schema = schemathesis.openapi.from_url(f"{base_url}/openapi.json")
    # The SP-API routes authenticate by their own header; native routes ignore it.
    access_token = SellingPartner(shop).access_token
    headers = {**bearer(shop.keys["seller"]), "x-amz-access-token": access_token}
    failures: dict[str, str] = {}
    operations = [result.ok() for result in schema.get_all_operations()]
    assert operations

    for operation in operations:
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            strategy = operation.as_strategy(generation_mode=mode)

            @settings(
                max_examples=EXAMPLES,
                deadline=None,
                database=None,
                phases=[Phase.explicit, Phase.generate],
                suppress_health_check=list(HealthCheck),
            )
            @given(case=strategy)
            def exercise(case: schemathesis.Case) -> None:
                case.call_and_validate(base_url=base_url, headers=headers, checks=CHECKS)

            try:
                exercise()
            except Unsatisfiable:
                assert mode is GenerationMode.NEGATIVE  # nothing to get wrong: no parameters
            except (Exception, BaseExceptionGroup) as error:  # report every operation at the end
                failures[f"{operation.label} ({mode.value})"] = str(error)[:3000]

    assert not failures, "\n\n".join(f"== {name}\n{text}" for name, text in failures.items())
