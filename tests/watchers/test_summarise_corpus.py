"""Summaries of real pages (``../shared/corpus/pages/trafilatura-eval``): the annotated boilerplate
("without" snippets) stays out of them even when extraction lets some of it through."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest

from watchers.extract import extract_page
from watchers.summarise import summarise

CORPUS = Path(__file__).resolve().parents[3] / "shared" / "corpus" / "pages" / "trafilatura-eval"
PAGES = 80


def _norm(text: str) -> str:
    return " ".join(text.split())


@pytest.mark.skipif(not (CORPUS / "evaldata.json").exists(), reason=f"corpus not present at {CORPUS}")
def test_summaries_of_real_pages_leave_out_the_annotated_boilerplate() -> None:
    data = json.loads((CORPUS / "evaldata.json").read_text(encoding="utf-8"))
    pages = with_boilerplate = in_summary = in_lead = 0
    for url, doc in list(data.items())[:PAGES]:
        html = gzip.decompress((CORPUS / "html" / doc["file"]).read_bytes())
        text = extract_page(html, url=url).text
        if len(text) < 200:
            continue
        pages += 1
        without = [_norm(w) for w in doc.get("without", []) if len(_norm(w)) > 10]
        summary = _norm(summarise(text, 400))
        assert summary, url
        assert len(summary) <= 400
        with_boilerplate += any(w in _norm(text) for w in without)
        in_summary += any(w in summary for w in without)
        in_lead += any(w in _norm(text)[:400] for w in without)
    print(f"\n{pages} pages: boilerplate in extracted text {with_boilerplate}, in summaries {in_summary}, "
          f"in the first 400 characters {in_lead}")  # fmt: skip
    assert pages >= PAGES // 2
    assert in_summary <= in_lead
    assert in_summary <= max(1, pages // 20)
