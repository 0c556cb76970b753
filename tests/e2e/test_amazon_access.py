"""Who may call the Amazon-compatible API: LWA-style tokens, per seller, and nobody else."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import httpx

from rma.bootstrap import Container
from rma.domain.access import hash_secret
from rma.domain.amazon import AmazonAccessToken
from rma.services.clock import utcnow
from tests.amazon_support import PREFIX, SellingPartner, conforming, native_returns, unit
from tests.support import ADMIN_KEY, bearer, error_code, ok, open_shop


def _token(http: httpx.Client, app: SellingPartner, **changes: str) -> httpx.Response:
    form = {
        "grant_type": "refresh_token",
        "refresh_token": app.refresh_token,
        "client_id": app.client_id,
        "client_secret": app.client_secret,
        **changes,
    }
    return http.post("/auth/o2/token", data=form)


def test_token_route_refuses_like_login_with_amazon(http: httpx.Client) -> None:
    app = SellingPartner(open_shop(http))

    wrong_secret = _token(http, app, client_secret="amzn1.oa2-cs.v1.nope")
    assert wrong_secret.status_code == 401
    assert wrong_secret.json()["error"] == "invalid_client"
    wrong_grant = _token(http, app, refresh_token="Atzr|not-issued")
    assert wrong_grant.status_code == 400
    assert wrong_grant.json()["error"] == "invalid_grant"
    other_grant = _token(http, app, grant_type="client_credentials")
    assert other_grant.json()["error"] == "unsupported_grant_type"
    missing = http.post("/auth/o2/token", data={"grant_type": "refresh_token"})
    assert missing.status_code == 400
    assert missing.json()["error"] == "invalid_request"
    assert "error_description" in missing.json()


def test_token_route_takes_json_as_some_sdks_send_it(http: httpx.Client) -> None:
    app = SellingPartner(open_shop(http))
    answer = ok(
        http.post(
            "/auth/o2/token",
            json={
                "grant_type": "refresh_token",
                "refresh_token": app.refresh_token,
                "client_id": app.client_id,
                "client_secret": app.client_secret,
            },
        )
    )
    assert answer["access_token"].startswith("Atza|")
    assert answer["refresh_token"] == app.refresh_token


def test_sp_api_routes_need_a_valid_unexpired_token(
    http: httpx.Client, container: Container
) -> None:
    shop = open_shop(http)
    app = SellingPartner(shop)
    path = f"{PREFIX}/returnReasonCodes?sellerSku=TEE"

    missing = conforming(http.get(path), "listReturnReasonCodes", 401)
    assert missing["errors"][0]["code"] == "Unauthorized"
    api_key = http.get(path, headers={"x-amz-access-token": shop.keys["seller"]})
    conforming(api_key, "listReturnReasonCodes", 401)
    forged = http.get(path, headers={"x-amz-access-token": "Atza|forged"})
    assert conforming(forged, "listReturnReasonCodes", 403)["errors"][0]["code"] == "Unauthorized"

    expired = "Atza|expired-for-this-test"
    with container.uow() as uow:
        uow.amazon.add_access_token(
            AmazonAccessToken(
                hash_secret(expired), shop.seller_id, app.client_id, utcnow() - timedelta(seconds=1)
            )
        )
        uow.commit()
    answer = conforming(
        http.get(path, headers={"x-amz-access-token": expired}), "listReturnReasonCodes", 403
    )
    assert "expired" in answer["errors"][0]["message"]

    # A native Bearer key does not open SP-API routes either.
    conforming(http.get(path, headers=bearer(shop.keys["seller"])), "listReturnReasonCodes", 401)


def test_another_sellers_token_finds_none_of_its_orders(http: httpx.Client) -> None:
    owner = SellingPartner(open_shop(http, "Owner"))
    owner.create_order(
        "FO-9", [{"sellerSku": "TEE", "sellerFulfillmentOrderItemId": "a", "quantity": 1}]
    )
    owner.facility(
        "FC1", {"name": "FC", "line1": "1 Dock", "city": "X", "postal_code": "1", "country": "US"}
    )
    owner.ship("FO-9", "S1", "FC1", {"a": 1})
    intruder = SellingPartner(open_shop(http, "Intruder"))

    read = intruder.call("GET", "/fulfillmentOrders/FO-9")
    assert conforming(read, "getFulfillmentOrder", 400)["errors"][0]["message"] == (
        "Requested order 'FO-9' not found"
    )
    returned = intruder.call(
        "PUT", "/fulfillmentOrders/FO-9/return", json={"items": [unit("r1", "a", "S1")]}
    )
    conforming(returned, "createFulfillmentReturn", 400)
    listed = conforming(intruder.call("GET", "/fulfillmentOrders"), "listAllFulfillmentOrders")
    assert listed["payload"]["fulfillmentOrders"] == []
    assert native_returns(owner.shop) == []

    # The owner's own order number is still free in the intruder's shop.
    intruder.create_order(
        "FO-9", [{"sellerSku": "MUG", "sellerFulfillmentOrderItemId": "a", "quantity": 1}]
    )


def test_credentials_are_issued_by_the_sellers_admin_for_its_own_seller(
    http: httpx.Client,
) -> None:
    shop = open_shop(http)
    other = open_shop(http, "Other")
    assert error_code(shop.call("POST", "/v1/amazon/credentials", "seller", json={}), 403)
    assert error_code(shop.call("POST", "/v1/amazon/credentials", "warehouse", json={}), 403)
    foreign = shop.call(
        "POST", "/v1/amazon/credentials", "admin", json={"seller_id": other.seller_id}
    )
    # Another seller is as absent as one that does not exist, as for API keys.
    assert error_code(foreign, 404) == "seller_not_found"
    issued = ok(
        http.post(
            "/v1/amazon/credentials",
            json={"seller_id": other.seller_id, "name": "erp"},
            headers=bearer(ADMIN_KEY),
        ),
        201,
    )
    assert issued["seller_id"] == other.seller_id
    assert (
        error_code(http.post("/v1/amazon/credentials", json={}, headers=bearer(ADMIN_KEY)), 422)
        == "seller_required"
    )


def test_rma_page_links_come_from_settings_not_the_host_header(
    http: httpx.Client, container: Container
) -> None:
    app = SellingPartner(open_shop(http))
    app.facility(
        "FC1", {"name": "FC", "line1": "1 Dock", "city": "X", "postal_code": "1", "country": "US"}
    )
    app.create_order(
        "FO-5", [{"sellerSku": "TEE", "sellerFulfillmentOrderItemId": "a", "quantity": 1}]
    )
    app.ship("FO-5", "S1", "FC1", {"a": 1})
    response = app.call(
        "PUT",
        "/fulfillmentOrders/FO-5/return",
        json={"items": [unit("r1", "a", "S1")], "marketplaceId": "ATVPDKIKX0DER"},
        params={"marketplaceId": "ATVPDKIKX0DER"},
        headers={"Host": "evil.example", "X-Forwarded-Host": "evil.example"},
    )
    (authorization,) = conforming(response, "createFulfillmentReturn")["payload"][
        "returnAuthorizations"
    ]
    assert authorization["rmaPageURL"].startswith(container.settings.base_url.rstrip("/") + "/rma/")
    assert "evil.example" not in authorization["rmaPageURL"]


def test_native_routes_keep_their_own_error_shape(http: httpx.Client) -> None:
    shop = open_shop(http)
    answer = shop.call("POST", "/v1/orders", json={"number": "x"})
    assert answer.status_code == 422
    assert answer.json()["error"]["code"] == "invalid_input"
    assert "x-amzn-RequestId" not in answer.headers


def test_racing_requests_for_the_same_units_create_one_return(http: httpx.Client) -> None:
    # The order row is locked (PostgreSQL) or the write lock taken first (SQLite): they queue.
    app = SellingPartner(open_shop(http))
    app.facility(
        "FC1", {"name": "FC", "line1": "1 Dock", "city": "X", "postal_code": "1", "country": "US"}
    )
    app.create_order(
        "FO-R", [{"sellerSku": "TEE", "sellerFulfillmentOrderItemId": "a", "quantity": 1}]
    )
    app.ship("FO-R", "S1", "FC1", {"a": 1})
    start = threading.Barrier(4)

    def ask(item_id: str) -> int:
        start.wait()
        with httpx.Client(base_url=str(http.base_url), timeout=30) as client:
            response = client.put(
                f"{PREFIX}/fulfillmentOrders/FO-R/return",
                json={"items": [unit(item_id, "a", "S1")]},
                headers={"x-amz-access-token": app.access_token},
            )
        return len(conforming(response, "createFulfillmentReturn")["payload"]["returnItems"])

    with ThreadPoolExecutor(4) as pool:
        accepted = list(pool.map(ask, ["r1", "r1", "r2", "r3"]))
    assert len(native_returns(app.shop)) == 1
    assert sum(accepted) >= 1
