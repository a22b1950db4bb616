"""The data the package ships: the store layouts and the demo store's fixtures.

In the repository they stay at the top, `layouts/` and `fixtures/` (the agreed layout); the wheel
carries them inside the package, as `picker_app/layouts/` and `picker_app/fixtures/` (pyproject:
hatch's `force-include`), read with importlib.resources. A source checkout or an editable install
imports the package from the repository, where they are beside it instead.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

NAMES = ("layouts", "fixtures")
_REPOSITORY = Path(__file__).resolve().parent.parent


def shipped(name: str) -> Path:
    """The folder `layouts` or `fixtures`: inside the installed package, else the repository's."""
    if name not in NAMES:
        raise ValueError(f"not a shipped folder: {name!r}")
    inside = resources.files("picker_app").joinpath(name)
    if inside.is_dir():
        return Path(str(inside))  # an installed wheel: a real folder in site-packages
    return _REPOSITORY / name


def shipped_file(relative: str) -> Path:
    """A shipped file by its path in the repository, e.g. `layouts/demo-store.toml` (as the
    fixtures name the demo store's layout)."""
    top, _, rest = relative.partition("/")
    return shipped(top) / rest if top in NAMES and rest else _REPOSITORY / relative
