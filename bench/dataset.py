"""Bench data loaded fast: one order (or return) made by the services, copied by SQL.

A template is made through the real use cases, so it is whatever they write today; then
``INSERT ... SELECT ... generate_series`` copies its rows once per index ``n``, changing only
the keys. A copy's keys are a function of ``n`` alone (``clone_id``, ``order_number``), so a
pgbench script can name the row of its transaction from a counter.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import Connection, text

from rma.bootstrap import Container
from rma.domain.access import Role
from rma.domain.ids import new_id
from rma.domain.orders import Order, OrderLine, Shipment, ShipmentItem
from rma.domain.policy import RequestedItem
from rma.domain.returns import Actor
from rma.domain.sellers import AuthorizationMode, SellerKind
from rma.services import catalog, returns, sellers
from rma.services.clock import utcnow

REASON = "CR-DEFECTIVE"
# Copies spread over this many SKUs (a seller's returns do not all hit one SKU's counters).
SKUS = int(os.environ.get("RMA_BENCH_SKUS", "50"))
LINES = (("1", "TEE", 2, 2500), ("2", "MUG", 1, 1200))


@dataclass(frozen=True)
class BenchSeller:
    id: str
    keys: dict[str, str]  # role -> secret


def clone_id(prefix: str, n: int, k: int = 1) -> str:
    """The id of copy ``n`` of the ``k``-th template row of a table whose ids start ``prefix_``."""
    return f"{prefix}_b{n:022d}{k:03d}"


def clone_id_sql(prefix: str, n: str, k: str = "1") -> str:
    """``clone_id`` as SQL over the expressions ``n`` and ``k``."""
    return f"('{prefix}_b' || lpad(({n})::text, 22, '0') || lpad(({k})::text, 3, '0'))"


def order_number(n: int) -> str:
    return f"BO{n:010d}"


def order_number_sql(n: str) -> str:
    return f"('BO' || lpad(({n})::text, 10, '0'))"


def sku_sql(n: str, line: str) -> str:
    """The SKU of line ``line`` (SQL) of order copy ``n``: one of ``SKUS`` per line."""
    return f"('SKU' || lpad((({n}) % {SKUS})::text, 5, '0') || '-' || {line})"


def customer_email(n: int) -> str:
    """Each copy has its own customer, so no customer's history grows with the run."""
    return f"c{n:010d}@bench.example"


def customer_email_sql(n: str) -> str:
    return f"('c' || lpad(({n})::text, 10, '0') || '@bench.example')"


def make_seller(container: Container, name: str, *, manual: bool = False) -> BenchSeller:
    """A seller with a key per role: professional, or individual authorizing by hand."""
    kind = SellerKind.INDIVIDUAL if manual else SellerKind.PROFESSIONAL
    seller = sellers.create_seller(sellers.CreateSeller(name, kind), container.uow())
    if manual:
        settings = sellers.ReturnSettings(authorization_mode=AuthorizationMode.MANUAL)
        sellers.update_settings(seller.id, settings, container.uow(), container.destinations)
    keys = {
        role.value: sellers.issue_api_key(
            sellers.IssueApiKey(role, seller.id, f"bench {role.value}"), container.uow()
        ).secret
        for role in (Role.SELLER, Role.WAREHOUSE)
    }
    return BenchSeller(seller.id, keys)


def template_order(
    container: Container, seller_id: str, number: str, delivered_days_ago: int = 3
) -> Order:
    """An order of a tee and a mug, delivered days ago, through ``catalog.add_order``."""
    delivered = utcnow() - timedelta(days=delivered_days_ago)
    lines = [OrderLine(line, sku, qty, price, sku.title()) for line, sku, qty, price in LINES]
    order = Order(
        id=new_id("ord"),
        seller_id=seller_id,
        number=number,
        customer_email="ada@example.com",
        currency="USD",
        ordered_at=delivered - timedelta(days=4),
        lines=lines,
        shipments=[
            Shipment(
                new_id("shp"),
                delivered - timedelta(days=2),
                delivered,
                items=[ShipmentItem(line, qty) for line, _, qty, _ in LINES],
            )
        ],
    )
    return catalog.add_order(order, container.uow())


