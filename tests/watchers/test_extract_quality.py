"""Extraction quality: the benchmark's metric itself, and our extractor against trafilatura's defaults on a
sample of the real article-extraction benchmark (skipped when ../shared/corpus is absent)."""

from __future__ import annotations

import gzip
import json
import logging
from pathlib import Path

import pytest
import trafilatura

from watchers.extract import extract_page
from watchers.extract_quality import corpus_score, document_counts, shingles

CORPUS = Path(__file__).resolve().parents[3] / "shared" / "corpus" / "pages" / "article-extraction-benchmark"
SAMPLE = 24


def test_shingles_and_normalised_counts() -> None:
    assert shingles("One two, three four five!") == {"One two three four": 1, "two three four five": 1}
    assert shingles("short text") == {"short text": 1}
    assert shingles("") == {}
    assert document_counts("a b c d e", "a b c d e") == (1.0, 0.0, 0.0)
    tp, fp, fn = document_counts("a b c d e", "a b c d x")
    assert (tp, fp, fn) == (1 / 3, 1 / 3, 1 / 3)
    assert document_counts("", "") == (0.0, 0.0, 0.0)
    score = corpus_score([(1.0, 0.0, 0.0), (0.0, 0.5, 0.5)])
    assert (score.precision, score.recall, score.documents) == (2 / 3, 2 / 3, 2)


@pytest.mark.skipif(
    not CORPUS.is_dir(), reason="../shared/corpus/pages/article-extraction-benchmark is absent"
)
def test_the_metric_reproduces_the_published_trafilatura_figure() -> None:
    truth = json.loads((CORPUS / "ground-truth.json").read_text(encoding="utf-8"))
    output = json.loads((CORPUS / "baselines" / "trafilatura-2.0.0.json").read_text(encoding="utf-8"))[
        "output"
    ]
    score = corpus_score(
        document_counts(truth[k]["articleBody"], output.get(k, {}).get("articleBody", "")) for k in truth
    )
    assert round(score.f1, 3) == 0.958


@pytest.mark.skipif(
    not CORPUS.is_dir(), reason="../shared/corpus/pages/article-extraction-benchmark is absent"
)
def test_our_extractor_is_at_least_as_good_as_trafilatura_defaults_on_a_sample() -> None:
    logging.disable(logging.WARNING)
    try:
        truth = json.loads((CORPUS / "ground-truth.json").read_text(encoding="utf-8"))
        keys = sorted(truth)[:: len(truth) // SAMPLE][:SAMPLE]
        ours, theirs = [], []
        for key in keys:
            html = gzip.decompress((CORPUS / "html" / f"{key}.html.gz").read_bytes())
            reference = truth[key]["articleBody"]
            ours.append(document_counts(reference, extract_page(html, url=truth[key].get("url", "")).text))
            theirs.append(
                document_counts(reference, trafilatura.extract(html.decode("utf-8", "replace")) or "")
            )
    finally:
        logging.disable(logging.NOTSET)
    assert corpus_score(ours).f1 >= corpus_score(theirs).f1
    assert corpus_score(ours).f1 > 0.9
