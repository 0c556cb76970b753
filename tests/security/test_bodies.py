"""Body bombs: oversized, streamed, many-keyed and deeply nested bodies are refused cheaply."""

from __future__ import annotations

import json
from collections.abc import Iterator

import httpx

from tests.support import error_code, ok, open_shop

SESSIONS = "/v1/portal/sessions"


def test_a_12_mb_body_to_an_open_route_is_refused_unread(http: httpx.Client) -> None:
    keys = {f"k{n}": 1 for n in range(1_000_000)}

    answer = http.post(SESSIONS, content=json.dumps(keys), headers=_json())

    assert error_code(answer, 413) == "payload_too_large"
    assert len(answer.content) < 1000


def test_a_streamed_body_without_a_length_is_cut_at_the_limit(http: httpx.Client) -> None:
    def chunks() -> Iterator[bytes]:
        yield b'{"order_number": "'
        for _ in range(200):
            yield b"x" * 10_000
        yield b'"}'

    answer = http.post(SESSIONS, content=chunks(), headers=_json())

    assert error_code(answer, 413) == "payload_too_large"


def test_a_caller_with_a_key_gets_a_larger_but_still_bounded_body(http: httpx.Client) -> None:
    shop = open_shop(http)
    big = {"ids": [f"ret_{n:026d}" for n in range(100_000)]}  # about 3.3 MB

    assert error_code(shop.call("POST", "/v1/returns/authorize", json=big), 413) == (
        "payload_too_large"
    )
    # A page of ids well inside the limit is read as usual.
    small = shop.call("POST", "/v1/returns/authorize", json={"ids": ["ret_none"]})
    assert small.status_code == 200


def test_many_unknown_keys_list_a_bounded_number_of_problems(http: httpx.Client) -> None:
    body = {"order_number": "A-1", "email": "a@example.com"}
    body.update({f"k{n}": 1 for n in range(3000)})

    answer = http.post(SESSIONS, json=body)

    assert error_code(answer, 422) == "invalid_input"
    error = answer.json()["error"]
    assert len(error["details"]) == 20
    assert "of 3000 problems" in error["message"]


def test_a_deeply_nested_body_is_refused_before_parsing(http: httpx.Client) -> None:
    nested = "[" * 20_000 + "]" * 20_000

    answer = http.post(SESSIONS, content=nested, headers=_json())

    assert error_code(answer, 422) == "invalid_input"
    assert "nested" in answer.json()["error"]["message"]


def test_brackets_inside_strings_do_not_count_as_nesting(http: httpx.Client) -> None:
    body = {"order_number": "[" * 100, "email": "{" * 100 + "@example.com"}

    answer = http.post(SESSIONS, json=body)

    # Read and judged by the route (no such order), not refused as nested.
    assert answer.status_code in (401, 404, 422)
    assert "nested" not in answer.text


def test_the_health_check_answers_after_refusals(http: httpx.Client) -> None:
    http.post(SESSIONS, content=b"x" * 5_000_000, headers=_json())
    assert ok(http.get("/healthz"))


def _json() -> dict[str, str]:
    return {"content-type": "application/json"}
