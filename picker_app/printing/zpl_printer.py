"""A ZPL label printer (Zebra and compatibles) on raw TCP or a serial line.

Before each job the printer is asked for its host status (`~HS`) and the job is sent only if it
can print: a printer that cannot be reached, does not answer in time, answers something that is
not a host status, is out of paper or ribbon, paused, has its head open or is too hot raises one
`PrinterError` whose text is a plain sentence: what is wrong and what to do, e.g. "The label
printer at tcp://10.0.0.7:9100 is out of paper: load labels, then press R to retry."

The printer is opened for one job and closed after it, so a printer switched off and on
between two labels needs nothing of the app. Addresses:

- `tcp://HOST[:PORT]`: raw TCP, port 9100 unless given (Zebra's raw print port);
- anything else is a serial port for pyserial: `/dev/ttyUSB0`, `/dev/serial/by-id/...`, a pty
  path, or a pyserial URL (`rfc2217://`, `socket://`, `loop://`).

The reply to `~HS` is three strings, each `<STX>fields<ETX><CR><LF>` (ZPL II Programming Guide,
~HS Host Status Return); the flags read here:

- string 1 `aaa,b,c,dddd,eee,f,g,h,iii,j,k,l`: b paper out, c pause, f receive buffer full,
  k under temperature, l over temperature;
- string 2 `mmm,n,o,p,q,r,s,t,uuuuuuuu,v,www`: o head up, p ribbon out, q thermal transfer mode
  (ribbon out counts only then);
- string 3 `xxxx,y`: password and static RAM, not read.

Some printers do not answer `~HS` at all while out of media or with the head open, so the
sentence for a printer that is silent names those causes too.
"""

from __future__ import annotations

import contextlib
import socket
import time
from dataclasses import dataclass
from typing import Literal, Protocol
from urllib.parse import urlsplit

import serial

from picker_app.domain.labels import BagLabel, label_zpl
from picker_app.errors import UserError

STX, ETX = b"\x02", b"\x03"
HOST_STATUS = b"~HS"
DEFAULT_TCP_PORT = 9100
MAX_REPLY = 1024  # bytes: a host status is about 80; past this the answer is not one

Problem = Literal[
    "address",
    "unreachable",
    "timeout",
    "garbage",
    "head_open",
    "paper_out",
    "ribbon_out",
    "paused",
    "too_hot",
    "too_cold",
    "busy",
    "write_failed",
]


class PrinterError(UserError):
    """The label was not printed; `str(err)` says why and what to do, `problem` names it."""

    def __init__(self, message: str, problem: Problem) -> None:
        super().__init__(message)
        self.problem: Problem = problem


@dataclass(frozen=True)
class HostStatus:
    """The flags of a `~HS` reply that decide whether a label can print."""

    paper_out: bool
    paused: bool
    head_up: bool
    ribbon_out: bool = False
    thermal_transfer: bool = False
    buffer_full: bool = False
    under_temperature: bool = False
    over_temperature: bool = False

    def problem(self) -> tuple[Problem, str] | None:
        """(problem, what to do) of the first thing that keeps the printer from printing."""
        if self.head_up:
            return "head_open", "has its print head open: close the head"
        if self.paper_out:
            return "paper_out", "is out of paper: load labels"
        if self.ribbon_out and self.thermal_transfer:
            return "ribbon_out", "is out of ribbon: load a ribbon"
        if self.paused:
            return "paused", "is paused: press its PAUSE button to resume it"
        if self.over_temperature:
            return "too_hot", "is too hot: let it cool for a few minutes"
        if self.under_temperature:
            return "too_cold", "is too cold to print: move it somewhere warmer"
        if self.buffer_full:
            return "busy", "is busy (its buffer is full): wait a moment"
        return None


def parse_host_status(reply: bytes) -> HostStatus:
    """The host status in a `~HS` reply; ValueError if it is not one (three STX ... ETX
    strings of comma-separated numbers, the first with at least 12 and the second 11 fields
    as the ZPL guide gives them, the third at least one)."""
    strings = reply.split(ETX)
    if len(strings) < 4:  # three ETX-terminated strings, then the rest (CR LF)
        raise ValueError("fewer than three status strings")
    fields: list[list[int]] = []
    for raw, least in zip(strings[:3], (12, 11, 1), strict=True):
        raw = raw.lstrip(b"\r\n")
        if not raw.startswith(STX):
            raise ValueError("a status string does not start with STX")
        parts = raw[1:].split(b",")
        if len(parts) < least or not all(p.strip().isdigit() for p in parts):
            raise ValueError("a status string is not comma-separated numbers")
        fields.append([int(p) for p in parts])
    one, two, _ = fields
    return HostStatus(
        paper_out=one[1] == 1,
        paused=one[2] == 1,
        buffer_full=one[5] == 1,
        under_temperature=one[10] == 1,
        over_temperature=one[11] == 1,
        head_up=two[2] == 1,
        ribbon_out=two[3] == 1,
        thermal_transfer=two[4] == 1,
    )


class _Link(Protocol):
    def write(self, data: bytes) -> None: ...
    def read(self, deadline: float) -> bytes: ...  # b"" once the deadline passes
    def close(self) -> None: ...


