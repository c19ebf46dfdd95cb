"""Sentence selection picks exactly what maximal marginal relevance, scored in full at every step, picks.

``summarise`` keeps each sentence's redundancy up to date instead of re-scoring every candidate against
every chosen sentence; the reference below is the plain algorithm. Texts are drawn from a small
vocabulary with repeated and near-repeated sentences, so the "too similar" and "does not fit" branches
are taken often.
"""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from watchers.summarise import (
    MAX_SENTENCES,
    MMR_LAMBDA,
    _cosine,
    _norm,
    _prepared,
    _relevance,
    _similarity,
    summarise,
)

WORDS = [
    "the",
    "minister",
    "said",
    "talks",
    "on",
    "grain",
    "exports",
    "would",
    "resume",
    "after",
    "the",
    "port",
    "reopened",
    "monday",
]


def reference(text: str, max_chars: int, terms: tuple[str, ...]) -> str:
    prepared = _prepared(text)
    sentences, vectors = prepared.sentences, prepared.vectors
    if not sentences:
        return ""
    relevance = _relevance(prepared.centrality, prepared.folded, terms)
    chosen: list[int] = []
    length = 0
    candidates = set(range(len(sentences)))
    while candidates and len(chosen) < MAX_SENTENCES:

        def mmr(i: int) -> float:
            redundancy = max((_cosine(vectors[i], vectors[j]) for j in chosen), default=0.0)
            return MMR_LAMBDA * relevance[i] - (1 - MMR_LAMBDA) * redundancy

        best = max(sorted(candidates), key=mmr)
        candidates.discard(best)
        extra = len(sentences[best]) + (1 if chosen else 0)
        if chosen and length + extra > max_chars:
            continue
        if chosen and max(_cosine(vectors[best], vectors[j]) for j in chosen) > 0.8:
            continue
        chosen.append(best)
        length += extra
    summary = " ".join(sentences[i] for i in sorted(chosen))
    if len(summary) > max_chars:
        summary = summary[: max_chars - 1].rsplit(" ", 1)[0].rstrip(",;:") + "…"
    return summary


sentence = st.lists(st.sampled_from(WORDS), min_size=5, max_size=30).map(
    lambda words: " ".join(words).capitalize() + "."
)


@settings(max_examples=150, deadline=None)
@given(
    sentences=st.lists(sentence, min_size=1, max_size=40),
    repeats=st.lists(st.integers(min_value=0, max_value=39), max_size=10),
    max_chars=st.sampled_from([80, 200, 400, 1000]),
    terms=st.sampled_from([(), ("grain",), ("minister", "port")]),
)
def test_selection_matches_full_rescoring(
    sentences: list[str], repeats: list[int], max_chars: int, terms: tuple[str, ...]
) -> None:
    for index in repeats:  # the same sentence again, further down
        sentences.append(sentences[index % len(sentences)])
    text = "\n".join(" ".join(sentences[i : i + 3]) for i in range(0, len(sentences), 3))
    assert summarise(text, max_chars, terms) == reference(text, max_chars, terms)


weights = st.dictionaries(
    st.sampled_from([*WORDS, "port", "corridor", "wheat"]),
    st.floats(min_value=0.001, max_value=50, allow_nan=False, allow_infinity=False),
    max_size=12,
)


@settings(max_examples=300, deadline=None)
@given(a=weights, b=weights)
def test_the_similarity_with_lengths_computed_once_is_the_cosine_to_the_last_bit(
    a: dict[str, float], b: dict[str, float]
) -> None:
    assert _similarity(a, _norm(a), b, _norm(b)) == _cosine(a, b)
