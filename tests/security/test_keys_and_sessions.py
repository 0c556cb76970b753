"""Keys are listed and revoked at once; signing out closes the session, not just the cookie."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import httpx

from rma.bootstrap import Container
from tests.security.browsing import hidden, sign_in
from tests.support import ADMIN_KEY, bearer, error_code, ok, open_shop


def test_a_revoked_key_stops_working_with_the_next_request(http: httpx.Client) -> None:
    shop = open_shop(http)
    warehouse = _key_id(shop.call("GET", "/v1/api-keys"), "warehouse")
    ok(shop.call("GET", "/v1/returns", "warehouse"))

    revoked = ok(shop.call("POST", f"/v1/api-keys/{warehouse}/revoke"))

    assert revoked["revoked_at"] is not None
    assert error_code(shop.call("GET", "/v1/returns", "warehouse"), 401) == "unauthenticated"
    listed = ok(shop.call("GET", "/v1/api-keys"))["data"]
    assert "key" not in listed[0]  # never the secret
    assert {k["role"]: bool(k["revoked_at"]) for k in listed} == {
        "admin": False,
        "seller": False,
        "warehouse": True,
    }


def test_a_seller_sees_and_revokes_only_its_own_keys(http: httpx.Client) -> None:
    ours, theirs = open_shop(http, "Ours"), open_shop(http, "Theirs")
    their_key = _key_id(theirs.call("GET", "/v1/api-keys"), "seller")

    assert {k["seller_id"] for k in ok(ours.call("GET", "/v1/api-keys"))["data"]} == {
        ours.seller_id
    }
    answer = ours.call("POST", f"/v1/api-keys/{their_key}/revoke")
    assert error_code(answer, 404) == "api_key_not_found"
    ok(theirs.call("GET", "/v1/settings"))
    # The warehouse may not list keys; a seller key may not revoke the seller's admin key.
    assert ours.call("GET", "/v1/api-keys", "warehouse").status_code == 403
    admin = _key_id(ours.call("GET", "/v1/api-keys"), "admin")
    assert error_code(ours.call("POST", f"/v1/api-keys/{admin}/revoke"), 403) == "forbidden"
    # The platform admin sees every seller's keys.
    everyone = ok(http.get("/v1/api-keys", headers=bearer(ADMIN_KEY)))["data"]
    assert {k["seller_id"] for k in everyone} == {ours.seller_id, theirs.seller_id}


def test_the_cli_lists_and_revokes_keys(http: httpx.Client, container: Container) -> None:
    shop = open_shop(http)
    key_id = _key_id(shop.call("GET", "/v1/api-keys"), "seller")

    listed = _rma(container, "keys", "list", "--seller", shop.seller_id)
    revoked = _rma(container, "keys", "revoke", key_id)

    assert key_id in listed.stdout
    assert f"{key_id} revoked" in revoked.stdout
    assert shop.call("GET", "/v1/settings").status_code == 401
    assert _rma(container, "keys", "revoke", "key_nope", check=False).returncode == 2


def test_signing_out_closes_the_session_even_for_a_copied_cookie(server_url: str) -> None:
    with httpx.Client(base_url=server_url) as setup:
        shop = open_shop(setup)
    with httpx.Client(base_url=server_url) as browser:
        sign_in(browser, shop.keys["seller"])
        copied = dict(browser.cookies)
        assert browser.get("/desk").status_code == 200

        browser.post("/logout", data={"csrf": hidden(browser.get("/desk"), "csrf")})

    with httpx.Client(base_url=server_url, cookies=copied) as thief:
        answer = thief.get("/desk")
        assert answer.status_code == 303
        assert answer.headers["location"].startswith("/desk/login")


def test_revoking_a_key_signs_its_desk_sessions_out_at_once(
    http: httpx.Client, server_url: str
) -> None:
    shop = open_shop(http)
    with httpx.Client(base_url=server_url) as browser:
        sign_in(browser, shop.keys["seller"])
        assert browser.get("/desk").status_code == 200

        seller = _key_id(shop.call("GET", "/v1/api-keys", "admin"), "seller")
        ok(shop.call("POST", f"/v1/api-keys/{seller}/revoke", "admin"))

        assert browser.get("/desk").status_code == 303


def test_the_desk_lists_keys_and_revokes_one(http: httpx.Client, server_url: str) -> None:
    shop = open_shop(http)
    warehouse = _key_id(shop.call("GET", "/v1/api-keys"), "warehouse")
    with httpx.Client(base_url=server_url) as browser:
        sign_in(browser, shop.keys["seller"])
        page = browser.get("/desk/keys")
        assert page.status_code == 200
        assert warehouse in page.text
        assert f"/desk/keys/{_key_id(shop.call('GET', '/v1/api-keys'), 'admin')}/revoke" not in (
            page.text
        )  # a seller key is not offered what it may not do
        done = browser.post(
            f"/desk/keys/{warehouse}/revoke",
            data={"csrf": hidden(page, "csrf"), "form_key": hidden(page, "form_key")},
            follow_redirects=True,
        )

        assert f"Key {warehouse} is revoked" in done.text
    assert shop.call("GET", "/v1/returns", "warehouse").status_code == 401


def _key_id(answer: httpx.Response, role: str) -> str:
    return next(k["id"] for k in ok(answer)["data"] if k["role"] == role)


def _rma(container: Container, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    rma = Path(sys.executable).parent / "rma"
    env = {
        "RMA_DATABASE_URL": container.settings.database_url,
        "RMA_DATA_DIR": str(container.settings.data_dir),
        "COLUMNS": "200",
        "PATH": "/usr/bin:/bin",
    }
    return subprocess.run(
        [str(rma), *args], env=env, capture_output=True, text=True, check=check, timeout=60
    )