class _TcpLink:
    def __init__(self, host: str, port: int, timeout_s: float) -> None:
        self.sock = socket.create_connection((host, port), timeout=timeout_s)
        self.timeout_s = timeout_s

    def write(self, data: bytes) -> None:
        self.sock.settimeout(self.timeout_s)
        self.sock.sendall(data)

    def read(self, deadline: float) -> bytes:
        left = deadline - time.monotonic()
        if left <= 0:
            return b""
        self.sock.settimeout(left)
        try:
            data = self.sock.recv(256)
        except TimeoutError:
            return b""
        if not data:
            raise ConnectionResetError("the printer closed the connection")
        return data

    def close(self) -> None:
        with contextlib.suppress(OSError):
            self.sock.shutdown(socket.SHUT_WR)  # the job's end, after the last byte
        self.sock.close()


class _SerialLink:
    POLL_S = 0.02

    def __init__(self, url: str, baudrate: int, timeout_s: float) -> None:
        self.port = serial.serial_for_url(
            url, baudrate=baudrate, timeout=self.POLL_S, write_timeout=timeout_s
        )
        self.port.reset_input_buffer()  # a late reply to an earlier job's ~HS

    def write(self, data: bytes) -> None:
        self.port.write(data)
        self.port.flush()  # returns when the last byte has left (tcdrain)

    def read(self, deadline: float) -> bytes:
        if time.monotonic() >= deadline:
            return b""
        return bytes(self.port.read(max(1, self.port.in_waiting)))

    def close(self) -> None:
        with contextlib.suppress(serial.SerialException, OSError):
            self.port.close()


class LabelPrinter:
    """One ZPL printer at `url`. `timeout_s` bounds each step (connecting, the status reply,
    writing the job); `retry` ends each error sentence ("press R to retry" on the packing
    screen)."""

    def __init__(
        self,
        url: str,
        *,
        timeout_s: float = 3.0,
        baudrate: int = 9600,
        retry: str = "try again",
    ) -> None:
        self.url = url
        self.timeout_s = timeout_s
        self.baudrate = baudrate
        self.retry = retry

    def print_label(self, label: BagLabel | str) -> None:
        """Print one label (a `BagLabel`, or ZPL text): check the printer's status, then send
        the job. Returns only when every byte of the job was written to the printer; raises
        PrinterError (nothing or not all of it sent) otherwise."""
        zpl = label_zpl(label) if isinstance(label, BagLabel) else label
        job = zpl.encode("utf-8")
        link = self._open()
        try:
            self._check(self._status(link))
            try:
                link.write(job)
            except (OSError, serial.SerialException) as err:
                raise self._error(
                    "write_failed",
                    f"stopped taking the label part way ({_why(err)}): check the printer",
                ) from None
        finally:
            link.close()

    def status(self) -> HostStatus:
        """The printer's host status now (PrinterError if it cannot be had)."""
        link = self._open()
        try:
            return self._status(link)
        finally:
            link.close()

    def _open(self) -> _Link:
        if self.url.lower().startswith("tcp://"):
            host, port = self._tcp_address()
            try:
                return _TcpLink(host, port, self.timeout_s)
            except socket.gaierror:
                raise self._error(
                    "address", "has a host name that is not known: check the printer address"
                ) from None
            except TimeoutError:
                raise self._error(
                    "unreachable",
                    f"does not answer (no connection in {self.timeout_s:g} s): check that it is "
                    "on and on the network",
                ) from None
            except OSError as err:
                raise self._error(
                    "unreachable",
                    f"cannot be reached ({_why(err)}): check that it is on and connected",
                ) from None
        try:
            return _SerialLink(self.url, self.baudrate, self.timeout_s)
        except (serial.SerialException, OSError, ValueError) as err:
            raise self._error(
                "unreachable",
                f"cannot be opened ({_why(err)}): check its cable and that it is on",
            ) from None

    def _tcp_address(self) -> tuple[str, int]:
        try:
            parts = urlsplit(self.url)
            port = parts.port or DEFAULT_TCP_PORT
        except ValueError:
            parts, port = None, 0
        if parts is None or not parts.hostname or parts.path not in ("", "/"):
            raise PrinterError(
                f"{self.url!r} is not a printer address: write tcp://HOST:PORT "
                "(e.g. tcp://10.0.0.7:9100) or a serial port such as /dev/ttyUSB0.",
                "address",
            )
        return parts.hostname, port

    def _status(self, link: _Link) -> HostStatus:
        try:
            link.write(HOST_STATUS)
            reply = b""
            deadline = time.monotonic() + self.timeout_s
            while reply.count(ETX) < 3 and len(reply) <= MAX_REPLY:
                data = link.read(deadline)
                if not data and time.monotonic() >= deadline:
                    break
                reply += data
                if reply.lstrip(b"\r\n")[:1] not in (b"", STX):
                    break  # not a host status: no need to wait for the rest
        except (OSError, serial.SerialException) as err:
            raise self._error(
                "unreachable",
                f"hung up when asked for its status ({_why(err)}): check that it is on",
            ) from None
        if not reply.strip():
            raise self._error(
                "timeout",
                f"did not answer its status request in {self.timeout_s:g} s: check that it is "
                "on, has labels and its head is closed",
            )
        try:
            return parse_host_status(reply)
        except ValueError:
            raise self._error(
                "garbage",
                "answered its status request with something that is not a Zebra host status: "
                "check that the address is a ZPL label printer",
            ) from None

    def _check(self, status: HostStatus) -> None:
        found = status.problem()
        if found is not None:
            raise self._error(*found)

    def _error(self, problem: Problem, what: str) -> PrinterError:
        return PrinterError(f"The label printer at {self.url} {what}, then {self.retry}.", problem)


def _why(err: BaseException) -> str:
    if isinstance(err, OSError) and err.strerror:
        text = err.strerror
    else:
        text = str(err).strip() or type(err).__name__
    return text.splitlines()[0][:120]
