"""Word lists written as plain text, one space-separated block per list, for readability."""

from __future__ import annotations


def word_set(block: str) -> frozenset[str]:
    """The words of a whitespace-separated block."""
    return frozenset(block.split())
