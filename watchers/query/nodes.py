"""The query tree the parser builds and the matcher evaluates.

*Positional* nodes (words, phrases, prefixes, OR of positional nodes, windows and NEAR) say *where* they
match, as token intervals, so proximity can combine them; the others (AND, NOT, field scopes, source and
language filters) only say *whether* the article matches.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Word:
    """A plain word, matched by stem in the article's language (``raw`` is the token as written)."""

    raw: str
    folded: str

    positional = True


@dataclass(frozen=True)
class Phrase:
    """Consecutive words matched exactly (normalised, not stemmed)."""

    words: tuple[str, ...]

    positional = True


@dataclass(frozen=True)
class Prefix:
    """``Ukrain*``: any word whose normalised form starts with ``prefix``."""

    prefix: str

    positional = True


@dataclass(frozen=True)
class Window:
    """Juxtaposed terms: all of them within ``size`` consecutive words of one paragraph."""

    children: tuple[Node, ...]
    size: int

    positional = True


@dataclass(frozen=True)
class Near:
    """``a NEAR/n b``: at most ``distance`` words between an ``a`` and a ``b``, in either order."""

    left: Node
    right: Node
    distance: int

    positional = True


@dataclass(frozen=True)
class AnyOf:
    """``a OR b``; positional when every alternative is."""

    children: tuple[Node, ...]

    @property
    def positional(self) -> bool:
        return all(c.positional for c in self.children)


@dataclass(frozen=True)
class AllOf:
    """``a AND b`` (anywhere in the article), and juxtaposed filters."""

    children: tuple[Node, ...]

    positional = False


@dataclass(frozen=True)
class Not:
    child: Node

    positional = False


@dataclass(frozen=True)
class InField:
    """``title:x`` / ``text:x``: the term must match in that field."""

    field: str
    child: Node

    positional = False


@dataclass(frozen=True)
class FromSource:
    """``source:x``: the outlet's name contains the words (exact, consecutive)."""

    words: tuple[str, ...]
    prefix: bool = False

    positional = False


@dataclass(frozen=True)
class InLanguage:
    """``lang:fr``: the article's language code."""

    code: str

    positional = False


Node = Word | Phrase | Prefix | Window | Near | AnyOf | AllOf | Not | InField | FromSource | InLanguage


def label(node: Node) -> str:
    """How a term is shown in explanations and alerts' ``matched`` list."""
    if isinstance(node, Word):
        return node.folded
    if isinstance(node, Phrase):
        return '"' + " ".join(node.words) + '"'
    if isinstance(node, Prefix):
        return node.prefix + "*"
    raise TypeError(f"not a term: {node!r}")
