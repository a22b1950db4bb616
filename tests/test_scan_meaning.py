"""What a scan means: `interpret` on GS1, GTIN, variable-measure and internal codes."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError

from picker_app.domain.scan import (
    KINDS,
    REASON_CHECK_DIGIT,
    REASON_EMPTY,
    REASON_GS1_NO_GTIN,
    REASON_PRICE_CHECK,
    REASON_TRUNCATED,
    ScanConfig,
    VariableMeasureLayout,
    badge_label,
    bag_label,
    interpret,
    order_label,
    tote_label,
)

GS = "\x1d"


def check_digit(payload: str) -> int:
    """GS1 mod-10 check digit, written out independently of biip to verify the literals below."""
    total = sum(int(d) * (3 if i % 2 == 0 else 1) for i, d in enumerate(reversed(payload)))
    return (10 - total % 10) % 10


# --- GS1 element strings and GTINs ---------------------------------------------------------------

# (raw, symbology, gtin, batch, expiry, serial, net_weight_kg)
GS1_CASES = [
    # GS1 General Specifications examples; 9506000134352: check digit 2 (verified in a test below).
    (
        "]C101095060001343521710010010ABC123",
        "]C1",
        "09506000134352",
        "ABC123",
        date(2010, 1, 31),
        None,
        None,
    ),
    ("]d2010950600013435217270300" + "10AB12", "]d2", "09506000134352", "AB12",
     date(2027, 3, 31), None, None),
    ("]Q30109506000134352" + "21SER42", "]Q3", "09506000134352", None, None, "SER42", None),
    # (01)95012345678903(3103)000123: 0.123 kg, GenSpecs variable-measure example.
    ("]C10195012345678903" + "3103000123", "]C1", "95012345678903", None, None, None, 0.123),
    ("]C101095060001343523102001500", "]C1", "09506000134352", None, None, None, 15.0),
    # (01)09501101530003(17)140704(10)AB-123, GenSpecs DataMatrix example.
    ("]d201095011015300031714070410AB-123", "]d2", "09501101530003", "AB-123",
     date(2014, 7, 4), None, None),
    # batch, GS, serial, GS-separated
    (f"]C1010950600013435210LOT7{GS}21S1{GS}17280200", "]C1", "09506000134352", "LOT7",
     date(2028, 2, 29), "S1", None),
    # no symbology, only fixed-length fields: still a GS1 element string
    ("010950600013435217270315", None, "09506000134352", None, date(2027, 3, 15), None, None),
    # GS1 Digital Link in a plain QR
    ("]Q1https://id.gs1.org/01/09506000134352/10/ABC", "]Q1", "09506000134352", "ABC", None,
     None, None),
]  # fmt: skip


@pytest.mark.parametrize(
    ("raw", "symbology", "gtin", "batch", "expiry", "serial", "weight"), GS1_CASES
)
def test_gs1_element_strings(raw, symbology, gtin, batch, expiry, serial, weight):
    scan = interpret(raw)
    assert scan.kind == "product", scan.reason
    assert scan.symbology == symbology
    assert scan.gtin == gtin
    assert scan.batch == batch
    assert scan.expiry == expiry
    assert scan.serial == serial
    assert scan.net_weight_kg == (pytest.approx(weight) if weight is not None else None)
    assert scan.reason is None


@pytest.mark.parametrize(
    "gtin14", ["09506000134352", "95012345678903", "09501101530003", "04006381333931"]
)
def test_published_gtins_have_good_check_digits(gtin14):
    assert check_digit(gtin14[:-1]) == int(gtin14[-1])


# (raw, gtin)
GTIN_CASES = [
    ("]E04006381333931", "04006381333931"),  # EAN-13 (Wikipedia's EAN-13 example)
    ("4006381333931", "04006381333931"),
    ("]E096385074", "00000096385074"),  # EAN-8 sent as ]E0 by some scanners
    ("]E496385074", "00000096385074"),  # EAN-8 (biip's example)
    ("96385074", "00000096385074"),
    ("036000291452", "00036000291452"),  # UPC-A
    ("]E00036000291452", "00036000291452"),  # UPC-A as EAN-13
    ("]E004252614", "00042100005264"),  # UPC-E 0425261 + 4 -> UPC-A 042100005264
    ("04252614", "00042100005264"),  # not a GTIN-8 (its check would be 0), so UPC-E
    ("]E001234565", "00012345000065"),  # UPC-E 0123456 + 5 -> 012345000065
    ("01234565", "00000001234565"),  # the same digits unmarked are a good GTIN-8 (biip's order)
    ("]I115012345678907", None),  # ITF-14 (see below)
    ("09506000134352", "09506000134352"),  # GTIN-14 of a GTIN-13
    ("19506000134359", "19506000134359"),  # GTIN-14, packaging level 1
    ("  4006381333931\r\n", "04006381333931"),  # surrounding whitespace, CR, LF
]


@pytest.mark.parametrize(("raw", "gtin"), [c for c in GTIN_CASES if c[1] is not None])
def test_gtins(raw, gtin):
    scan = interpret(raw)
    assert (scan.kind, scan.gtin) == ("product", gtin), scan.reason
    assert len(scan.gtin) == 14


def test_itf14():
    payload = "1501234567890"
    scan = interpret(f"]I1{payload}{check_digit(payload)}")
    assert scan.kind == "product"
    assert scan.gtin == f"{payload}{check_digit(payload)}"


@pytest.mark.parametrize(
    "raw",
    [
        "4006381333932",  # EAN-13, last digit off by one
        "]E04006381333930",
        "96385075",  # EAN-8
        "]E496385070",
        "036000291453",  # UPC-A
        "]E004252615",  # UPC-E
        "09506000134353",  # GTIN-14
        "]C10109506000134353",  # GS1 AI 01 with a bad GTIN
        "]C10109506000134353" + "10ABC",
    ],
)
def test_bad_check_digit(raw):
    scan = interpret(raw)
    assert scan.kind == "rejected"
    assert scan.reason == REASON_CHECK_DIGIT


@pytest.mark.parametrize(
    ("raw", "expiry"),
    [
        ("]C1010950600013435217270100", date(2027, 1, 31)),
        ("]C1010950600013435217270400", date(2027, 4, 30)),
        ("]C1010950600013435217271200", date(2027, 12, 31)),
        ("]C1010950600013435217270200", date(2027, 2, 28)),
        ("]C1010950600013435217280200", date(2028, 2, 29)),  # leap year
        ("]C1010950600013435217280215", date(2028, 2, 15)),
    ],
)
def test_expiry_day_00_is_month_end(raw, expiry):
    assert interpret(raw).expiry == expiry


def test_gs1_rejections():
    assert interpret("]C110ABC123").reason == REASON_GS1_NO_GTIN  # batch only
    assert interpret("]C117270300").reason == REASON_GS1_NO_GTIN  # expiry only
    damaged = interpret("]C1010950600013435217271399")  # month 13
    assert damaged.kind == "rejected"
    assert damaged.reason is not None and "GS1" in damaged.reason
    assert interpret("]C10109506000134").kind == "rejected"  # cut inside the GTIN


# --- the three traps -----------------------------------------------------------------------------

TRAPS = [
    # leading FNC1 as GS instead of ]C1
    (f"{GS}010950600013435210AB12{GS}17270300", "AB12", date(2027, 3, 31), None),
    # both: ]C1 and a GS
    (f"]C1{GS}010950600013435210AB12{GS}17270300", "AB12", date(2027, 3, 31), None),
    # stray ]C1 inside data where the FNC1 separator should be
    ("]C1010950600013435210AB12]C117270300", "AB12", date(2027, 3, 31), None),
    ("]d2010950600013435221XYZ]d210AB12", "AB12", None, "XYZ"),
    # variable-length AI first, no separator before the next AI
    ("]C110ABC123010950600013435217270300", "ABC123", date(2027, 3, 31), None),
    ("]C121SER12301095060001343521727030010B7", "B7", date(2027, 3, 31), "SER123"),
    ("10LOT90109506000134352", "LOT9", None, None),
]


@pytest.mark.parametrize(("raw", "batch", "expiry", "serial"), TRAPS)
def test_gs1_traps(raw, batch, expiry, serial):
    scan = interpret(raw)
    assert scan.kind == "product", scan.reason
    assert scan.gtin == "09506000134352"
    assert (scan.batch, scan.expiry, scan.serial) == (batch, expiry, serial)


def test_batch_before_later_field_without_separator_is_read_greedily():
    """Documented limit: a batch may legitimately look like `ABC12317270300`."""
    scan = interpret("]C1010950600013435210ABC12317270300")
    assert scan.batch == "ABC12317270300"
    assert scan.expiry is None


@pytest.mark.parametrize("sub", ["|", "^"])
def test_substitute_separator(sub):
    config = ScanConfig(gs_substitute=sub)
    for raw in (
        f"010950600013435210AB12{sub}17270300",
        f"]C1{sub}010950600013435210AB12{sub}17270300",
        f"{sub}010950600013435210AB12{sub}17270300",
    ):
        scan = interpret(raw, config)
        assert scan.kind == "product", (raw, scan.reason)
        assert (scan.batch, scan.expiry) == ("AB12", date(2027, 3, 31))


def test_substitute_not_configured_is_not_a_separator():
    assert interpret("]C1010950600013435210AB12|17270300").kind == "rejected"


@pytest.mark.parametrize("bad", ["||", "a", "7", " ", ""])
def test_substitute_must_be_one_symbol(bad):
    with pytest.raises(ValidationError):
        ScanConfig(gs_substitute=bad)


# --- variable measure ----------------------------------------------------------------------------

# (raw, kind, lookup gtin, weight, price); check digits verified in test_variable_literals
VARIABLE_CASES = [
    ("2112345012346", "02112345000008", 1.234, None),  # 21 + item 12345 + 01234 g
    ("]E02112345012346", "02112345000008", 1.234, None),
    ("2100042002500", "02100042000001", 0.25, None),  # 250 g
    ("2212345123452", "02212345000005", None, 123.45),  # 22 + item 12345 + 12345 paise
    ("2200042099507", "02200042000008", None, 99.50),
]


@pytest.mark.parametrize(("raw", "gtin", "weight", "price"), VARIABLE_CASES)
def test_variable_measure_default_layout(raw, gtin, weight, price):
    scan = interpret(raw)
    assert scan.kind == "variable_measure", scan.reason
    assert scan.gtin == gtin
    assert scan.net_weight_kg == weight
    assert scan.price == price


@pytest.mark.parametrize(
    "code", ["2112345012346", "2100042002500", "2212345123452", "2200042099507", "2312345912343"]
)
def test_variable_literals(code):
    assert check_digit(code[:12]) == int(code[12])


@pytest.mark.parametrize(
    "gtin", ["02112345000008", "02100042000001", "02212345000005", "02200042000008"]
)
def test_lookup_gtins_have_good_check_digits(gtin):
    assert check_digit(gtin[1:13]) == int(gtin[13])


def test_variable_measure_rejections():
    bad = interpret("2112345012340")
    assert bad.reason == REASON_CHECK_DIGIT
    unset = interpret("2312345912343")  # prefix 23 is not in the default config
    assert unset.kind == "rejected"
    assert unset.reason is not None and "prefix 23" in unset.reason


def test_store_layout_with_price_check_digit():
    layout = VariableMeasureLayout(
        prefixes=("23",),
        item_digits=5,
        measure="price",
        value_digits=4,
        decimals=2,
        price_check_digit=True,
    )
    config = ScanConfig(variable_measure=(layout,))
    # 23 12345 [9] 1234: GS1 4-digit price check digit of 1234 is 9
    scan = interpret("2312345912343", config)
    assert (scan.kind, scan.price, scan.gtin) == ("variable_measure", 12.34, "02312345000002")
    assert check_digit("231234500000") == 2
    # the same code with a wrong price check digit (and a recomputed EAN-13 check digit)
    payload = "231234581234"
    wrong = interpret(f"{payload}{check_digit(payload)}", config)
    assert wrong.reason == REASON_PRICE_CHECK
    # prefix 21 is not configured in this store
    assert interpret("2112345012346", config).kind == "rejected"


def test_layout_must_fill_ean13():
    with pytest.raises(ValidationError):
        VariableMeasureLayout(
            prefixes=("21",), item_digits=4, measure="weight", value_digits=5, decimals=3
        )
    with pytest.raises(ValidationError):
        VariableMeasureLayout(
            prefixes=("31",), item_digits=5, measure="weight", value_digits=5, decimals=3
        )
    layout = VariableMeasureLayout(
        prefixes=("21",), item_digits=5, measure="weight", value_digits=5, decimals=3
    )
    with pytest.raises(ValidationError):
        ScanConfig(variable_measure=(layout, layout))


# --- internal codes ------------------------------------------------------------------------------

INTERNAL_CASES = [
    ("A07-2", "bin", "A07-2"),
    ("a7-2", "bin", "A07-2"),
    ("A007-02", "bin", "A07-2"),
    ("z12-10", "bin", "Z12-10"),
    ("]C0A07-2", "bin", "A07-2"),
    ("]A0A07-2", "bin", "A07-2"),
    ("TT000042", "tote", "TT000042"),
    ("tt000042", "tote", "TT000042"),
    ("]C0Tt000042", "tote", "TT000042"),
    ("BG1023401", "bag", "BG1023401"),
    ("bg102340", "bag", "BG102340"),
    ("BG1234567890", "bag", "BG1234567890"),
    ("BD1042", "badge", "BD1042"),
    ("bd104200001", "rejected", None),  # 8 digits at most
    ("bd12345678", "badge", "BD12345678"),
    ("OR102345", "order", "OR102345"),
    ("or1023456789", "order", "OR1023456789"),
    ("TT00042", "rejected", None),  # tote: exactly 6 digits
    ("TT0000420", "rejected", None),
    ("BG12345", "rejected", None),
    ("BD123", "rejected", None),
    ("OR12345678901", "rejected", None),
    ("A07", "rejected", None),  # a bay, not a bin
    ("AA07-2", "rejected", None),
    ("A07-2-1", "rejected", None),
    ("XX123456", "rejected", None),
]


@pytest.mark.parametrize(("raw", "kind", "code"), INTERNAL_CASES)
def test_internal_codes(raw, kind, code):
    scan = interpret(raw)
    assert (scan.kind, scan.code) == (kind, code)
    if kind == "rejected":
        assert scan.reason is not None and scan.reason.startswith("Unknown barcode format")


@pytest.mark.parametrize(
    ("make", "n", "kind", "code"),
    [
        (tote_label, 42, "tote", "TT000042"),
        (tote_label, 999999, "tote", "TT999999"),
        (bag_label, 1023401, "bag", "BG1023401"),
        (bag_label, 7, "bag", "BG000007"),
        (badge_label, 1042, "badge", "BD1042"),
        (badge_label, 7, "badge", "BD0007"),
        (order_label, 102345, "order", "OR102345"),
        (order_label, 9999999999, "order", "OR9999999999"),
    ],
)
def test_labels_read_back(make, n, kind, code):
    assert make(n) == code
    assert (interpret(code).kind, interpret(code).code) == (kind, code)


@pytest.mark.parametrize(
    ("make", "n"), [(tote_label, 1_000_000), (tote_label, -1), (badge_label, 10**8)]
)
def test_labels_out_of_range(make, n):
    with pytest.raises(ValueError):
        make(n)


@given(st.integers(min_value=0, max_value=10**10 - 1))
def test_every_bag_and_order_label_reads_back(n):
    assert interpret(bag_label(n)).kind == "bag"
    assert interpret(order_label(n)).kind == "order"


# --- rejections ----------------------------------------------------------------------------------

REJECTIONS = [
    ("", REASON_EMPTY),
    ("   \r\n", REASON_EMPTY),
    ("]E0", REASON_EMPTY),
    ("\x00\xff", "Unknown barcode format"),
    ("hello world", "Unknown barcode format"),
    ("]", "Unknown barcode format"),
    ("]Y", "Unknown barcode format"),
    ("12345", "Unknown barcode format"),
    ("425261", REASON_TRUNCATED),  # 6 digits: UPC-E without its check digit, or a cut read
    ("4006381", REASON_TRUNCATED),
    ("400638133", REASON_TRUNCATED),
    ("40063813339", REASON_TRUNCATED),
    ("٤٠٠٦٣٨١٣٣٣٩٣١", "Unknown barcode format"),  # Arabic-Indic digits are not barcode digits
    ("A07-2²", "Unknown barcode format"),
    ("A" + "9" * 5000 + "-1", "Unknown barcode format"),
]


@pytest.mark.parametrize(("raw", "reason"), REJECTIONS)
def test_rejections(raw, reason):
    scan = interpret(raw)
    assert scan.kind == "rejected"
    assert scan.reason is not None and scan.reason.startswith(reason)


# --- to_json -------------------------------------------------------------------------------------

KEYS = {
    "raw",
    "symbology",
    "kind",
    "gtin",
    "batch",
    "expiry",
    "serial",
    "net_weight_kg",
    "price",
    "code",
}


def test_to_json_example_line():
    raw = "]C101095060001343521727030010AB12"
    assert interpret(raw).to_json() == {
        "raw": raw,
        "symbology": "]C1",
        "kind": "product",
        "gtin": "09506000134352",
        "batch": "AB12",
        "expiry": "2027-03-31",
        "serial": None,
        "net_weight_kg": None,
        "price": None,
        "code": None,
    }


@pytest.mark.parametrize(
    "raw", ["4006381333931", "2112345012346", "A07-2", "TT000042", "BD1042", "OR102345"]
)
def test_to_json_keys(raw):
    assert set(interpret(raw).to_json()) == KEYS


def test_to_json_rejected_has_reason():
    out = interpret("4006381333932").to_json()
    assert set(out) == KEYS | {"reason"}
    assert out["reason"] == REASON_CHECK_DIGIT
    assert out["kind"] == "rejected"


# --- never raises --------------------------------------------------------------------------------


def _check_verdict(raw: str) -> None:
    scan = interpret(raw)
    assert scan.kind in KINDS
    assert (scan.kind == "rejected") == (scan.reason is not None)
    if scan.kind in ("product", "variable_measure"):
        assert scan.gtin is not None and len(scan.gtin) == 14 and scan.gtin.isdigit()


@given(st.text())
def test_interpret_never_raises_on_any_text(raw):
    _check_verdict(raw)


@given(
    st.sampled_from(["", "]C1", "]E0", "]d2", "]Q3", "]C0", GS]),
    st.text(alphabet="0123456789ABCab-|^]\x1d", max_size=60),
)
def test_interpret_never_raises_on_barcode_like_text(prefix, body):
    _check_verdict(prefix + body)
    scan = interpret(prefix + body, ScanConfig(gs_substitute="|"))
    assert (scan.kind == "rejected") == (scan.reason is not None)
