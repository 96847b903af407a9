"""Entry point of `textgen-tui`."""
from __future__ import annotations

import sys


def main() -> None:
    print("textgen-tui: the terminal app is not built yet; use `textgen generate` or "
          "`textgen --help` meanwhile.", file=sys.stderr)
    sys.exit(1)
