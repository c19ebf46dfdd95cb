"""Every topic compiled into one dictionary per article language: which keys to index, which topics to try.

A *key* is what an article token is indexed under: its stem (``expand``), its exact form (``=expansion``, for
phrases) and any wildcard prefix it starts with (``*ukrain``). The plan knows every key of every topic, so an
article is indexed only for keys someone asked for, and a topic is verified only when its *trigger* key
(the rarest term it cannot match without) occurs in the article; topics without one (``source:Reuters``)
are verified on every article. Plans are built per language on first use because stems depend on it.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from watchers.query.nodes import (
    AllOf,
    AnyOf,
    FromSource,
    InField,
    InLanguage,
    Near,
    Node,
    Not,
    Phrase,
    Prefix,
    Window,
    Word,
)
from watchers.query.normalise import fold
from watchers.query.stemming import Keys, word_keys

TITLE_SCOPE = "title:"
"""Prefix of a key that must occur in the title (``title:NATO``), so a topic scoped to the title is neither
a candidate nor verified when its word is only in the text. No token contains ``:``, so no clash."""
SOURCE_SCOPE = "source:"
"""Prefix of a word of the outlet's name (``source:reuters``): every word must be among them."""
LANGUAGE_SCOPE = "lang:"
"""Prefix of the article's language code (``lang:fr``)."""
RETRIGGER_AT = (100, 1000)
"""Article counts at which triggers are re-chosen from observed key frequencies."""
MAX_SEEN = 500_000
"""Raw tokens a plan remembers the keys of (a few tens of MB)."""
Required = tuple[tuple[str, ...], ...]
"""Alternatives that must each be satisfied by at least one present key (a quick necessary condition)."""
Check = tuple[frozenset[str], tuple[frozenset[str], ...], frozenset[str]]
"""``Required`` split for set operations: keys that must all be present (``<=``, one C call), groups of
which at least one key must be present (``isdisjoint``; most topics have none), and keys of which none may
be present: those of words and wildcards excluded at the top of the query (``NATO -stadium``), whose mere
presence anywhere in the article makes the query fail."""

_COMMON_WORDS = (
    "the of and to in a is that for on it with as was at by an be this from are or has have not but "
    "le la les de des du et en un une der die das und den von zu el los las del y que il di e o da do "
    "в и на с по не что"
)
_COMMON = frozenset(_COMMON_WORDS.split())


