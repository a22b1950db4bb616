"""The sync client's upload: the outbox to the order backend, each event exactly once.

Batches are fixed before their first send, so a retried batch is the same request; events are
marked sent only on the backend's answer. Connection errors, timeouts, dropped connections, 5xx
and 429 are retried with capped exponential backoff and full jitter (tenacity), honouring
`Retry-After`; the sleep and the random source are injectable. 401/403 pause sync and say so.
A reply that is not the protocol's answer marks nothing and reports the backend as faulty.
"""

from __future__ import annotations

import email.utils
import random
import ssl
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any, TypeVar

import httpx
from pydantic import BaseModel, ValidationError
from tenacity import RetryCallState, Retrying, retry_if_exception_type, stop_after_attempt

from picker_app.errors import PickerError
from picker_app.store.db import Event, LocalStore
from picker_app.wire import (
    BatchResult,
    ChangesPage,
    EventBatch,
    EventResult,
    Snapshot,
    WireEvent,
)

M = TypeVar("M", bound=BaseModel)


class SyncError(PickerError):
    """Sync did not get through; the message says why, for the status line."""


class Retryable(SyncError):
    """Worth trying again later (network, server busy or failing)."""

    def __init__(self, message: str, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class SyncPaused(SyncError):
    """The backend refused this device (401/403): sync stops until someone fixes the token."""


class TooLarge(SyncError):
    """The backend refused a request body as too large (413); nothing of it was applied."""


class BackendFaulty(SyncError):
    """The backend answered something that is not the protocol; nothing was marked sent."""


@dataclass(frozen=True)
class SyncSettings:
    base_url: str
    store_id: str
    token: str
    # A device's backlog goes in batches of 100: eight devices back online at one instant are
    # each answered within 150 ms (p99) and the backend takes as many events a second as with
    # batches of 500, whose p99 is 0.9 s (bench/burst_bench.py): no device's upload waits
    # behind seven large ones.
    batch_size: int = 100
    timeout_s: float = 10.0
    backoff_base_s: float = 0.5
    backoff_cap_s: float = 60.0
    ca_file: str | None = None  # a PEM file of CAs to trust for https (None: the default ones)


def verify_for(settings: SyncSettings) -> ssl.SSLContext | bool:
    """How to check an https backend's certificate: always; against `ca_file` when given (a
    file that cannot be read is said, not ignored)."""
    if settings.ca_file is None:
        return True
    try:
        return ssl.create_default_context(cafile=settings.ca_file)
    except (OSError, ssl.SSLError) as err:
        raise SyncPaused(
            f"the CA file {settings.ca_file!r} cannot be read as PEM certificates ({err}): fix "
            "`ca_file` in the settings; scans are kept"
        ) from None


@dataclass
class UploadReport:
    batches: int = 0
    applied: int = 0
    duplicate: int = 0
    rejected: int = 0
    waits: list[float] = field(default_factory=list)

    def count(self, result: BatchResult) -> None:
        self.batches += 1
        for r in result.results:
            setattr(self, r.status, getattr(self, r.status) + 1)


def clock_offset(date_header: str | None, local_now: datetime) -> float | None:
    """Seconds the backend's clock is ahead of this device's, from a response's `Date` header
    (whole seconds; None without a readable one). Promise times are the backend's: a device
    whose clock drifts still shows true countdowns to them."""
    if not date_header:
        return None
    try:
        server = parsedate_to_datetime(date_header)
    except (TypeError, ValueError):
        return None
    if server.tzinfo is None:
        return None
    return (server - local_now).total_seconds()


def _untrusted(err: BaseException) -> str | None:
    """The certificate check's reason when `err` comes of one that failed, else None."""
    seen: BaseException | None = err
    while seen is not None:
        if isinstance(seen, ssl.SSLCertVerificationError):
            return str(seen.verify_message or seen.reason or "verification failed")
        seen = seen.__cause__ or seen.__context__
    return None


def _retry_after(response: httpx.Response) -> float | None:
    """The wait a `Retry-After` asks for (seconds, or an HTTP date); None for none readable."""
    value = response.headers.get("Retry-After")
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:  # an HTTP date; anything else is no advice (Python raises on it, never returns None)
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time())


def _detail(response: httpx.Response) -> str:
    """The reason a refusal gives (FastAPI's `detail`), short enough for a status line."""
    try:
        detail = response.json().get("detail")
    except (ValueError, AttributeError):
        return ""
    return detail[:160] if isinstance(detail, str) else ""


