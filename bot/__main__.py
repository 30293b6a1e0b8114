"""The `newsdigest` command: wiring of config, store, ingestion, scheduler and adapters."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="newsdigest", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    digest = commands.add_parser("digest", help="print the digest of one article")
    digest.add_argument("source", nargs="?", help="a file, a URL, or - for standard input")
    digest.add_argument(
        "--format",
        choices=["text", "json", "jsonl"],
        help="text for a person (default), json, or jsonl (the default with --input)",
    )
    digest.add_argument(
        "--input", help='a JSONL file of articles {"id", "text", "title"?}, or - (batch mode)'
    )
    run = commands.add_parser("run", help="run the bot")
    run.add_argument("--config", help="a TOML config file")
    migrate = commands.add_parser("migrate", help="upgrade the database schema")
    migrate.add_argument("--config", help="a TOML config file")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the `newsdigest` command."""
    args = _parser().parse_args(argv)
    if args.command == "digest":
        from bot.digest_command import run_digest_command

        return run_digest_command(args)
    if args.command == "run":
        from adapters.console.app import run_console

        return run_console(args)
    print(f"newsdigest: {args.command}: not available yet", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main())
