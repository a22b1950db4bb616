"""`picker-app sync [--status]`, and what it does with a damaged cache."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

from picker_app.errors import UserError

if TYPE_CHECKING:
    from picker_app.config import Settings



def cmd_sync(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    """`picker-app sync [--status]`: one sync now, or the state of sync."""
    from picker_app.config import CONFIG_FILE, ca_file, data_dir, is_embedded, load_settings
    from picker_app.embedded import recorded_port
    from picker_app.store.db import LocalStore, StoreError, health
    from picker_app.sync.client import SyncClient, SyncError, SyncSettings

    settings = load_settings(
        overrides={  # the app's own flags, e.g. `picker-app --backend URL --db FILE sync`
            "backend_url": args.backend, "token": args.token, "store": args.store,
            "db": args.db, "port": args.port,
        }
    )  # fmt: skip
    cache = settings.cache
    if "port" not in settings.model_fields_set:  # follow the app: the port its device is on
        port = recorded_port(cache)
        settings = settings.model_copy(update={"port": port or settings.port})
    damage = health(cache) if cache.exists() else None
    if damage is not None:  # read it, never open it for writing
        return damaged_cache(cache, damage, settings, args.status, out, err)
    embedded = None
    if is_embedded(settings):
        # The demo store on this machine: its backend (found running, or started for this sync)
        # and this device's token, kept in the cache since the app's first run.
        from picker_app.embedded import start_embedded

        folder = settings.folder
        embedded = start_embedded(folder, port=settings.port, store_id=settings.store,
                                  customers=False, cache=settings.db)  # fmt: skip
        settings = settings.model_copy(
            update={"backend_url": embedded.url, "token": embedded.token}
        )
        store = embedded.store
    else:
        store = LocalStore.open(cache)
    try:
        if not settings.token:
            raise UserError(
                "this device has no backend token: run `picker-app backend add-device --store "
                f"{settings.store}` on the backend and set PICKER_APP_TOKEN (or `token` in "
                f"{data_dir() / CONFIG_FILE})"
            )
        client = SyncClient(
            store, SyncSettings(
            settings.backend_url, settings.store, settings.token, ca_file=ca_file(settings)
        )
        )
        if args.status:
            counts = store.counts()
            state = store.sync_state()
            reachable = client.backend_reachable()
            out.write(
                f"device {store.device}, store {settings.store}, backend {settings.backend_url} "
                f"({'reachable' if reachable else 'NOT reachable'})\n"
                f"events waiting: {counts['pending']}, rejected: {counts['rejected']}, "
                f"sent: {counts['sent']}\n"
                f"last success: {state.get('last_success') or 'never'}\n"
                f"last error: {state.get('last_error') or 'none'}\n"
                f"cursor: {state.get('cursor', 'none (no snapshot yet)')}\n"
            )
            return 0
        try:
            report, changes = client.sync_once()
        except SyncError as e:
            err.write(f"picker-app: sync failed: {e}; {store.counts()['pending']} events kept\n")
            return 1
        except StoreError as e:  # damage that a quick check did not see
            if e.kind != "damaged":
                raise
            store.close()
            return damaged_cache(store.path, str(e), settings, False, out, err)
        out.write(
            f"sent {report.applied} events ({report.duplicate} already there, "
            f"{report.rejected} rejected); {changes} changes downloaded\n"
        )
        return 0
    finally:
        if embedded is not None:
            embedded.stop()
        else:
            store.close()

def damaged_cache(
    path: Path, damage: str, settings: Settings, status: bool, out: TextIO, err: TextIO
) -> int:
    """A damaged cache, only read: with --status, said so; else its readable events saved
    beside it and, where the backend answers, sent (each is applied once, however often this
    runs). The file is left as it is, for the store lead."""
    from picker_app.config import ca_file, is_embedded
    from picker_app.store.db import rescue
    from picker_app.sync.client import SyncClient, SyncError, SyncSettings

    if status:
        out.write(
            f"local database {path}: DAMAGED ({damage}); run `picker-app sync` to save and "
            "send the events that can still be read, then move it aside\n"
        )
        return 1
    saved = rescue(path)
    url, token = settings.backend_url, settings.token
    if is_embedded(settings):  # the demo's backend, with the token the cache kept
        url, token = f"http://127.0.0.1:{settings.port}", saved.info.get("token")
    sent = ""
    if saved.unsent and token:
        remote = SyncSettings(url, settings.store, token, ca_file=ca_file(settings))
        client = SyncClient(None, remote)
        try:
            report = client.upload_rescued(saved.unsent)
            sent = f", and {report.applied + report.duplicate} of those are now at the backend"
        except SyncError as e:
            sent = f"; they could not be sent yet ({e})"
    lost = f"; {saved.unreadable} could not be read" if saved.unreadable else ""
    err.write(
        f"picker-app: {path}: the local database is damaged and was left untouched. "
        f"{len(saved.events)} readable events ({len(saved.unsent)} not yet sent) were saved to "
        f"{saved.file}{sent}{lost}. Tell your store lead, then move the damaged file aside and "
        "start again.\n"
    )
    return 1
