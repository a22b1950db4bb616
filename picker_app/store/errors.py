"""The store's errors: a cache that cannot be used, and a hold taken by another app."""

from __future__ import annotations

import errno
import os
import sqlite3
import tempfile
from pathlib import Path

from picker_app.errors import PickerError


class StoreError(PickerError):
    """The local database cannot be used; the message names the file and what to do.
    `kind`: "full" (out of storage), "read_only" (the storage or the file refuses writes), "io"
    (the storage failed a read or write), "locked", "damaged" (or not ours), or "other"."""

    def __init__(self, message: str, kind: str = "other") -> None:
        super().__init__(message)
        self.kind = kind


class Busy(PickerError):
    """Something this app wanted to hold is held by another app on the same cache."""


def store_error(path: Path, err: sqlite3.DatabaseError) -> StoreError:
    """A SQLite error on the cache at `path`, as one sentence for the person."""
    text = str(err)
    if "full" in text:
        return StoreError(
            "this device is out of storage: everything saved before is kept; free some "
            f"space or tell your store lead ({path} cannot grow)",
            "full",
        )
    if "locked" in text or "busy" in text:
        return StoreError(
            f"{path}: the local database is locked by another program (is another picker-app "
            "running on this device?); close it and try again.",
            "locked",
        )
    if "not a database" in text or "malformed" in text or "corrupt" in text:
        return StoreError(
            f"{path}: the local database is damaged or not a picker_app database; it was left "
            "untouched (unsynced scans may be in it): move it aside and start again, and tell "
            "your store lead.",
            "damaged",
        )
    name = getattr(err, "sqlite_errorname", "") or ""
    # SQLite says "disk I/O error" (or "unable to open", at start-up) when the kernel refuses a
    # write because the file system went read-only (a failing card is remounted read-only under
    # the open cache): only the file system can tell that from a failing write.
    if name.startswith(
        ("SQLITE_IOERR", "SQLITE_READONLY", "SQLITE_CANTOPEN")
    ) and storage_is_read_only(path.parent):
        return read_only_error(path)
    if name.startswith("SQLITE_READONLY"):
        return StoreError(
            f"{path}: the local database cannot be written (a read-only file or folder?): "
            "nothing new can be saved; tell your store lead (everything saved before is kept)",
            "read_only",
        )
    if name.startswith("SQLITE_IOERR"):
        return StoreError(
            "this device's storage failed to read or write (disk I/O error): what was just done "
            "was not saved; try again, and if it keeps failing tell your store lead (everything "
            f"saved before is kept in {path})",
            "io",
        )
    return StoreError(f"{path}: local database error: {text}")


def read_only_error(path: Path) -> StoreError:
    """The cache at `path` is on storage that has become read-only, as one sentence."""
    return StoreError(
        "this device's storage is read-only: nothing new can be saved, everything saved "
        f"before is kept; tell your store lead ({path} cannot be written)",
        "read_only",
    )


def storage_is_read_only(folder: Path) -> bool:
    """Whether the file system holding `folder` refuses new writes: mounted read-only, or
    turned read-only by the kernel after an error (which statvfs does not always show, so a
    scratch file is made and removed to ask)."""
    try:
        if os.statvfs(folder).f_flag & os.ST_RDONLY:
            return True
        fd, name = tempfile.mkstemp(prefix=".write-check-", dir=folder)
    except OSError as err:
        return err.errno == errno.EROFS
    os.close(fd)
    os.unlink(name)
    return False