@dataclass
class Plan:
    """The compiled dictionary of all topics for one language."""

    keys_of: Callable[[str], Keys]
    vocabulary: set[str] = field(default_factory=set)
    prefixes: dict[int, set[str]] = field(default_factory=dict)
    word_keys_of: dict[str, Keys] = field(default_factory=dict)
    """The keys of each query word, by the word as written: a string key hashes once (a query node
    would hash its fields on every look-up)."""
    triggers: dict[str, list[int]] = field(default_factory=dict)
    always: list[int] = field(default_factory=list)
    required: list[Required] = field(default_factory=list)
    seen: set[str] = field(default_factory=lambda: {"\n"})
    """Raw tokens whose keys are known; ``keyed`` holds those with at least one wanted key."""
    keyed: dict[str, Keys] = field(default_factory=dict)
    wanted: set[str] = field(default_factory=set)
    """The tokens of ``keyed`` as a set: a set intersects another set by probing it from the smaller side,
    a dict's keys view does not."""
    forms_of: dict[str, set[str]] = field(default_factory=dict)
    """Wanted key -> the raw tokens seen so far that carry it (the inverse of ``keyed``)."""
    trigger_keys: set[str] = field(default_factory=set)
    """The keys of ``triggers``, as a set to intersect with an article's keys."""
    score_bounds: list[tuple[Keys, ...] | None] = field(default_factory=list)
    """For a topic whose score is made of terms only (see ``_score_groups``), the keys of each term: the
    weighted count of the tokens carrying them bounds its score from above, so a topic whose bound is
    below ``min_score`` is dropped before (and usually instead of) verifying it."""
    key_counts: Counter[str] = field(default_factory=Counter)
    """How many observed articles had each key (see ``observe``)."""
    observed: int = 0
    checks: list[Check] = field(default_factory=list)
    """``required`` of each topic in the form cheapest to test: see ``Check``."""
    alone: list[frozenset[str]] = field(default_factory=list)
    """The first part of each topic's ``Check``: one subset test per candidate, in a comprehension."""
    guarded: dict[int, tuple[tuple[frozenset[str], ...], frozenset[str]]] = field(default_factory=dict)
    """The rest of the ``Check`` of the topics that have OR-groups or excluded keys (most have neither)."""

    def observe(self, present: set[str]) -> None:
        """Count the keys of one more article; at ``RETRIGGER_AT`` articles, re-choose the triggers by
        how often their keys really occurred (word length is only a guess). Costs one C-level counter
        update per article, for the first ``RETRIGGER_AT[-1]`` articles only."""
        self.key_counts.update(present)
        self.observed += 1
        if self.observed in RETRIGGER_AT:
            self.choose_triggers()

    def choose_triggers(self) -> None:
        """Give each topic with required keys the alternative least often seen in articles so far (by
        guessed rarity before any were seen, and among equals). Any required alternative is correct: a
        topic cannot match without it; a rarer one only makes fewer candidates."""
        counts = self.key_counts
        triggers: dict[str, list[int]] = {}
        for index, required in enumerate(self.required):
            if required:
                trigger = min(required, key=lambda alt: (sum(counts[k] for k in alt), -_rarity(alt)))
                for key in trigger:
                    triggers.setdefault(key, []).append(index)
        self.triggers = triggers
        self.trigger_keys = set(triggers)

    def learn(self, tokens: set[str]) -> None:
        """Work out the wanted keys of tokens not seen before (the only place stemming happens). Memory
        stays bounded: past ``MAX_SEEN`` tokens, those carrying no key are forgotten."""
        if len(self.seen) > MAX_SEEN:
            self.seen = {"\n", *self.keyed}
        for token in tokens:
            keys = self.token_keys(token)
            if keys:
                self.keyed[token] = keys
                self.wanted.add(token)
                for key in keys:
                    self.forms_of.setdefault(key, set()).add(token)
        self.seen.update(tokens)

    def token_keys(self, token: str) -> Keys:
        """The keys of a raw article token that some topic asks for (usually none)."""
        vocabulary = self.vocabulary
        found = [k for k in self.keys_of(token) if k in vocabulary]
        exact = fold(token)
        if "=" + exact in vocabulary:
            found.append("=" + exact)
        for length, starts in self.prefixes.items():
            if len(exact) >= length and exact[:length] in starts:
                found.append("*" + exact[:length])
        return tuple(dict.fromkeys(found))


def build_plan(language: str, trees: Sequence[Node]) -> Plan:
    plan = Plan(keys_of=word_keys(language))
    for index, tree in enumerate(trees):
        required = _required(tree, plan)
        plan.required.append(required)
        alone, groups = _check(required)
        forbidden = _forbidden(tree, plan)
        plan.checks.append((alone, groups, forbidden))
        plan.alone.append(alone)
        if groups or forbidden:
            plan.guarded[index] = (groups, forbidden)
        groups_of_terms = _score_groups(tree, plan)
        plan.score_bounds.append(tuple(groups_of_terms) if groups_of_terms else None)
        if not required:
            plan.always.append(index)
    plan.choose_triggers()
    return plan


def _check(required: Required) -> tuple[frozenset[str], tuple[frozenset[str], ...]]:
    alone = frozenset(alt[0] for alt in required if len(alt) == 1)
    groups = tuple(dict.fromkeys(frozenset(alt) for alt in required if len(alt) > 1))
    return alone, groups


def _forbidden(tree: Node, plan: Plan) -> frozenset[str]:
    """Keys whose presence alone rules the query out: an excluded word occurs when any of its keys does
    (in either field), an excluded wildcard when its prefix key does. Called after ``_required`` has
    registered the words' keys."""
    children = tree.children if isinstance(tree, AllOf) else (tree,)
    keys: set[str] = set()
    for child in children:
        if isinstance(child, Not) and isinstance(child.child, Word):
            keys.update(plan.word_keys_of[child.child.raw])
        elif isinstance(child, Not) and isinstance(child.child, Prefix):
            keys.add("*" + child.child.prefix)
    return frozenset(keys)


