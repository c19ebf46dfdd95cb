"""Match the first articles of the matching benchmark a given number of times, for counting instructions.

The development machine is shared, so CPU time per article swings by 2x between runs; the number of
instructions does not. Run it under valgrind with ``--passes 0`` and ``--passes 2`` and divide the
difference by ``2 * --articles`` (the first pass, which learns every word, is in both runs)::

    for p in 0 2; do valgrind --tool=cachegrind --cache-sim=no --cachegrind-out-file=/dev/null \\
      .venv/bin/python bench/match_passes.py --topics 1000 --passes $p 2>&1 | grep 'I *refs'; done

Same workload as ``bench_match.py`` (seed, vocabulary, articles, topic mix; topics are drawn after
``--articles`` articles, so their set depends on it, as in that script).
"""

from __future__ import annotations

import argparse
import random

from bench_match import make_articles, make_topics, make_vocabulary

from watchers.query import TopicMatcher, compile_query


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--topics", type=int, default=1000)
    parser.add_argument("--articles", type=int, default=100)
    parser.add_argument("--passes", type=int, default=2)
    parser.add_argument("--workload", default="specific")
    args = parser.parse_args()
    rng = random.Random(4)
    vocabulary = make_vocabulary(rng, 20_000)
    articles = make_articles(rng, vocabulary, args.articles, 500)
    queries = make_topics(rng, vocabulary, 10_000, args.workload)
    matcher = TopicMatcher((i, compile_query(q)) for i, q in enumerate(queries[: args.topics]))
    for _ in range(1 + args.passes):
        for article in articles:
            matcher.match(article)


if __name__ == "__main__":
    main()
