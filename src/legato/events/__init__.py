"""Event sources that trigger runs: file arrival, webhook, queue (SPEC section 2)."""
