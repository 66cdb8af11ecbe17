"""The HTTP API (FastAPI): a thin layer over legato.services, behind bearer tokens."""
