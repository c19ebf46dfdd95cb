"""How close an extracted text is to a reference text: the article-extraction-benchmark's score.

Both texts become ``\\w+`` tokens, then overlapping 4-token shingles with their counts. Per document,
true positives are the shared shingle counts, false positives the extra predicted ones, false negatives the
missed reference ones; the three are divided by their sum so a long article weighs as much as a short one.
Over a corpus the normalised counts are summed and precision, recall and F1 computed from the sums (the
benchmark's own ``evaluate.py`` does exactly this; its published trafilatura figure is 0.958).
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass

_TOKEN = re.compile(r"\w+", re.UNICODE)
SHINGLE = 4


def shingles(text: str, n: int = SHINGLE) -> Counter[str]:
    """The text's n-token shingles with counts (a text shorter than n is one shingle, or none if empty)."""
    tokens = _TOKEN.findall(text or "")
    return Counter(" ".join(tokens[i : i + n]) for i in range(max(1, len(tokens) - n + 1)) if tokens)


def document_counts(reference: str, predicted: str) -> tuple[float, float, float]:
    """Normalised (tp, fp, fn) of one document; all zero when both texts are empty."""
    truth, guess = shingles(reference), shingles(predicted)
    tp = sum((truth & guess).values())
    fp = sum((guess - truth).values())
    fn = sum((truth - guess).values())
    total = tp + fp + fn
    return (tp / total, fp / total, fn / total) if total else (0.0, 0.0, 0.0)


@dataclass(frozen=True)
class Score:
    precision: float
    recall: float
    f1: float
    documents: int


def corpus_score(counts: Iterable[tuple[float, float, float]]) -> Score:
    """Precision, recall and F1 from the summed per-document normalised counts."""
    tp = fp = fn = 0.0
    documents = 0
    for a, b, c in counts:
        tp, fp, fn, documents = tp + a, fp + b, fn + c, documents + 1
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return Score(precision, recall, f1, documents)
