"""Search and newest-first listing at archive scale, on SQLite and PostgreSQL.

Generates N synthetic articles whose words follow a Zipf distribution (s = 1.1 over 60,000 made-up
words; texts of 40-400 words, about 150 on average, built from a pool of Zipfian sentences so 1,000,000
articles generate in seconds), stories (about one per three articles) and topic matches (15 % of
articles), then reports p50/p95 over repeated, varied queries through the real ``search_articles`` and
``latest_story_ids``: a relevance-ranked two-word query (mid-frequency words), the two commonest words
(bounded: only the newest ``--candidates`` matches are ranked), a two-word phrase, and newest-first
listing (all topics and one topic, first and second page). The baseline, run in the same process, is a
plain unbounded ranked query on the commonest words. Also the database size and the bytes per article
beyond the title and text.

Loading: SQLite inserts through the migration's triggers (executemany in one transaction), exactly as
the application writes. PostgreSQL uses COPY (the stored title-and-lead ranking vector of migration
0011 is generated as each row arrives, as for the bot's inserts) with the GIN index dropped and
re-created afterwards, which is what migration 0009 does to an existing table.

Storage: "beyond the text" is every byte PostgreSQL or SQLite holds for the schema (tables, their
TOAST, every index; SQLite: the whole file after a checkpoint) minus the UTF-8 bytes of the titles and
texts, divided by the articles: row headers, URLs, hashes, stories, matches and all indexes count.

    .venv/bin/python bench/bench_search.py                      # 100,000 articles, both databases
    .venv/bin/python bench/bench_search.py --articles 1000000 --databases sqlite
"""

from __future__ import annotations

import argparse
import itertools
import os
import random
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import text

from bot.search import schema
from bot.search.engine import DEFAULT_CANDIDATES, search_articles
from bot.search.listing import latest_story_ids
from bot.store import Store

POSTGRES_URL = os.environ.get("NEWSWATCH_TEST_POSTGRES", "postgresql://postgres@127.0.0.1:5432/test")
VOCABULARY = 60_000
TOPICS = 20
START = datetime(2025, 1, 1, tzinfo=UTC)
STOP_WORDS = frozenset(
    [
        "a",
        "an",
        "and",
        "are",
        "as",
        "at",
        "be",
        "but",
        "by",
        "do",
        "for",
        "he",
        "is",
        "it",
        "me",
        "no",
        "of",
        "on",
        "or",
        "so",
        "the",
        "to",
        "up",
        "we",
    ]
)


def make_words(rng: random.Random) -> list[str]:
    syllables = [c + v for c in "bcdfghjklmnprstvwz" for v in "aeiou"] + ["str", "an", "er", "on", "is"]
    words: set[str] = set()
    while len(words) < VOCABULARY:
        word = "".join(rng.choice(syllables) for _ in range(rng.choice((1, 2, 2, 3, 3, 4))))
        if word not in STOP_WORDS:  # PostgreSQL's english configuration would drop them, SQLite not
            words.add(word)
    return sorted(words, key=lambda w: (len(w), w))  # short words are the common ones, as in language


class Corpus:
    """Zipfian sentences, combined into articles; keeps the word ranks to pick queries by frequency."""

    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)
        self.words = make_words(self.rng)
        weights = [1 / (rank + 1) ** 1.1 for rank in range(VOCABULARY)]
        self.cumulative = list(itertools.accumulate(weights))
        self.sentences = [self.sentence(self.rng.randint(6, 22)) for _ in range(60_000)]

    def sentence(self, length: int) -> str:
        picks = self.rng.choices(self.words, cum_weights=self.cumulative, k=length)
        return " ".join(picks).capitalize() + "."

    def article(self, number: int) -> tuple[str, str]:
        title = self.sentence(self.rng.randint(5, 11)).rstrip(".")
        count = max(3, min(28, int(self.rng.lognormvariate(2.2, 0.5))))
        return title, " ".join(self.rng.choices(self.sentences, k=count))


def rows(corpus: Corpus, count: int) -> Iterator[tuple[object, ...]]:
    for number in range(1, count + 1):
        title, body = corpus.article(number)
        when = START + timedelta(seconds=30 * number)
        story = (number + 2) // 3
        yield (number, 1, story, f"https://bench.example/a/{number}", title, body, f"h{number}", when)


