"""The console adapter: the whole bot in a terminal, with no platform token."""

from __future__ import annotations

import argparse
import sys


def run_console(args: argparse.Namespace) -> int:
    """Run the bot in the terminal (placeholder)."""
    del args
    print("newsdigest run: not available yet", file=sys.stderr)
    return 2
