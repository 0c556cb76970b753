"""What the seller desk reads: reasons counted per item, deliveries per endpoint, one seller's."""

from __future__ import annotations

from rma.adapters.destinations import DestinationGuard
from rma.adapters.email import JinjaEmailComposer
from rma.adapters.webhooks import new_webhook_secret
from rma.bootstrap import Container
from rma.domain.policy import RequestedItem
from rma.domain.returns import Actor
from rma.services import desk, returns, webhooks
from rma.services.outbox import QueueOptions, fan_out_events
from tests.builders import seller_with_order

CUSTOMER = Actor("customer", "c")


def ask(container: Container, seller_id: str, number: str, items: list[RequestedItem]) -> None:
    cmd = returns.RequestReturn(returns.Scope(seller_id), number, items, CUSTOMER)
    returns.request_return(cmd, container.uow())


def test_the_overview_counts_returned_items_by_reason_most_given_first(
    container: Container,
) -> None:
    seller, order = seller_with_order(container)
    other, other_order = seller_with_order(container, number="9")
    ask(
        container,
        seller.id,
        order.number,
        [RequestedItem("1", 1, "CR-DEFECTIVE"), RequestedItem("2", 1, "CR-UNWANTED_ITEM")],
    )
    ask(container, other.id, other_order.number, [RequestedItem("1", 2, "CR-UNWANTED_ITEM")])
    ask(container, other.id, other_order.number, [RequestedItem("2", 1, "CR-UNWANTED_ITEM")])

    mine = desk.desk_overview(seller.id, container.uow())
    theirs = desk.desk_overview(other.id, container.uow())

    assert mine.by_status == {"authorized": 1}
    assert [(r.code, r.description, r.count) for r in mine.by_reason] == [
        ("CR-DEFECTIVE", "Defective/Does not work properly", 1),
        ("CR-UNWANTED_ITEM", "No longer needed/wanted", 1),
    ]
    assert [(r.code, r.count) for r in theirs.by_reason] == [("CR-UNWANTED_ITEM", 2)]


def test_endpoints_are_listed_with_their_seller_own_delivery_counts(
    container: Container,
) -> None:
    seller, order = seller_with_order(container)
    other, _ = seller_with_order(container, number="9")
    guard = DestinationGuard(allow_private=True)
    cmd = webhooks.CreateWebhookEndpoint(seller.id, "https://hooks.example/r", new_webhook_secret())
    endpoint = webhooks.create_webhook_endpoint(cmd, container.uow(), guard)
    ask(container, seller.id, order.number, [RequestedItem("1", 1, "CR-DEFECTIVE")])
    composer = JinjaEmailComposer(container.signer, "http://rma.test", 24)
    fan_out_events(container.uow(), composer, QueueOptions())

    [summary] = desk.webhook_endpoints_overview(seller.id, container.uow())

    # Requested, then authorized at once: one delivery of each event.
    assert (summary.endpoint.id, summary.deliveries) == (endpoint.id, 2)
    assert desk.webhook_endpoints_overview(other.id, container.uow()) == []
