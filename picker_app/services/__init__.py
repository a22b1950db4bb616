"""Application services: the workflows against the local cache, for any UI."""
