"""Shared fixtures: the spec's example layout and the shipped layouts."""

from __future__ import annotations

import atexit
import contextlib
import errno
import logging
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest

from picker_app.domain.layout import Layout, parse_layout

ROOT = Path(__file__).resolve().parent.parent
LAYOUTS = ROOT / "layouts"

# The suite never touches this user's data directory (the app's cache, the demo backend's
# database, the log): a test that names none gets a folder of this test process's own.
_DATA_HOME = tempfile.mkdtemp(prefix="picker-tests-data-")
os.environ["XDG_DATA_HOME"] = _DATA_HOME
atexit.register(shutil.rmtree, _DATA_HOME, ignore_errors=True)

# The kill suites' shared fixtures (kill_template, kill_forks).
pytest_plugins = ["tests.killkit.fixtures"]

# The example of spec/layout.md, verbatim.
EXAMPLE = '''id = "DEMO-01"
name = "Demo dark store"
cell_m = 0.5
levels = 4

floor = """
################
#@.............#
#..AAAAA.BBBBB.#
#..AAAAA.BBBBB.#
#..............#
#..CCCCC.FFFFF.#
#..............#
################
"""

[aisles.F]
levels = 3
label = "Freezer"

[zones.frozen]
aisles = ["F"]
pick_rank = 3
'''


@pytest.fixture
def example() -> Layout:
    return parse_layout(EXAMPLE, "example.toml")


@pytest.fixture
def example_file(tmp_path: Path) -> Path:
    path = tmp_path / "example.toml"
    path.write_text(EXAMPLE)
    return path


@pytest.fixture(scope="session")
def demo() -> Layout:
    path = LAYOUTS / "demo-store.toml"
    return parse_layout(path.read_text(), str(path))


@pytest.fixture(scope="session")
def backend_template(tmp_path_factory) -> Path:
    """The reference backend's database seeded from the fixtures (fixed seed and clock), once."""
    from tests.appkit import seeded_template

    return seeded_template(tmp_path_factory.mktemp("backend-template"))


@pytest.fixture
def rig(backend_template, tmp_path):
    """A real backend on a loopback port, a local cache filled from it, a fixed clock."""
    from tests.appkit import make_rig

    r = make_rig(backend_template, tmp_path)
    yield r
    r.stop()


@pytest.fixture
def small_disk(tmp_path):
    """A real 32 MB file system of the test's own (a tmpfs: needs root, as CI has)."""
    mount = tmp_path / "small"
    mount.mkdir()
    made = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=32m", "tmpfs", str(mount)], capture_output=True
    )
    if made.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here (needs root): {made.stderr.decode().strip()}")
    yield mount
    subprocess.run(["umount", "-l", str(mount)], check=False)


def fill(folder: Path) -> Path:
    """Fill the file system of `folder` to the last byte."""
    filler = folder / "filler"
    with open(filler, "wb") as f:
        try:
            while True:
                f.write(b"\0" * 4096)
                f.flush()
        except OSError as err:
            assert err.errno == errno.ENOSPC
        finally:
            with contextlib.suppress(OSError):  # the last buffered bytes do not fit either
                f.close()
    return filler


@pytest.fixture
def rig_on_small_disk(backend_template, tmp_path, small_disk):
    """The rig with the device's cache on a small file system of its own (see `fill`)."""
    from tests.appkit import make_rig

    r = make_rig(backend_template, tmp_path, cache_dir=small_disk)
    yield r
    r.stop()


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """A module marked both_backends runs its backend tests on SQLite and PostgreSQL."""
    marked = metafunc.definition.get_closest_marker
    if "repo_kind" in metafunc.fixturenames and marked("both_backends") and not marked(
        "sqlite_only"
    ):
        from tests.backends import KINDS

        metafunc.parametrize("repo_kind", KINDS, indirect=True)


@pytest.fixture
def repo_kind(request) -> str:
    """The back end a test runs on: sqlite, unless its module is marked both_backends."""
    return getattr(request, "param", "sqlite")


@pytest.fixture(scope="session")
def repo_templates(tmp_path_factory, request):
    """Seeded stores made once a session for each back end (tests/backends.py)."""
    from tests.backends import Templates

    return Templates(
        tmp_path_factory.mktemp("seed"), lambda: request.getfixturevalue("pg_server")
    )


@pytest.fixture
def repos(repo_kind, repo_templates, tmp_path):
    """New backend repositories of the kind under test, closed after the test."""
    from tests.backends import Repos

    made = Repos(repo_kind, tmp_path, repo_templates)
    yield made
    made.close()


@pytest.fixture
def db(repos):
    """A copy of the small seeded backend (5 open orders) of this test's own."""
    return repos.seeded(5)


class _Records(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


@pytest.fixture(autouse=True)
def no_unexpected_app_errors(request):
    """The app's one error handler keeps the app running after an unexpected error (and logs
    it): a test fails all the same if one happened, unless it is marked as expecting one."""
    records = _Records()
    logger = logging.getLogger("picker_app.ui")
    logger.addHandler(records)
    yield records
    logger.removeHandler(records)
    if records.records and request.node.get_closest_marker("app_error_expected") is None:
        first = records.records[0]
        pytest.fail(f"the app logged an unexpected error: {first.getMessage()} "
                    f"{first.exc_info[1]!r}" if first.exc_info else first.getMessage())


@pytest.fixture(scope="session")
def pg_server():
    """A PostgreSQL server of this test session's own (tests/pgserver.py), stopped after it."""
    import os

    from tests.pgserver import PgServer, bin_dir

    if bin_dir() is None:
        if os.environ.get("CI"):
            pytest.fail("no PostgreSQL on this machine: .ci/run installs it (apt-get install "
                        "postgresql)")
        pytest.skip("no PostgreSQL here (CI installs it: apt-get install postgresql)")
    import shutil
    import tempfile

    # Not under pytest's own folders: they are the test user's alone (0700), and as root the
    # server runs as the postgres user.
    folder = Path(tempfile.mkdtemp(prefix="picker-app-pg-"))
    server = PgServer(folder).start()
    yield server
    server.stop()
    shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture
def nats_server(tmp_path):
    """A NATS server with JetStream of this test's own (tests/natsserver.py), stopped after it."""
    import os

    from tests.natsserver import NatsServer, binary

    if binary() is None:
        if os.environ.get("CI"):
            pytest.fail("no nats-server on this machine: .ci/run installs it (apt-get install "
                        "nats-server)")
        pytest.skip("no nats-server here (CI installs it: apt-get install nats-server)")
    server = NatsServer(tmp_path / "nats").start()
    yield server
    server.stop()


@pytest.fixture
def pg_dsn(pg_server) -> str:
    """The address of a new, empty PostgreSQL database of this test's own."""
    return pg_server.new_database()