def _in_title(key: str) -> str:
    """The key in the title; keys already scoped (title, source, language) are left alone."""
    return key if ":" in key else TITLE_SCOPE + key


def _rarity(alternative: tuple[str, ...]) -> float:
    """Longer, uncommon words are rarer, more so in the title (its prefix makes a title key longer); an
    alternative is only as rare as its commonest key."""
    return min(map(_key_rarity, alternative))


def _key_rarity(key: str) -> float:
    if key.startswith((SOURCE_SCOPE, LANGUAGE_SCOPE)):
        return -4.0  # a few outlets and languages cover many articles: trigger on a word when there is one
    return -5.0 if key.removeprefix(TITLE_SCOPE).lstrip("=*") in _COMMON else float(len(key))


def _required(node: Node, plan: Plan) -> Required:
    """Register the node's keys in ``plan`` and return what must be present for it to match."""
    if isinstance(node, Word):
        keys = plan.keys_of(node.raw)
        plan.word_keys_of[node.raw] = keys
        plan.vocabulary.update(keys)
        return (keys,)
    if isinstance(node, Phrase):
        exact = tuple("=" + w for w in node.words)
        plan.vocabulary.update(exact)
        return tuple((k,) for k in exact)
    if isinstance(node, Prefix):
        plan.prefixes.setdefault(len(node.prefix), set()).add(node.prefix)
        plan.vocabulary.add("*" + node.prefix)
        return (("*" + node.prefix,),)
    if isinstance(node, Window | AllOf):
        return tuple(alt for child in node.children for alt in _required(child, plan))
    if isinstance(node, Near):
        return _required(node.left, plan) + _required(node.right, plan)
    if isinstance(node, AnyOf):
        options = [_required(child, plan) for child in node.children]
        if any(not option for option in options):
            return ()
        return (tuple(dict.fromkeys(k for option in options for k in max(option, key=_rarity))),)
    if isinstance(node, InField):
        inner = _required(node.child, plan)
        if node.field != "title":
            return inner
        return tuple(tuple(dict.fromkeys(map(_in_title, alt))) for alt in inner)
    if isinstance(node, Not):
        _required(node.child, plan)
        return ()
    if isinstance(node, InLanguage):
        return ((LANGUAGE_SCOPE + node.code,),)
    assert isinstance(node, FromSource)
    if node.prefix:
        return ()
    return tuple((SOURCE_SCOPE + word,) for word in node.words)


def _score_groups(node: Node, plan: Plan) -> list[Keys] | None:
    """Key groups whose weighted token counts add up to at least the node's score; None for proximity
    (a window or NEAR can count more intervals than its terms have tokens). The score counts each matching
    interval by its start: a word or wildcard has one per token, a phrase no more than its first word's
    tokens, and an OR of words and wildcards one per token carrying any of their keys (one group). Filters
    and exclusions score nothing; a field scope only removes the other field's matches."""
    if isinstance(node, Word):
        return [plan.word_keys_of[node.raw]]
    if isinstance(node, Prefix):
        return [("*" + node.prefix,)]
    if isinstance(node, Phrase):
        return [("=" + node.words[0],)]
    if isinstance(node, AnyOf) and all(isinstance(child, Word | Prefix) for child in node.children):
        keys = [key for child in node.children for group in _score_groups(child, plan) or () for key in group]
        return [tuple(dict.fromkeys(keys))]
    if isinstance(node, AnyOf | AllOf):
        groups: list[Keys] = []
        for child in node.children:
            found = _score_groups(child, plan)
            if found is None:
                return None
            groups += found
        return groups
    if isinstance(node, InField):
        return _score_groups(node.child, plan)
    if isinstance(node, Not | FromSource | InLanguage):
        return []
    return None
