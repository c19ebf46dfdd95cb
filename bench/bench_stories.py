"""Story grouping: quality on the labelled set, and assignment speed with a large archive.

1. Pairwise precision and recall of grouping on ``tests/fixtures/stories/events.json`` (through the real
   database path, ``bot.archive.store_article``).
2. Assignment throughput: an archive of ``--stored`` synthetic articles (events reported by several outlets
   over ``--days`` days) is stored first; then ``--measured`` further articles are assigned one by one and
   timed. The baseline, in the same run, scores the same articles against *every* story profile in the
   window (what the index avoids); the ratio is how much the index saves.

    .venv/bin/python bench/bench_stories.py                 # 3,000 stored, 200 measured, SQLite (~2 min)
    .venv/bin/python bench/bench_stories.py --stored 10000   # the 10k-archive figure (~5 min)
    .venv/bin/python bench/bench_stories.py --stored 50000 --database postgresql+psycopg://postgres@127.0.0.1/test
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sqlmodel import col, select  # noqa: E402

from bot.archive import content_hash, store_article  # noqa: E402
from bot.models import Source, StoryTerm  # noqa: E402
from bot.store import Store  # noqa: E402
from bot.story_index import Grouping, document_frequency, find_story, load_profiles  # noqa: E402
from watchers.entries import Article  # noqa: E402
from watchers.stories import best_story, extract_features, pairwise_precision_recall  # noqa: E402

EVENTS = ROOT / "tests" / "fixtures" / "stories" / "events.json"
T0 = datetime(2026, 1, 1, tzinfo=UTC)
PLACES = ["Kabul", "Riga", "Lagos", "Quito", "Hanoi", "Tbilisi", "Dakar", "Lima", "Oslo", "Manila", "Sofia"]
PEOPLE = ["Anna Petrova", "Jonas Berg", "Amina Diallo", "Luis Ortega", "Mei Chen", "Omar Haddad", "Eva Novak"]
KINDS = [
    "flood",
    "strike",
    "election",
    "earthquake",
    "fire",
    "summit",
    "protest",
    "verdict",
    "merger",
    "raid",
]
VERBS = ["hits", "closes", "shakes", "divides", "grips", "stuns", "reaches", "ends", "spreads", "halts"]
FILLER = [
    *("officials", "residents", "government", "police", "ministry", "agency", "report", "statement"),
    *("talks", "vote", "court", "company", "market", "workers", "region", "capital", "city", "border"),
    *("coast", "river", "bridge", "airport", "station", "hospital", "school", "council", "budget"),
]


def labelled(store: Store) -> tuple[float, float]:
    items = json.loads(EVENTS.read_text(encoding="utf-8"))
    ids = _sources(store, sorted({i["source"] for i in items}))
    assigned = {}
    for item in sorted(items, key=lambda i: (i["hours"], i["id"])):
        when = T0 + timedelta(hours=item["hours"])
        data = Article(
            url=f"https://l.example/{item['id']}",
            title=item["title"],
            text=item["text"],
            published=when,
            content_hash=content_hash(item["text"]),
        )
        stored = store_article(
            store, source_id=ids[item["source"]], data=data, summary="", matches=[], alert=False, now=when
        )
        assert stored is not None
        assigned[item["id"]] = stored.story_id
    return pairwise_precision_recall({i["id"]: i["event"] for i in items}, assigned)


def _sources(store: Store, names: list[str]) -> dict[str, int]:
    with store.session() as session:
        rows = [Source(name=n, url=f"https://{abs(hash(n))}.example/{n}") for n in names]
        session.add_all(rows)
        session.flush()
        return {r.name: r.id for r in rows if r.id is not None}


def synthetic(rng: random.Random, count: int, days: int, start_id: int) -> list[tuple[Article, int]]:
    """Articles about events (2-5 outlets each, in different words), spread over ``days`` days."""
    out: list[tuple[Article, int]] = []
    event = start_id
    while len(out) < count:
        event += 1
        place, person, kind = rng.choice(PLACES), rng.choice(PEOPLE), rng.choice(KINDS)
        figure = rng.randint(3, 999)
        when = T0 + timedelta(minutes=rng.randint(0, days * 1440))
        core = rng.sample(FILLER, 8)
        for outlet in range(rng.randint(2, 5)):
            words = core[:5] + rng.sample(FILLER, 6)
            rng.shuffle(words)
            title = f"{kind.title()} {rng.choice(VERBS)} {place} as {figure} {rng.choice(FILLER)} affected"
            text = (
                f"{person} said on {when:%A} that the {kind} in {place} affected {figure} people. "
                + " ".join(words)
                + f" event{event}"
            )
            data = Article(
                url=f"https://s.example/{event}/{outlet}",
                title=title,
                text=text,
                published=when + timedelta(minutes=outlet * 20),
                content_hash=content_hash(text),
            )
            out.append((data, outlet))
    return out[:count]


def throughput(store: Store, stored: int, measured: int, days: int) -> None:
    rng = random.Random(7)
    ids = _sources(store, [f"outlet{i}" for i in range(5)])
    began = time.perf_counter()
    for data, outlet in synthetic(rng, stored, days, 0):
        store_article(
            store,
            source_id=ids[f"outlet{outlet}"],
            data=data,
            summary="",
            matches=[],
            alert=False,
            now=data.published,
        )
    fill = time.perf_counter() - began
    print(f"archive: {stored} articles stored in {fill:.1f}s ({stored / fill:.0f} articles/s)")
    probes = synthetic(rng, measured, days, 10_000_000)
    grouping = Grouping()
    indexed, scanned = [], []
    for data, _outlet in probes:
        assert data.published is not None
        features = extract_features(data.title, data.text, data.published)
        with store.session() as session:
            t = time.perf_counter()
            idf = document_frequency(session, features.terms)
            find_story(session, features, idf, grouping)
            indexed.append(time.perf_counter() - t)
            t = time.perf_counter()
            idf = document_frequency(session, features.terms)
            window = [
                s
                for s in session.exec(
                    select(StoryTerm.story_id)
                    .where(
                        col(StoryTerm.seen_at) >= data.published - grouping.window,
                        col(StoryTerm.seen_at) <= data.published + grouping.window,
                    )
                    .distinct()
                ).all()
            ]
            best_story(features, load_profiles(session, window), idf.idf, threshold=grouping.threshold)
            scanned.append(time.perf_counter() - t)
    began = time.perf_counter()
    for data, outlet in probes:
        store_article(
            store,
            source_id=ids[f"outlet{outlet}"],
            data=data,
            summary="",
            matches=[],
            alert=False,
            now=data.published,
        )
    full = time.perf_counter() - began
    med_i, med_s = statistics.median(indexed), statistics.median(scanned)
    print(
        f"candidate lookup + scoring, median: index {med_i * 1000:.2f} ms, every story in the window "
        f"{med_s * 1000:.2f} ms (index {med_s / med_i:.1f}x faster)"
    )
    print(
        f"full store_article with {stored} stored: {measured / full:.0f} articles/s "
        f"({full / measured * 1000:.1f} ms each, one transaction with homes, fingerprint, story, index)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--stored",
        type=int,
        default=3_000,
        help="archive size before measuring (the 10k figure: --stored 10000)",
    )
    parser.add_argument("--measured", type=int, default=200, help="articles assigned and timed")
    parser.add_argument("--days", type=int, default=60, help="days the archive spans")
    parser.add_argument("--database", help="SQLAlchemy URL (default: a scratch SQLite file)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        url = args.database or f"sqlite:///{scratch}/bench.db"
        store = Store.open(url)
        try:
            precision, recall = labelled(store)
        finally:
            store.close()
        print(f"labelled set ({EVENTS.name}): pairwise precision {precision:.3f}, recall {recall:.3f}")
        url = args.database or f"sqlite:///{scratch}/bench2.db"
        store = Store.open(url)
        try:
            throughput(store, args.stored, args.measured, args.days)
        finally:
            store.close()


if __name__ == "__main__":
    main()
