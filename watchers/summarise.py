"""Extractive summaries: two or three of the article's own sentences, saying what it says about a topic.

Order of work in ``summarise``:

1. split the text into paragraphs and drop furniture that survives extraction (bylines, photo captions,
   "Read more", share and newsletter prompts, "This article was first published by…", copyright lines);
2. split paragraphs into sentences (``split_sentences`` keeps "U.S.", "Mr.", "Jan. 5", quotes and
   ellipses inside their sentence, in the languages we read) and drop boilerplate sentences;
3. score each sentence by centrality (similarity to the rest of the text), coverage of the topic's matched
   terms, and position (news puts the event first);
4. pick greedily by maximal marginal relevance (relevance minus similarity to what is already chosen), up
   to three sentences within ``max_chars``, and print them in the article's order.

The result is always whole sentences of the article, or a single sentence cut at a word with "…".

An article is summarised once for itself and once per matched topic: steps 1-2 and the centrality of
step 3 depend on the text alone, so they are computed once per text (``_prepared``, a small cache) and
only the coverage of each topic's terms is computed per summary.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from itertools import repeat
from operator import mul
from typing import Protocol

from watchers.match import normalise
from watchers.wordlists import word_set

MAX_SENTENCES = 3
MMR_LAMBDA = 0.7
MIN_SENTENCE_WORDS = 5

# Abbreviations after which a full stop does not end a sentence, in en, fr, de, es, it, pt, ru.
_ABBREVIATIONS = word_set(
    """
    mr mrs ms dr prof sen rep gov gen col lt st jr sr inc ltd co corp vs etc no fig capt sgt cmdr
    adm jan feb mar apr jun jul aug sep sept oct nov dec mon tue wed thu fri sat sun approx est dept
    univ u.s u.k u.n e.g i.e a.m p.m ph.d m mm mme mlle me av bd cf env hr frau nr z.b d.h u.a bzw
    ca evtl vgl sra srta dña ud uds núm pág sig sigg dott ing avv pag exmo sr.ª dra г гг т.е т.д т.п
    им ул стр
    """
)
# Month names that follow an ordinal ("5. Mai", "1. Januar"): the full stop there ends no sentence.
_MONTH_NAMES = word_set(
    """
    januar februar märz april mai juni juli august september oktober november dezember jänner
    january february march may june july october december
    """
)
_UPPER = "A-ZÀ-ÖØ-ÞА-ЯЁ"
_END = re.compile(rf"([.!?…]+(?:\s?[\"'”’»)])*)\s+(?=[\"'“‘«(¿¡—–-]?\s?[{_UPPER}0-9])")
_WORD = re.compile(r"\w+", re.UNICODE)

# Lines and sentences that are page furniture, not the article (several languages).
_FURNITURE = re.compile(
    r"""(
      ^\s*(photo|image|picture|foto|bild|imagen|immagine|фото)\s*(credit)?\s*[:/|]  # photo caption
    | \b(getty\s+images|afp\s+photo|ap\s+photo|reuters/|epa-efe|shutterstock|dpa-bildfunk)\b
    | \b(read|see)\s+(more|also|the\s+full)\b | ^\s*more\s*:|\bcontinue\s+reading\b
    | \blire\s+aussi\b | \blesen\s+sie\s+(auch|mehr)\b | \bmehr\s+zum\s+thema\b | \blee\s+también\b
    | \bleer\s+más\b | \bleggi\s+anche\b | \bleia\s+também\b | \bчитайте\s+также\b
    | \bshare\s+(this|on)\b | \b(follow|like)\s+us\b | \bclick\s+here\b | \bsign\s+up\b
    | \bsubscribe\s+(now|today|here|to\s+our)\b | \bnewsletter\b | ^\s*advertisement\s*$
    | \b(we\s+use|accept|manage)\s+(all\s+)?cookies\b | \bcookie\s+(policy|preferences|settings)\b
    | \bthis\s+(article|story|report)\s+(was|is|has\s+been)\s+(first|originally)?\s*
      (published|reproduced|republished)
    | \b(first|originally)\s+published\s+(by|in|on)\b
    | \bcontributed\s+to\s+this\s+report\b | \b(editing|reporting|writing)\s+by\b
    | \ball\s+rights\s+reserved\b | ©|\bcopyright\b
    | \b(download|get)\s+(our|the)\s+app\b | \bjoin\s+(our|the)\s+conversation\b
    | \bcomments?\s+(are|have\s+been)\s+(closed|disabled)\b
    | \bupdated\s*:?\s*\d{1,2}[:.]\d{2}\b | ^\s*(published|updated|last\s+updated)\b
    )""",
    re.IGNORECASE | re.VERBOSE,
)
_STOP = word_set(
    """
    a an the of to in on at for by with from and or but is are was were be been has have had it its
    this that these those as he she they we you his her their our not no said says will would could
    can le la les de des du un une et en est que qui dans pour sur der die das und ist von mit den
    el los las y que del il lo gli di che e o os da do em
    """
)


def split_sentences(text: str) -> list[str]:
    """Split prose into sentences, keeping "U.S.", "Mr.", "Jan. 5", quotes and ellipses inside them."""
    sentences: list[str] = []
    start = 0
    for match in _END.finditer(text):
        before = text[start : match.start()].split()
        last = before[-1].lower().lstrip("\"'“‘«(").rstrip(".") if before else ""
        if match.group(1) == "." and (last in _ABBREVIATIONS or (len(last) == 1 and last.isalpha())):
            continue
        following = (text[match.end() :].split(maxsplit=1) or [""])[0].lower().strip(".,;")
        if match.group(1) == "." and last.isdigit() and len(last) <= 2 and following in _MONTH_NAMES:
            continue
        sentences.append(text[start : match.end(1)].strip())
        start = match.end()
    tail = text[start:].strip()
    if tail:
        sentences.append(tail)
    return [s for s in sentences if s]


_BYLINE = re.compile(
    r"^\s*(by|par|von|por|di|de|от)\s+[\w.'’-]+(\s+(and\s+)?[\w.'’-]+){0,4}\s*(,\s*[\w\s.'’-]+)?\.?$",
    re.IGNORECASE,
)


# What ``_FURNITURE`` cannot match without: for each of its alternatives, a piece of text it needs
# (lower-case, words one space apart) or a word it must start with. ``re`` tries every alternative at every
# position (about 1 µs per character of text for the whole pattern); ``in`` finds a literal in C at a
# fraction of that, and most lines hold none of these, so the pattern only runs on the few that do.
_NEEDS_ONE_OF = (
    "photo", "getty images", "reuters/", "epa-efe", "shutterstock", "dpa-bildfunk",
    "read more", "read also", "read the full", "see more", "see also", "see the full", "continue reading",
    "lire aussi", "lesen sie auch", "lesen sie mehr", "mehr zum thema", "lee también", "leer más",
    "leggi anche", "leia também", "читайте также", "share this", "share on", "follow us", "like us",
    "click here", "sign up", "subscribe", "newsletter", "cookie", "published", "reproduced",
    "contributed to this report", "editing by", "reporting by", "writing by", "all rights reserved", "©",
    "copyright", "our app", "the app", "conversation", "comment", "updated",
)  # fmt: skip
_STARTS_WITH = (
    "photo", "image", "picture", "foto", "bild", "imagen", "immagine", "фото", "more", "advertisement",
    "published", "updated", "last updated",
)  # fmt: skip


def is_furniture(line: str, pieces: Sequence[str] = _NEEDS_ONE_OF) -> bool:
    """Whether a line or sentence is page furniture (byline, caption, prompt, credit), not article text.
    ``pieces``: those of ``_NEEDS_ONE_OF`` worth looking for, when the caller knows the others cannot be
    in the line (see ``furniture_pieces``)."""
    if len(line.split()) <= 8 and _BYLINE.match(line):
        return True
    return _may_be_furniture(line, pieces) and bool(_FURNITURE.search(line))


def furniture_pieces(text: str) -> tuple[str, ...]:
    """The pieces of ``_NEEDS_ONE_OF`` found anywhere in ``text``: the only ones a line or sentence of it
    can hold. Each line folds (``_fold``) to a run of the whole text's folded words, because folding works
    character by character and white space becomes single spaces either way, so a piece missing from the
    text is missing from every line. A benchmark article holds 0.8 of the 45 pieces on average (at most 4);
    looking for those alone in each of its lines and sentences makes the check a fraction of what it was."""
    folded = _fold(text)
    return tuple(piece for piece in _NEEDS_ONE_OF if piece in folded)


def _fold(text: str) -> str:
    """Case folded as ``re.IGNORECASE`` folds it (``casefold``, plus ``İ`` and the dotless ``ı``, which it
    also takes for ``i``), and runs of white space made one space, as ``\\s+`` matches any run."""
    return " ".join(text.split()).replace("İ", "i").casefold().replace("ı", "i")


def _may_be_furniture(line: str, pieces: Sequence[str] = _NEEDS_ONE_OF) -> bool:
    """False when ``_FURNITURE`` cannot match: none of its needed pieces is in the line."""
    folded = _fold(line)
    return folded.startswith(_STARTS_WITH) or any(piece in folded for piece in pieces)


def article_sentences(text: str) -> list[str]:
    """The article's own sentences, in order, without furniture and without fragments."""
    pieces = furniture_pieces(text)
    out: list[str] = []
    for paragraph in text.splitlines():
        paragraph = " ".join(paragraph.split())
        if len(paragraph.split()) < MIN_SENTENCE_WORDS or is_furniture(paragraph, pieces):
            continue
        for sentence in split_sentences(paragraph):
            if len(sentence.split()) >= MIN_SENTENCE_WORDS and not is_furniture(sentence, pieces):
                out.append(sentence)
    return out


