"""`picker-app route` as spec/route-cli.md says: output, errors, exit status."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from picker_app.cli import main
from tests.conftest import LAYOUTS


def run(capsys, *argv):
    status = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return status, out, err


def assert_user_error(status, out, err, *words):
    assert status == 2
    assert out == "", "nothing on standard output"
    lines = err.strip().splitlines()
    assert len(lines) == 1, f"one line on standard error, got {err!r}"
    for word in words:
        assert word in lines[0], lines[0]
    assert "Traceback" not in err


def test_json_route(capsys, example_file):
    status, out, err = run(capsys, "route", example_file, "A01-2", "C03-1", "--json")
    assert status == 0 and err == ""
    data = json.loads(out)
    assert data["length_m"] == 7.0 and data["optimal"] is True
    assert data["stops"] == [{"bin": "A01-2", "cell": [2, 2]}, {"bin": "C03-1", "cell": [4, 5]}]
    assert "cost" not in data
    assert out.count("\n") == 1


def test_human_route_has_stops_and_the_floor_plan(capsys, example_file):
    status, out, _ = run(capsys, "route", example_file, "c3-1", "A01-2", "F01-1")
    assert status == 0
    assert "Proven shortest route" in out
    assert "A01-2" in out and "C03-1" in out and "F01-1" in out
    lines = out.splitlines()
    floor_start = lines.index("################")
    plan = lines[floor_start : floor_start + 8]
    assert plan[1].startswith("#@")
    assert "1" in plan[2] and "*" in "".join(plan)  # stop 1 (A01-2 at [2, 2]) and the walk
    assert plan[2][2] == "1"


def test_congestion_adds_cost(capsys, example_file, tmp_path):
    heat = tmp_path / "heat.csv"
    heat.write_text("bay,picks_per_hour\nA07,40\nC03,10\n")
    status, out, _ = run(
        capsys, "route", example_file, "A01-2", "C03-1", "--json", "--heat", heat,
        "--congestion", "2",
    )  # fmt: skip
    assert status == 0
    data = json.loads(out)
    assert data["cost"] >= data["length_m"]


def test_heat_file_by_bin(capsys, example_file, tmp_path):
    heat = tmp_path / "heat.csv"
    heat.write_text("bin,picks_per_hour\nA07-2,40\nA07-3,5\n")
    status, out, _ = run(
        capsys, "route", example_file, "C03-1", "--json", "--heat", heat, "--congestion", "0"
    )
    assert status == 0 and json.loads(out)["cost"] == json.loads(out)["length_m"]


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["A01-2", "Z01-1"], ["Z01-1", "no aisle Z"]),
        (["A01-2", "A99-1"], ["A99-1", "bays 1 to 10"]),
        (["A01-9"], ["A01-9", "levels 1 to 4"]),
        (["A1"], ["malformed bin code", "'A1'"]),
        ([], ["no bins given"]),
        (["A01-2", "--congestion", "2"], ["--congestion needs --heat"]),
    ],
)
def test_bad_bins_are_user_errors(capsys, example_file, args, words):
    assert_user_error(*run(capsys, "route", example_file, *args), *words)


def test_missing_layout_file(capsys, tmp_path):
    missing = tmp_path / "nope.toml"
    assert_user_error(*run(capsys, "route", missing, "A01-1"), str(missing), "no such file")


def test_layout_file_that_is_not_utf8(capsys, tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_bytes(b'id = "\xff"\n')
    assert_user_error(*run(capsys, "route", bad, "A01-1"), str(bad), "not UTF-8")


def test_invalid_layout_file(capsys, tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text('id = "T"\nfloor = """\n####\n#@x#\n####\n"""\n')
    assert_user_error(*run(capsys, "route", bad, "A01-1"), str(bad), "[1, 2]", "'x'")


