"""Extraction quality and speed on the article-extraction benchmark (181 real pages with ground truth).

Scores Newswatch's extractor (``watchers.extract.extract_page``) and trafilatura alone with its default
settings (``trafilatura.extract(html)``), in the same run, with the benchmark's own metric: F1 over word
4-shingles, per-document normalised counts summed over the corpus (``watchers.extract_quality``). Also
prints pages/s for each (single process, median of ``--repeat`` timed passes).

    .venv/bin/python bench/bench_extract.py                 # every page, one timed pass
    .venv/bin/python bench/bench_extract.py --limit 40 --repeat 3
"""

from __future__ import annotations

import argparse
import gzip
import json
import logging
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import trafilatura  # noqa: E402

from watchers.extract import extract_page  # noqa: E402
from watchers.extract_quality import Score, corpus_score, document_counts  # noqa: E402

CORPUS = ROOT.parent / "shared" / "corpus" / "pages" / "article-extraction-benchmark"


def load(corpus: Path, limit: int | None) -> list[tuple[str, str, bytes, str]]:
    """(page id, url, html bytes, reference text), sorted by id."""
    truth = json.loads((corpus / "ground-truth.json").read_text(encoding="utf-8"))
    pages = []
    for key in sorted(truth)[:limit]:
        html = gzip.decompress((corpus / "html" / f"{key}.html.gz").read_bytes())
        pages.append((key, truth[key].get("url") or "", html, truth[key].get("articleBody") or ""))
    return pages


def ours(html: bytes, url: str) -> str:
    return extract_page(html, url=url).text


def trafilatura_default(html: bytes, url: str) -> str:
    return trafilatura.extract(html.decode("utf-8", errors="replace")) or ""


def measure(
    extractor: Callable[[bytes, str], str], pages: list[tuple[str, str, bytes, str]], repeat: int
) -> tuple[Score, float]:
    """The corpus score and the median pages/s over ``repeat`` passes."""
    rates = []
    outputs: list[str] = []
    for _ in range(repeat):
        started = time.perf_counter()
        outputs = [extractor(html, url) for _key, url, html, _truth in pages]
        rates.append(len(pages) / (time.perf_counter() - started))
    score = corpus_score(
        document_counts(truth, out) for (_k, _u, _h, truth), out in zip(pages, outputs, strict=True)
    )
    return score, statistics.median(rates)


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--corpus", type=Path, default=CORPUS, help="the benchmark folder")
    parser.add_argument("--limit", type=int, default=None, help="only the first N pages (by id)")
    parser.add_argument("--repeat", type=int, default=1, help="timed passes per extractor (median reported)")
    args = parser.parse_args()
    if not (args.corpus / "ground-truth.json").exists():
        print(f"skipped: {args.corpus} is absent (it lives in ../shared/corpus/)")
        return 0
    logging.disable(logging.WARNING)  # trafilatura logs every page it finds hard
    pages = load(args.corpus, args.limit)
    print(f"article-extraction-benchmark: {len(pages)} pages, trafilatura {trafilatura.__version__}")
    results = {}
    for name, extractor in (("trafilatura defaults", trafilatura_default), ("newswatch extract_page", ours)):
        score, rate = measure(extractor, pages, args.repeat)
        results[name] = score
        print(
            f"  {name:24s} F1 {score.f1:.4f}  precision {score.precision:.4f}  recall {score.recall:.4f}"
            f"  {rate:6.1f} pages/s"
        )
    ratio = results["newswatch extract_page"].f1 / results["trafilatura defaults"].f1
    print(f"  F1 ratio newswatch / trafilatura defaults: {ratio:.4f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
