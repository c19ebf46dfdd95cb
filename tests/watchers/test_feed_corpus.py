"""Every file of the shared feed corpus (about 3,400, many malformed on purpose) through our feed parsing.

The bar: no exception but ParseError escapes, every file yields entries or a readable error, nothing
hangs. feedparser's ``http_*`` test files carry their HTTP headers as ``Header:`` lines in a comment; they
are passed on as the response's Content-Type, the way a fetch would.
"""

from __future__ import annotations

import re
import time
from collections import Counter
from pathlib import Path

import pytest

from watchers.errors import ParseError
from watchers.feeds import parse_feed

CORPUS = Path(__file__).resolve().parents[2] / ".." / "shared" / "corpus" / "feeds"
SKIP_NAMES = {"LICENSE", "SOURCE.txt"}
_HEADER = re.compile(rb"^Header:\s*Content-type:\s*(.+?)\s*$", re.IGNORECASE | re.MULTILINE)


def corpus_files() -> list[Path]:
    return sorted(p for p in CORPUS.rglob("*") if p.is_file() and p.name not in SKIP_NAMES)


def content_type_of(path: Path, body: bytes) -> str:
    if path.name.startswith("http_"):
        match = _HEADER.search(body[:2000])
        if match:
            return match.group(1).decode("latin-1")
    return ""


@pytest.mark.skipif(
    not CORPUS.is_dir(), reason=f"feed corpus not present at {CORPUS} (a plain clone has none)"
)
def test_every_corpus_feed_yields_entries_or_a_readable_error() -> None:
    files = corpus_files()
    assert len(files) > 3000, "the corpus looks incomplete"
    outcomes: Counter[str] = Counter()
    errors: Counter[str] = Counter()
    entries = 0
    crashes: list[str] = []
    started = time.monotonic()
    for path in files:
        body = path.read_bytes()
        try:
            found = parse_feed(
                body, url="http://feeds.example/" + path.name, content_type=content_type_of(path, body)
            )
        except ParseError as exc:
            message = str(exc)
            if not message.strip() or "Traceback" in message:
                crashes.append(f"{path}: unreadable error {message!r}")
            outcomes["error"] += 1
            errors[re.sub(r"\d+", "N", message)[:48]] += 1
            continue
        except Exception as exc:  # the assertion below reports every one
            crashes.append(f"{path}: {type(exc).__name__}: {exc}")
            continue
        outcomes["entries" if found else "empty feed"] += 1
        entries += len(found)
    elapsed = time.monotonic() - started
    print(
        f"\nfeed corpus: {len(files)} files in {elapsed:.1f} s: {outcomes['entries']} with entries "
        f"({entries} entries), {outcomes['empty feed']} valid but empty, {outcomes['error']} readable errors"
    )
    for message, count in errors.most_common(8):
        print(f"  {count:5d}  {message}")
    assert not crashes, "\n".join(crashes[:20])
