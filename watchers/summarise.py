"""Summaries, first version: the article's opening sentences, cut at a sentence boundary near a cap.

The stories-and-summaries issue replaces this with an extractive ranker; callers only rely on
``summarise(text, max_chars)`` returning clean, whole sentences no longer than the cap (plus an ellipsis
when a single sentence must be cut).
"""

from __future__ import annotations

import re

# A sentence ends at . ! ? (optionally followed by a closing quote) before white space and a capital or
# digit; common abbreviations and initials are not ends. Good enough for the opening lines of news copy.
_ABBREVIATIONS = frozenset(
    [
        "mr",
        "mrs",
        "ms",
        "dr",
        "prof",
        "sen",
        "rep",
        "gov",
        "gen",
        "col",
        "lt",
        "st",
        "jr",
        "sr",
        "inc",
        "ltd",
        "co",
        "corp",
        "vs",
        "etc",
        "no",
        "fig",
        "jan",
        "feb",
        "mar",
        "apr",
        "jun",
        "jul",
        "aug",
        "sep",
        "sept",
        "oct",
        "nov",
        "dec",
        "u.s",
        "u.k",
        "u.n",
        "e.g",
        "i.e",
        "a.m",
        "p.m",
    ]
)
_END = re.compile(r"([.!?…]+[\"'”’)]*)\s+(?=[\"'“‘(]?[A-Z0-9À-ÖØ-Þ])")


def split_sentences(text: str) -> list[str]:
    """Split prose into sentences, keeping "U.S.", "Mr." and "Jan. 5" inside their sentence."""
    sentences: list[str] = []
    start = 0
    for match in _END.finditer(text):
        before = text[start : match.start()].split()
        last = before[-1].lower().rstrip(".") if before else ""
        if match.group(1) == "." and (last in _ABBREVIATIONS or (len(last) == 1 and last.isalpha())):
            continue
        sentences.append(text[start : match.end(1)].strip())
        start = match.end()
    tail = text[start:].strip()
    if tail:
        sentences.append(tail)
    return [s for s in sentences if s]


def summarise(text: str, max_chars: int = 400) -> str:
    """Opening sentences of ``text`` that fit in ``max_chars``; at least one (trimmed at a word)."""
    paragraphs = [p.strip() for p in text.splitlines() if len(p.split()) >= 6]
    sentences = [s for p in paragraphs for s in split_sentences(p)]
    if not sentences:
        sentences = split_sentences(" ".join(text.split()))
    chosen: list[str] = []
    length = 0
    for sentence in sentences:
        extra = len(sentence) + (1 if chosen else 0)
        if chosen and length + extra > max_chars:
            break
        chosen.append(sentence)
        length += extra
        if length >= max_chars:
            break
    summary = " ".join(chosen)
    if len(summary) > max_chars:
        cut = summary[: max_chars - 1].rsplit(" ", 1)[0].rstrip(",;:")
        summary = cut + "…"
    return summary