def template_return(container: Container, seller_id: str, order: Order) -> str:
    """A return of one of each line of ``order``, requested through ``request_return``."""
    cmd = returns.RequestReturn(
        returns.Scope(seller_id),
        order.number,
        [RequestedItem(line, 1, REASON) for line, *_ in LINES],
        Actor("customer", "bench"),
    )
    return returns.request_return(cmd, container.uow()).ret.id


def _loading(connection: Connection) -> Connection:
    # Copies of rows that are already consistent skip triggers and foreign key checks: the
    # analytics rollups do not count the copies (every request under test still runs them).
    connection.execute(text("SET LOCAL session_replication_role = replica"))
    return connection


def clone_orders(container: Container, order: Order, first: int, count: int) -> None:
    """Copies ``first`` .. ``first + count - 1`` of ``order`` with its lines and shipment."""
    order_id = clone_id_sql("ord", "n")
    with container.engine.begin() as connection:
        _loading(connection)
        where = {"id": order.id}
        _clone(connection, "orders", "id = :id", where, first, count,
               {"id": order_id, "number": order_number_sql("n"),
                "customer_email": customer_email_sql("n")})  # fmt: skip
        where = {"id": order.id}
        _clone(connection, "order_lines", "order_id = :id", where, first, count,
               {"order_id": order_id, "sku": sku_sql("n", "t.line_id")})  # fmt: skip
        _clone(connection, "shipments", "order_id = :id", where, first, count,
               {"id": clone_id_sql("shp", "n"), "order_id": order_id})  # fmt: skip
        where = {"id": order.shipments[0].id}
        _clone(connection, "shipment_items", "shipment_id = :id", where, first, count,
               {"shipment_id": clone_id_sql("shp", "n")})  # fmt: skip


def rma_number(n: int) -> str:
    """The RMA number of return copy ``n`` when the template has one (a custom number)."""
    return f"B-{n:010d}"


def tracking_number(n: int) -> str:
    return f"BT{n:010d}"


def clone_returns(container: Container, return_id: str, first: int, count: int) -> None:
    """Copies of return ``return_id`` (items, history), copy ``n`` of the order copy ``n``.

    A copy of an authorized return gets its own RMA number and tracking number.
    """
    ret = clone_id_sql("ret", "n")
    where = {"id": return_id}
    numbered = "CASE WHEN t.{0} IS NULL THEN NULL ELSE '{1}' || lpad(n::text, 10, '0') END"
    with container.engine.begin() as connection:
        _loading(connection)
        _clone(connection, "returns", "id = :id", where, first, count,
               {"id": ret, "order_id": clone_id_sql("ord", "n"),
                "order_number": order_number_sql("n"),
                "customer_email": customer_email_sql("n"),
                "rma_number": numbered.format("rma_number", "B-"),
                "tracking_number": numbered.format("tracking_number", "BT")})  # fmt: skip
        _clone(connection, "return_items", "return_id = :id", where, first, count,
               {"id": clone_id_sql("itm", "n", "k"), "return_id": ret,
                "sku": sku_sql("n", "t.line_id")})  # fmt: skip
        _clone(connection, "return_history", "return_id = :id", where, first, count,
               {"return_id": ret})  # fmt: skip


def _clone(
    connection: Connection,
    table: str,
    where: str,
    params: dict[str, str],
    first: int,
    count: int,
    replace: dict[str, str],
) -> None:
    """Copy the rows of ``table`` matching ``where`` once per n, columns in ``replace`` changed.

    ``k`` numbers the template rows from 1 in the order of the table's first column; serial
    columns take their defaults.
    """
    columns = connection.execute(
        text(
            "SELECT column_name FROM information_schema.columns WHERE table_name = :t"
            " AND table_schema = current_schema() AND is_identity = 'NO'"
            " AND coalesce(column_default, '') NOT LIKE 'nextval(%' ORDER BY ordinal_position"
        ),
        {"t": table},
    ).scalars()
    names = list(columns)
    chosen = ", ".join(replace.get(name, f"t.{name}") for name in names)
    connection.execute(
        text(
            f"INSERT INTO {table} ({', '.join(names)}) SELECT {chosen} FROM"
            f" (SELECT *, row_number() OVER (ORDER BY {names[0]}) AS k FROM {table}"
            f" WHERE {where}) t, generate_series(CAST(:first AS bigint), CAST(:last AS bigint)) n"
        ),
        {**params, "first": first, "last": first + count - 1},
    )
