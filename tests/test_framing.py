"""Serial framing: terminators, split reads, noise, silence, prefix; hypothesis on random bytes."""

from __future__ import annotations

import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from picker_app.scanner.framing import Frame, Framer, FramingConfig, Misread

EAN = b"8901063010000"


def texts(items):
    return [i.text if isinstance(i, Frame) else ("MISREAD", i.reason) for i in items]


@pytest.mark.parametrize(
    ("terminator", "wire"),
    [
        ("CR", EAN + b"\r"),
        ("LF", EAN + b"\n"),
        ("CRLF", EAN + b"\r\n"),
        ("TAB", EAN + b"\t"),
        ("CR", EAN + b"\r\n"),  # a scanner sending CRLF to a port set for CR: still one scan
        ("LF", EAN + b"\r\n"),
        ("CRLF", EAN + b"\n"),
    ],
)
def test_each_terminator_gives_exactly_one_scan(terminator, wire):
    framer = Framer(FramingConfig(terminator=terminator))
    assert texts(framer.feed(wire + wire, 0.0)) == [EAN.decode()] * 2
    assert framer.misreads == 0


def test_crlf_split_across_reads_is_still_one_terminator():
    framer = Framer()
    assert texts(framer.feed(EAN + b"\r", 0.0)) == [EAN.decode()]
    assert framer.feed(b"\n", 0.01) == []
    assert texts(framer.feed(b"12345670\r\n", 0.02)) == ["12345670"]


@pytest.mark.parametrize("split", range(1, len(EAN) + 2))
def test_a_frame_split_at_any_byte_is_one_scan(split):
    wire = EAN + b"\r\n"
    framer = Framer()
    out = framer.feed(wire[:split], 0.0) + framer.feed(wire[split:], 0.005)
    assert texts(out) == [EAN.decode()]


def test_frames_split_at_every_position_of_a_stream():
    wire = b"]C10109506000134352\r\n" + EAN + b"\r\nA07-2\r\n"
    for split in range(len(wire) + 1):
        framer = Framer()
        out = framer.feed(wire[:split], 0.0) + framer.feed(wire[split:], 0.01)
        assert texts(out) == ["]C10109506000134352", EAN.decode(), "A07-2"], split


def test_gs_separator_survives_inside_a_frame():
    framer = Framer()
    (frame,) = framer.feed(b"]C10109506000134352\x1d10AB12\r", 0.0)
    assert frame.text == "]C10109506000134352\x1d10AB12"


@pytest.mark.parametrize(
    ("wire", "reason"),
    [
        (b"890106\x00301000\r", "NUL or 0xFF"),
        (b"\xff\xff\xff\r", "NUL or 0xFF"),
        (b"89010\xc3\x28\r", "not UTF-8"),
        (b"8901\x07063\r", "control characters"),
        (b"9" * 300 + b"\r", "longer than 256 bytes"),
    ],
)
def test_noise_is_a_counted_misread_never_a_scan(wire, reason):
    framer = Framer()
    out = framer.feed(wire + EAN + b"\r", 0.0)
    assert isinstance(out[0], Misread) and reason in out[0].reason
    assert texts(out[1:]) == [EAN.decode()]
    assert framer.misreads == 1


def test_empty_frames_are_ignored():
    framer = Framer(FramingConfig(terminator="TAB"))
    assert framer.feed(b"\t\t  \t", 0.0) == []
    assert framer.misreads == 0


def test_fragment_without_terminator_is_dropped_after_silence_not_merged():
    framer = Framer(FramingConfig(silence_s=0.1))
    assert framer.feed(b"890106", 0.0) == []
    (misread,) = framer.expire(0.25)  # the reader saw the line quiet
    assert misread.data == b"890106"
    assert texts(framer.feed(EAN + b"\r", 0.3)) == [EAN.decode()]
    assert framer.misreads == 1


def test_late_read_of_bytes_that_waited_in_the_kernel_is_one_frame():
    """A busy reading thread reads the rest of a frame late, with no quiet read between."""
    framer = Framer(FramingConfig(silence_s=0.1))
    assert framer.feed(b"890106", 0.0) == []
    assert texts(framer.feed(b"3010000\r", 0.5)) == ["8901063010000"]
    assert framer.misreads == 0


def test_expire_drops_a_stale_fragment_when_no_more_bytes_come():
    framer = Framer(FramingConfig(silence_s=0.1))
    framer.feed(b"8901", 1.0)
    assert framer.expire(1.05) == []
    (misread,) = framer.expire(1.2)
    assert misread.data == b"8901" and framer.misreads == 1
    assert framer.expire(5.0) == []


def test_prefix_is_required_and_stripped():
    framer = Framer(FramingConfig(prefix=b"\x02"))
    out = framer.feed(b"\x02" + EAN + b"\r" + EAN + b"\r", 0.0)
    assert texts(out) == [EAN.decode(), ("MISREAD", "missing the scanner's prefix")]


valid_codes = st.text(
    alphabet=st.characters(min_codepoint=0x21, max_codepoint=0x7E), min_size=1, max_size=60
)


