"""SQLAlchemy repository of the Amazon-compatible API; every query filters by seller."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, or_, select
from sqlalchemy.orm import Session

from rma.adapters import orm, orm_amazon
from rma.domain.amazon import AmazonAccessToken, AmazonCredential, FulfillmentOrderDetails
from rma.domain.orders import Order


class SqlAmazon:
    def __init__(self, session: Session):
        self.session = session

    def add_details(self, details: FulfillmentOrderDetails) -> None:
        # No relationship tells the session to write the order first, so write it now.
        self.session.flush()
        self.session.add(details)

    def details(self, seller_id: str, order_id: str) -> FulfillmentOrderDetails | None:
        return self.session.get(FulfillmentOrderDetails, (seller_id, order_id))

    def orders_page(
        self, seller_id: str, updated_from: datetime | None, *, after: str | None, limit: int
    ) -> list[Order]:
        o = orm.orders.c
        query = select(Order).where(o.seller_id == seller_id)
        if updated_from is not None:
            s = orm.shipments.c
            d = orm_amazon.fulfillment_order_details.c
            shipped = select(s.order_id).where(
                s.seller_id == seller_id, s.shipped_at >= updated_from
            )
            received = select(d.order_id).where(
                d.seller_id == seller_id, d.received_at >= updated_from
            )
            query = query.where(
                or_(o.ordered_at >= updated_from, o.id.in_(shipped), o.id.in_(received))
            )
        if after is not None:
            query = query.where(o.id > after)
        return list(self.session.scalars(query.order_by(o.id).limit(limit)))

    def add_credential(self, credential: AmazonCredential) -> None:
        self.session.add(credential)

    def credential(self, client_id: str) -> AmazonCredential | None:
        return self.session.get(AmazonCredential, client_id)

    def add_access_token(self, token: AmazonAccessToken) -> None:
        self.session.add(token)

    def access_token(self, token_hash: str) -> AmazonAccessToken | None:
        return self.session.get(AmazonAccessToken, token_hash)

    def prune_access_tokens(self, client_id: str, now: datetime) -> None:
        t = orm_amazon.amazon_access_tokens.c
        self.session.execute(
            delete(orm_amazon.amazon_access_tokens).where(
                t.client_id == client_id, t.expires_at < now
            )
        )
