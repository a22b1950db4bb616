"""The backend's HTTP routes, one router per resource: health, sync (snapshot, changes, events)."""
