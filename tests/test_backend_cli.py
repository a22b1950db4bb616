"""`picker-app backend add-device` and `serve`, as a person runs them."""

from __future__ import annotations

import socket
import subprocess
import sys
import time

import httpx


def test_add_device_then_serve_and_upload(tmp_path):
    db = tmp_path / "backend.db"
    cli = [sys.executable, "-m", "picker_app.cli", "backend", "--db", str(db)]
    made = subprocess.run(
        [*cli, "add-device", "--store", "BLR-KOR-01", "--device", "d"],
        capture_output=True,
        text=True,
        check=True,
    )
    token = made.stdout.strip()
    assert len(token) > 30 and "shown once" in made.stderr
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = subprocess.Popen(
        [*cli, "serve", "--port", str(port), "--open-orders", "3", "--order-rate", "600"],
        stderr=subprocess.PIPE,
    )
    try:
        url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{url}/v1/health").status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.1)
        event = {
            "event_id": "e-1", "device": "d", "seq": 1, "type": "stock_picked",
            "created_at": "2026-11-25T10:00:00+05:30",
            "payload": {"bin": "A07-2", "sku": "SKU-1", "qty": 1},
        }  # fmt: skip
        batch = {"device": "d", "batch_id": "b-1", "events": [event]}
        headers = {"Authorization": f"Bearer {token}"}
        first = httpx.post(f"{url}/v1/stores/BLR-KOR-01/events", json=batch, headers=headers)
        again = httpx.post(f"{url}/v1/stores/BLR-KOR-01/events", json=batch, headers=headers)
        assert first.json()["results"][0]["status"] == "applied"
        assert again.json()["results"][0]["status"] == "duplicate"
        time.sleep(0.5)  # 600 a minute: a new order every 0.1 s
        snap = httpx.get(f"{url}/v1/stores/BLR-KOR-01/snapshot", headers=headers).json()
        assert len(snap["skus"]) == 1991 and len(snap["orders"]) > 3  # seeded, and more coming
    finally:
        server.terminate()
        server.wait(10)


def test_serve_rush_seeds_a_festivals_queue(tmp_path):
    """`--rush`: three times the open orders (and the stream); `--order-rate 0`: none new."""
    db = tmp_path / "backend.db"
    cli = [sys.executable, "-m", "picker_app.cli", "backend", "--db", str(db)]
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = subprocess.Popen(
        [*cli, "serve", "--port", str(port), "--rush", "--order-rate", "0"],
        stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"http://127.0.0.1:{port}/v1/health").status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.1)
    finally:
        server.terminate()
        _, said = server.communicate(timeout=10)
    assert "'orders': 36" in said and "new orders" not in said


def test_backend_database_that_cannot_be_opened_is_a_user_error(tmp_path):
    (tmp_path / "dir.db").mkdir()
    proc = subprocess.run(
        [sys.executable, "-m", "picker_app.cli", "backend", "--db", str(tmp_path / "dir.db"),
         "add-device", "--store", "S"],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert proc.returncode == 2 and "cannot open the backend database" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_serve_on_a_busy_port_is_one_sentence(tmp_path):
    import socket
    import subprocess
    import sys

    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        proc = subprocess.run(
            [sys.executable, "-m", "picker_app.cli", "backend", "--db", str(tmp_path / "b.db"),
             "serve", "--port", str(port)],
            capture_output=True, text=True, timeout=60, check=False,
        )  # fmt: skip
    assert proc.returncode == 2 and "cannot serve on 127.0.0.1" in proc.stderr
    assert proc.stderr.count("\n") == 1 and "Traceback" not in proc.stderr
