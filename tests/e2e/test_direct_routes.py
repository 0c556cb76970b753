"""The busiest routes, served by ``DirectRoutes`` without FastAPI's machinery.

A return's life is driven through the lane alone (anything passed on to FastAPI would be
answered 599 here); input the lane does not take as it is goes on to FastAPI, whose answers
through the real server are the ones every route gives.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from starlette.types import Receive, Scope, Send

from rma.api.app import DIRECT_ROUTES, create_app
from rma.api.direct_routes import DirectRoutes
from rma.bootstrap import Container
from tests.support import Shop, bearer, error_code, ok, open_shop

with warnings.catch_warnings():  # starlette's note that it prefers httpx2 to httpx
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient


class _PassedOn:
    """The app behind the lane: counts what reaches it and answers 599."""

    def __init__(self) -> None:
        self.paths: list[str] = []

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        self.paths.append(scope["path"])
        await send({"type": "http.response.start", "status": 599, "headers": []})
        await send({"type": "http.response.body", "body": b"passed on"})


def test_the_app_serves_its_moving_routes_on_the_lane(container: Container) -> None:
    app = create_app(container)
    lanes = [m for m in app.user_middleware if m.cls is DirectRoutes]
    assert [m.kwargs["endpoints"] for m in lanes] == [DIRECT_ROUTES]


@pytest.fixture
def lane(container: Container) -> Iterator[tuple[TestClient, _PassedOn]]:
    passed_on = _PassedOn()
    app = DirectRoutes(passed_on, fastapi=create_app(container), endpoints=DIRECT_ROUTES)
    client = TestClient(app)  # no lifespan: the app behind the lane has none
    yield client, passed_on
    client.close()


REQUEST = {
    "order_number": "1001",
    "items": [{"line_id": "1", "quantity": 1, "reason_code": "CR-DEFECTIVE"}],
}


def _review_shop(http: httpx.Client) -> Shop:
    shop = open_shop(http, kind="individual")
    ok(shop.call("PUT", "/v1/settings", json={"authorization_mode": "manual"}))
    shop.order("1001")
    return shop


def _post(client: TestClient, shop: Shop, path: str, role: str, body: Any) -> Any:
    return client.post(path, json=body, headers=bearer(shop.keys[role]))


def test_a_return_moves_through_its_life_on_the_lane_alone(
    http: httpx.Client, lane: tuple[TestClient, _PassedOn], container: Container
) -> None:
    client, passed_on = lane
    shop = _review_shop(http)
    created = ok(_post(client, shop, "/v1/returns", "seller", REQUEST), 201)
    assert created["status"] == "pending_review"
    ref = created["id"]
    authorized = ok(
        client.post(f"/v1/returns/{ref}/authorize", headers=bearer(shop.keys["seller"]))
    )
    assert authorized["status"] == "authorized"
    scan = {"scan": authorized["rma_number"]}
    receipt = ok(_post(client, shop, "/v1/receipts", "warehouse", scan), 201)
    assert receipt["matched"]["status"] == "received"
    item = authorized["items"][0]["id"]
    verdict = {"item_id": item, "accepted": 1, "rejected": 0, "condition": "sellable",
               "disposition": "restock"}  # fmt: skip
    inspected = _post(client, shop, f"/v1/returns/{ref}/inspect", "warehouse", {"items": [verdict]})
    assert ok(inspected)["status"] == "inspected"
    resolved = ok(_post(client, shop, f"/v1/returns/{ref}/resolve", "seller", {}))
    assert resolved["status"] == "resolved"
    # Read on the lane: the very bytes FastAPI's own route answers.
    read = client.get(f"/v1/returns/{ref}", headers=bearer(shop.keys["seller"]))
    assert ok(read) == resolved
    assert passed_on.paths == []
    without_lane = create_app(container)
    without_lane.user_middleware = [
        m for m in without_lane.user_middleware if m.cls is not DirectRoutes
    ]
    with TestClient(without_lane) as fastapi_alone:
        answered = fastapi_alone.get(f"/v1/returns/{ref}", headers=bearer(shop.keys["seller"]))
    assert (answered.status_code, answered.content) == (200, read.content)
    assert answered.headers["content-type"] == read.headers["content-type"]


def test_the_lane_answers_the_use_cases_errors_as_every_route_does(
    http: httpx.Client, lane: tuple[TestClient, _PassedOn]
) -> None:
    client, passed_on = lane
    shop = _review_shop(http)
    other = open_shop(http, name="Other")
    ref = ok(_post(client, shop, "/v1/returns", "seller", REQUEST), 201)["id"]
    path = f"/v1/returns/{ref}/authorize"

    assert error_code(client.post(path), 401) == "unauthenticated"
    assert client.post(path).headers["www-authenticate"] == "Bearer"
    assert error_code(_post(client, shop, path, "warehouse", {}), 403) == "forbidden"
    assert error_code(_post(client, other, path, "seller", {}), 404) == "return_not_found"
    others_read = client.get(f"/v1/returns/{ref}", headers=bearer(other.keys["seller"]))
    assert error_code(others_read, 404) == "return_not_found"
    ok(_post(client, shop, path, "seller", {}))
    assert error_code(_post(client, shop, path, "seller", {}), 409) == "illegal_transition"
    assert passed_on.paths == []


def test_the_lane_replays_an_idempotent_answer(
    http: httpx.Client, lane: tuple[TestClient, _PassedOn]
) -> None:
    client, _ = lane
    shop = _review_shop(http)
    ref = ok(_post(client, shop, "/v1/returns", "seller", REQUEST), 201)["id"]
    headers = {**bearer(shop.keys["seller"]), "Idempotency-Key": "authorize-once"}
    first = client.post(f"/v1/returns/{ref}/authorize", json={}, headers=headers)
    again = client.post(f"/v1/returns/{ref}/authorize", json={}, headers=headers)
    assert ok(again) == ok(first)
    assert again.headers["idempotent-replayed"] == "true"


@pytest.mark.parametrize(
    ("content", "headers", "field"),
    [
        (b'{"items": "none"}', {"Content-Type": "application/json"}, "body.items"),
        (b"{not json", {"Content-Type": "application/json"}, "body.1"),
        (b'{"items": []}', {"Content-Type": "text/plain"}, "body"),
        (b"", {}, "body"),
    ],
)
def test_input_the_lane_does_not_take_goes_on_to_fastapi(
    http: httpx.Client,
    lane: tuple[TestClient, _PassedOn],
    content: bytes,
    headers: dict[str, str],
    field: str,
) -> None:
    client, passed_on = lane
    shop = _review_shop(http)
    path = "/v1/returns/ret_x/inspect"
    sent = {**bearer(shop.keys["warehouse"]), **headers}
    assert client.post(path, content=content, headers=sent).status_code == 599
    assert passed_on.paths == [path]
    # The real server answers it as FastAPI always has.
    answer = http.post(path, content=content, headers=sent)
    assert error_code(answer, 422) == "invalid_input"
    assert field in [detail["field"] for detail in answer.json()["error"]["details"]]


def test_a_path_or_key_out_of_bounds_goes_on_to_fastapi(
    http: httpx.Client, lane: tuple[TestClient, _PassedOn]
) -> None:
    client, passed_on = lane
    shop = _review_shop(http)
    seller = bearer(shop.keys["seller"])
    long_ref = f"/v1/returns/{'r' * 65}/authorize"
    long_key = {**seller, "Idempotency-Key": "k" * 256}
    assert client.post(long_ref, json={}, headers=seller).status_code == 599
    assert client.post("/v1/returns/ret_x/resolve", json={}, headers=long_key).status_code == 599
    assert passed_on.paths == [long_ref, "/v1/returns/ret_x/resolve"]
    assert error_code(http.post(long_ref, json={}, headers=seller), 422) == "invalid_input"
    refused = http.post("/v1/returns/ret_x/resolve", json={}, headers=long_key)
    assert error_code(refused, 422) == "invalid_input"


def test_a_path_an_earlier_route_takes_goes_on_to_it(
    http: httpx.Client, lane: tuple[TestClient, _PassedOn]
) -> None:
    client, passed_on = lane
    shop = _review_shop(http)
    seller = bearer(shop.keys["seller"])
    # `counts` would match a return's reference, but FastAPI tries the counts' route first.
    assert client.get("/v1/returns/counts", headers=seller).status_code == 599
    assert passed_on.paths == ["/v1/returns/counts"]
    assert ok(http.get("/v1/returns/counts", headers=seller))["total"] == 0


def _fastapi_alone(container: Container) -> TestClient:
    app = create_app(container)
    app.user_middleware = [m for m in app.user_middleware if m.cls is not DirectRoutes]
    return TestClient(app)


def test_the_list_of_returns_is_served_on_the_lane_as_fastapi_serves_it(
    http: httpx.Client, lane: tuple[TestClient, _PassedOn], container: Container
) -> None:
    client, passed_on = lane
    shop = _review_shop(http)
    seller = bearer(shop.keys["seller"])
    for number in ("1002", "1003", "1004"):
        shop.order(number)
        ok(_post(client, shop, "/v1/returns", "seller", {**REQUEST, "order_number": number}), 201)
    first = ok(_post(client, shop, "/v1/returns", "seller", REQUEST), 201)
    ok(client.post(f"/v1/returns/{first['id']}/authorize", headers=seller))
    queries = [
        "",
        "?status=pending_review&limit=2",
        "?status=authorized&status=pending_review&sort=created_at",
        "?q=1003&in_policy=true",
        f"?created_from={first['created_at'].replace('+', '%2B')}&limit=1",
        "?unknown=ignored&limit=3&limit=1",  # FastAPI takes the last of a repeated value
    ]
    with _fastapi_alone(container) as fastapi_alone:
        for query in queries:
            on_lane = client.get(f"/v1/returns{query}", headers=seller)
            alone = fastapi_alone.get(f"/v1/returns{query}", headers=seller)
            assert (on_lane.status_code, on_lane.content) == (200, alone.content), query
        page = ok(client.get("/v1/returns?limit=2", headers=seller))
        after = ok(client.get(f"/v1/returns?limit=2&cursor={page['next_cursor']}", headers=seller))
        assert [r["id"] for r in page["data"] + after["data"]] == [
            r["id"] for r in ok(fastapi_alone.get("/v1/returns", headers=seller))["data"]
        ]
    assert len(ok(client.get("/v1/returns?status=authorized", headers=seller))["data"]) == 1
    assert passed_on.paths == []


@pytest.mark.parametrize(
    "query",
    [
        "?limit=0",
        "?limit=ten",
        "?status=lost",
        "?sort=oldest",
        "?created_from=yesterday",
        "?cursor=x",
    ],
)
def test_a_query_the_lane_does_not_take_goes_on_to_fastapi(
    http: httpx.Client, lane: tuple[TestClient, _PassedOn], query: str
) -> None:
    client, passed_on = lane
    seller = bearer(_review_shop(http).keys["seller"])
    answered = client.get(f"/v1/returns{query}", headers=seller)
    if query == "?cursor=x":  # well formed for FastAPI; the use case refuses it, on the lane
        assert error_code(answered, 422) == "invalid_cursor"
        assert error_code(http.get(f"/v1/returns{query}", headers=seller), 422) == "invalid_cursor"
        return
    assert answered.status_code == 599
    assert passed_on.paths == ["/v1/returns"]
    assert error_code(http.get(f"/v1/returns{query}", headers=seller), 422) == "invalid_input"
