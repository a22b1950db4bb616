"""A small fault-injecting TCP proxy for HTTP/1.1 on loopback: one request per connection, and
for each, by a seeded chance: pass, delay, refuse, reset before the request, close after the
request but before the response, or cut the response in the middle."""

from __future__ import annotations

import random
import socket
import struct
import threading
import time

FAULTS = ("delay", "refuse", "reset", "drop_response", "cut_response")


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


class FaultProxy:
    def __init__(self, target_port: int, fault_rate: float = 0.2, seed: int = 1) -> None:
        self.target = ("127.0.0.1", target_port)
        self.fault_rate = fault_rate
        self.rng = random.Random(seed)
        self.counts: dict[str, int] = {}
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self._stop = False
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self._stop = True
        self.listener.close()

    def _serve(self) -> None:
        while not self._stop:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            fault = "pass"
            if self.rng.random() < self.fault_rate:
                fault = self.rng.choice(FAULTS)
            self.counts[fault] = self.counts.get(fault, 0) + 1
            threading.Thread(target=self._handle, args=(client, fault), daemon=True).start()

    def _handle(self, client: socket.socket, fault: str) -> None:
        try:
            if fault == "refuse":
                client.close()
                return
            if fault == "reset":
                client.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                client.close()
                return
            request = _read_message(client)
            if fault == "delay":
                time.sleep(0.05)
            with socket.create_connection(self.target) as upstream:
                upstream.sendall(request)
                response = _read_message(upstream)
            if fault == "drop_response":
                client.close()  # the server applied it; the device never hears
                return
            if fault == "cut_response":
                client.sendall(response[: len(response) // 2])
                client.close()
                return
            client.sendall(response)
            client.close()
        except OSError:
            client.close()
