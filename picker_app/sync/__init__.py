"""Sync with the order backend: the httpx client, backoff, the background worker (no Textual)."""
