"""Sync with the order backend: wire models, the httpx client, backoff. No Textual here."""
