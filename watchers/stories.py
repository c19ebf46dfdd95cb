"""Which articles are the same article, and which report the same event: the pure scoring logic.

Two questions, answered with plain data (the storage and the database indexes live in ``bot.story_index``):

* **Same article** (syndicated wire copy, the same text republished by several outlets): a 64-bit SimHash
  over word 3-shingles. Two texts whose fingerprints differ in at most ``NEAR_DUPLICATE_BITS`` bits are one
  article. The fingerprint is cut into ``BANDS`` bands so that, by the pigeonhole principle, any two
  fingerprints that close share at least one band exactly: an indexed equality lookup finds every candidate.
* **Same story** (different outlets, different words, one event): an article's *features* (weighted words of
  title and lead, named entities, numbers, dates) are compared with a story's *profile* (the same features
  summed over its articles). Words are weighted by inverse document frequency, so "Kabul" and "attack"
  count for little once the archive has many Kabul attacks, while the names, numbers and the day that
  identify one event count for much. Closeness in time scales the score; conflicting weekdays and numbers
  lower it, so two events on one subject a few days apart stay apart.

Term keys carry their kind as a prefix (``w:`` word, ``e:`` entity, ``n:`` number, ``d:`` date), so one
document-frequency table and one ``story_terms`` index serve all kinds.
"""

from __future__ import annotations

import hashlib
import math
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from watchers.match import normalise
from watchers.wordlists import word_set

SHINGLE = 3
BANDS = 6
NEAR_DUPLICATE_BITS = BANDS - 1  # with 6 bands, 5 differing bits still leave one band identical
MIN_FINGERPRINT_WORDS = 40  # shorter texts (a feed's one-line description) are too small to fingerprint
LEAD_WORDS = 80  # title plus the first words of the text: where a news report says what happened
PROFILE_WORDS = 60
PROFILE_OTHER = 30
DEFAULT_THRESHOLD = 0.25
DEFAULT_WINDOW = timedelta(hours=48)

_WORD = re.compile(r"\w+", re.UNICODE)
_UPPER = "A-ZÀ-ÖØ-ÞА-ЯЁ"
_ENTITY = re.compile(
    rf"(?<![\w.])[{_UPPER}][\w'’.-]*(?:\s+(?:(?:of|de|du|des|la|le|von|van|der|al|el|bin)\s+)?[{_UPPER}][\w'’.-]*)*",
    re.UNICODE,
)
_NUMBER = re.compile(r"(?<![\w.,])\d[\d,.]*\d|(?<![\w.,])\d(?![\w])")
_WEEKDAYS = {
    "monday": "monday", "tuesday": "tuesday", "wednesday": "wednesday", "thursday": "thursday",
    "friday": "friday", "saturday": "saturday", "sunday": "sunday",
    "lundi": "monday", "mardi": "tuesday", "mercredi": "wednesday", "jeudi": "thursday",
    "vendredi": "friday", "samedi": "saturday", "dimanche": "sunday",
    "montag": "monday", "dienstag": "tuesday", "mittwoch": "wednesday", "donnerstag": "thursday",
    "freitag": "friday", "samstag": "saturday", "sonntag": "sunday",
    "lunes": "monday", "martes": "tuesday", "miercoles": "wednesday", "jueves": "thursday",
    "viernes": "friday", "sabado": "saturday", "domingo": "sunday",
}  # fmt: skip
_MONTHS = {
    "jan": 1, "january": 1, "feb": 2, "february": 2, "mar": 3, "march": 3, "apr": 4, "april": 4,
    "may": 5, "jun": 6, "june": 6, "jul": 7, "july": 7, "aug": 8, "august": 8, "sep": 9, "sept": 9,
    "september": 9, "oct": 10, "october": 10, "nov": 11, "november": 11, "dec": 12, "december": 12,
}  # fmt: skip
_MONTH_DAY = re.compile(r"\b(" + "|".join(sorted(_MONTHS, key=len, reverse=True)) + r")\.?\s+(\d{1,2})\b")

