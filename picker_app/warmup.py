"""The batch route search is compiled code (numba: domain/route_kernel.py), compiled on its first
use and then kept in numba's cache. That first compile takes about 15 s on a 2-core machine, so
the app starts it at start-up in a process of its own, at low priority, and says nothing about
it: the first batch a picker takes then plans in a few hundred milliseconds, and the login
screen never waits. A stamp file in the data folder, named by the kernel's source and numba's
version, says it was done, so later starts skip it. If a batch is planned before the warm-up
has finished, that plan compiles the kernel itself: slower once, never wrong.

`python -m picker_app.warmup STAMP` is the process: it plans one batch on the shipped demo store
and writes STAMP."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from importlib import metadata, resources
from pathlib import Path

WARM_UP_BINS = 40  # bays of the batch planned to compile the search (above the exact range)


def stamp_path(folder: Path) -> Path:
    """The stamp of this kernel and numba version in `folder`."""
    source = resources.files("picker_app.domain").joinpath("route_kernel.py").read_bytes()
    digest = hashlib.blake2b(source, digest_size=8)
    digest.update(metadata.version("numba").encode())
    return folder / f"route-search-{digest.hexdigest()}.ready"


def start(folder: Path) -> subprocess.Popen[bytes] | None:
    """Start compiling the route search in the background unless the stamp says it is done;
    the process, or None. Never raises: a warm-up that cannot start only means the first
    batch compiles it."""
    try:
        stamp = stamp_path(folder)
        if stamp.exists():
            return None
        return subprocess.Popen(
            [sys.executable, "-m", "picker_app.warmup", str(stamp)],
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            start_new_session=True,  # not stopped by the terminal's Ctrl+C
            preexec_fn=_lower_priority if os.name == "posix" else None,
        )  # fmt: skip
    except (OSError, ValueError, metadata.PackageNotFoundError):
        return None


def _lower_priority() -> None:
    os.nice(10)


def main(argv: list[str]) -> int:
    """Plan one batch on the demo store (compiling the search into numba's cache), then write
    the stamp `argv[0]`."""
    from picker_app.domain.layout import parse_layout
    from picker_app.domain.routing import RoutePlanner
    from picker_app.shipped import shipped_file

    path = shipped_file("layouts/demo-store.toml")
    layout = parse_layout(path.read_text(encoding="utf-8"), str(path))
    bays = layout.bays[:WARM_UP_BINS]
    RoutePlanner(layout).plan([f"{bay.code}-1" for bay in bays])
    stamp = Path(argv[0])
    stamp.parent.mkdir(parents=True, exist_ok=True)
    stamp.write_text("the batch route search is compiled\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