@settings(max_examples=200, deadline=None)
@given(
    codes=st.lists(valid_codes, min_size=1, max_size=8),
    terminator=st.sampled_from(["CR", "LF", "CRLF", "TAB"]),
    cuts=st.lists(st.integers(0, 600), max_size=10),
)
def test_valid_codes_survive_any_chunking(codes, terminator, cuts):
    end = {"CR": b"\r", "LF": b"\n", "CRLF": b"\r\n", "TAB": b"\t"}[terminator]
    wire = b"".join(code.encode() + end for code in codes)
    framer = Framer(FramingConfig(terminator=terminator))
    out = []
    last = 0
    for i, cut in enumerate(sorted(c for c in cuts if c < len(wire))):
        out += framer.feed(wire[last:cut], i * 0.001)
        last = cut
    out += framer.feed(wire[last:], 0.05)
    assert texts(out) == codes


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(st.binary(max_size=80), st.floats(0, 0.3)), max_size=12))
def test_random_bytes_never_raise_and_every_misread_is_counted(chunks):
    framer = Framer()
    t = 0.0
    out = []
    for data, gap in chunks:
        t += gap
        out += framer.expire(t) + framer.feed(data, t)
    out += framer.expire(t + 1.0)
    misreads = [o for o in out if isinstance(o, Misread)]
    assert framer.misreads == len(misreads)
    for item in out:
        if isinstance(item, Frame):
            assert item.text.strip() and len(item.text.encode()) <= 256
            assert not set(item.text) & {"\r", "\n", "\x00", "\xff"}


# --- 10,000 frames, 10% garbage, cut at random points -----------------------------------------


def ean13(n: int, good: bool = True) -> str:
    """An EAN-13 under the 890 prefix, unique for n < 10**9; with a wrong check digit if not
    `good`."""
    body = f"890{n:09d}"
    check = (10 - sum(int(d) * (3 if i % 2 else 1) for i, d in enumerate(body)) % 10) % 10
    return body + str(check if good else (check + 1 + n % 9) % 10)


GARBAGE = ("noise", "control", "not_utf8", "too_long", "truncated", "bad_check")


def scanner_stream(count: int, seed: int, truncated_weight: float = 1) -> tuple[list, list[str]]:
    """`count` frames, 10% of them garbage of every kind: a list of (bytes, kind), and the
    valid barcodes in order. A truncated frame is followed by silence (see `feed_in_chunks`)."""
    rng = random.Random(seed)
    weights = [1, 1, 1, 1, truncated_weight, 1]
    frames: list[tuple[bytes, str]] = []
    valid: list[str] = []
    for n in range(count):
        end = rng.choice([b"\r", b"\r\n", b"\n"])
        code = ean13(n)
        if rng.random() >= 0.1:
            frames.append((code.encode() + end, "valid"))
            valid.append(code)
            continue
        kind = rng.choices(GARBAGE, weights)[0]
        cut = rng.randint(1, 12)
        body = {
            "noise": bytes(rng.choice([0x00, 0xFF, 0xFE, 0x30]) for _ in range(rng.randint(1, 9))),
            "control": code[:cut].encode()
            + bytes([rng.choice([0x01, 0x07, 0x1B, 0x7F])])
            + code[cut:].encode(),
            "not_utf8": code[:cut].encode()
            + rng.choice([b"\xc3\x28", b"\x80", b"\xe2\x82"])
            + code[cut:].encode(),
            "too_long": code.encode() * 20,
            "truncated": code[:cut].encode(),
            "bad_check": ean13(n, good=False).encode(),
        }[kind]
        if b"\x00" not in body and b"\xff" not in body and kind == "noise":
            body += b"\x00"
        frames.append((body if kind == "truncated" else body + end, kind))
    return frames, valid


def feed_in_chunks(framer: Framer, frames: list, seed: int) -> list[Frame | Misread]:
    """The frames' bytes cut at random points and fed as a reader would: `expire` between
    reads (a quiet read), and a silence longer than the framer's after a truncated frame."""
    rng = random.Random(seed)
    out: list[Frame | Misread] = []
    t = 0.0
    run = bytearray()

    def flush() -> None:
        nonlocal t
        data = bytes(run)
        run.clear()
        cuts = sorted(rng.sample(range(1, len(data)), min(len(data) - 1, len(data) // 6)))
        for a, b in zip([0, *cuts], [*cuts, len(data)], strict=True):
            t += 0.0005
            out.extend(framer.feed(data[a:b], t))
            out.extend(framer.expire(t))  # not quiet long enough: nothing is dropped

    for data, kind in frames:
        run += data
        if kind == "truncated":
            flush()
            t += framer.config.silence_s * 2  # the rest never comes
            out.extend(framer.expire(t))
    if run:
        flush()
    return out


def test_ten_thousand_frames_with_garbage_and_random_splits_give_only_the_valid_in_order():
    from picker_app.domain.scan import interpret

    frames, valid = scanner_stream(10_000, seed=15)
    kinds = [kind for _, kind in frames]
    garbage = len(frames) - len(valid)
    assert 800 < garbage < 1200 and set(kinds) == {"valid", *GARBAGE}
    framer = Framer()
    out = feed_in_chunks(framer, frames, seed=16)
    scans = [interpret(item.text) for item in out if isinstance(item, Frame)]
    products = [s.gtin for s in scans if s.kind == "product"]
    assert products == ["0" + code for code in valid]  # all, once, in order, none invented
    assert [s.kind for s in scans if s.kind != "product"] == ["rejected"] * kinds.count("bad_check")
    misreads = [item for item in out if isinstance(item, Misread)]
    assert framer.misreads == len(misreads) == garbage - kinds.count("bad_check")