class SyncClient:
    """Uploads one device's outbox to the backend."""

    def __init__(
        self,
        store: LocalStore | None,
        settings: SyncSettings,
        http: httpx.Client | None = None,
        sleep: Callable[[float], None] = time.sleep,
        rng: Callable[[], float] = random.random,
    ) -> None:
        self._store = store
        self.settings = settings
        self.http = http or httpx.Client(timeout=settings.timeout_s, verify=verify_for(settings))
        self.clock_offset_s = 0.0  # the backend's clock minus this device's (see clock_offset)
        self.sleep = sleep
        self.rng = rng

    @property
    def store(self) -> LocalStore:
        """The cache this client syncs (None only for a client that sends rescued events)."""
        if self._store is None:
            raise PickerError("this sync client has no local cache")
        return self._store

    def send_batch(self, batch_id: str, events: Sequence[Event]) -> BatchResult:
        """POST one batch (of one device's events); the backend's answer, or a SyncError
        saying why not."""
        body = EventBatch(
            device=events[0].device,
            batch_id=batch_id,
            events=[
                WireEvent(
                    event_id=e.event_id,
                    device=e.device,
                    seq=e.seq,
                    type=e.type,
                    user=e.user,
                    created_at=e.created_at,
                    payload=e.payload,
                )
                for e in events
            ],
        )
        headers = {"Content-Type": "application/json"}
        if self._store is not None:  # what is left after this batch, for the store board
            left = self._store.counts()["pending"] - len(events)
            headers["X-Pending-Events"] = str(max(0, left))
        response = self._request("POST", "events", content=body.model_dump_json(), headers=headers)
        result = self._parse(response, BatchResult, "a batch result")
        ids = {e.event_id for e in events}
        if result.batch_id != batch_id or {r.event_id for r in result.results} != ids:
            raise BackendFaulty("backend's answer does not match the batch sent")
        return result

    def _request(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        """One call to the store's API; transport and status failures as SyncErrors."""
        s = self.settings
        url = f"{s.base_url.rstrip('/')}/v1/stores/{s.store_id}/{path}"
        headers = {"Authorization": f"Bearer {s.token}", **kwargs.pop("headers", {})}
        try:
            response = self.http.request(method, url, headers=headers, **kwargs)
        except (httpx.InvalidURL, httpx.UnsupportedProtocol):
            raise SyncPaused(
                f"the backend address {s.base_url[:80]!r} is not a valid http(s) URL: fix "
                "`backend_url` in the settings; scans are kept"
            ) from None
        except httpx.DecodingError:
            raise BackendFaulty("backend sent a reply that cannot be decoded") from None
        except httpx.ConnectError as err:
            why = _untrusted(err)
            if why:
                raise SyncPaused(
                    f"the backend's certificate at {s.base_url[:80]} is not trusted ({why}): give"
                    " its CA as `ca_file` in the settings (PICKER_APP_CA_FILE); nothing was sent,"
                    " scans are kept"
                ) from None
            raise Retryable(f"backend unreachable ({type(err).__name__})") from None
        except httpx.TransportError as err:
            raise Retryable(f"backend unreachable ({type(err).__name__})") from None
        except httpx.HTTPError as err:  # e.g. too many redirects: not the protocol
            name = type(err).__name__
            raise BackendFaulty(f"backend's reply is not the protocol ({name})") from None
        offset = clock_offset(response.headers.get("date"), datetime.now(UTC))
        if offset is not None:
            self.clock_offset_s = offset
        if response.status_code in (401, 403):
            why = _detail(response)
            raise SyncPaused(
                f"the backend refused this device ({response.status_code}"
                f"{': ' + why if why else ''}): ask the store lead to register this device "
                "again; scans are kept"
            )
        if response.status_code == 429 or response.status_code >= 500:
            raise Retryable(
                f"backend busy or failing ({response.status_code})", _retry_after(response)
            )
        if response.status_code == 413:
            raise TooLarge(f"the backend refused a batch as too large ({_detail(response)})")
        if response.status_code not in (200, 410):
            why = _detail(response)
            raise BackendFaulty(
                f"backend answered {response.status_code} to {path}{': ' + why if why else ''}"
            )
        return response

    @staticmethod
    def _parse(response: httpx.Response, model: type[M], what: str) -> M:
        if response.status_code != 200:
            raise BackendFaulty(f"backend answered {response.status_code}, expected {what}")
        try:
            return model.model_validate_json(response.content)
        except ValidationError:
            raise BackendFaulty(f"backend sent a reply that is not {what}") from None

    def download_snapshot(self) -> Snapshot:
        """Fetch the store's snapshot and apply it to the local cache (with its cursor)."""
        snap = self._parse(self._request("GET", "snapshot"), Snapshot, "a snapshot")
        self.store.apply_snapshot(snap)
        return snap

    def download_changes(self, limit: int = 500) -> int:
        """Bring the cache up to date: pages of changes after its cursor, each applied with its
        cursor in one transaction; a snapshot when there is no cursor or the backend says it is
        too old (410). Returns how many changes were applied."""
        if self.store.cursor() is None:
            self.download_snapshot()
            return 0
        applied = 0
        while True:
            params = {"cursor": self.store.cursor() or 0, "limit": limit}
            held = {"X-Pending-Events": str(self.store.counts()["pending"])}  # for the board
            response = self._request("GET", "changes", params=params, headers=held)
            if response.status_code == 410:
                self.download_snapshot()
                return applied
            page = self._parse(response, ChangesPage, "a page of changes")
            self.store.apply_changes(page)
            applied += len(page.changes)
            if not page.more:
                return applied

    def sync_once(self, max_attempts: int = 3) -> tuple[UploadReport, int]:
        """Upload the outbox, then download changes; the outcome is kept in `sync_state`
        (last success / last error) for the status line."""
        try:
            report = self.upload_all(max_attempts=max_attempts)
            changes = self.download_changes()
        except SyncError as err:
            self.store.set_sync_state(last_error=f"{self.store.clock()} {err}")
            raise
        self.store.set_sync_state(
            last_success=self.store.clock(), last_error="",
            clock_offset_s=f"{self.clock_offset_s:.0f}",
        )  # fmt: skip
        return report, changes

    def backend_reachable(self) -> bool:
        """Whether the backend answers its health check (no token needed)."""
        try:
            url = f"{self.settings.base_url.rstrip('/')}/v1/health"
            return self.http.get(url, timeout=2).status_code == 200
        except (httpx.HTTPError, httpx.InvalidURL):
            return False

    def upload_batch(self) -> BatchResult | None:
        """Send the next (or in-flight) batch and record the answer; None when all is sent."""
        batch = self.store.next_batch(self.settings.batch_size)
        if batch is None:
            return None
        batch_id, events = batch
        try:
            result = self.send_batch(batch_id, events)
        except TooLarge as err:  # never applied: send it in smaller batches
            if len(events) == 1:
                reason = f"this event is too large to send: {err}"
                self.store.ack_batch(batch_id, {events[0].event_id: ("rejected", reason)})
                return BatchResult(
                    batch_id=batch_id,
                    results=[EventResult(event_id=events[0].event_id, status="rejected",
                                         reason=reason)],
                )  # fmt: skip
            self.store.shrink_batch(batch_id, len(events) // 2)
            return self.upload_batch()
        self.store.ack_batch(batch_id, {r.event_id: (r.status, r.reason) for r in result.results})
        return result

    def _wait(self, state: RetryCallState) -> float:
        error = state.outcome.exception() if state.outcome else None
        if isinstance(error, Retryable) and error.retry_after is not None:
            return min(error.retry_after, self.settings.backoff_cap_s)
        ceiling = min(
            self.settings.backoff_cap_s,
            self.settings.backoff_base_s * 2 ** (state.attempt_number - 1),
        )
        return self.rng() * ceiling  # full jitter

    def _retrying(self, max_attempts: int, report: UploadReport) -> Retrying:
        def sleep(seconds: float) -> None:
            report.waits.append(seconds)
            self.sleep(seconds)

        return Retrying(
            retry=retry_if_exception_type(Retryable),
            wait=self._wait,
            stop=stop_after_attempt(max_attempts),
            sleep=sleep,
            reraise=True,
        )

    def upload_all(self, max_attempts: int = 8) -> UploadReport:
        """Upload until the outbox is empty; retry what is worth retrying. Raises the last
        SyncError when it gives up (the events stay queued)."""
        report = UploadReport()
        while True:
            result = self._retrying(max_attempts, report)(self.upload_batch)
            if result is None:
                return report
            report.count(result)

    def upload_rescued(self, events: Sequence[Event], max_attempts: int = 8) -> UploadReport:
        """Send events read out of a damaged cache (nothing is marked in it): batches named
        after their first event, so a second rescue of the same file is the same request, and
        the backend applies each event once whatever was sent before."""
        report = UploadReport()
        size = self.settings.batch_size
        for start in range(0, len(events), size):
            chunk = list(events[start : start + size])
            batch_id = str(uuid.uuid5(uuid.NAMESPACE_URL, f"rescue:{chunk[0].event_id}"))
            report.count(self._retrying(max_attempts, report)(self.send_batch, batch_id, chunk))
        return report
