"""The core never imports the UI: domain code loads without Textual (as Harlequin checks)."""

from __future__ import annotations

import subprocess
import sys


def test_domain_and_cli_do_not_import_textual_or_network_code():
    code = (
        "import sys\n"
        "import picker_app.domain.layout, picker_app.domain.routing, picker_app.domain.heat\n"
        "import picker_app.domain.scan, picker_app.scanner.wedge, picker_app.store.db\n"
        "import picker_app.cli\n"
        # numba too: it is loaded by the batch search when one runs (0.2 s), not at start-up
        "ui = {'textual', 'httpx', 'serial', 'numba', 'llvmlite'}\n"
        "bad = sorted(m for m in sys.modules if m.split('.')[0] in ui)\n"
        "print(','.join(bad))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout.strip()
    assert out == "", f"core modules pulled in: {out}"


def test_domain_does_no_io():
    """Domain modules (every one of them) do not open files or sockets themselves."""
    import importlib
    import inspect
    import pkgutil

    import picker_app.domain
    from picker_app.scanner import framing, wedge

    modules = [
        importlib.import_module(f"picker_app.domain.{m.name}")
        for m in pkgutil.iter_modules(picker_app.domain.__path__)
    ]
    assert len(modules) >= 20  # the split modules are all here
    for module in (*modules, framing, wedge):
        source = inspect.getsource(module)
        for word in ("open(", "socket", "subprocess", "Path("):
            assert word not in source, f"{module.__name__} uses {word}"
