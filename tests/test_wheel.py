"""A normal install has a demo store: the wheel ships the layouts and the fixtures inside the
package, and the installed `picker-app`, run from another folder, plans routes on them, seeds
the demo from them and starts to its login screen.

The wheel is built as `pip install .` builds it and installed (without its dependencies) into
a venv of its own; the dependencies come from this test venv's site-packages by a path entry,
which runs none of its `.pth` files, so this checkout's editable install is not seen. `.ci/run`
does the same into a clean venv with the dependencies installed from the index."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path

import pytest

from tests.conftest import ROOT

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="a pty is POSIX")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", str(ROOT), "-w", str(out)],
        check=True, capture_output=True, timeout=300,
    )  # fmt: skip
    (built,) = out.glob("picker_app-*.whl")
    return built


def test_the_wheel_ships_the_layouts_and_the_fixtures_inside_the_package(wheel):
    names = set(zipfile.ZipFile(wheel).namelist())
    for name in ("demo-store.toml", "kiosk-store.toml", "irregular-store.toml"):
        assert f"picker_app/layouts/{name}" in names
    for name in ("catalog.csv", "stock.csv", "users.csv", "order_history.csv", "meta.json"):
        assert f"picker_app/fixtures/{name}" in names
    assert not [n for n in names if n.startswith(("layouts/", "fixtures/", "tests/"))]


def test_the_installed_app_runs_the_demo_from_another_folder(wheel, tmp_path):
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    subprocess.run(
        [sys.executable, "-m", "pip", "--python", str(venv / "bin" / "python"), "install", "-q",
         "--no-deps", "--no-index", str(wheel)],
        check=True, capture_output=True, timeout=120,
    )  # fmt: skip
    purelib = "import sysconfig; print(sysconfig.get_paths()['purelib'])"
    site = Path(
        subprocess.run(
            [str(venv / "bin" / "python"), "-c", purelib], check=True, capture_output=True,
            text=True,
        ).stdout.strip()
    )  # fmt: skip
    (site / "zz_test_dependencies.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PICKER_APP_", "PYTHON"))}
    env.update(XDG_DATA_HOME=str(tmp_path / "data"), PICKER_APP_CONFIG=str(tmp_path / "n.toml"))
    app = str(venv / "bin" / "picker-app")

    def run(*argv: str) -> subprocess.CompletedProcess:
        return subprocess.run(
            argv, cwd=elsewhere, env=env, capture_output=True, text=True, timeout=120, check=False
        )

    where = run(str(venv / "bin" / "python"), "-c", "import picker_app; print(picker_app.__file__)")
    assert where.stdout.startswith(str(site)), where  # the installed package, not this checkout
    sample = run(app, "sample-route")
    assert sample.returncode == 0 and "Sample order on the demo store" in sample.stdout, sample
    layout = run(str(venv / "bin" / "python"), "-c",
                 "from importlib.resources import files; "
                 "print(files('picker_app') / 'layouts' / 'demo-store.toml')")  # fmt: skip
    route = run(app, "route", layout.stdout.strip(), "A07-2", "C12-4", "--json")
    assert route.returncode == 0, route.stderr
    assert json.loads(route.stdout)["layout"] == "BLR-KOR-01"
    port = str(free_port())
    synced = run(app, "sync", "--port", port)  # the demo backend, seeded from the shipped fixtures
    assert synced.returncode == 0 and "sent 0 events" in synced.stdout, synced
    sys.path.insert(0, str(ROOT / ".ci"))
    try:
        from smoke import start_to_login
    finally:
        sys.path.pop(0)
    screen = start_to_login([app, "--port", port], env, elsewhere)
    assert "BD4101" in screen  # the demo's badges, from the shipped users.csv
