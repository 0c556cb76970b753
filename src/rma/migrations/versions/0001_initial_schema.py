"""initial schema

Revision ID: 0001
Revises:
"""

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "amazon_access_tokens",
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("seller_id", sa.String(length=40), nullable=False),
        sa.Column("client_id", sa.String(length=80), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("token_hash", name=op.f("pk_amazon_access_tokens")),
    )
    with op.batch_alter_table("amazon_access_tokens", schema=None) as batch_op:
        batch_op.create_index(
            "ix_amazon_access_tokens_client_id_expires_at",
            ["client_id", "expires_at"],
            unique=False,
        )

    op.create_table(
        "amazon_credentials",
        sa.Column("client_id", sa.String(length=80), nullable=False),
        sa.Column("seller_id", sa.String(length=40), nullable=False),
        sa.Column("client_secret_hash", sa.String(length=64), nullable=False),
        sa.Column("refresh_token_hash", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("client_id", name=op.f("pk_amazon_credentials")),
        sa.UniqueConstraint(
            "refresh_token_hash", name=op.f("uq_amazon_credentials_refresh_token_hash")
        ),
    )
    with op.batch_alter_table("amazon_credentials", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_amazon_credentials_seller_id"), ["seller_id"], unique=False
        )

    op.create_table(
        "api_keys",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("seller_id", sa.String(length=40), nullable=True),
        sa.Column(
            "role",
            sa.Enum(
                "admin",
                "seller",
                "warehouse",
                "customer",
                name="role",
                native_enum=False,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("prefix", sa.String(length=16), nullable=False),
        sa.Column("secret_hash", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_api_keys")),
        sa.UniqueConstraint("secret_hash", name=op.f("uq_api_keys_secret_hash")),
    )
    with op.batch_alter_table("api_keys", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_api_keys_seller_id"), ["seller_id"], unique=False)

    op.create_table(
        "carrier_sources",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("seller_id", sa.String(length=40), nullable=False),
        sa.Column(
            "kind",
            sa.Enum(
                "easypost", "shippo", "native", name="sourcekind", native_enum=False, length=32
            ),
            nullable=False,
        ),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("secret", sa.String(length=200), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_carrier_sources")),
    )
    with op.batch_alter_table("carrier_sources", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_carrier_sources_seller_id"), ["seller_id"], unique=False
        )

    op.create_table(
        "category_policies",
        sa.Column("seller_id", sa.String(length=40), nullable=False),
        sa.Column("category", sa.String(length=100), nullable=False),
        sa.Column("window_days", sa.Integer(), nullable=False),
        sa.Column("returnable", sa.Boolean(), nullable=False),
        sa.Column("restocking_fee_percent", sa.Integer(), nullable=False),
        sa.Column(
            "label_paid_by",
            sa.Enum("by_fault", "buyer", "seller", name="labelpayer", native_enum=False, length=32),
            nullable=False,
        ),
        sa.PrimaryKeyConstraint("seller_id", "category", name=op.f("pk_category_policies")),
    )
    op.create_table(
        "credit_accounts",
        sa.Column("seller_id", sa.String(length=40), nullable=False),
        sa.Column("customer_email", sa.String(length=320), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("issued", sa.BigInteger(), nullable=False),
        sa.Column("redeemed", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint(
            "seller_id", "customer_email", "currency", name=op.f("pk_credit_accounts")
        ),
    )
    op.create_table(
        "credit_entries",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("seller_id", sa.String(length=40), nullable=False),
        sa.Column("customer_email", sa.String(length=320), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column(
            "kind",
            sa.Enum("issued", "redeemed", name="entrykind", native_enum=False, length=32),
            nullable=False,
        ),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.Column("bonus", sa.BigInteger(), nullable=False),
        sa.Column("return_id", sa.String(length=40), nullable=True),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_credit_entries")),
        sa.UniqueConstraint(
            "seller_id", "return_id", name=op.f("uq_credit_entries_seller_id_return_id")
        ),
    )
    with op.batch_alter_table("credit_entries", schema=None) as batch_op:
        batch_op.create_index(
            "ix_credit_entries_seller_id_customer_email",
            ["seller_id", "customer_email"],
            unique=False,
        )

    op.create_table(
        "customer_sessions",
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("seller_id", sa.String(length=40), nullable=False),
        sa.Column("order_id", sa.String(length=40), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("token_hash", name=op.f("pk_customer_sessions")),
    )
    op.create_table(
        "email_messages",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("seller_id", sa.String(length=40), nullable=False),
        sa.Column("event_id", sa.String(length=40), nullable=False),
        sa.Column("audience", sa.String(length=16), nullable=False),
        sa.Column("recipient", sa.String(length=320), nullable=False),
        sa.Column("subject", sa.String(length=300), nullable=False),
        sa.Column("text_body", sa.Text(), nullable=False),
        sa.Column("html_body", sa.Text(), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "pending",
                "succeeded",
                "failed",
                name="deliverystatus",
                native_enum=False,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_error", sa.String(length=500), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_email_messages")),
        sa.UniqueConstraint(
            "event_id",
            "audience",
            "recipient",
            name=op.f("uq_email_messages_event_id_audience_recipient"),
        ),
    )
    with op.batch_alter_table("email_messages", schema=None) as batch_op:
        batch_op.create_index(
            "ix_email_messages_status_next_attempt_at", ["status", "next_attempt_at"], unique=False
        )

    op.create_table(
        "facilities",
        sa.Column("seller_id", sa.String(length=40), nullable=False),
        sa.Column("code", sa.String(length=40), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("address", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("seller_id", "code", name=op.f("pk_facilities")),
    )
    op.create_table(
        "idempotency_keys",
        sa.Column("scope", sa.String(length=80), nullable=False),
        sa.Column("key", sa.String(length=255), nullable=False),
        sa.Column("request_hash", sa.String(length=64), nullable=False),
        sa.Column("status_code", sa.Integer(), nullable=True),
        sa.Column("body", sa.JSON(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("scope", "key", name=op.f("pk_idempotency_keys")),
    )
    op.create_table(
        "inspection_photos",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("seller_id", sa.String(length=40), nullable=False),
        sa.Column("return_id", sa.String(length=40), nullable=False),
        sa.Column("item_id", sa.String(length=40), nullable=False),
        sa.Column("file_name", sa.String(length=300), nullable=False),
        sa.Column("content_type", sa.String(length=64), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_inspection_photos")),
    )
    with op.batch_alter_table("inspection_photos", schema=None) as batch_op:
        batch_op.create_index(
            "ix_inspection_photos_seller_id_return_id", ["seller_id", "return_id"], unique=False
        )

    op.create_table(
        "inventory_movements",
        sa.Column("pk", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("seller_id", sa.String(length=40), nullable=False),
        sa.Column("sku", sa.String(length=100), nullable=False),
        sa.Column("location", sa.String(length=40), nullable=False),
        sa.Column(
            "bucket",
            sa.Enum(
                "available",
                "refurbish",
                "return_to_vendor",
                "liquidate",
                "dispose",
                "rejected",
                "damaged",
                name="bucket",
                native_enum=False,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("quantity", sa.Integer(), nullable=False),
        sa.Column("return_id", sa.String(length=40), nullable=False),
        sa.Column("item_id", sa.String(length=40), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("pk", name=op.f("pk_inventory_movements")),
        sa.UniqueConstraint(
            "seller_id",
            "item_id",
            "bucket",
            name=op.f("uq_inventory_movements_seller_id_item_id_bucket"),
        ),
    )
    with op.batch_alter_table("inventory_movements", schema=None) as batch_op:
        batch_op.create_index(
            "ix_inventory_movements_seller_id_sku", ["seller_id", "sku"], unique=False
        )

    op.create_table(
        "orders",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("seller_id", sa.String(length=40), nullable=False),
        sa.Column("number", sa.String(length=100), nullable=False),
        sa.Column("customer_email", sa.String(length=320), nullable=False),
        sa.Column("customer_name", sa.String(length=200), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("ordered_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("shipping_amount", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_orders")),
        sa.UniqueConstraint("seller_id", "id", name=op.f("uq_orders_seller_id_id")),
        sa.UniqueConstraint("seller_id", "number", name=op.f("uq_orders_seller_id_number")),
    )
    with op.batch_alter_table("orders", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_orders_number"), ["number"], unique=False)

    op.create_table(
        "outbox",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("seller_id", sa.String(length=40), nullable=False),
        sa.Column("event_type", sa.String(length=64), nullable=False),
        sa.Column("aggregate_id", sa.String(length=40), nullable=False),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("occurred_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("processed_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_outbox")),
    )
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.create_index("ix_outbox_processed_at_id", ["processed_at", "id"], unique=False)

    op.create_table(
        "package_receipts",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("seller_id", sa.String(length=40), nullable=False),
        sa.Column("scan", sa.String(length=200), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "matched",
                "unannounced",
                "matched_by_hand",
                name="receiptstatus",
                native_enum=False,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("actor", sa.String(length=120), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("facility_code", sa.String(length=40), nullable=True),
        sa.Column("return_id", sa.String(length=40), nullable=True),
        sa.Column("lines", sa.JSON(), nullable=False),
        sa.Column("flags", sa.JSON(), nullable=False),
        sa.Column("notes", sa.Text(), nullable=False),
        sa.Column("matched_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_package_receipts")),
    )
    with op.batch_alter_table("package_receipts", schema=None) as batch_op:
        batch_op.create_index(
            "ix_package_receipts_seller_id_return_id", ["seller_id", "return_id"], unique=False
        )
        batch_op.create_index(
            "ix_package_receipts_seller_id_status_id", ["seller_id", "status", "id"], unique=False
        )

    op.create_table(
        "products",
        sa.Column("seller_id", sa.String(length=40), nullable=False),
        sa.Column("sku", sa.String(length=100), nullable=False),
        sa.Column("name", sa.String(length=300), nullable=False),
        sa.Column("category", sa.String(length=100), nullable=True),
        sa.PrimaryKeyConstraint("seller_id", "sku", name=op.f("pk_products")),
    )
    op.create_table(
        "reason_codes",
        sa.Column("seller_id", sa.String(length=40), nullable=False),
        sa.Column("code", sa.String(length=64), nullable=False),
        sa.Column("description", sa.String(length=200), nullable=False),
        sa.Column(
            "fault",
            sa.Enum("buyer", "seller", "carrier", name="fault", native_enum=False, length=32),
            nullable=False,
        ),
        sa.Column("categories", sa.JSON(), nullable=True),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("seller_id", "code", name=op.f("pk_reason_codes")),
    )
    op.create_table(
        "return_addresses",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("seller_id", sa.String(length=40), nullable=False),
        sa.Column("label", sa.String(length=100), nullable=False),
        sa.Column("address", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_return_addresses")),
    )
    with op.batch_alter_table("return_addresses", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_return_addresses_seller_id"), ["seller_id"], unique=False
        )

    op.create_table(
        "return_flags",
        sa.Column("pk", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("seller_id", sa.String(length=40), nullable=False),
        sa.Column("return_id", sa.String(length=40), nullable=False),
        sa.Column("item_id", sa.String(length=40), nullable=True),
        sa.Column(
            "code",
            sa.Enum(
                "partial_receipt",
                "over_receipt",
                "unexpected_receipt",
                "reason_mismatch",
                "sku_mismatch",
                "carrier_exception",
                "return_to_sender",
                "lost_package",
                name="flagcode",
                native_enum=False,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("message", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("pk", name=op.f("pk_return_flags")),
    )
    with op.batch_alter_table("return_flags", schema=None) as batch_op:
        batch_op.create_index("ix_return_flags_seller_id_code", ["seller_id", "code"], unique=False)
        batch_op.create_index(
            "ix_return_flags_seller_id_return_id", ["seller_id", "return_id"], unique=False
        )

    op.create_table(
        "sellers",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column(
            "kind",
            sa.Enum("professional", "individual", name="sellerkind", native_enum=False, length=32),
            nullable=False,
        ),
        sa.Column(
            "authorization_mode",
            sa.Enum("automatic", "manual", name="authorizationmode", native_enum=False, length=32),
            nullable=False,
        ),
        sa.Column(
            "out_of_policy",
            sa.Enum(
                "review", "authorize", name="outofpolicyhandling", native_enum=False, length=32
            ),
            nullable=False,
        ),
        sa.Column("window_days", sa.Integer(), nullable=False),
        sa.Column("transit_days", sa.Integer(), nullable=False),
        sa.Column("timezone", sa.String(length=64), nullable=False),
        sa.Column(
            "label_default",
            sa.Enum("unpaid", "prepaid", name="labeldefault", native_enum=False, length=32),
            nullable=False,
        ),
        sa.Column("default_return_address_id", sa.String(length=40), nullable=True),
        sa.Column(
            "resolution_trigger",
            sa.Enum(
                "first_scan",
                "receipt",
                "inspection",
                name="resolutiontrigger",
                native_enum=False,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("keep_item_max_value", sa.BigInteger(), nullable=False),
        sa.Column("store_credit_bonus_percent", sa.Integer(), nullable=False),
        sa.Column(
            "payment_gateway",
            sa.Enum("manual", "webhook", name="paymentgatewaykind", native_enum=False, length=32),
            nullable=False,
        ),
        sa.Column("payment_webhook_url", sa.String(length=500), nullable=True),
        sa.Column("payment_webhook_secret", sa.String(length=100), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("notification_email", sa.String(length=320), nullable=True),
        sa.Column("email_preferences", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sellers")),
    )
    op.create_table(
        "sku_policies",
        sa.Column("seller_id", sa.String(length=40), nullable=False),
        sa.Column("sku", sa.String(length=100), nullable=False),
        sa.Column("window_days", sa.Integer(), nullable=True),
        sa.Column("returnable", sa.Boolean(), nullable=True),
        sa.Column("restocking_fee_percent", sa.Integer(), nullable=True),
        sa.Column(
            "label_paid_by",
            sa.Enum("by_fault", "buyer", "seller", name="labelpayer", native_enum=False, length=32),
            nullable=True,
        ),
        sa.Column("prepaid_label_exempt", sa.Boolean(), nullable=False),
        sa.Column(
            "exempt_authorization",
            sa.Enum("automatic", "manual", name="authorizationmode", native_enum=False, length=32),
            nullable=False,
        ),
        sa.PrimaryKeyConstraint("seller_id", "sku", name=op.f("pk_sku_policies")),
    )
    op.create_table(
        "tracking_events",
        sa.Column("pk", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("seller_id", sa.String(length=40), nullable=False),
        sa.Column("source_id", sa.String(length=40), nullable=False),
        sa.Column("event_id", sa.String(length=100), nullable=False),
        sa.Column("tracking_number", sa.String(length=100), nullable=False),
        sa.Column("carrier", sa.String(length=64), nullable=False),
        sa.Column("status", sa.String(length=32), nullable=False),
        sa.Column("occurred_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("message", sa.String(length=500), nullable=False),
        sa.Column("location", sa.String(length=200), nullable=False),
        sa.PrimaryKeyConstraint("pk", name=op.f("pk_tracking_events")),
        sa.UniqueConstraint(
            "seller_id",
            "source_id",
            "event_id",
            name=op.f("uq_tracking_events_seller_id_source_id_event_id"),
        ),
    )
    with op.batch_alter_table("tracking_events", schema=None) as batch_op:
        batch_op.create_index(
            "ix_tracking_events_seller_id_tracking_number",
            ["seller_id", "tracking_number"],
            unique=False,
        )

    op.create_table(
        "used_action_tokens",
        sa.Column("token_id", sa.String(length=40), nullable=False),
        sa.Column("seller_id", sa.String(length=40), nullable=False),
        sa.Column("used_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("token_id", name=op.f("pk_used_action_tokens")),
    )
    op.create_table(
        "webhook_attempts",
        sa.Column("pk", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("seller_id", sa.String(length=40), nullable=False),
        sa.Column("delivery_id", sa.String(length=40), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("status_code", sa.Integer(), nullable=True),
        sa.Column("duration_ms", sa.Integer(), nullable=False),
        sa.Column("error", sa.String(length=500), nullable=False),
        sa.Column("response_excerpt", sa.String(length=1000), nullable=False),
        sa.PrimaryKeyConstraint("pk", name=op.f("pk_webhook_attempts")),
    )
    with op.batch_alter_table("webhook_attempts", schema=None) as batch_op:
        batch_op.create_index(
            "ix_webhook_attempts_seller_id_delivery_id", ["seller_id", "delivery_id"], unique=False
        )

    op.create_table(
        "webhook_deliveries",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("seller_id", sa.String(length=40), nullable=False),
        sa.Column("endpoint_id", sa.String(length=40), nullable=False),
        sa.Column("event_id", sa.String(length=40), nullable=False),
        sa.Column("event_type", sa.String(length=64), nullable=False),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "pending",
                "succeeded",
                "failed",
                name="deliverystatus",
                native_enum=False,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("delivered_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_webhook_deliveries")),
        sa.UniqueConstraint(
            "endpoint_id", "event_id", name=op.f("uq_webhook_deliveries_endpoint_id_event_id")
        ),
    )
    with op.batch_alter_table("webhook_deliveries", schema=None) as batch_op:
        batch_op.create_index(
            "ix_webhook_deliveries_seller_id_endpoint_id_id",
            ["seller_id", "endpoint_id", "id"],
            unique=False,
        )
        batch_op.create_index(
            "ix_webhook_deliveries_status_next_attempt_at",
            ["status", "next_attempt_at"],
            unique=False,
        )

    op.create_table(
        "webhook_endpoints",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("seller_id", sa.String(length=40), nullable=False),
        sa.Column("url", sa.String(length=2000), nullable=False),
        sa.Column("description", sa.String(length=500), nullable=False),
        sa.Column("event_types", sa.JSON(), nullable=False),
        sa.Column("secret", sa.String(length=100), nullable=False),
        sa.Column("previous_secret", sa.String(length=100), nullable=True),
        sa.Column("previous_secret_expires_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("disabled_reason", sa.String(length=200), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_webhook_endpoints")),
        sa.UniqueConstraint("seller_id", "id", name=op.f("uq_webhook_endpoints_seller_id_id")),
    )
    with op.batch_alter_table("webhook_endpoints", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_webhook_endpoints_seller_id"), ["seller_id"], unique=False
        )

    op.create_table(
        "fulfillment_order_details",
        sa.Column("seller_id", sa.String(length=40), nullable=False),
        sa.Column("order_id", sa.String(length=40), nullable=False),
        sa.Column("marketplace_id", sa.String(length=40), nullable=False),
        sa.Column("displayable_order_id", sa.String(length=40), nullable=False),
        sa.Column("displayable_order_date", sa.DateTime(timezone=True), nullable=False),
        sa.Column("displayable_order_comment", sa.String(length=750), nullable=False),
        sa.Column("shipping_speed_category", sa.String(length=32), nullable=False),
        sa.Column("destination_address", sa.JSON(), nullable=False),
        sa.Column("fulfillment_action", sa.String(length=16), nullable=True),
        sa.Column("fulfillment_policy", sa.String(length=32), nullable=True),
        sa.Column("notification_emails", sa.JSON(), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["seller_id", "order_id"],
            ["orders.seller_id", "orders.id"],
            name=op.f("fk_fulfillment_order_details_seller_id_order_id_orders"),
        ),
        sa.PrimaryKeyConstraint("seller_id", "order_id", name=op.f("pk_fulfillment_order_details")),
    )
    op.create_table(
        "order_lines",
        sa.Column("pk", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("seller_id", sa.String(length=40), nullable=False),
        sa.Column("order_id", sa.String(length=40), nullable=False),
        sa.Column("line_id", sa.String(length=100), nullable=False),
        sa.Column("sku", sa.String(length=100), nullable=False),
        sa.Column("name", sa.String(length=300), nullable=False),
        sa.Column("quantity", sa.Integer(), nullable=False),
        sa.Column("unit_price", sa.BigInteger(), nullable=False),
        sa.Column("tax_per_unit", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["seller_id", "order_id"],
            ["orders.seller_id", "orders.id"],
            name=op.f("fk_order_lines_seller_id_order_id_orders"),
        ),
        sa.PrimaryKeyConstraint("pk", name=op.f("pk_order_lines")),
        sa.UniqueConstraint(
            "seller_id",
            "order_id",
            "line_id",
            name=op.f("uq_order_lines_seller_id_order_id_line_id"),
        ),
    )
    op.create_table(
        "returns",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("seller_id", sa.String(length=40), nullable=False),
        sa.Column("order_id", sa.String(length=40), nullable=False),
        sa.Column("order_number", sa.String(length=100), nullable=False),
        sa.Column("customer_email", sa.String(length=320), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "requested",
                "pending_review",
                "authorized",
                "denied",
                "in_transit",
                "partially_received",
                "received",
                "inspected",
                "resolved",
                "closed",
                "expired",
                "cancelled",
                name="returnstatus",
                native_enum=False,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column(
            "resolution",
            sa.Enum(
                "refund",
                "store_credit",
                "exchange",
                "replacement",
                "repair",
                "keep_item",
                name="resolution",
                native_enum=False,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("rma_number", sa.String(length=32), nullable=True),
        sa.Column("in_policy", sa.Boolean(), nullable=False),
        sa.Column("violations", sa.JSON(), nullable=False),
        sa.Column("violation_codes", sa.String(length=400), nullable=False),
        sa.Column("window_closes_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("deadline", sa.DateTime(timezone=True), nullable=True),
        sa.Column("return_address_id", sa.String(length=40), nullable=True),
        sa.Column("return_address", sa.JSON(), nullable=True),
        sa.Column(
            "deny_reason",
            sa.Enum(
                "return_period_ended",
                "non_returnable",
                "item_not_eligible",
                "other",
                name="denyreason",
                native_enum=False,
                length=32,
            ),
            nullable=True,
        ),
        sa.Column("customer_note", sa.Text(), nullable=False),
        sa.Column("carrier", sa.String(length=64), nullable=True),
        sa.Column("tracking_number", sa.String(length=100), nullable=True),
        sa.Column("label_cost", sa.BigInteger(), nullable=False),
        sa.Column("label_paid_by", sa.String(length=16), nullable=False),
        sa.Column("ship_from", sa.JSON(), nullable=True),
        sa.Column(
            "label_type",
            sa.Enum("unpaid", "prepaid", name="labeldefault", native_enum=False, length=32),
            nullable=True,
        ),
        sa.Column("label_file", sa.String(length=300), nullable=True),
        sa.Column("tracking_status", sa.String(length=32), nullable=True),
        sa.Column("tracking_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("delivered_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("lost_flagged_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["seller_id", "order_id"],
            ["orders.seller_id", "orders.id"],
            name=op.f("fk_returns_seller_id_order_id_orders"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_returns")),
        sa.UniqueConstraint("seller_id", "id", name=op.f("uq_returns_seller_id_id")),
        sa.UniqueConstraint(
            "seller_id", "rma_number", name=op.f("uq_returns_seller_id_rma_number")
        ),
    )
    with op.batch_alter_table("returns", schema=None) as batch_op:
        batch_op.create_index(
            "ix_returns_seller_id_order_id", ["seller_id", "order_id"], unique=False
        )
        batch_op.create_index(
            "ix_returns_seller_id_status_id", ["seller_id", "status", "id"], unique=False
        )
        batch_op.create_index(
            "ix_returns_seller_id_tracking_number", ["seller_id", "tracking_number"], unique=False
        )
        batch_op.create_index("ix_returns_status_deadline", ["status", "deadline"], unique=False)
        batch_op.create_index(
            "ix_returns_status_tracking_at", ["status", "tracking_at"], unique=False
        )

    op.create_table(
        "shipments",
        sa.Column("seller_id", sa.String(length=40), nullable=False),
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("order_id", sa.String(length=40), nullable=False),
        sa.Column("shipped_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("delivered_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("carrier", sa.String(length=64), nullable=True),
        sa.Column("tracking_number", sa.String(length=100), nullable=True),
        sa.Column("facility_code", sa.String(length=40), nullable=True),
        sa.ForeignKeyConstraint(
            ["seller_id", "order_id"],
            ["orders.seller_id", "orders.id"],
            name=op.f("fk_shipments_seller_id_order_id_orders"),
        ),
        sa.PrimaryKeyConstraint("seller_id", "id", name=op.f("pk_shipments")),
    )
    with op.batch_alter_table("shipments", schema=None) as batch_op:
        batch_op.create_index(
            "ix_shipments_seller_id_order_id", ["seller_id", "order_id"], unique=False
        )

    op.create_table(
        "outbound_orders",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("seller_id", sa.String(length=40), nullable=False),
        sa.Column("return_id", sa.String(length=40), nullable=False),
        sa.Column(
            "kind",
            sa.Enum("exchange", "replacement", name="outboundkind", native_enum=False, length=32),
            nullable=False,
        ),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("lines", sa.JSON(), nullable=False),
        sa.Column("amount_due", sa.BigInteger(), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "pending",
                "submitted",
                "shipped",
                "cancelled",
                name="outboundstatus",
                native_enum=False,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["seller_id", "return_id"],
            ["returns.seller_id", "returns.id"],
            name=op.f("fk_outbound_orders_seller_id_return_id_returns"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_outbound_orders")),
        sa.UniqueConstraint(
            "seller_id",
            "return_id",
            "kind",
            name=op.f("uq_outbound_orders_seller_id_return_id_kind"),
        ),
    )
    with op.batch_alter_table("outbound_orders", schema=None) as batch_op:
        batch_op.create_index(
            "ix_outbound_orders_seller_id_status", ["seller_id", "status"], unique=False
        )

    op.create_table(
        "refunds",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("seller_id", sa.String(length=40), nullable=False),
        sa.Column("return_id", sa.String(length=40), nullable=False),
        sa.Column("order_id", sa.String(length=40), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.Column("breakdown", sa.JSON(), nullable=False),
        sa.Column(
            "gateway",
            sa.Enum("manual", "webhook", name="paymentgatewaykind", native_enum=False, length=32),
            nullable=False,
        ),
        sa.Column(
            "status",
            sa.Enum(
                "pending", "succeeded", "failed", name="refundstatus", native_enum=False, length=32
            ),
            nullable=False,
        ),
        sa.Column("attempt", sa.Integer(), nullable=False),
        sa.Column("asks", sa.Integer(), nullable=False),
        sa.Column("idempotency_key", sa.String(length=80), nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("reference", sa.String(length=200), nullable=False),
        sa.Column("failure_reason", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["seller_id", "return_id"],
            ["returns.seller_id", "returns.id"],
            name=op.f("fk_refunds_seller_id_return_id_returns"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_refunds")),
        sa.UniqueConstraint("idempotency_key", name=op.f("uq_refunds_idempotency_key")),
        sa.UniqueConstraint("seller_id", "return_id", name=op.f("uq_refunds_seller_id_return_id")),
    )
    with op.batch_alter_table("refunds", schema=None) as batch_op:
        batch_op.create_index(
            "ix_refunds_seller_id_order_id", ["seller_id", "order_id"], unique=False
        )
        batch_op.create_index(
            "ix_refunds_status_next_attempt_at", ["status", "next_attempt_at"], unique=False
        )

    op.create_table(
        "repair_orders",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("seller_id", sa.String(length=40), nullable=False),
        sa.Column("return_id", sa.String(length=40), nullable=False),
        sa.Column("return_item_id", sa.String(length=40), nullable=False),
        sa.Column("sku", sa.String(length=100), nullable=False),
        sa.Column("quantity", sa.Integer(), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "received_for_repair",
                "repaired",
                "shipped_back",
                name="repairstatus",
                native_enum=False,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["seller_id", "return_id"],
            ["returns.seller_id", "returns.id"],
            name=op.f("fk_repair_orders_seller_id_return_id_returns"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_repair_orders")),
        sa.UniqueConstraint(
            "seller_id", "return_item_id", name=op.f("uq_repair_orders_seller_id_return_item_id")
        ),
    )
    with op.batch_alter_table("repair_orders", schema=None) as batch_op:
        batch_op.create_index(
            "ix_repair_orders_seller_id_status", ["seller_id", "status"], unique=False
        )

    op.create_table(
        "return_history",
        sa.Column("pk", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("seller_id", sa.String(length=40), nullable=False),
        sa.Column("return_id", sa.String(length=40), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor", sa.String(length=120), nullable=False),
        sa.Column("action", sa.String(length=40), nullable=False),
        sa.Column(
            "from_status",
            sa.Enum(
                "requested",
                "pending_review",
                "authorized",
                "denied",
                "in_transit",
                "partially_received",
                "received",
                "inspected",
                "resolved",
                "closed",
                "expired",
                "cancelled",
                name="returnstatus",
                native_enum=False,
                length=32,
            ),
            nullable=True,
        ),
        sa.Column(
            "to_status",
            sa.Enum(
                "requested",
                "pending_review",
                "authorized",
                "denied",
                "in_transit",
                "partially_received",
                "received",
                "inspected",
                "resolved",
                "closed",
                "expired",
                "cancelled",
                name="returnstatus",
                native_enum=False,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("note", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["seller_id", "return_id"],
            ["returns.seller_id", "returns.id"],
            name=op.f("fk_return_history_seller_id_return_id_returns"),
        ),
        sa.PrimaryKeyConstraint("pk", name=op.f("pk_return_history")),
    )
    with op.batch_alter_table("return_history", schema=None) as batch_op:
        batch_op.create_index(
            "ix_return_history_seller_id_return_id", ["seller_id", "return_id"], unique=False
        )

    op.create_table(
        "return_items",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("seller_id", sa.String(length=40), nullable=False),
        sa.Column("return_id", sa.String(length=40), nullable=False),
        sa.Column("line_id", sa.String(length=100), nullable=False),
        sa.Column("sku", sa.String(length=100), nullable=False),
        sa.Column("unit_price", sa.BigInteger(), nullable=False),
        sa.Column("requested_quantity", sa.Integer(), nullable=False),
        sa.Column("authorized_quantity", sa.Integer(), nullable=False),
        sa.Column("received_quantity", sa.Integer(), nullable=False),
        sa.Column("accepted_quantity", sa.Integer(), nullable=False),
        sa.Column("rejected_quantity", sa.Integer(), nullable=False),
        sa.Column("reason_code", sa.String(length=64), nullable=False),
        sa.Column("comment", sa.Text(), nullable=False),
        sa.Column(
            "condition",
            sa.Enum(
                "sellable",
                "damaged",
                "customer_damaged",
                "carrier_damaged",
                "defective",
                "wrong_item",
                "missing",
                name="condition",
                native_enum=False,
                length=32,
            ),
            nullable=True,
        ),
        sa.Column(
            "disposition",
            sa.Enum(
                "restock",
                "refurbish",
                "return_to_vendor",
                "liquidate",
                "dispose",
                name="disposition",
                native_enum=False,
                length=32,
            ),
            nullable=True,
        ),
        sa.Column("inspection_note", sa.Text(), nullable=False),
        sa.Column(
            "resolution",
            sa.Enum(
                "refund",
                "store_credit",
                "exchange",
                "replacement",
                "repair",
                "keep_item",
                name="resolution",
                native_enum=False,
                length=32,
            ),
            nullable=True,
        ),
        sa.Column("inspected_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("shipment_id", sa.String(length=40), nullable=True),
        sa.Column("seller_return_item_id", sa.String(length=80), nullable=True),
        sa.ForeignKeyConstraint(
            ["seller_id", "return_id"],
            ["returns.seller_id", "returns.id"],
            name=op.f("fk_return_items_seller_id_return_id_returns"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_return_items")),
    )
    with op.batch_alter_table("return_items", schema=None) as batch_op:
        batch_op.create_index(
            "ix_return_items_seller_id_return_id", ["seller_id", "return_id"], unique=False
        )

    op.create_table(
        "shipment_items",
        sa.Column("pk", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("seller_id", sa.String(length=40), nullable=False),
        sa.Column("shipment_id", sa.String(length=40), nullable=False),
        sa.Column("line_id", sa.String(length=100), nullable=False),
        sa.Column("quantity", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["seller_id", "shipment_id"],
            ["shipments.seller_id", "shipments.id"],
            name=op.f("fk_shipment_items_seller_id_shipment_id_shipments"),
        ),
        sa.PrimaryKeyConstraint("pk", name=op.f("pk_shipment_items")),
    )
    with op.batch_alter_table("shipment_items", schema=None) as batch_op:
        batch_op.create_index(
            "ix_shipment_items_seller_id_shipment_id", ["seller_id", "shipment_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("shipment_items", schema=None) as batch_op:
        batch_op.drop_index("ix_shipment_items_seller_id_shipment_id")

    op.drop_table("shipment_items")
    with op.batch_alter_table("return_items", schema=None) as batch_op:
        batch_op.drop_index("ix_return_items_seller_id_return_id")

    op.drop_table("return_items")
    with op.batch_alter_table("return_history", schema=None) as batch_op:
        batch_op.drop_index("ix_return_history_seller_id_return_id")

    op.drop_table("return_history")
    with op.batch_alter_table("repair_orders", schema=None) as batch_op:
        batch_op.drop_index("ix_repair_orders_seller_id_status")

    op.drop_table("repair_orders")
    with op.batch_alter_table("refunds", schema=None) as batch_op:
        batch_op.drop_index("ix_refunds_status_next_attempt_at")
        batch_op.drop_index("ix_refunds_seller_id_order_id")

    op.drop_table("refunds")
    with op.batch_alter_table("outbound_orders", schema=None) as batch_op:
        batch_op.drop_index("ix_outbound_orders_seller_id_status")

    op.drop_table("outbound_orders")
    with op.batch_alter_table("shipments", schema=None) as batch_op:
        batch_op.drop_index("ix_shipments_seller_id_order_id")

    op.drop_table("shipments")
    with op.batch_alter_table("returns", schema=None) as batch_op:
        batch_op.drop_index("ix_returns_status_tracking_at")
        batch_op.drop_index("ix_returns_status_deadline")
        batch_op.drop_index("ix_returns_seller_id_tracking_number")
        batch_op.drop_index("ix_returns_seller_id_status_id")
        batch_op.drop_index("ix_returns_seller_id_order_id")

    op.drop_table("returns")
    op.drop_table("order_lines")
    op.drop_table("fulfillment_order_details")
    with op.batch_alter_table("webhook_endpoints", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_webhook_endpoints_seller_id"))

    op.drop_table("webhook_endpoints")
    with op.batch_alter_table("webhook_deliveries", schema=None) as batch_op:
        batch_op.drop_index("ix_webhook_deliveries_status_next_attempt_at")
        batch_op.drop_index("ix_webhook_deliveries_seller_id_endpoint_id_id")

    op.drop_table("webhook_deliveries")
    with op.batch_alter_table("webhook_attempts", schema=None) as batch_op:
        batch_op.drop_index("ix_webhook_attempts_seller_id_delivery_id")

    op.drop_table("webhook_attempts")
    op.drop_table("used_action_tokens")
    with op.batch_alter_table("tracking_events", schema=None) as batch_op:
        batch_op.drop_index("ix_tracking_events_seller_id_tracking_number")

    op.drop_table("tracking_events")
    op.drop_table("sku_policies")
    op.drop_table("sellers")
    with op.batch_alter_table("return_flags", schema=None) as batch_op:
        batch_op.drop_index("ix_return_flags_seller_id_return_id")
        batch_op.drop_index("ix_return_flags_seller_id_code")

    op.drop_table("return_flags")
    with op.batch_alter_table("return_addresses", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_return_addresses_seller_id"))

    op.drop_table("return_addresses")
    op.drop_table("reason_codes")
    op.drop_table("products")
    with op.batch_alter_table("package_receipts", schema=None) as batch_op:
        batch_op.drop_index("ix_package_receipts_seller_id_status_id")
        batch_op.drop_index("ix_package_receipts_seller_id_return_id")

    op.drop_table("package_receipts")
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.drop_index("ix_outbox_processed_at_id")

    op.drop_table("outbox")
    with op.batch_alter_table("orders", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_orders_number"))

    op.drop_table("orders")
    with op.batch_alter_table("inventory_movements", schema=None) as batch_op:
        batch_op.drop_index("ix_inventory_movements_seller_id_sku")

    op.drop_table("inventory_movements")
    with op.batch_alter_table("inspection_photos", schema=None) as batch_op:
        batch_op.drop_index("ix_inspection_photos_seller_id_return_id")

    op.drop_table("inspection_photos")
    op.drop_table("idempotency_keys")
    op.drop_table("facilities")
    with op.batch_alter_table("email_messages", schema=None) as batch_op:
        batch_op.drop_index("ix_email_messages_status_next_attempt_at")

    op.drop_table("email_messages")
    op.drop_table("customer_sessions")
    with op.batch_alter_table("credit_entries", schema=None) as batch_op:
        batch_op.drop_index("ix_credit_entries_seller_id_customer_email")

    op.drop_table("credit_entries")
    op.drop_table("credit_accounts")
    op.drop_table("category_policies")
    with op.batch_alter_table("carrier_sources", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_carrier_sources_seller_id"))

    op.drop_table("carrier_sources")
    with op.batch_alter_table("api_keys", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_api_keys_seller_id"))

    op.drop_table("api_keys")
    with op.batch_alter_table("amazon_credentials", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_amazon_credentials_seller_id"))

    op.drop_table("amazon_credentials")
    with op.batch_alter_table("amazon_access_tokens", schema=None) as batch_op:
        batch_op.drop_index("ix_amazon_access_tokens_client_id_expires_at")

    op.drop_table("amazon_access_tokens")