def _tokens(sentence: str) -> list[str]:
    return [w for w in _WORD.findall(normalise(sentence)) if w not in _STOP and len(w) > 1]


def _vector(counts: Counter[str], idf: dict[str, float]) -> dict[str, float]:
    return {t: (1 + math.log(c)) * idf.get(t, 1.0) for t, c in counts.items()}


def _cosine(a: dict[str, float], b: dict[str, float]) -> float:
    if not a or not b:
        return 0.0
    dot = sum(w * b.get(t, 0.0) for t, w in a.items())
    norm = math.sqrt(sum(w * w for w in a.values())) * math.sqrt(sum(w * w for w in b.values()))
    return dot / norm if norm else 0.0


def _norm(vector: dict[str, float]) -> float:
    """The Euclidean length, as ``_cosine`` computes it (same products, same order, so the same float)."""
    values = vector.values()
    return math.sqrt(sum(map(mul, values, values)))


def _similarity(a: dict[str, float], norm_a: float, b: dict[str, float], norm_b: float) -> float:
    """``_cosine`` with each vector's length computed once per text instead of at every comparison, and
    the dot product taken in C (``map``) instead of a generator: the same products summed in the same
    order, so the same value, at a fraction of the cost. Choosing sentences compares each remaining
    sentence with each chosen one, which made ``_cosine`` most of a summary's time on long articles."""
    if not a or not b:
        return 0.0
    dot = sum(map(mul, a.values(), map(b.get, a.keys(), repeat(0.0))))
    norm = norm_a * norm_b
    return dot / norm if norm else 0.0


