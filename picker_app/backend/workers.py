"""Several backend processes on one port (`backend serve --workers N`, issue 16), each with a
listening socket of its own (SO_REUSEPORT), so that the kernel spreads the devices'
connections over them; a process that ends is started again.

Why not uvicorn's own --workers: its processes share one listening socket, and asyncio's
accept loop takes every connection waiting when it wakes, so the process that wakes first
keeps them; a device holds its connection open between uploads. Measured with
bench/chain_bench.py (64 devices, 2 processes, the transactions each process committed): with
uvicorn's workers 59% and 41% in one run, 78% and 22% in another; with a socket each 52% and
48% (the kernel picks the process by the connection's addresses). And a process that ends is
said here, in one sentence, not only restarted.

Each process runs the chain's app (backend/chain_app.py) on the databases `named` names;
nothing is shared between them but those databases.
"""

from __future__ import annotations

import multiprocessing
import os
import signal
import socket
import threading
import time
from multiprocessing.process import BaseProcess
from typing import TextIO

RESTART_AFTER = 1.0  # seconds at least between two starts of one worker (a crash at start-up)


def can_share_port() -> bool:
    return hasattr(socket, "SO_REUSEPORT")


def listening_socket(host: str, port: int) -> socket.socket:
    """A socket on `host:port` that other processes of this user may also listen on."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    sock.bind((host, port))
    sock.listen(2048)
    return sock


def _worker(host: str, port: int, named: str) -> None:
    """One backend process (spawned): the chain's app on a socket of its own."""
    import uvicorn

    from picker_app.backend.chain_app import CHAIN_ENV

    os.environ[CHAIN_ENV] = named
    config = uvicorn.Config("picker_app.backend.chain_app:app", factory=True, log_level="warning")
    uvicorn.Server(config).run(sockets=[listening_socket(host, port)])


def serve_workers(count: int, host: str, port: int, named: str, err: TextIO) -> None:
    """Run `count` backend processes on `host:port` until SIGINT or SIGTERM; one that ends
    (killed, crashed) is said on `err` and started again."""
    spawn = multiprocessing.get_context("spawn")
    stop = threading.Event()
    started: list[float] = [0.0] * count

    def start(i: int) -> BaseProcess:
        wait = started[i] + RESTART_AFTER - time.monotonic()
        if wait > 0:
            stop.wait(wait)
        started[i] = time.monotonic()
        proc = spawn.Process(target=_worker, args=(host, port, named), name=f"backend-{i + 1}")
        proc.start()
        return proc

    def ask_stop(signum: int, _frame: object) -> None:
        stop.set()

    before = {s: signal.signal(s, ask_stop) for s in (signal.SIGINT, signal.SIGTERM)}
    procs = [start(i) for i in range(count)]
    try:
        while not stop.wait(0.5):
            for i, proc in enumerate(procs):
                if not proc.is_alive() and not stop.is_set():
                    err.write(
                        f"backend process {proc.pid} ended (exit code {proc.exitcode}); "
                        "another is started in its place\n"
                    )
                    err.flush()
                    procs[i] = start(i)
    finally:
        for proc in procs:
            if proc.is_alive():
                proc.terminate()  # uvicorn's own shutdown: answers in flight are sent
        for proc in procs:
            proc.join(15)
            if proc.is_alive():
                proc.kill()
                proc.join()
        for s, handler in before.items():
            signal.signal(s, handler)
