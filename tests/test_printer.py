"""The ZPL label printer client against real parts: a printer on a loopback socket that answers
~HS as a Zebra does and keeps what it is sent, and a serial printer on a pty pair."""

from __future__ import annotations

import os
import queue
import socket
import threading
import time
import tty
from datetime import datetime, timedelta, timezone

import pytest

from picker_app.cli import main
from picker_app.domain.labels import label_zpl, make_bag_label
from picker_app.printing.zpl_printer import (
    HostStatus,
    LabelPrinter,
    PrinterError,
    parse_host_status,
)

LABEL = make_bag_label(
    "OR52000001", 2, 3, datetime(2026, 10, 26, 14, 5, tzinfo=timezone(timedelta(hours=5.5))),
    temp="frozen", area="KOR-4",
)  # fmt: skip


def host_status(
    paper_out: int = 0, paused: int = 0, head_up: int = 0, ribbon_out: int = 0, tt: int = 0
) -> bytes:
    """A ~HS reply as a Zebra sends it: three <STX>...<ETX><CR><LF> strings."""
    one = f"030,{paper_out},{paused},1218,000,0,0,0,000,0,0,0"
    two = f"000,0,{head_up},{ribbon_out},{tt},2,6,0,00000000,1,000"
    three = "1234,0"
    return b"".join(b"\x02" + s.encode() + b"\x03\r\n" for s in (one, two, three))


READY = host_status()


class FakePrinter:
    """A raw-TCP ZPL printer on 127.0.0.1: answers each ~HS with `reply` (None: stays silent)
    and puts the bytes of each connection, less the ~HS, on `jobs` when the client is done."""

    def __init__(self, reply: bytes | None = READY, port: int = 0) -> None:
        self.reply = reply
        self.server = socket.create_server(("127.0.0.1", port))
        self.port = self.server.getsockname()[1]
        self.url = f"tcp://127.0.0.1:{self.port}"
        self.server.settimeout(0.05)  # so that `close` is seen at once
        self.jobs: queue.Queue[bytes] = queue.Queue()
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self) -> None:
        while not self.stop.is_set():
            try:
                conn, _ = self.server.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            with conn:
                conn.settimeout(5)
                data = b""
                try:
                    while chunk := conn.recv(4096):
                        data += chunk
                        if b"~HS" in data:
                            data = data.replace(b"~HS", b"", 1)
                            if self.reply is not None:
                                conn.sendall(self.reply)
                except OSError:
                    pass
                self.jobs.put(data)

    def close(self) -> None:
        self.stop.set()
        self.thread.join(2)
        self.server.close()


@pytest.fixture
def printer():
    p = FakePrinter()
    yield p
    p.close()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_parse_host_status():
    assert parse_host_status(READY) == HostStatus(paper_out=False, paused=False, head_up=False)
    s = parse_host_status(host_status(paper_out=1, paused=1, head_up=1, ribbon_out=1, tt=1))
    assert s.paper_out and s.paused and s.head_up and s.ribbon_out and s.thermal_transfer
    for bad in (b"", b"hello", READY[:40], READY.replace(b",", b";"), READY.replace(b"\x02", b"")):
        with pytest.raises(ValueError):
            parse_host_status(bad)


def test_print_ok_sends_the_label(printer):
    LabelPrinter(printer.url, timeout_s=2).print_label(LABEL)
    assert printer.jobs.get(timeout=2) == label_zpl(LABEL).encode()


@pytest.mark.parametrize(
    ("reply", "problem", "sentence"),
    [
        (host_status(paper_out=1, paused=1), "paper_out", "is out of paper: load labels"),
        (host_status(paused=1), "paused", "is paused: press its PAUSE button"),
        (host_status(head_up=1), "head_open", "has its print head open: close the head"),
        (host_status(ribbon_out=1, tt=1), "ribbon_out", "is out of ribbon"),
        (b"HTTP/1.1 400 Bad Request\r\n\r\n", "garbage", "not a Zebra host status"),
        (b"\x02030,0,0\x03\r\n\x02x\x03\r\n\x02y\x03\r\n", "garbage", "not a Zebra host status"),
        (None, "timeout", "did not answer its status request in 0.5 s"),
    ],
    ids=["paper-out", "paused", "head-open", "ribbon-out", "http", "short-status", "silent"],
)
def test_printer_that_cannot_print_gets_no_job(printer, reply, problem, sentence):
    printer.reply = reply
    started = time.monotonic()
    with pytest.raises(PrinterError) as caught:
        LabelPrinter(printer.url, timeout_s=0.5, retry="press R to retry").print_label(LABEL)
    assert time.monotonic() - started < 2
    err = caught.value
    assert err.problem == problem
    text = str(err)
    assert text.startswith(f"The label printer at {printer.url} ")
    assert sentence in text and text.endswith(", then press R to retry.")
    assert "\n" not in text
    job = printer.jobs.get(timeout=2)  # what the printer got before the client hung up
    assert b"^XA" not in job