def load(store: Store, corpus: Corpus, count: int) -> float:
    started = time.perf_counter()
    stories = (count + 2) // 3
    with store.engine.begin() as c:
        c.execute(
            text(
                "INSERT INTO sources (id, name, url, kind, every_seconds, backfill_seconds, origin, "
                "paused, consecutive_failures) VALUES (1, 'Bench', 'https://bench.example/feed', 'rss', "
                "600, 86400, 'config', false, 0)"
            )
        )
        for t in range(1, TOPICS + 1):
            c.execute(
                text(
                    "INSERT INTO topics (id, name, query, origin, enabled) "
                    "VALUES (:i, :n, 'x', 'config', true)"
                ),
                {"i": t, "n": f"topic {t}"},
            )
    if store.dialect == "sqlite":
        _load_sqlite(store, corpus, count, stories)
    else:
        _load_postgres(store, corpus, count, stories)
    return time.perf_counter() - started


def _story_rows(count: int, stories: int) -> Iterator[tuple[object, ...]]:
    for s in range(1, stories + 1):
        when = START + timedelta(seconds=90 * s)
        yield (s, f"story {s}", f"k{s}", f"https://bench.example/a/{3 * s - 2}", when, when, 3)


def _match_rows(count: int, seed: int) -> Iterator[tuple[object, ...]]:
    rng = random.Random(seed)
    match_id = 0
    for number in range(1, count + 1):
        if rng.random() < 0.15:
            match_id += 1
            when = START + timedelta(seconds=30 * number)
            yield (match_id, number, rng.randint(1, TOPICS), (number + 2) // 3, when)


def _batches(items: Iterator[tuple[object, ...]], size: int = 20_000) -> Iterator[list[tuple[object, ...]]]:
    while batch := list(itertools.islice(items, size)):
        yield batch


def _load_sqlite(store: Store, corpus: Corpus, count: int, stories: int) -> None:
    raw = store.engine.raw_connection()
    try:
        cursor = raw.cursor()
        for batch in _batches(_story_rows(count, stories)):
            cursor.executemany(
                "INSERT INTO stories (id, title, title_key, url, summary, first_seen_at, updated_at, "
                "article_count) VALUES (?, ?, ?, ?, '', ?, ?, ?)",
                [(*r[:4], _iso(r[4]), _iso(r[5]), r[6]) for r in batch],
            )
        for batch in _batches(rows(corpus, count)):
            cursor.executemany(
                "INSERT INTO articles (id, source_id, story_id, url, title, text, summary, text_origin, "
                "content_hash, published_at, fetched_at, alerted) "
                "VALUES (?, ?, ?, ?, ?, ?, '', 'feed', ?, ?, ?, 1)",
                [(*r[:7], _iso(r[7]), _iso(r[7])) for r in batch],
            )
        for batch in _batches(_match_rows(count, 7)):
            cursor.executemany(
                "INSERT INTO matches (id, article_id, topic_id, story_id, score, terms, spans, matched_at) "
                "VALUES (?, ?, ?, ?, 1.0, '[]', '[]', ?)",
                [(*r[:4], _iso(r[4])) for r in batch],
            )
        raw.commit()  # no ANALYZE: the bot never runs it, so the plans measured are the ones it gets
        cursor.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        raw.close()


def _iso(when: object) -> str:
    assert isinstance(when, datetime)
    return when.strftime("%Y-%m-%d %H:%M:%S.%f")  # SQLAlchemy's SQLite storage format, in UTC


def _load_postgres(store: Store, corpus: Corpus, count: int, stories: int) -> None:
    raw = store.engine.raw_connection()
    try:
        cursor = raw.cursor()
        cursor.execute(f"DROP INDEX {schema.SEARCH_INDEX}")
        with cursor.copy(
            "COPY stories (id, title, title_key, url, summary, first_seen_at, updated_at, article_count) "
            "FROM STDIN"
        ) as copy:
            for r in _story_rows(count, stories):
                copy.write_row((*r[:4], "", *r[4:]))
        with cursor.copy(
            "COPY articles (id, source_id, story_id, url, title, text, summary, text_origin, content_hash, "
            "published_at, fetched_at, alerted) FROM STDIN"
        ) as copy:
            for r in rows(corpus, count):
                copy.write_row((*r[:6], "", "feed", r[6], r[7], r[7], True))
        with cursor.copy(
            "COPY matches (id, article_id, topic_id, story_id, score, terms, spans, matched_at) FROM STDIN"
        ) as copy:
            for r in _match_rows(count, 7):
                copy.write_row((*r[:4], 1.0, "[]", "[]", r[4]))
        raw.commit()
        cursor.execute("SET maintenance_work_mem = '512MB'")
        cursor.execute(schema.POSTGRES_SEARCH_INDEX)
        raw.commit()
    finally:
        raw.close()
    with store.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as c:
        c.execute(text("VACUUM ANALYZE articles"))
        c.execute(text("VACUUM ANALYZE matches"))
        c.execute(text("VACUUM ANALYZE stories"))


def timed(runs: int, action: Callable[[int], object]) -> list[float]:
    times = []
    for i in range(runs):
        started = time.perf_counter()
        action(i)
        times.append((time.perf_counter() - started) * 1000)
    return times


def p(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def size_report(store: Store, count: int) -> dict[str, float]:
    ranking = 0  # SQLite ranks from FTS5 and stores no ranking vector
    with store.engine.connect() as c:
        text_bytes = c.execute(
            text("SELECT sum(length(CAST(title AS BLOB)) + length(CAST(text AS BLOB))) FROM articles")
            if store.dialect == "sqlite"
            else text("SELECT sum(octet_length(title) + octet_length(text)) FROM articles")
        ).scalar()
        if store.dialect == "sqlite":
            page = c.execute(text("PRAGMA page_size")).scalar()
            pages = c.execute(text("PRAGMA page_count")).scalar()
            total = int(page or 0) * int(pages or 0)
            search = c.execute(
                text("SELECT sum(pgsize) FROM dbstat WHERE name LIKE 'articles_fts%'")
            ).scalar()
        else:
            total = int(
                c.execute(
                    text(
                        "SELECT sum(pg_total_relation_size(c.oid)) FROM pg_class c "
                        "JOIN pg_namespace n ON n.oid = c.relnamespace "
                        "WHERE n.nspname = current_schema() AND c.relkind IN ('r', 'm')"
                    )
                ).scalar()
                or 0
            )
            search = c.execute(text(f"SELECT pg_relation_size('{schema.SEARCH_INDEX}')")).scalar()
            ranking = int(
                c.execute(text(f"SELECT sum(pg_column_size({schema.RANK_COLUMN})) FROM articles")).scalar()
                or 0
            )
    return {
        "total_mb": total / 1e6,
        "text_bytes_per_article": int(text_bytes or 0) / count,
        "beyond_text_per_article": (total - int(text_bytes or 0)) / count,
        "search_bytes_per_article": int(search or 0) / count,
        "rank_vector_bytes_per_article": ranking / count,
    }


def bench_database(
    url: str, name: str, count: int, runs: int, candidates: int, baseline_runs: int = 3
) -> None:
    corpus = Corpus(seed=42)
    store = Store.open(url)
    try:
        with store.engine.connect() as c:
            stored = c.execute(text("SELECT count(*) FROM articles")).scalar()
        if stored == count:
            print(f"\n== {name}: reusing the {count:,} articles kept by an earlier run", flush=True)
        else:
            print(f"\n== {name}: loading {count:,} articles …", flush=True)
            seconds = load(store, corpus, count)
            print(f"loaded in {seconds:.0f} s", flush=True)
        rng = random.Random(1)
        mid = corpus.words[300:3000]
        two_word = [f"{rng.choice(mid)} {rng.choice(mid)}" for _ in range(runs)]
        commonest = [
            f"{corpus.words[rng.randint(0, 3)]} {corpus.words[rng.randint(4, 9)]}" for _ in range(runs)
        ]
        phrases = []
        for _ in range(runs):
            words = rng.choice(corpus.sentences).rstrip(".").lower().split()
            start = rng.randint(0, len(words) - 2)
            phrases.append(f'"{words[start]} {words[start + 1]}"')
        figures: dict[str, list[float]] = {}

        def run(label: str, action: Callable[[int], object]) -> None:
            action(0)  # warm the cache once, as a running bot would be
            figures[label] = timed(runs, action)

        last: dict[str, object] = {}

        def search(queries: list[str]) -> Callable[[int], object]:
            def action(i: int) -> object:
                page = search_articles(store, queries[i], candidates=candidates)
                last["capped"] = page.capped
                last["note"] = page.note
                return page

            return action

        run("ranked two-word", search(two_word))
        run("common words (bounded)", search(commonest))
        print(f"   common words page note: {last['note']!r}")
        run("phrase", search(phrases))
        run("latest, all topics", lambda i: latest_story_ids(store, limit=5))
        run("latest, one topic", lambda i: latest_story_ids(store, topic_id=1 + i % TOPICS, limit=5))

        def second_page(i: int) -> object:
            first = latest_story_ids(store, topic_id=1 + i % TOPICS, limit=5)
            started = time.perf_counter()
            latest_story_ids(store, topic_id=1 + i % TOPICS, limit=5, cursor=first.next_cursor)
            return time.perf_counter() - started

        run("latest, one topic, page 2 (+page 1)", second_page)
        baseline = timed(baseline_runs, lambda i: _unbounded(store, commonest[i]))
        figures["baseline: unbounded ranked common words"] = baseline
        print(f"{'query':<42} {'p50 ms':>9} {'p95 ms':>9}")
        for label, values in figures.items():
            print(f"{label:<42} {statistics.median(values):>9.2f} {p(values, 0.95):>9.2f}")
        ratio = statistics.median(baseline) / statistics.median(figures["common words (bounded)"])
        print(f"bounded common-words query is {ratio:.1f}x faster than the unbounded baseline (median)")
        for key, value in size_report(store, count).items():
            print(f"{key:<42} {value:>12,.1f}")
    finally:
        store.close()


def _unbounded(store: Store, query: str) -> object:
    """What a naive implementation does: rank every match, then take the best ten."""
    from bot.search.query_syntax import parse_search, to_fts5, to_tsquery_sql

    tree = parse_search(query)
    with store.engine.connect() as c:
        if store.dialect == "sqlite":
            return c.execute(
                text(
                    f"SELECT rowid FROM {schema.FTS_TABLE} WHERE {schema.FTS_TABLE} MATCH :m "
                    f"ORDER BY bm25({schema.FTS_TABLE}, 10.0, 1.0) LIMIT 10"
                ),
                {"m": to_fts5(tree)},
            ).all()
        params: dict[str, str] = {}
        q = to_tsquery_sql(tree, schema.TS_CONFIG, params)
        vector = schema.vector_expression()
        return c.execute(
            text(
                f"SELECT id FROM articles WHERE {vector} @@ {q} "
                f"ORDER BY ts_rank_cd({vector}, {q}, 1) DESC LIMIT 10"
            ),
            params,
        ).all()


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--articles", type=int, default=100_000, help="articles to generate (default 100,000)"
    )
    parser.add_argument("--databases", default="sqlite,postgresql", help="comma-separated: sqlite,postgresql")
    parser.add_argument("--runs", type=int, default=40, help="timed queries per kind (default 40)")
    parser.add_argument(
        "--candidates",
        type=int,
        default=DEFAULT_CANDIDATES,
        help="newest matches ranked (default %(default)s)",
    )
    parser.add_argument(
        "--postgres-url", default=POSTGRES_URL, help="PostgreSQL server (a schema is created)"
    )
    parser.add_argument(
        "--baseline-runs",
        type=int,
        default=3,
        help="unbounded baseline queries (default 3; each takes minutes at a million on PostgreSQL)",
    )
    parser.add_argument(
        "--keep",
        metavar="NAME",
        help="keep the databases (SQLite file NAME.db in the temporary folder, PostgreSQL schema NAME) "
        "and reuse them when run again with the same NAME and --articles",
    )
    args = parser.parse_args()
    print(f"search benchmark: {args.articles:,} articles, {args.runs} runs per query kind")
    for name in args.databases.split(","):
        if name == "sqlite" and args.keep:
            path = Path(tempfile.gettempdir()) / f"{args.keep}.db"
            bench_database(
                f"sqlite:///{path}", "SQLite", args.articles, args.runs, args.candidates, args.baseline_runs
            )
        elif name == "sqlite":
            with tempfile.TemporaryDirectory(prefix="bench-search-") as folder:
                bench_database(
                    f"sqlite:///{folder}/bench.db",
                    "SQLite",
                    args.articles,
                    args.runs,
                    args.candidates,
                    args.baseline_runs,
                )
        elif name == "postgresql":
            import psycopg

            schema_name = args.keep or f"bench_{uuid.uuid4().hex[:12]}"
            with psycopg.connect(args.postgres_url, autocommit=True) as conn:
                conn.execute(f'CREATE SCHEMA IF NOT EXISTS "{schema_name}"')
            try:
                base = args.postgres_url.replace("postgresql://", "postgresql+psycopg://", 1)
                sep = "&" if "?" in base else "?"
                bench_database(
                    f"{base}{sep}options=-csearch_path%3D{schema_name}",
                    "PostgreSQL",
                    args.articles,
                    args.runs,
                    args.candidates,
                    args.baseline_runs,
                )
            finally:
                if not args.keep:
                    with psycopg.connect(args.postgres_url, autocommit=True) as conn:
                        conn.execute(f'DROP SCHEMA IF EXISTS "{schema_name}" CASCADE')
        else:
            parser.error(f"unknown database {name!r}")


if __name__ == "__main__":
    main()
