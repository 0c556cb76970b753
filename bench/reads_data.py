"""The data of the reads benchmark, made on the server with ``INSERT ... SELECT generate_series``.

Per seller: one order per return (a customer of ``count / 2`` makes about two), a year of
returns with a spread of statuses, one to three items each over 5,000 SKUs (a few sell a
lot, most a little), reasons from the seller's own codes, and one or two history entries.
Rows are made in creation order and ids sort by it, as the application's ULIDs do; RMA
numbers use the alphabet of generated ones. Order lines and shipments are left out: no
read measured here touches them.
"""

from __future__ import annotations

import time
from datetime import datetime

from sqlalchemy import Connection, text

SKUS = 5000
FIRST_NAMES = [
    "Maria",
    "Anna",
    "Emma",
    "Olivia",
    "Sofia",
    "Mia",
    "Laura",
    "Julia",
    "Sara",
    "Lena",
    "Chloe",
    "Ines",
    "Alice",
    "Clara",
    "Eva",
    "Nora",
    "Hana",
    "Yuki",
    "Aisha",
    "Fatima",
    "James",
    "John",
    "Robert",
    "Michael",
    "David",
    "William",
    "Thomas",
    "Daniel",
    "Paul",
    "Mark",
    "Lucas",
    "Noah",
    "Liam",
    "Jonas",
    "Felix",
    "Hugo",
    "Mateo",
    "Omar",
    "Kenji",
    "Arjun",
]
# Surnames are made of three syllables: 8,000 of them, so a surname is as rare as in life.
SYLLABLES = [
    "ka",
    "ro",
    "mi",
    "ber",
    "to",
    "lan",
    "sch",
    "mid",
    "ve",
    "ga",
    "nor",
    "li",
    "da",
    "sen",
    "ho",
    "wu",
    "pa",
    "ter",
    "qui",
    "zel",
]
DOMAINS = [
    "gmail.com",
    "yahoo.com",
    "outlook.com",
    "icloud.com",
    "web.de",
    "orange.fr",
    "example.org",
]
# Of every 100 returns, how many rest in each status: most are done, a tenth wait on people.
STATUS_SPREAD = {
    "closed": 35,
    "resolved": 10,
    "inspected": 4,
    "received": 5,
    "partially_received": 1,
    "in_transit": 8,
    "authorized": 12,
    "pending_review": 5,
    "requested": 1,
    "denied": 6,
    "expired": 8,
    "cancelled": 5,
}
SHIPPED = ["closed", "resolved", "inspected", "received", "partially_received", "in_transit"]
RMA_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"

ORDERS = """
INSERT INTO orders (id, seller_id, number, customer_email, customer_name, currency,
                    ordered_at, shipping_amount)
SELECT 'ord_' || :tag || lpad(g::text, 9, '0'), :seller, '#' || (100000000 + g * 7), c.email,
       c.name, 'USD',
       CAST(:first AS timestamptz) + (g * 31536000.0 / :count) * interval '1 second'
           - interval '5 days', 0
FROM generate_series(1::bigint, :count) g,
LATERAL (
    SELECT lower(f) || '.' || lower(s) || (k % 97) || '@' || d AS email, f || ' ' || s AS name
    FROM (SELECT (g * 2654435761) % GREATEST(:count / 2, 1) AS k,
                 CAST(:syllables AS text[]) AS sy) kk,
    LATERAL (
        SELECT (CAST(:firsts AS text[]))[1 + k % cardinality(CAST(:firsts AS text[]))] AS f,
               initcap(sy[1 + (k / 40) % 20] || sy[1 + (k / 800) % 20]
                       || sy[1 + (k / 16000) % 20]) AS s,
               (CAST(:domains AS text[]))[1 + (k / 7) % cardinality(CAST(:domains AS text[]))] AS d
    ) parts
) c
"""

RETURNS = """
INSERT INTO returns (id, seller_id, order_id, order_number, customer_email, currency, status,
                     resolution, rma_number, in_policy, violations, violation_codes,
                     customer_note, carrier, tracking_number, tracking_trusted, label_cost,
                     label_paid_by, created_at, updated_at, version)
SELECT 'ret_' || lpad(to_hex((extract(epoch FROM t.created) * 1000)::bigint), 12, '0')
           || substr(md5(:tag || g), 1, 14),
       :seller, o.id, o.number, o.customer_email, 'USD', t.status,
       'refund', CASE WHEN t.status NOT IN ('requested', 'pending_review') THEN r.rma END,
       t.status <> 'pending_review', '[]', '', '',
       CASE WHEN t.status = ANY(CAST(:shipped AS text[])) THEN 'UPS' END,
       CASE WHEN t.status = ANY(CAST(:shipped AS text[]))
            THEN '1Z' || (200000000000 + g * 13) END,
       false, 500, 'seller', t.created, t.created + (g % 20) * interval '1 day', 1
FROM generate_series(1::bigint, :count) g
JOIN orders o ON o.seller_id = :seller AND o.id = 'ord_' || :tag || lpad(g::text, 9, '0'),
LATERAL (
    SELECT o.ordered_at + interval '5 days' AS created,
           (CAST(:statuses AS text[]))[1 + (g * 40503) % 100] AS status
) t,
LATERAL (
    -- Nine characters of the RMA alphabet, distinct per g, grouped as generated ones are.
    SELECT substr(x, 1, 4) || '-' || substr(x, 5, 4) || '-' || substr(x, 9, 1)
           || substr(:alphabet, 1 + (g % 31)::int, 1) AS rma
    FROM (SELECT string_agg(substr(:alphabet,
                                   1 + ((g * 1000003::bigint + 77777) / power(31, p)::bigint
                                        % 31)::int, 1), '' ORDER BY p) AS x
          FROM generate_series(0, 8) p) digits
) r
"""

