"""Logging set-up: one line per event, ``event key=value`` with snake_case keys, to standard error."""

from __future__ import annotations

import logging
import sys


def configure(verbose: bool = False) -> None:
    root = logging.getLogger()
    for handler in list(root.handlers):
        root.removeHandler(handler)
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s %(message)s", "%H:%M:%S"))
    root.addHandler(handler)
    root.setLevel(logging.INFO if verbose else logging.WARNING)
    for noisy in ("httpx", "httpcore", "apscheduler", "trafilatura", "htmldate", "courlan", "alembic"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
