"""A small fault-injecting TCP proxy for HTTP/1.1 on loopback: one request per connection, and
for each, by a seeded chance, one of FAULTS (at `fault_rate`, each kind as likely):

- delay: pass it on 50 ms late;
- refuse: close the connection before reading anything;
- reset: the same, with a TCP reset;
- drop_response: pass the request on (the backend applies it), close before the answer;
- cut_response: pass it on, send the device the first half of the answer, close;
- busy: answer 429 or 503 with `Retry-After: <1-9 s>` without passing anything on;
- twice: pass the request on twice at the same instant (two connections racing), answer the
  device with one of the two answers;

or, at `error_rate` on its own, error_after_commit: pass the request on, let the backend apply
it, then answer the device `500` with a short body instead of the backend's answer.

`log` keeps each connection's fault and the Retry-After it was given (in the order the
connections came, which for one client sending one request at a time is the order it sent
them); `lost_answers` keeps the bodies of the requests the backend answered 200 but whose
answer the device did not get whole.

`upload_through(store, ...)` uploads a cache's outbox through a proxy of its own and keeps what
the device saw (tests/test_sync_upload.py checks it; bench/fault_report.py runs it larger).
"""

from __future__ import annotations

import random
import socket
import struct
import threading
import time
from collections import Counter
from dataclasses import dataclass, field

import httpx

from picker_app.store.db import LocalStore
from picker_app.sync.client import SyncClient, SyncSettings, UploadReport
from picker_app.wire import BatchResult

FAULTS = ("delay", "refuse", "reset", "drop_response", "cut_response", "busy", "twice")
ALL_FAULTS = (*FAULTS, "error_after_commit")


def _read_message(sock: socket.socket) -> bytes:
    """One HTTP message (headers and a Content-Length body) from `sock`."""
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(65536)
        if not chunk:
            return data
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    length = 0
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value.strip())
    while len(body) < length:
        chunk = sock.recv(65536)
        if not chunk:
            break
        body += chunk
    return head + b"\r\n\r\n" + body


def _reply(status: int, reason: str, headers: dict[str, str], body: bytes) -> bytes:
    lines = [f"HTTP/1.1 {status} {reason}", *(f"{k}: {v}" for k, v in headers.items())]
    lines += [f"Content-Length: {len(body)}", "Connection: close"]
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + body


class FaultProxy:
    def __init__(
        self, target_port: int, fault_rate: float = 0.2, seed: int = 1, error_rate: float = 0.0
    ) -> None:
        self.target = ("127.0.0.1", target_port)
        self.fault_rate = fault_rate
        self.error_rate = error_rate
        self.rng = random.Random(seed)
        self.log: list[tuple[str, int | None]] = []  # each connection's fault and Retry-After
        self.lost_answers: list[bytes] = []  # requests applied whose answer never got through
        self.busy: Counter[int] = Counter()  # busy answers by status
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self._stop = False
        self._lock = threading.Lock()
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    @property
    def counts(self) -> Counter[str]:
        """Connections by fault ("pass" for none)."""
        return Counter(fault for fault, _ in self.log)

    def close(self) -> None:
        self._stop = True
        self.listener.close()

    def _serve(self) -> None:
        while not self._stop:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            fault, wait = "pass", None
            draw = self.rng.random()
            if draw < self.fault_rate:
                fault = self.rng.choice(FAULTS)
                if fault == "busy":
                    wait = self.rng.randint(1, 9)
            elif draw < self.fault_rate + self.error_rate:
                fault = "error_after_commit"
            status = self.rng.choice((429, 503))
            if fault == "busy":
                self.busy[status] += 1
            self.log.append((fault, wait))
            args = (client, fault, status, wait)
            threading.Thread(target=self._handle, args=args, daemon=True).start()

    def _forward(self, request: bytes) -> bytes:
        with socket.create_connection(self.target) as upstream:
            upstream.sendall(request)
            return _read_message(upstream)

    def _twice(self, request: bytes) -> bytes:
        """`request` sent upstream on two connections released at once; one of the answers."""
        start = threading.Barrier(2)
        answers: list[bytes] = []

        def send() -> None:
            start.wait()
            answers.append(self._forward(request))

        threads = [threading.Thread(target=send) for _ in range(2)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        if not answers:
            raise OSError("neither of the two sends was answered")
        return answers[0]

    def _lost(self, request: bytes, response: bytes) -> None:
        if response.startswith(b"HTTP/1.1 200 "):
            with self._lock:
                self.lost_answers.append(request.partition(b"\r\n\r\n")[2])

    def _handle(self, client: socket.socket, fault: str, status: int, wait: int | None) -> None:
        try:
            if fault == "refuse":
                client.close()
                return
            if fault == "reset":
                client.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                client.close()
                return
            request = _read_message(client)
            if fault == "busy":
                reason = "Too Many Requests" if status == 429 else "Service Unavailable"
                client.sendall(_reply(status, reason, {"Retry-After": str(wait)}, b"busy"))
                client.close()
                return
            if fault == "delay":
                time.sleep(0.05)
            response = self._twice(request) if fault == "twice" else self._forward(request)
            if fault == "drop_response":
                self._lost(request, response)
                client.close()  # the server applied it; the device never hears
                return
            if fault == "cut_response":
                self._lost(request, response)
                client.sendall(response[: len(response) // 2])
                client.close()
                return
            if fault == "error_after_commit":
                self._lost(request, response)
                body = b"Internal Server Error"
                client.sendall(_reply(500, "Internal Server Error", {}, body))
                client.close()
                return
            client.sendall(response)
            client.close()
        except OSError:
            client.close()


@dataclass
class FaultRun:
    """What a device saw uploading through a FaultProxy."""

    proxy: FaultProxy
    report: UploadReport = field(default_factory=UploadReport)
    waits: list[float] = field(default_factory=list)  # each sleep the client asked for, in order
    answers: dict[str, list[str]] = field(default_factory=dict)  # batch id: statuses received
    upload_ms: list[float] = field(default_factory=list)  # each upload that got its answer


def upload_through(
    store: LocalStore, backend_url: str, token: str, store_id: str, seed: int,
    fault_rate: float = 0.2, error_rate: float = 0.05, batch_size: int = 4,
    max_attempts: int = 100,
) -> FaultRun:  # fmt: skip
    """Upload `store`'s outbox to the backend at `backend_url` through a FaultProxy (a new
    connection a request), retrying each batch up to `max_attempts` times; the sleeps between
    attempts are recorded, not slept."""
    port = int(backend_url.rsplit(":", 1)[1])
    run = FaultRun(FaultProxy(port, fault_rate, seed, error_rate))
    settings = SyncSettings(run.proxy.url, store_id, token, batch_size=batch_size)
    limits = httpx.Limits(max_keepalive_connections=0)
    http = httpx.Client(timeout=5, limits=limits, trust_env=False)
    client = SyncClient(store, settings, http=http, sleep=run.waits.append)
    upload_batch = client.upload_batch

    def timed() -> BatchResult | None:
        t0 = time.perf_counter()
        result = upload_batch()
        if result is not None:
            run.upload_ms.append((time.perf_counter() - t0) * 1000)
            run.answers[result.batch_id] = [r.status for r in result.results]
        return result

    client.upload_batch = timed  # type: ignore[method-assign]
    try:
        run.report = client.upload_all(max_attempts=max_attempts)
    finally:
        run.proxy.close()
        http.close()
    return run
