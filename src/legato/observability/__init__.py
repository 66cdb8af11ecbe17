"""Metrics, tracing and log setup (SPEC section 9)."""
