"""What a match returns: whether, how strongly, and which terms matched where (for highlights and /why)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Hit:
    """Where one query term matched: ``field`` is "title" or "text", span in characters of that field."""

    term: str
    field: str
    start: int
    end: int


@dataclass(frozen=True)
class MatchResult:
    """``matched`` means the query holds *and* ``score`` reaches the topic's ``min_score``."""

    matched: bool
    score: float
    terms: tuple[str, ...]
    hits: tuple[Hit, ...]


NO_MATCH = MatchResult(False, 0.0, (), ())
