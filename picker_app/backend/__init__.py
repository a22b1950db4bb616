"""The reference order backend: the server side of the sync protocol (FastAPI + uvicorn)."""
