"""Topic matching speed: one compiled matcher for all topics vs a naive per-query regex baseline.

Generates a realistic workload (seeded, so runs are comparable): English-like articles of typical length
(a title and ~500 words in paragraphs, Zipf-distributed vocabulary of 20,000 words with inflections) and
topics mixing plain words, phrases, NEAR, OR/NOT, wildcards and field scopes (``--workload``: ``specific``
topics by default, see ``WORKLOADS``). Prints, on one core, by the wall clock and by CPU time:

* articles/s of ``TopicMatcher`` with N topics (default 1,000) over M articles (default 2,000;
  ``--articles 10000`` for the issue's full run), median of
  ``--repeat`` runs, including tokenising, stemming, candidate selection and query verification;
* the same for the baseline (each topic a list of compiled ``re`` patterns, every topic tried on every
  article) on a sample, and the ratio;
* how the rate changes from 100 to 1,000 to 10,000 topics (with ``--stages``, also the rate of indexing
  alone: tokenising, stemming new words and looking up keys, the part of the cost that does not depend
  on candidates; and the time beyond it per candidate topic, which stays flat if the rest of the cost
  follows the candidates and not the number of topics);
* with ``--automaton`` (needs ``pyahocorasick``, which Newswatch does not depend on: install it in a
  scratch environment), a calibration of the machine: a dictionary automaton alone finding plain phrases
  of the same words, the yardstick the topics issue quotes (about 10,000 articles/s with 1,000 phrases
  on the machine its targets were set on). Same articles, same 100/1,000/10,000 phrase counts.

Each matcher first sees ``--warmup`` other articles (1,000 by default), as the service's matcher has when
it is timed in steady state: it is kept across poll cycles while the topics do not change, so the words of
new articles are mostly known (stemmed once, remembered) and each topic's trigger has been re-chosen from
how often its terms really occur.

The scaling run takes the first N of one list of generated topics, so every topic count has the same mix
and each topic matches the same share of articles (printed: about 0.04%, one article in 2,500, like a
topic naming a specific company or place). Matches per article therefore grow in proportion to the
topics (0.06 at 100, 0.4 at 1,000, 4 at 10,000), as they would for a service whose users keep adding
topics of the same kind; each true match is verified and explained, so that work grows with them. The
vocabulary is small (20,000 words), so at 10,000 topics most of an article's less common words are some
topic's term: a harsher case for indexing than real topic sets, whose terms are mostly rare names.
"""

from __future__ import annotations

import argparse
import random
import re
import statistics
import time
from collections.abc import Callable, Sequence
from typing import Any

from watchers.query import ArticleText, TopicMatcher, compile_query
from watchers.query.document import Document, index_document
from watchers.query.plan import RETRIGGER_AT, Plan

_SYLLABLES = tuple(
    [
        "ba",
        "ko",
        "ri",
        "ten",
        "sol",
        "mar",
        "vi",
        "den",
        "tra",
        "lo",
        "pe",
        "gan",
        "sum",
        "or",
        "al",
        "fi",
        "nu",
        "ker",
        "pol",
        "es",
        "ta",
        "ro",
        "mi",
        "zen",
        "dor",
    ]
)
_COMMON_TEXT = (
    "the of and to in a is that for on it with as was at by an be this from are or has have not but "
    "said will would its their he she they we year new government minister people country president "
    "state police report week city court vote party talks deal prices market officials military"
)
_NEWS_TEXT = (
    "nato expansion enlargement ukraine russia grain wheat export corridor election parliament sanction "
    "inflation interest rate bank strike energy power grid outage refugee border troops ceasefire summit "
    "treaty tariff oil gas pipeline drought flood wildfire vaccine outbreak hospital union wage protest "
    "cabinet budget deficit bond currency merger shareholder lawsuit verdict appeal satellite launch "
    "climate emission coal nuclear reactor shipping port strait missile drone airspace embassy hostage"
)
_COMMON = _COMMON_TEXT.split()
_NEWS = _NEWS_TEXT.split()
_SUFFIXES = ["", "", "", "s", "ed", "ing", "ion", "er"]


def make_vocabulary(rng: random.Random, size: int) -> list[str]:
    words = list(dict.fromkeys(_COMMON + _NEWS))
    while len(words) < size:
        words.append("".join(rng.choice(_SYLLABLES) for _ in range(rng.randint(2, 4))))
    return list(dict.fromkeys(words))


