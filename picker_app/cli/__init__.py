"""The `picker-app` command: builds things from files and arguments, decides nothing itself.
One module per command (route, app, scanner, backend, sync), the parser and what they share."""

from __future__ import annotations

import sys
from collections.abc import Sequence

from picker_app.cli.app import cmd_app
from picker_app.cli.common import DEMO_LAYOUT, FIXTURES_DIR, LAYOUTS_DIR, load_layout, read_text
from picker_app.cli.parser import build_parser
from picker_app.errors import PickerError, UserError

__all__ = [
    "DEMO_LAYOUT", "FIXTURES_DIR", "LAYOUTS_DIR", "build_parser", "load_layout", "main",
    "read_text",
]


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of `picker-app`; returns the exit status (2 for user errors)."""
    parser = build_parser()
    args = parser.parse_args(argv)
    func = getattr(args, "func", cmd_app)
    from picker_app.logs import setup

    log_path = setup()
    try:
        return func(args, sys.stdout, sys.stderr)
    except UserError as e:
        sys.stderr.write(f"picker-app: {e}\n")
        return 2
    except PickerError as e:  # e.g. a locked or damaged local database: say so, no traceback
        sys.stderr.write(f"picker-app: {e}\n")
        return 1
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        return 0
    except Exception as e:  # a defect of ours: one sentence here, the traceback in the log
        import logging

        logging.getLogger("picker_app").exception("picker-app failed")
        sys.stderr.write(
            f"picker-app: unexpected error ({type(e).__name__}); nothing saved was lost. "
            f"Details are in {log_path}: please send it to the store lead.\n"
        )
        return 1
