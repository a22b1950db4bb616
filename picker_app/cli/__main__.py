"""`python -m picker_app.cli`: the `picker-app` command."""

import sys

from picker_app.cli import main

sys.exit(main())