def make_articles(rng: random.Random, vocabulary: Sequence[str], count: int, words: int) -> list[ArticleText]:
    weights = [1.0 / (rank + 1) for rank in range(len(vocabulary))]  # Zipf
    out = []
    for _ in range(count):
        drawn = rng.choices(vocabulary, weights, k=words + 10)
        inflected = [w + rng.choice(_SUFFIXES) if len(w) > 3 else w for w in drawn]
        for at in range(10, len(inflected), rng.randint(60, 110)):
            inflected[at] += ".\n"
        title = " ".join(inflected[:10]).replace(".\n", "").capitalize()
        text = " ".join(inflected[10:]).replace("\n ", "\n")
        out.append(ArticleText(title, text, rng.choice(["Reuters", "BBC News", "Courier"]), "en"))
    return out


WORKLOADS = {
    # Topic words from the ranks they are drawn from: (frequent tier, specific tier), 30% / 70%.
    "specific": ((300, 3000), (3000, None)),
    "dense": ((len(_COMMON), 300), (300, None)),
}
"""``specific`` (the default): real topic sets name specific things, so topic words come from ranks 300 to
3,000 (news words found in roughly 2-15% of articles) and the long tail beyond; with 1,000 topics about
0.4 topics match an article and 99% of articles match 0-2 topics. ``dense``: the first version of this
benchmark, whose frequent tier (ranks 56-300: words in 15-55% of all articles, like "inflation") made
single-word topics match a third of everything: ~3.5 matches per article at 1,000 topics, ~35 at 10,000."""


def make_topics(rng: random.Random, vocabulary: Sequence[str], count: int, workload: str) -> list[str]:
    (low, high), (tail, _) = WORKLOADS[workload]
    frequent = list(vocabulary[low:high])
    specific = list(vocabulary[tail:])

    def word() -> str:
        return rng.choice(frequent if rng.random() < 0.3 else specific)

    topics = []
    for _ in range(count):
        kind = rng.random()
        if kind < 0.35:
            topics.append(" ".join(word() for _ in range(rng.randint(1, 3))))
        elif kind < 0.55:
            topics.append(f'"{word()} {word()}"')
        elif kind < 0.70:
            topics.append(f"{word()} NEAR/{rng.randint(2, 8)} ({word()} OR {word()})")
        elif kind < 0.85:
            topics.append(f"({word()} OR {word()}) {word()} -{word()}")
        elif kind < 0.95:
            topics.append(f"{word()[:5]}* AND title:{word()}")
        else:
            topics.append(f"source:reuters {word()} OR {word()}")
    return topics


def baseline(topics: Sequence[str]) -> Callable[[ArticleText], int]:
    """Each query on its own: its words as compiled case-insensitive regexes, all tried on every article."""
    compiled = []
    for query in topics:
        words = [w for w in re.findall(r"[a-z]+", query.lower()) if w not in ("or", "and", "not", "near")]
        compiled.append([re.compile(r"\b" + re.escape(w), re.IGNORECASE) for w in words])

    def run(article: ArticleText) -> int:
        body = article.title + "\n" + article.text
        return sum(all(p.search(body) for p in patterns) for patterns in compiled)

    return run


def automaton_rates(
    rng: random.Random,
    vocabulary: Sequence[str],
    articles: Sequence[ArticleText],
    counts: Sequence[int],
    repeat: int,
) -> list[tuple[int, float]]:
    """Articles per CPU second of an Aho-Corasick automaton alone over N plain phrases (1-3 topic words,
    drawn like the topics' words), on lower-cased title and text: no stemming, no verification."""
    import ahocorasick  # type: ignore[import-not-found]  # optional, calibration only

    (low, high), (tail, _) = WORKLOADS["specific"]
    frequent, specific = list(vocabulary[low:high]), list(vocabulary[tail:])
    out = []
    for count in counts:
        automaton = ahocorasick.Automaton()
        for index in range(count):
            words = (
                rng.choice(frequent if rng.random() < 0.3 else specific) for _ in range(rng.randint(1, 3))
            )
            automaton.add_word(" ".join(words), index)
        automaton.make_automaton()

        def run(article: ArticleText, automaton: Any = automaton) -> int:
            found = automaton.iter((article.title + "\n" + article.text).lower())
            return sum(1 for _ in found)

        out.append((count, rate(run, articles, repeat)[1]))
    return out


def _candidates(doc: Document, plan: Plan) -> set[int]:
    """The topics ``TopicMatcher.match`` considers for an indexed article: those whose trigger key occurs
    (and those without one); the rest of its cost follows their number."""
    present = doc.present
    return set(plan.always).union(*map(plan.triggers.__getitem__, present & plan.trigger_keys))


