"""The Amazon-compatible API: Fulfillment Outbound return operations and an LWA token route."""