@pytest.mark.parametrize(
    ("content", "words"),
    [
        ("", ["line 1", "empty"]),
        ("aisle,picks\nA01,3\n", ["line 1", "header"]),
        ("bay,picks_per_hour\nA01,lots\n", ["line 2", "'lots'"]),
        ("bay,picks_per_hour\nA01,-3\n", ["line 2", ">= 0"]),
        ("bay,picks_per_hour\nA01,3\nZ01,4\n", ["line 3", "Z01"]),
        ("bin,picks_per_hour\nA01,3\n", ["line 2", "malformed bin code"]),
        ("bay,picks_per_hour\nA01,3,4\n", ["line 2", "2 fields"]),
    ],
)
def test_bad_heat_files(capsys, example_file, tmp_path, content, words):
    heat = tmp_path / "heat.csv"
    heat.write_text(content)
    result = run(capsys, "route", example_file, "A01-1", "--heat", heat, "--congestion", "1")
    assert_user_error(*result, str(heat), *words)


def test_negative_congestion_is_refused(capsys, example_file):
    with pytest.raises(SystemExit) as info:
        main(["route", str(example_file), "A01-1", "--congestion", "-1"])
    assert info.value.code == 2
    err = capsys.readouterr().err
    assert ">= 0" in err and len(err.strip().splitlines()) == 1


def test_orders_file_plans_every_line_and_reports_bad_ones(capsys, example_file, tmp_path):
    orders = tmp_path / "orders.jsonl"
    orders.write_text(
        "\n".join(
            [
                '{"id": "ORD-1", "bins": ["A01-2", "C03-1"]}',
                "",
                '{"id": "ORD-2", "bins": ["A99-1"]}',
                "not json",
                '{"id": "ORD-3"}',
                '{"id": "ORD-4", "bins": []}',
                '{"bins": ["F01-1", "a1-1"]}',
                '{"id": "ORD-1", "bins": ["B05-3"]}',
            ]
        )
        + "\n"
    )
    status, out, err = run(capsys, "route", example_file, "--orders", orders)
    assert status == 2
    results = [json.loads(line) for line in out.splitlines()]
    assert [r["id"] for r in results] == ["ORD-1", "ORD-2", None, "ORD-3", "ORD-4", None, "ORD-1"]
    assert list(results[0])[0] == "id" and results[0]["length_m"] == 7.0
    assert "A99-1" in results[1]["error"] and "line 3" in results[1]["error"]
    assert "line 4" in results[2]["error"] and "not JSON" in results[2]["error"]
    assert "bins" in results[3]["error"]
    assert "empty order" in results[4]["error"]
    assert results[5]["stops"][-1]["bin"] == "F01-1"
    assert "error" not in results[6]
    assert len(err.strip().splitlines()) == 4


def test_orders_from_stdin(example_file):
    proc = subprocess.run(
        [sys.executable, "-m", "picker_app.cli", "route", str(example_file), "--orders", "-"],
        input='{"id": "A", "bins": ["A01-2"]}\n{"id": "B", "bins": ["C03-1", "A01-2"]}\n',
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    assert [json.loads(line)["id"] for line in proc.stdout.splitlines()] == ["A", "B"]


def test_console_script_reports_errors_without_traceback(tmp_path):
    proc = subprocess.run(
        [
            str(Path(sys.executable).parent / "picker-app"),
            "route",
            str(LAYOUTS / "demo-store.toml"),
            "Q99-9",
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 2 and proc.stdout == ""
    assert proc.stderr.startswith("picker-app: unknown bin 'Q99-9'")


def test_sample_route_plans_a_sample_order_on_the_demo_store(capsys):
    status, out, _ = run(capsys, "sample-route")
    assert status == 0
    assert "BLR-KOR-01" in out and "Proven shortest route" in out
    assert "picker-app route layouts/demo-store.toml" in out


def test_heat_file_saved_by_a_spreadsheet_with_a_byte_order_mark(capsys, example_file, tmp_path):
    heat = tmp_path / "heat.csv"
    heat.write_bytes("\ufeffbay,picks_per_hour\r\nA07,40\r\n".encode())
    status, out, _ = run(
        capsys, "route", example_file, "C03-1", "--json", "--heat", heat, "--congestion", "1"
    )
    assert status == 0 and "cost" in json.loads(out)