# Function words of the languages we read; they say nothing about which event an article reports.
STOPWORDS = word_set(
    """
    a about above after again against all also am an and any are as at be because been before being
    below between both but by can could did do does doing down during each few for from further had
    has have having he her here hers herself him himself his how i if in into is it its itself just
    me more most my no nor not now of off on once only or other our out over own same she should so
    some such than that the their them then there these they this those through to too under until
    up very was we were what when where which while who whom why will with would you your said says
    say new one two told according year years week day days people since still last first next
    yesterday today le la les un une des du de et en est que qui dans pour par sur au aux avec ce
    ces il elle ils ont pas plus son sa ses se mais ou été être a été der die das den dem des ein
    eine einer und ist im in zu mit von auf für nicht sich als auch es an bei nach wie aus hat wird
    werden sind war el los las del y que en por con para una es se al lo su sus como más fue ha il
    lo gli di che e per con una sono nel della dei alla o os as do da dos das em um uma para com não
    no na se que foi и в во не на что с со как по но из у за от о к для это его она он они был была
    были
    """
)


def words(text: str) -> list[str]:
    """Normalised word tokens (accents folded, lower case)."""
    return _WORD.findall(normalise(text))


def stem(word: str) -> str:
    """A deliberately light stem (plural and possessive endings), enough to join "attacks" and "attack"."""
    if word.endswith("'s"):
        word = word[:-2]
    if len(word) > 4 and word.endswith("ies"):
        return word[:-3] + "y"
    if len(word) > 3 and word.endswith("s") and not word.endswith(("ss", "us", "is")):
        return word[:-1]
    return word


# ---------------------------------------------------------------- same article: SimHash


def _hash64(value: str) -> int:
    return int.from_bytes(hashlib.blake2b(value.encode(), digest_size=8).digest(), "big")


# SimHash tallies, per bit, how many shingle hashes have it set. Each possible byte value maps to its bits
# spread into eight 32-bit lanes; summing those for one byte position of every hash counts the eight bits
# of that position at once, in C (``sum(map(...))``), instead of 64 Python operations per shingle.
_LANE = 32
_SPREAD = [sum(1 << (bit * _LANE) for bit in range(8) if value >> bit & 1) for value in range(256)]
_LANE_MASK = (1 << _LANE) - 1


def simhash(text: str) -> int | None:
    """The 64-bit SimHash of ``text``'s word 3-shingles; None when the text is too short to tell."""
    tokens = words(text)
    if len(tokens) < MIN_FINGERPRINT_WORDS:
        return None
    shingles = {" ".join(tokens[i : i + SHINGLE]): None for i in range(len(tokens) - SHINGLE + 1)}
    hashes = b"".join(hashlib.blake2b(s.encode(), digest_size=8).digest() for s in shingles)
    half = len(shingles) / 2  # a bit is set when more than half of the distinct shingles have it
    fingerprint = 0
    for position in range(8):  # big-endian: byte 0 of a hash holds bits 63..56
        lanes = sum(map(_SPREAD.__getitem__, hashes[position::8]))
        for bit in range(8):
            if (lanes >> (bit * _LANE)) & _LANE_MASK > half:
                fingerprint |= 1 << ((7 - position) * 8 + bit)
    return fingerprint