def rank_sentences(sentences: list[str], terms: Iterable[str] = ()) -> list[float]:
    """Relevance of each sentence: centrality, coverage of ``terms`` and position, each in [0, 1]."""
    folded = [_folded(s) for s in sentences]
    return _relevance(_centrality([Counter(_tokens(s)) for s in sentences]), folded, terms)


def _centrality(counted: Sequence[Counter[str]]) -> list[float]:
    """Mean similarity of each sentence (its word counts) to the others (TF-IDF over the article's own
    sentences).

    A sum of cosines is one dot product: cos(a, b) is the product of the unit vectors, so the similarity
    of ``a`` to all the others is ``a``'s unit vector times the sum of everyone's, minus ``a`` with itself
    (1). That is linear in the text, where comparing every pair was quadratic in its sentences."""
    n = len(counted)
    df: Counter[str] = Counter()
    for counts in counted:
        df.update(counts.keys())
    idf = {t: math.log((n + 1) / (c + 0.5)) for t, c in df.items()}
    units = []
    for counts in counted:
        vector = _vector(counts, idf)
        norm = _norm(vector)
        units.append({t: w / norm for t, w in vector.items()} if norm else {})
    total: dict[str, float] = {}
    for unit in units:
        for t, w in unit.items():
            total[t] = total.get(t, 0.0) + w
    return [
        max(0.0, sum(map(mul, unit.values(), map(total.__getitem__, unit))) - (1.0 if unit else 0.0))
        / max(n - 1, 1)
        for unit in units
    ]


def _folded(sentence: str) -> str:
    """The sentence's normalised words between spaces, for finding a term's words as a whole."""
    return " " + " ".join(_WORD.findall(normalise(sentence))) + " "


