"""``python -m eval``: see :mod:`eval.cli` for the commands and their options."""

from __future__ import annotations

import sys

from eval.cli import main

if __name__ == "__main__":
    sys.exit(main())
