"""Tenancy matrix entries for returns intelligence: measures, alerts, reports, schedules."""

from __future__ import annotations

from tests.support import ok
from tests.tenancy_world import OBJECT, OWN, STAFF, Route, World


def _measure(name: str) -> Route:
    return Route(frozenset(STAFF), OWN, 200, lambda w: ("GET", f"/v1/analytics/{name}", None))


def _schedule(world: World) -> str:
    body = {"report": "returns", "frequency": "weekly", "recipient": "books@shop.example"}
    made = world.ours.call("POST", "/v1/report-schedules", json=body)
    schedule_id: str = ok(made, 201)["id"]
    return schedule_id


MEASURES = (
    "return-rates",
    "reasons",
    "carrier-damage",
    "money",
    "speed",
    "outcomes",
    "customers",
    "alerts",
)

ANALYTICS_ROUTES: dict[str, Route] = {
    **{f"GET /v1/analytics/{name}": _measure(name) for name in MEASURES},
    "POST /v1/analytics/alerts/check": Route(
        frozenset(STAFF), OWN, 200, lambda w: ("POST", "/v1/analytics/alerts/check", None)
    ),
    "POST /v1/analytics/alerts/seen": Route(
        frozenset(STAFF), OWN, 204, lambda w: ("POST", "/v1/analytics/alerts/seen", None)
    ),
    "GET /v1/reports/{report}": Route(
        frozenset(STAFF), OWN, 200, lambda w: ("GET", "/v1/reports/returns?format=jsonl", None)
    ),
    "GET /v1/returns.csv": Route(
        frozenset(STAFF), OWN, 200, lambda w: ("GET", "/v1/returns.csv", None)
    ),
    "POST /v1/report-schedules": Route(
        frozenset(STAFF),
        OWN,
        201,
        lambda w: (
            "POST",
            "/v1/report-schedules",
            {"report": "refunds", "frequency": "monthly", "recipient": "a@shop.example"},
        ),
    ),
    "GET /v1/report-schedules": Route(
        frozenset(STAFF), OWN, 200, lambda w: ("GET", "/v1/report-schedules", None)
    ),
    "DELETE /v1/report-schedules/{schedule_id}": Route(
        frozenset(STAFF),
        OBJECT,
        204,
        lambda w: ("DELETE", f"/v1/report-schedules/{_schedule(w)}", None),
    ),
    # The signed link is the credential: whoever holds it downloads, with a key or without.
}