def _relevance(centrality: Sequence[float], folded: Sequence[str], terms: Iterable[str]) -> list[float]:
    wanted = [tuple(_WORD.findall(normalise(term))) for term in terms]
    wanted = [w for w in wanted if w]
    scores = []
    for i, central in enumerate(centrality):
        position = 1.0 / (1.0 + i / 2)
        if wanted:
            words = folded[i]
            covered = sum(1 for w in wanted if f" {' '.join(w)} " in words or _stem_hit(w, words))
            coverage = covered / len(wanted)
            scores.append(0.35 * central + 0.4 * coverage + 0.25 * position)
        else:
            scores.append(0.55 * central + 0.45 * position)
    return scores


def _stem_hit(term: tuple[str, ...], folded: str) -> bool:
    """A one-word term also counts in an inflected form ("attack" in "attacks", "élection" in "élections")."""
    return len(term) == 1 and len(term[0]) >= 4 and f" {term[0][: max(4, len(term[0]) - 2)]}" in folded


@dataclass(frozen=True)
class _PreparedText:
    """What a summary of one text needs whatever the topic: its sentences, their centrality, the word
    counts that measure redundancy between them, and their normalised words (for a topic's coverage)."""

    sentences: tuple[str, ...]
    centrality: tuple[float, ...]
    vectors: tuple[dict[str, float], ...]
    norms: tuple[float, ...]
    folded: tuple[str, ...]


@lru_cache(maxsize=16)
def _prepared(text: str) -> _PreparedText:
    sentences = article_sentences(text)
    if not sentences:
        fallback = " ".join(text.split())
        pieces = furniture_pieces(fallback)
        sentences = [s for s in split_sentences(fallback) if not is_furniture(s, pieces)] or (
            [fallback] if fallback else []
        )
    folded = tuple(_folded(s) for s in sentences)
    counted = [Counter([w for w in f.split() if w not in _STOP and len(w) > 1]) for f in folded]
    vectors = tuple({t: float(c) for t, c in counts.items()} for counts in counted)
    norms = tuple(map(_norm, vectors))
    return _PreparedText(tuple(sentences), tuple(_centrality(counted)), vectors, norms, folded)


def summarise(text: str, max_chars: int = 400, terms: Iterable[str] = ()) -> str:
    """Two or three of the article's sentences within ``max_chars``, about ``terms`` when given."""
    prepared = _prepared(text)
    sentences, vectors, norms = prepared.sentences, prepared.vectors, prepared.norms
    if not sentences:
        return ""
    relevance = _relevance(prepared.centrality, prepared.folded, terms)
    chosen: list[int] = []
    length = 0
    # Maximal marginal relevance: repeatedly take the most relevant sentence least like those taken. A
    # sentence's redundancy (its highest similarity to a chosen one) changes only when one is chosen, so
    # it is updated then, against the new one alone; between choices the ranking is fixed, and a sentence
    # that does not fit or repeats a chosen one just passes the turn to the next in that ranking. Same
    # picks as re-scoring every candidate against every chosen sentence at every step, which was
    # quadratic in the sentences and most of the cost of summarising a long article.
    redundancy = [0.0] * len(sentences)
    candidates = set(range(len(sentences)))
    while candidates and len(chosen) < MAX_SENTENCES:
        ranking = sorted(
            candidates, key=lambda i: (-(MMR_LAMBDA * relevance[i] - (1 - MMR_LAMBDA) * redundancy[i]), i)
        )
        for best in ranking:
            candidates.discard(best)
            extra = len(sentences[best]) + (1 if chosen else 0)
            if chosen and length + extra > max_chars:
                continue  # a shorter sentence may still fit
            if chosen and redundancy[best] > 0.8:
                continue  # says again what is chosen already
            chosen.append(best)
            length += extra
            if len(chosen) == MAX_SENTENCES:
                break  # no more choices for the redundancy to inform
            for i in candidates:
                similarity = _similarity(vectors[i], norms[i], vectors[best], norms[best])
                redundancy[i] = max(redundancy[i], similarity)
            break
    summary = " ".join(sentences[i] for i in sorted(chosen))
    if len(summary) > max_chars:
        cut = summary[: max_chars - 1].rsplit(" ", 1)[0].rstrip(",;:")
        summary = cut + "…"
    return summary


class Summariser(Protocol):
    """Anything that turns an article (and a topic's matched terms) into a short summary."""

    async def summarise(self, title: str, text: str, terms: Sequence[str] = ()) -> str: ...


class ExtractiveSummariser:
    """The default: offline, deterministic, the article's own sentences (``summarise``)."""

    def __init__(self, max_chars: int = 400) -> None:
        self.max_chars = max_chars

    async def summarise(self, title: str, text: str, terms: Sequence[str] = ()) -> str:
        return summarise(text or title, self.max_chars, terms)
