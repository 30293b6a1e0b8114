"""`newsdigest digest`: print the digest of a file, a URL, standard input, or a JSONL batch."""

from __future__ import annotations

import argparse
import sys


def run_digest_command(args: argparse.Namespace) -> int:
    """Run `newsdigest digest` (placeholder)."""
    del args
    print("newsdigest digest: not available yet", file=sys.stderr)
    return 2
