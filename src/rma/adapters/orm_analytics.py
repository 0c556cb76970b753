"""Tables of returns intelligence: raised alerts and scheduled reports.

Measures and exports read the facts the other tables keep (returns, items, history,
shipments, refunds, the ledgers); these two tables hold only what analytics itself decides.
"""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    BigInteger,
    Column,
    Date,
    Float,
    Index,
    Integer,
    SmallInteger,
    String,
    Table,
    UniqueConstraint,
    event,
)
from sqlalchemy.orm import registry

from rma.adapters.orm import ID, UtcDateTime, metadata
from rma.domain.analytics_alerts import Alert

analytics_alerts = Table(
    "analytics_alerts",
    metadata,
    Column("id", ID, primary_key=True),
    Column("seller_id", ID, primary_key=True),
    Column("kind", String(32), nullable=False),  # return_rate or reason_share
    Column("sku", String(100), nullable=False),
    Column("reason_code", String(64), nullable=False),  # "" for a return-rate alert
    Column("window_start", UtcDateTime, nullable=False),
    Column("window_end", UtcDateTime, nullable=False),
    Column("observed", Integer, nullable=False),
    Column("trials", Integer, nullable=False),
    Column("baseline_rate", Float, nullable=False),
    Column("expected", Float, nullable=False),
    Column("p_value", Float, nullable=False),
    Column("evidence", JSON, nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Column("seen_at", UtcDateTime),
    # One alert per SKU, kind, reason and window: running the check twice tells once.
    UniqueConstraint("seller_id", "kind", "sku", "reason_code", "window_end"),
    Index("ix_analytics_alerts_seller_id_created_at", "seller_id", "created_at"),
)

report_schedules = Table(
    "report_schedules",
    metadata,
    Column("id", ID, primary_key=True),
    Column("seller_id", ID, primary_key=True),
    Column("report", String(40), nullable=False),
    Column("frequency", String(16), nullable=False),  # weekly or monthly
    Column("recipient", String(320), nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Column("last_sent_at", UtcDateTime),
    Column("sends", BigInteger, nullable=False, default=0),
    Index("ix_report_schedules_seller_id", "seller_id"),
)

# Units shipped per local day (in the seller's zone when rolled up), SKU, facility and
# channel: shipments never change once made, so the rollup only ever grows. Rows of
# shipment_items up to the seller's watermark are in it; newer ones are read raw.
shipped_units_daily = Table(
    "shipped_units_daily",
    metadata,
    Column("seller_id", ID, primary_key=True),
    Column("day", Date, primary_key=True),
    Column("sku", String(100), primary_key=True),
    Column("facility_code", String(40), primary_key=True),  # "" when none
    Column("channel", String(16), primary_key=True),
    Column("units", BigInteger, nullable=False),
    Index("ix_shipped_units_daily_seller_id_sku_day", "seller_id", "sku", "day"),  # SKU pages
)

# Units asked back per local day of the request, SKU, reason and channel, in returns that
# count (not denied, cancelled or expired). On PostgreSQL, triggers of migration 0006 keep it
# in step with returns and their items in the same transaction; SQLite reads the returns.
returned_units_daily = Table(
    "returned_units_daily",
    metadata,
    Column("seller_id", ID, primary_key=True),
    Column("day", Date, primary_key=True),
    Column("sku", String(100), primary_key=True),
    Column("reason_code", String(64), primary_key=True),
    Column("channel", String(16), primary_key=True),
    # Each backend adds to a slot of its own, so requests for one SKU do not queue on one
    # row (migration 0019); a cell is the sum of its slots.
    Column("slot", SmallInteger, primary_key=True, server_default="0"),
    Column("units", BigInteger, nullable=False),
    Index("ix_returned_units_daily_seller_id_sku_day", "seller_id", "sku", "day"),  # SKU pages
)

# The two rollups above per local month (``month`` is its first day), kept beside them by
# the same refresh and triggers (0010): a year is read from 12 rows per key instead of 365.
shipped_units_monthly = Table(
    "shipped_units_monthly",
    metadata,
    Column("seller_id", ID, primary_key=True),
    Column("month", Date, primary_key=True),
    Column("sku", String(100), primary_key=True),
    Column("facility_code", String(40), primary_key=True),
    Column("channel", String(16), primary_key=True),
    Column("units", BigInteger, nullable=False),
)

returned_units_monthly = Table(
    "returned_units_monthly",
    metadata,
    Column("seller_id", ID, primary_key=True),
    Column("month", Date, primary_key=True),
    Column("sku", String(100), primary_key=True),
    Column("reason_code", String(64), primary_key=True),
    Column("channel", String(16), primary_key=True),
    Column("slot", SmallInteger, primary_key=True, server_default="0"),  # as the days' (0019)
    Column("units", BigInteger, nullable=False),
)

# Items inspected per local day of inspection, SKU, reason, channel, carrier (of the return),
# condition and disposition: what outcomes and carrier damage count. Kept on PostgreSQL by
# the triggers of migration 0010, like returned_units_daily; ``items`` counts the item rows
# in a cell, so a cell whose items all moved away is known to be empty.
inspected_units_daily = Table(
    "inspected_units_daily",
    metadata,
    Column("seller_id", ID, primary_key=True),
    Column("day", Date, primary_key=True),
    Column("sku", String(100), primary_key=True),
    Column("reason_code", String(64), primary_key=True),
    Column("channel", String(16), primary_key=True),
    Column("carrier", String(64), primary_key=True),  # "(unknown)" when none
    Column("condition", String(32), primary_key=True),
    Column("disposition", String(32), primary_key=True),  # "none" when none
    # Each backend adds to a slot of its own, so inspections of one SKU do not queue on one
    # row (migration 0020); a cell is the sum of its slots.
    Column("slot", SmallInteger, primary_key=True, server_default="0"),
    Column("items", BigInteger, nullable=False),
    Column("received_units", BigInteger, nullable=False),
    Column("accepted_units", BigInteger, nullable=False),
    Column("rejected_units", BigInteger, nullable=False),
)

# inspected_units_daily per local month, without reason: what outcomes and carrier damage
# over whole months read. Kept beside the days by the same trigger (migration 0013).
inspected_units_monthly = Table(
    "inspected_units_monthly",
    metadata,
    Column("seller_id", ID, primary_key=True),
    Column("month", Date, primary_key=True),
    Column("sku", String(100), primary_key=True),
    Column("channel", String(16), primary_key=True),
    Column("carrier", String(64), primary_key=True),
    Column("condition", String(32), primary_key=True),
    Column("disposition", String(32), primary_key=True),
    Column("slot", SmallInteger, primary_key=True, server_default="0"),  # as the days' (0020)
    Column("items", BigInteger, nullable=False),
    Column("received_units", BigInteger, nullable=False),
    Column("accepted_units", BigInteger, nullable=False),
    Column("rejected_units", BigInteger, nullable=False),
)

# Money per local day, currency and measure (refunded, restocking_fees,
# label_costs_recovered, store_credit_issued, value_restocked, value_written_off), by the
# day each fact counts on (a refund's success, a credit's issue, a stock booking). Kept on
# PostgreSQL by the triggers of migration 0010; ``facts`` counts the rows summed.
money_daily = Table(
    "money_daily",
    metadata,
    Column("seller_id", ID, primary_key=True),
    Column("day", Date, primary_key=True),
    Column("currency", String(3), primary_key=True),
    Column("measure", String(32), primary_key=True),
    # Each backend adds to a slot of its own, so concurrent writers do not queue on one row
    # (migration 0018); a day's measure is the sum of its slots.
    Column("slot", SmallInteger, primary_key=True, server_default="0"),
    Column("amount", BigInteger, nullable=False),
    Column("facts", BigInteger, nullable=False),
)

# The last alert window each seller was checked for: the due job checks a seller once a day.
analytics_alert_checks = Table(
    "analytics_alert_checks",
    metadata,
    Column("seller_id", ID, primary_key=True),
    Column("window_end", UtcDateTime, nullable=False),
    Column("checked_at", UtcDateTime, nullable=False),
)

analytics_watermarks = Table(
    "analytics_watermarks",
    metadata,
    Column("seller_id", ID, primary_key=True),
    Column("shipped_pk", BigInteger, nullable=False),  # last shipment_items.pk rolled up
    Column("timezone", String(64), nullable=False),  # the zone the days are in
    Column("refreshed_at", UtcDateTime, nullable=False),
)


# When each return was requested, first authorized, first received and refunded: what speed
# times. The due job makes a return's row from the facts once the return's history up to
# the seller's watermark (``return_history.pk``) names an authorization or a receipt; a
# refund's trigger keeps ``refunded_at``. Reads take returns with newer history raw.
return_timings = Table(
    "return_timings",
    metadata,
    Column("seller_id", ID, primary_key=True),
    Column("return_id", ID, primary_key=True),
    Column("requested_at", UtcDateTime, nullable=False),
    Column("authorized_at", UtcDateTime),
    Column("received_at", UtcDateTime),
    Column("refunded_at", UtcDateTime),
    Index("ix_return_timings_seller_id_requested_at", "seller_id", "requested_at"),
)

# Each stage a timed return has (0 request to authorization, 1 to receipt, 2 to refund):
# its duration and the duration's bin (8 per doubling of seconds), and how many returns of
# each local day of the request fall in each stage's bin. Kept from ``return_timings`` by its
# trigger (0013): a percentile sums the bins' counts, then sorts only the bin of its rank.
return_stage_times = Table(
    "return_stage_times",
    metadata,
    Column("seller_id", ID, primary_key=True),
    Column("return_id", ID, primary_key=True),
    Column("stage", SmallInteger, primary_key=True),
    Column("bin", SmallInteger, nullable=False),
    Column("requested_at", UtcDateTime, nullable=False),
    Column("seconds", Float, nullable=False),
    Index(
        "ix_return_stage_times_seller_id_stage_bin_requested_at",
        "seller_id",
        "stage",
        "bin",
        "requested_at",
        "seconds",
        "return_id",  # read by index alone, returns past the watermark left out too
    ),
)

return_stage_bins = Table(
    "return_stage_bins",
    metadata,
    Column("seller_id", ID, primary_key=True),
    Column("day", Date, primary_key=True),
    Column("stage", SmallInteger, primary_key=True),
    Column("bin", SmallInteger, primary_key=True),
    Column("returns", BigInteger, nullable=False),
)

return_timing_watermarks = Table(
    "return_timing_watermarks",
    metadata,
    Column("seller_id", ID, primary_key=True),
    Column("history_pk", BigInteger, nullable=False),  # last return_history.pk read
    Column("refreshed_at", UtcDateTime, nullable=False),
)


# Top customers (0015). ``customer_returns`` is what the rollup counted: each counted return
# (not denied, cancelled or expired, with items) and its units. ``customer_months`` holds,
# for each customer and local month, the cumulative returns and units up to that month's
# end, one row for every month from the customer's first to the seller's last month
# (``customer_rollup_marks.last_month``), so a period of whole months is one month's row
# less an earlier one's. Triggers list in ``customer_return_moves`` the returns whose facts
# changed since they were counted; the due job counts them again, and a read takes them out
# and puts back what their facts say.
customer_returns = Table(
    "customer_returns",
    metadata,
    Column("seller_id", ID, primary_key=True),
    Column("return_id", ID, primary_key=True),
    Column("customer_email", String(320), nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Column("units", BigInteger, nullable=False),
    Index(
        "ix_customer_returns_seller_id_created_at",
        "seller_id",
        "created_at",
        postgresql_include=["customer_email", "units"],
    ),
)

customer_months = Table(
    "customer_months",
    metadata,
    Column("seller_id", ID, primary_key=True),
    Column("month", Date, primary_key=True),
    Column("customer_email", String(320), primary_key=True),
    Column("returns", BigInteger, nullable=False),
    Column("units", BigInteger, nullable=False),
)

customer_return_moves = Table(
    "customer_return_moves",
    metadata,
    Column("seller_id", ID, primary_key=True),
    Column("return_id", ID, primary_key=True),
)

customer_rollup_marks = Table(
    "customer_rollup_marks",
    metadata,
    Column("seller_id", ID, primary_key=True),
    Column("timezone", String(64), nullable=False),  # the zone the months are in
    Column("last_month", Date),  # the latest month with rows; None: nothing counted
    Column("refreshed_at", UtcDateTime, nullable=False),
)


def map_analytics(mapper_registry: registry) -> None:
    """Map the alert (called once, from ``start_mappers``)."""
    mapper_registry.map_imperatively(Alert, analytics_alerts, primary_key=[analytics_alerts.c.id])
    event.listen(Alert, "load", _fresh_event_list)


def _fresh_event_list(alert: Alert, _context: object) -> None:
    # Loaded rows skip __init__, so the transient event list has to be made here.
    alert.events = []
