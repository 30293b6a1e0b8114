"""Test-wide settings."""

import os

# python-telegram-bot 22 warns (an error under filterwarnings=error) whenever it builds a 429
# error, unless retry_after is asked for as a timedelta; `newsdigest run` sets the same.
os.environ.setdefault("PTB_TIMEDELTA", "true")