def test_ribbon_out_flag_does_not_count_in_direct_thermal_mode(printer):
    printer.reply = host_status(ribbon_out=1, tt=0)
    LabelPrinter(printer.url, timeout_s=2).print_label(LABEL)
    assert b"^XZ" in printer.jobs.get(timeout=2)


def test_printer_down_then_up():
    port = free_port()
    url = f"tcp://127.0.0.1:{port}"
    client = LabelPrinter(url, timeout_s=1)
    with pytest.raises(PrinterError) as caught:
        client.print_label(LABEL)
    assert caught.value.problem == "unreachable"
    assert str(caught.value) == (
        f"The label printer at {url} cannot be reached (Connection refused): check that it is "
        "on and connected, then try again."
    )
    up = FakePrinter(port=port)  # switched on: the retry prints
    try:
        client.print_label(LABEL)
        assert up.jobs.get(timeout=2) == label_zpl(LABEL).encode()
    finally:
        up.close()


def test_default_port_and_bad_addresses():
    printer = LabelPrinter("tcp://printer.invalid", timeout_s=1)
    assert printer._tcp_address() == ("printer.invalid", 9100)
    for url in ("tcp://", "tcp://host:port", "tcp://host:9100/path"):
        with pytest.raises(PrinterError, match="is not a printer address") as caught:
            LabelPrinter(url).print_label(LABEL)
        assert caught.value.problem == "address"


class SerialPrinter:
    """A ZPL printer on the master side of a pty: answers ~HS, keeps the job up to ^XZ."""

    def __init__(self, reply: bytes = READY) -> None:
        self.master, self.slave = os.openpty()
        tty.setraw(self.slave)  # no echo, no line editing
        self.path = os.ttyname(self.slave)
        self.reply = reply
        self.jobs: queue.Queue[bytes] = queue.Queue()
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self) -> None:
        os.set_blocking(self.master, False)
        data = b""
        while not self.stop.is_set():
            try:
                data += os.read(self.master, 4096)
            except BlockingIOError:
                time.sleep(0.005)
                continue
            except OSError:
                return
            if b"~HS" in data:
                data = data.replace(b"~HS", b"", 1)
                os.write(self.master, self.reply)
            if b"^XZ" in data:
                end = data.index(b"^XZ") + 3
                job, data = data[: end + 1], data[end + 1 :]  # with the newline after ^XZ
                self.jobs.put(job)

    def close(self) -> None:
        self.stop.set()
        self.thread.join(2)
        os.close(self.master)
        os.close(self.slave)


def test_serial_printer_on_a_pty():
    pty = SerialPrinter()
    try:
        LabelPrinter(pty.path, timeout_s=2, baudrate=115200).print_label(LABEL)
        assert pty.jobs.get(timeout=2) == label_zpl(LABEL).encode()
    finally:
        pty.close()


def test_serial_printer_out_of_paper():
    pty = SerialPrinter(host_status(paper_out=1))
    try:
        with pytest.raises(PrinterError, match="is out of paper"):
            LabelPrinter(pty.path, timeout_s=1).print_label(LABEL)
    finally:
        pty.close()


def test_serial_port_missing(tmp_path):
    path = tmp_path / "ttyUSB9"
    with pytest.raises(PrinterError) as caught:
        LabelPrinter(str(path), timeout_s=1).print_label(LABEL)
    assert caught.value.problem == "unreachable"
    assert f"The label printer at {path} cannot be opened" in str(caught.value)


# The command.


def test_cli_prints_on_the_printer(capsys, printer):
    status = main(["label", "OR52000001", "--bag", "1/2", "--printer", printer.url])
    out, err = capsys.readouterr()
    assert status == 0, err
    assert out.splitlines()[0] == "BG5200000101"
    job = printer.jobs.get(timeout=2)
    assert job.startswith(b"^XA") and b"^FDBG5200000101^FS" in job


@pytest.mark.parametrize("reply", [host_status(paper_out=1), None], ids=["paper-out", "silent"])
def test_cli_printer_error_is_one_sentence_and_status_2(capsys, printer, reply):
    printer.reply = reply
    argv = ["label", "OR52000001", "--bag", "1/2", "--printer", printer.url, "--timeout", "0.3"]
    status = main(argv)
    out, err = capsys.readouterr()
    assert status == 2 and out == ""
    lines = err.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in err
    assert lines[0].startswith(f"picker-app: The label printer at {printer.url} ")
    assert lines[0].endswith(", then try again.") and lines[0].count(". ") == 0


def test_cli_printer_down(capsys):
    url = f"tcp://127.0.0.1:{free_port()}"
    status = main(["label", "OR52000001", "--bag", "1/1", "--printer", url])
    out, err = capsys.readouterr()
    assert status == 2 and out == ""
    assert err == (
        f"picker-app: The label printer at {url} cannot be reached (Connection refused): check "
        "that it is on and connected, then try again.\n"
    )
