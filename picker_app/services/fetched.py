"""What a lead's screen shows of the backend's view (the board, the reorder list, the shrinkage
report, the slotting advice): the backend's answer when it gives one, kept for offline where the
screen keeps it; else the last one kept, with the sentence that says why it is not new."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import suppress
from dataclasses import dataclass
from datetime import datetime
from typing import Generic, TypeVar

from picker_app.domain.times import parse_time
from picker_app.errors import PickerError

T = TypeVar("T")

NO_BACKEND = "no backend configured"


@dataclass(frozen=True)
class Fetched(Generic[T]):
    """The view to show, when the backend gave it, and why it is not the backend's now (None:
    it is)."""

    value: T | None
    fetched_at: datetime | None
    offline: str | None


def fetch_or_kept(
    fetch: Callable[[], T] | None,
    clock: Callable[[], datetime],
    keep: Callable[[T, str], None] | None = None,
    kept: Callable[[], tuple[T, str] | None] | None = None,
) -> Fetched[T]:
    """Ask the backend (`fetch`: the sync client's; services do not talk to the network). Its
    answer is kept with `keep` (a full disk only means it is not kept for offline); when it
    cannot answer, the view last kept (`kept`: (value, ISO time)), or none, with the reason."""
    why = NO_BACKEND
    if fetch is not None:
        try:
            value = fetch()
        except PickerError as err:
            why = str(err)
        else:
            at = clock()
            if keep is not None:
                with suppress(PickerError):
                    keep(value, at.isoformat())
            return Fetched(value, at, None)
    old = kept() if kept is not None else None
    if old is None:
        return Fetched(None, None, why)
    return Fetched(old[0], parse_time(old[1]), why)
