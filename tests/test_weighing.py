"""The packing scale's replies (MT-SICS level 0) and the weight check of a packed bag: pure
parsing, the max(20 g, 5 %) rule and the tracker a packing screen feeds readings to."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from picker_app.domain.weighing import (
    Reading,
    Removed,
    ScaleFault,
    ScaleTracker,
    Settled,
    Unreadable,
    Unscanned,
    Waiting,
    Weighed,
    check_added,
    format_reply,
    parse_reply,
    tolerance_g,
)


@pytest.mark.parametrize(
    ("line", "grams", "stable", "unit"),
    [
        (b"S S     0.512 kg\r\n", 512.0, True, "kg"),
        ("S D     0.510 kg", 510.0, False, "kg"),
        ("S S       512 g", 512.0, True, "g"),
        ("S S    100.00 g", 100.0, True, "g"),
        ("S S     -0.020 kg", -20.0, True, "kg"),
        ("S S   -   0.020 kg", -20.0, True, "kg"),  # the sign may stand apart
        ("S S      1.000 lb", 453.59237, True, "lb"),
        ("S S     500000 mg", 500.0, True, "mg"),
        ("S S      .5 kg", 500.0, True, "kg"),
        ("  S  S   12 g  \n", 12.0, True, "g"),
    ],
)
def test_weights_are_read_in_grams(line, grams, stable, unit):
    assert parse_reply(line) == Reading(pytest.approx(grams), stable, unit)


@pytest.mark.parametrize(
    ("line", "kind"),
    [
        ("S I", "busy"),
        ("S +\r\n", "overload"),
        ("S -", "underload"),
        ("S  +", "overload"),
        ("ES", "syntax"),
        (b"ET\r\n", "transmission"),
        ("EL", "logical"),
    ],
)
def test_faults_are_their_own_outcomes(line, kind):
    reply = parse_reply(line)
    assert reply == ScaleFault(kind)
    assert isinstance(reply, ScaleFault) and reply.message.endswith(".")


@pytest.mark.parametrize(
    ("line", "why"),
    [
        (b"", "an empty line"),
        (b"\xff\xfeS S 0.5 kg", "not ASCII"),
        ("S S 0.5 \x1bkg", "control characters"),
        ("S S 0.512 st", "unknown unit 'st'"),
        ("S S abc kg", "not a weight"),
        ("S X 0.512 kg", "not a weight"),
        ("S S 0.512", "not a weight"),
        ("S S 1e5 kg", "not a weight"),
        ("S S NaN kg", "not a weight"),
        ("S S 1.2.3 kg", "not a weight"),
        ('I4 A "B123"', "not a weight"),
        ("S S " + "9" * 80 + " kg", "too long"),
    ],
)
def test_garbage_is_unreadable_and_says_why(line, why):
    reply = parse_reply(line)
    assert isinstance(reply, Unreadable)
    assert why in reply.why
    assert "MT-SICS" in reply.message


@given(st.binary(max_size=200))
def test_any_bytes_give_a_verdict(data):
    reply = parse_reply(data)
    assert isinstance(reply, Reading | ScaleFault | Unreadable)
    assert isinstance(reply.message, str) and reply.message


@given(st.text(alphabet="SDIETL+-. 0123456789kgmlboz\r\n\t\x00é", max_size=40))
def test_reply_like_text_gives_a_verdict(text):
    reply = parse_reply(text)
    assert isinstance(reply, Reading | ScaleFault | Unreadable)
    if isinstance(reply, Reading):
        assert reply.grams == reply.grams  # never NaN


@given(
    st.integers(min_value=-500, max_value=15000),
    st.booleans(),
    st.sampled_from(["kg", "g"]),
)
def test_format_and_parse_round_trip_whole_grams(grams, stable, unit):
    line = format_reply(grams, stable, unit)
    assert len(line.split()[2]) <= 10  # the 10-character value field
    assert parse_reply(line + "\r\n") == Reading(float(grams), stable, unit)


@given(st.floats(min_value=-500, max_value=15000, allow_nan=False))
def test_pounds_round_trip_to_their_last_digit(grams):
    reply = parse_reply(format_reply(grams, True, "lb"))
    assert isinstance(reply, Reading)
    assert reply.grams == pytest.approx(grams, abs=0.0005 * 453.59237 + 1e-9)


def test_no_negative_zero():
    assert format_reply(-0.0001) == "S S      0.000 kg"


# --- the QC rule -------------------------------------------------------------------------------


def test_tolerance_is_20_g_or_5_percent_whichever_is_more():
    assert tolerance_g(100) == 20
    assert tolerance_g(400) == 20
    assert tolerance_g(1000) == 50
    assert tolerance_g(2500) == 125


@pytest.mark.parametrize(
    ("expected", "before", "after", "verdict"),
    [
        (400, 50, 470, "ok"),  # +20 g: on the edge
        (400, 50, 470.5, "too heavy"),
        (400, 50, 430, "ok"),
        (400, 50, 429.5, "too light"),
        (1000, 0, 1050, "ok"),  # 5 % of a kilogram
        (1000, 0, 1051, "too heavy"),
        (1000, 0, 949, "too light"),
        (10, 800, 800, "ok"),  # a 10 g item cannot be told from nothing: within 20 g
    ],
)
def test_check_added(expected, before, after, verdict):
    check = check_added(expected, before, after)
    assert check.verdict == verdict
    assert check.added_g == pytest.approx(after - before)
    assert check.off_by_g == pytest.approx(after - before - expected)
    assert check.ok == (verdict == "ok")
    assert ("OK" in check.message) == check.ok


@given(
    st.floats(min_value=1, max_value=20000),
    st.floats(min_value=0, max_value=20000),
    st.floats(min_value=-1000, max_value=30000),
)
def test_check_is_ok_exactly_within_the_tolerance(expected, before, after):
    check = check_added(expected, before, after)
    off = check.added_g - expected
    assert check.ok == (abs(off) <= tolerance_g(expected))
    assert check.verdict == ("ok" if check.ok else "too light" if off < 0 else "too heavy")


# --- the tracker -------------------------------------------------------------------------------


def stable(grams: float) -> Reading:
    return Reading(grams, True)


def test_an_item_is_weighed_and_a_removal_noticed():
    t = ScaleTracker()
    t.reset()
    assert t.observe(stable(50)) == Settled(50)  # the empty bag
    t.expect(300)
    assert t.observe(Reading(120, False)) is None  # moving: says nothing
    assert t.observe(stable(52)) == Waiting(300, 52)  # noise, nothing placed yet
    outcome = t.observe(stable(352))
    assert isinstance(outcome, Weighed) and outcome.check.ok and outcome.total_g == 352
    assert t.accepted_g == 352 and not t.expecting
    assert t.observe(stable(352)) is None  # the same reading again
    assert t.observe(stable(353)) is None  # the OK stays on the screen
    removed = t.observe(stable(200))
    assert removed == Removed(152, 200)
    assert "taken off" in removed.message
    assert t.observe(stable(200)) is None
    assert t.observe(stable(351)) == Settled(352)  # put back


def test_a_wrong_item_is_judged_again_until_it_is_right():
    t = ScaleTracker()
    t.reset(0)
    t.expect(300)
    heavy = t.observe(stable(600))  # two on the scale, one scanned
    assert isinstance(heavy, Weighed) and heavy.check.verdict == "too heavy"
    assert t.expecting and t.accepted_g == 0
    light = t.observe(stable(150))
    assert isinstance(light, Weighed) and light.check.verdict == "too light"
    right = t.observe(stable(305))
    assert isinstance(right, Weighed) and right.check.ok
    assert t.accepted_g == 305


def test_scans_before_placing_add_up():
    t = ScaleTracker()
    t.reset(100)
    t.expect(300)
    t.expect(200)
    assert t.observe(stable(100)) == Waiting(500, 100)
    weighed = t.observe(stable(610))
    assert isinstance(weighed, Weighed) and weighed.check.ok and weighed.check.expected_g == 500


def test_something_put_on_without_a_scan():
    t = ScaleTracker()
    t.reset(100)
    assert t.observe(stable(115)) == Settled(100)  # within 20 g: the scale's drift
    unscanned = t.observe(stable(400))
    assert unscanned == Unscanned(300, 400)
    assert "without a scan" in unscanned.message
    t.accept(400)  # e.g. the lead says it belongs
    assert t.observe(stable(400)) == Settled(400)


def test_a_removal_while_an_item_is_expected_is_a_removal():
    t = ScaleTracker()
    t.reset(500)
    t.expect(300)
    assert t.observe(stable(200)) == Removed(300, 200)


def test_the_first_stable_reading_is_the_start_when_none_was_given():
    t = ScaleTracker()
    t.expect(250)
    assert t.observe(stable(40)) == Waiting(250, 40)
    weighed = t.observe(stable(291))
    assert isinstance(weighed, Weighed) and weighed.check.ok


def test_faults_and_noise_say_nothing_about_the_bag():
    t = ScaleTracker()
    t.reset(0)
    for reply in (ScaleFault("overload"), Unreadable("x", "noise"), Reading(900, False)):
        assert t.observe(reply) is None
    assert t.accepted_g == 0


def test_cancel_drops_what_was_expected():
    t = ScaleTracker()
    t.reset(0)
    t.expect(300)
    t.cancel()
    assert t.observe(stable(0)) == Settled(0)


@given(st.lists(st.one_of(st.floats(-1000, 20000), st.none()), max_size=40))
def test_the_tracker_never_fails_on_any_sequence(steps):
    t = ScaleTracker()
    for step in steps:
        if step is None:
            t.expect(250)
        else:
            outcome = t.observe(stable(step))
            assert outcome is None or isinstance(outcome.message, str)