def rate(
    run: Callable[[ArticleText], object], articles: Sequence[ArticleText], repeat: int
) -> tuple[float, float]:
    """Articles per second by the wall clock and by this process's CPU time (medians of ``repeat``)."""
    walls, cpus = [], []
    for _ in range(repeat):
        start, start_cpu = time.perf_counter(), time.process_time()
        for article in articles:
            run(article)
        walls.append(time.perf_counter() - start)
        cpus.append(time.process_time() - start_cpu)
    return len(articles) / statistics.median(walls), len(articles) / statistics.median(cpus)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--topics", type=int, default=1000)
    parser.add_argument("--articles", type=int, default=2000, help="the issue's full run: 10000")
    parser.add_argument("--words", type=int, default=500, help="words per article")
    parser.add_argument("--baseline-articles", type=int, default=100)
    parser.add_argument("--scaling", default="100,1000,10000", help="topic counts for the scaling run")
    parser.add_argument("--scaling-articles", type=int, default=300)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--seed", type=int, default=4)
    parser.add_argument(
        "--warmup",
        type=int,
        default=RETRIGGER_AT[-1],
        help="articles (not among those timed) each matcher sees before timing: its steady state",
    )
    parser.add_argument("--workload", choices=sorted(WORKLOADS), default="specific")
    parser.add_argument("--stages", action="store_true", help="also time indexing alone per topic count")
    parser.add_argument(
        "--automaton",
        action="store_true",
        help="calibrate: an Aho-Corasick automaton alone (needs pyahocorasick)",
    )
    args = parser.parse_args()

    rng = random.Random(args.seed)
    vocabulary = make_vocabulary(rng, 20_000)
    articles = make_articles(rng, vocabulary, args.articles, args.words)
    counts = [int(c) for c in args.scaling.split(",")]
    queries = make_topics(rng, vocabulary, max([args.topics, *counts]), args.workload)
    warmup = make_articles(rng, vocabulary, args.warmup, args.words)
    print(
        f"{args.articles} articles of ~{args.words} words; {args.topics} topics ({args.workload} workload);"
        f" median of {args.repeat}; rates by wall clock / by CPU time"
    )

    def matcher_for(count: int) -> TopicMatcher[int]:
        matcher = TopicMatcher((i, compile_query(q)) for i, q in enumerate(queries[:count]))
        matcher.plan("en")  # compile outside the timing: the service keeps it while topics do not change
        for article in warmup:  # and so it has seen articles: words stemmed, triggers chosen by frequency
            matcher.match(article)
        return matcher

    def matches(matcher: TopicMatcher[int], sample: Sequence[ArticleText]) -> str:
        found = [len(matcher.match(a)) for a in sample]
        at_most_two = sum(n <= 2 for n in found) / len(found)
        per_topic = sum(found) / len(found) / len(matcher)
        return (
            f"{sum(found) / len(found):.2f} matches/article, {at_most_two:.0%} of articles match 0-2,"
            f" a topic matches {per_topic:.3%} of articles"
        )

    main_matcher = matcher_for(args.topics)
    print(f"workload    : {matches(main_matcher, articles[:1000])}")
    ours, ours_cpu = rate(main_matcher.match, articles, args.repeat)
    print(f"one matcher : {ours:9.0f} / {ours_cpu:.0f} articles/s")
    sample = articles[: args.baseline_articles]
    theirs, theirs_cpu = rate(baseline(queries[: args.topics]), sample, args.repeat)
    print(f"per-query re: {theirs:9.0f} / {theirs_cpu:.0f} articles/s  (on {len(sample)} articles)")
    print(f"ratio       : {ours / theirs:9.1f}x / {ours_cpu / theirs_cpu:.1f}x")

    scaling_set = articles[: args.scaling_articles]
    rates = {}
    for count in counts:
        matcher = matcher_for(count)
        wall, rates[count] = rate(matcher.match, scaling_set, args.repeat)
        found = matches(matcher, scaling_set)
        print(f"{count:6d} topics: {wall:9.0f} / {rates[count]:.0f} articles/s  ({found})")
        if args.stages:
            plan = matcher.plan("en")

            def index(article: ArticleText, plan: Plan = plan) -> Document:
                return index_document(article.title, article.text, article.source, article.language, plan)

            _, indexing = rate(index, scaling_set, args.repeat)
            print(f"{'':6s}   indexing alone: {indexing:.0f} articles/s (CPU time)")
            beyond = 1e6 / rates[count] - 1e6 / indexing
            candidates = statistics.mean(len(_candidates(index(a), plan)) for a in scaling_set)
            print(
                f"{'':6s}   beyond indexing: {beyond:.0f} µs/article for {candidates:.1f} candidate topics,"
                f" {beyond / max(candidates, 0.01):.1f} µs per candidate"
            )
    first, last = min(rates), max(rates)
    print(f"slowdown {first} -> {last} topics (CPU time): {rates[first] / rates[last]:.2f}x")
    if args.automaton:
        for count, alone in automaton_rates(rng, vocabulary, articles, counts, args.repeat):
            print(f"automaton alone, {count:5d} plain phrases: {alone:7.0f} articles/s (CPU time)")


if __name__ == "__main__":
    main()