def band_keys(fingerprint: int) -> list[int]:
    """The ``BANDS`` band keys of a fingerprint: band number and band bits in one small integer."""
    widths = [64 // BANDS + (1 if i < 64 % BANDS else 0) for i in range(BANDS)]
    keys, shift = [], 0
    for index, width in enumerate(widths):
        keys.append(index << 16 | (fingerprint >> shift) & ((1 << width) - 1))
        shift += width
    return keys


def hamming(a: int, b: int) -> int:
    return (a ^ b).bit_count()


def near_duplicate(a: int, b: int) -> bool:
    return hamming(a, b) <= NEAR_DUPLICATE_BITS


def fingerprint_hex(fingerprint: int) -> str:
    return f"{fingerprint:016x}"


# ---------------------------------------------------------------- same story: features and profiles


@dataclass(frozen=True)
class ArticleFeatures:
    """What identifies the event an article reports; ``terms`` maps prefixed term keys to counts."""

    terms: dict[str, float]
    when: datetime

    def of_kind(self, prefix: str) -> dict[str, float]:
        return {t: w for t, w in self.terms.items() if t.startswith(prefix)}


def extract_features(title: str, text: str, when: datetime) -> ArticleFeatures:
    """Features of title and lead; title words count double (the headline states the event)."""
    lead = " ".join(text.split()[:LEAD_WORDS])
    terms: dict[str, float] = {}
    for weight, part in ((2.0, title), (1.0, lead)):
        for word in words(part):
            if word in STOPWORDS or (len(word) < 3 and not word.isdigit()) or word.isdigit():
                continue
            key = "w:" + stem(word)
            terms[key] = terms.get(key, 0.0) + weight
            if weight > 1:
                terms["t:" + stem(word)] = 1.0
    both = f"{title}. {lead}"
    for entity in _entities(title) | _entities(lead):
        terms["e:" + entity] = terms.get("e:" + entity, 0.0) + 1
    for number in _NUMBER.findall(both):
        digits = _number_key(number)
        if digits and not (len(digits) == 4 and digits.startswith(("19", "20"))):  # a year is no clue
            terms["n:" + digits] = terms.get("n:" + digits, 0.0) + 1
    folded = normalise(both)
    for word in _WORD.findall(folded):
        if word in _WEEKDAYS:
            key = "d:" + _WEEKDAYS[word]
            terms[key] = terms.get(key, 0.0) + 1
    for month, day in _MONTH_DAY.findall(folded):
        key = f"d:{_MONTHS[month]:02d}-{int(day):02d}"
        terms[key] = terms.get(key, 0.0) + 1
    return ArticleFeatures(terms, when)


def _number_key(number: str) -> str:
    """One spelling per figure: "1,000" and "1000" alike, and the decimal comma of "5,6" read as "5.6"."""
    number = number.rstrip(".,")
    number = re.sub(r"[,.](?=\d{3}(?!\d))", "", number)
    return number.replace(",", ".")


def _entities(text: str) -> set[str]:
    """Capitalised names: multi-word ones anywhere, single words only where they are not sentence-initial."""
    found: set[str] = set()
    for match in _ENTITY.finditer(text):
        name = match.group().rstrip(".'’-")
        parts = name.split()
        start = match.start()
        before = text[:start].rstrip()
        sentence_initial = not before or before[-1] in '.!?:"“«'
        if len(parts) == 1 and sentence_initial and not name.isupper():
            continue
        key = " ".join(w for w in words(name) if w not in STOPWORDS)
        if key and key not in _WEEKDAYS and key not in _MONTHS and len(key) > 1:
            found.add(key)
            if len(parts) > 1:  # "Provinz Malatya", "President Lagarde": the name alone also counts
                found.update(w for w in key.split() if len(w) > 3)
    return found


@dataclass
class StoryProfile:
    """The summed features of a story's articles, and when its latest article appeared."""

    story_id: int
    terms: dict[str, float] = field(default_factory=dict)
    last_seen: datetime | None = None

    def merged(self, features: ArticleFeatures) -> StoryProfile:
        """This profile with ``features`` added, trimmed to the terms that carry most weight."""
        terms = dict(self.terms)
        for term, weight in features.terms.items():
            terms[term] = terms.get(term, 0.0) + weight
        kept: dict[str, float] = {}
        limits = (("w:", PROFILE_WORDS), ("t:", PROFILE_OTHER), ("e:", PROFILE_OTHER), ("n:", PROFILE_OTHER))
        for prefix, limit in limits:
            ranked = sorted(((t, w) for t, w in terms.items() if t.startswith(prefix)), key=lambda p: -p[1])
            kept.update(ranked[:limit])
        kept.update((t, w) for t, w in terms.items() if t.startswith("d:"))
        last = max(filter(None, [self.last_seen, features.when]))
        return StoryProfile(self.story_id, kept, last)


class DocumentFrequency:
    """Inverse document frequency from a running count: how many articles carried each term."""

    def __init__(self, documents: int, counts: Mapping[str, int]) -> None:
        self.documents = documents
        self.counts = counts
        self._known: dict[str, float] = {}  # scoring asks for the same terms once per candidate story

    def idf(self, term: str) -> float:
        known = self._known.get(term)
        if known is None:
            known = self._known[term] = math.log((self.documents + 1) / (self.counts.get(term, 0) + 1)) + 1.0
        return known


@dataclass(frozen=True)
class Score:
    value: float
    words: float
    headline: float
    entities: float
    numbers: float
    time: float


def score(
    features: ArticleFeatures, profile: StoryProfile, idf: Callable[[str], float], window: timedelta
) -> Score:
    """How likely the article reports the profile's event, between 0 and about 1."""
    cosine = _cosine(_weighted(features.of_kind("w:"), idf), _weighted(_kind(profile.terms, "w:"), idf))
    headline = _coverage(features.of_kind("t:"), profile.terms, idf)
    entities = _coverage(features.of_kind("e:"), profile.terms, idf)
    numbers = _coverage(features.of_kind("n:"), profile.terms, idf)
    if features.of_kind("e:"):
        value = 0.4 * cosine + 0.2 * headline + 0.28 * entities + 0.12 * numbers
        if not _kind(profile.terms, "e:"):
            value *= 0.7  # names on one side only: rarely the same event
    else:  # nothing to compare by name: lean on the words, a little less sure
        value = (0.4 * cosine + 0.2 * headline + 0.12 * numbers) / 0.72 * 0.85
        if _kind(profile.terms, "e:"):
            value *= 0.7
    if headline == 0 and entities == 0:
        value *= 0.5  # no headline word and no name in common: shared text is likely page furniture
    if numbers == 0 and _both_have(features, profile, "n:"):
        value *= 0.85  # different figures: often a different incident
    if _conflict(features, profile, "d:"):
        value *= 0.6  # "on Monday" against "on Wednesday": a different day's event
    closeness = 1.0
    if profile.last_seen is not None:
        gap = abs((features.when - profile.last_seen).total_seconds()) / 3600
        span = max(window.total_seconds() / 3600, 1.0)
        closeness = 1.0 if gap <= 6 else max(0.0, 1.0 - 0.5 * (gap - 6) / span)
        if gap > span:
            closeness = 0.0
    return Score(value * closeness, cosine, headline, entities, numbers, closeness)


def best_story(
    features: ArticleFeatures,
    candidates: Iterable[StoryProfile],
    idf: Callable[[str], float],
    *,
    window: timedelta = DEFAULT_WINDOW,
    threshold: float = DEFAULT_THRESHOLD,
) -> tuple[int, Score] | None:
    """The candidate story the article joins (highest score at or above ``threshold``), or None."""
    best: tuple[int, Score] | None = None
    for profile in candidates:
        result = score(features, profile, idf, window)
        if result.value >= threshold and (best is None or result.value > best[1].value):
            best = (profile.story_id, result)
    return best


def lookup_terms(features: ArticleFeatures, idf: Callable[[str], float], limit: int = 24) -> list[str]:
    """The article's most telling terms: the keys to look up candidate stories in the index."""
    ranked = sorted(features.terms, key=lambda t: -features.terms[t] * idf(t) * (2 if t[0] in "en" else 1))
    return [t for t in ranked if t[0] in "wen"][:limit]


def _weighted(terms: Mapping[str, float], idf: Callable[[str], float]) -> dict[str, float]:
    return {t: (1 + math.log(w)) * idf(t) for t, w in terms.items() if w > 0}


def _cosine(a: Mapping[str, float], b: Mapping[str, float]) -> float:
    if not a or not b:
        return 0.0
    dot = sum(w * b.get(t, 0.0) for t, w in a.items())
    norm = math.sqrt(sum(w * w for w in a.values())) * math.sqrt(sum(w * w for w in b.values()))
    return dot / norm if norm else 0.0


def _coverage(mine: Mapping[str, float], theirs: Mapping[str, float], idf: Callable[[str], float]) -> float:
    """Share of the article's idf mass of one kind that the story also has."""
    total = sum(idf(t) for t in mine)
    if not total:
        return 0.0
    return sum(idf(t) for t in mine if t in theirs) / total


def _kind(terms: Mapping[str, float], prefix: str) -> dict[str, float]:
    return {t: w for t, w in terms.items() if t.startswith(prefix)}


def _both_have(features: ArticleFeatures, profile: StoryProfile, prefix: str) -> bool:
    return bool(features.of_kind(prefix)) and any(t.startswith(prefix) for t in profile.terms)


def _conflict(features: ArticleFeatures, profile: StoryProfile, prefix: str) -> bool:
    mine = set(features.of_kind(prefix))
    theirs = {t for t in profile.terms if t.startswith(prefix)}
    return bool(mine) and bool(theirs) and not (mine & theirs)


def pairwise_precision_recall(truth: Mapping[str, str], predicted: Mapping[str, int]) -> tuple[float, float]:
    """Pairwise precision and recall of a grouping: over every pair of articles, is "same story" right?

    ``truth`` maps an article to its event label, ``predicted`` to the story it was put in.
    """
    keys = sorted(truth)
    true_positive = false_positive = false_negative = 0
    for i, a in enumerate(keys):
        for b in keys[i + 1 :]:
            same, grouped = truth[a] == truth[b], predicted[a] == predicted[b]
            true_positive += same and grouped
            false_positive += grouped and not same
            false_negative += same and not grouped
    precision = true_positive / (true_positive + false_positive) if true_positive + false_positive else 1.0
    recall = true_positive / (true_positive + false_negative) if true_positive + false_negative else 1.0
    return precision, recall
