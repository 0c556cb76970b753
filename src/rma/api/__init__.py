"""The HTTP API: native /v1 routes and the Amazon-compatible ones."""