ITEMS = """
INSERT INTO return_items (id, seller_id, return_id, line_id, sku, unit_price,
                          requested_quantity, authorized_quantity, received_quantity,
                          accepted_quantity, rejected_quantity, reason_code, comment,
                          inspection_note)
SELECT 'itm_' || substr(r.id, 5) || n, r.seller_id, r.id, n::text,
       'SKU-' || lpad(floor(:skus * power(u.u, 3))::int::text, 5, '0'),
       1500 + (h % 200) * 100, 1,
       CASE WHEN r.status IN ('requested', 'pending_review', 'denied') THEN 0 ELSE 1 END,
       CASE WHEN r.status = ANY(CAST(:shipped AS text[])) AND r.status <> 'in_transit'
            THEN 1 ELSE 0 END,
       0, 0, (CAST(:reasons AS text[]))[1 + floor(:reason_count * power(u.v, 2))::int], '', ''
FROM returns r,
LATERAL (SELECT abs(hashtext(r.id)::bigint) AS h) hh,
LATERAL generate_series(1, 1 + (hh.h % 10 < 3)::int + (hh.h % 10 = 0)::int) n,
LATERAL (SELECT (abs(hashtext(r.id || n)::bigint) % 1000000) / 1e6 AS u,
                (abs(hashtext(n || r.id)::bigint) % 1000000) / 1e6 AS v) u
WHERE r.seller_id = :seller
"""

HISTORY = """
INSERT INTO return_history (seller_id, return_id, at, actor, action, from_status, to_status,
                            note)
SELECT r.seller_id, r.id, r.created_at, 'customer', 'request', NULL, 'requested', ''
FROM returns r WHERE r.seller_id = :seller
UNION ALL
SELECT r.seller_id, r.id, r.updated_at, 'desk', 'move', 'requested', r.status, ''
FROM returns r WHERE r.seller_id = :seller AND r.status <> 'requested'
"""


LOADED_TABLES = ["orders", "returns", "return_items", "return_history"]
_SECONDARY_INDEXES = """
SELECT i.indexrelid::regclass::text, pg_get_indexdef(i.indexrelid)
FROM pg_index i JOIN pg_class t ON t.oid = i.indrelid
WHERE t.relname = ANY(CAST(:tables AS text[]))
  AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid)
"""


def drop_secondary_indexes(connection: Connection) -> list[str]:
    """Drop the loaded tables' indexes that back no constraint; answer their definitions.

    Building an index once over loaded rows is many times faster than keeping a dozen of
    them up to date row by row while loading (the keys of most arrive in random order).
    """
    found = connection.execute(text(_SECONDARY_INDEXES), {"tables": LOADED_TABLES}).all()
    for name, _definition in found:
        connection.execute(text(f"DROP INDEX {name}"))
    return [definition for _name, definition in found]


def load_seller(
    connection: Connection, seller_id: str, reasons: list[str], count: int, first: datetime
) -> None:
    """``count`` returns of one seller, with their orders, items and history."""
    params = {
        "seller": seller_id,
        "tag": seller_id[-6:],
        "count": count,
        "first": first,
        "firsts": FIRST_NAMES,
        "syllables": SYLLABLES,
        "domains": DOMAINS,
        "statuses": [s for s, share in STATUS_SPREAD.items() for _ in range(share)],
        "shipped": SHIPPED,
        "alphabet": RMA_ALPHABET,
        "skus": SKUS,
        "reasons": reasons,
        "reason_count": len(reasons),
    }
    for name, statement in (
        ("orders", ORDERS),
        ("returns", RETURNS),
        ("items", ITEMS),
        ("history", HISTORY),
    ):
        started = time.perf_counter()
        done = connection.execute(text(statement), params)
        print(
            f"  {seller_id}: {done.rowcount:>9,} {name} in {time.perf_counter() - started:6.1f} s",
            flush=True,
        )
