"""The search language, parsed into a tree that each database renders safely.

It is the topic language where it fits: words (all must appear), ``"exact phrases"``, ``OR``, ``AND``
(implicit), ``NOT word`` or ``-word``, a trailing ``word*`` for a prefix, and parentheses. Operators are
upper case; ``or`` is an ordinary word. User text never reaches the database as syntax: every word and
phrase is re-quoted by the renderer (FTS5) or passed as a bound parameter (PostgreSQL), so a quote, ``:``,
``^``, ``NEAR(`` or ``*`` in the input cannot cause a database syntax error or change the meaning.
Words without any letter or digit (``^``, ``:``) are ignored, as the tokenizer would ignore them.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from watchers.errors import QuerySyntaxError

MAX_QUERY = 500
MAX_TERMS = 32
_WORD_CHARS = re.compile(r"\w+")


@dataclass(frozen=True)
class Term:
    """A word (``words`` has one entry) or a phrase; ``prefix`` makes the last word a prefix."""

    words: tuple[str, ...]
    prefix: bool = False


@dataclass(frozen=True)
class Not:
    child: Node


@dataclass(frozen=True)
class All:
    children: tuple[Node, ...]


@dataclass(frozen=True)
class Any_:
    children: tuple[Node, ...]


Node = Term | Not | All | Any_


@dataclass(frozen=True)
class _Token:
    kind: str  # "word", "phrase", "or", "and", "not", "minus", "open", "close"
    text: str
    column: int


def fold(text: str) -> str:
    """Lower case without accents, as both indexes store words (``Zürich`` → ``zurich``)."""
    decomposed = unicodedata.normalize("NFD", text.lower())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def _tokens(text: str) -> list[_Token]:
    tokens: list[_Token] = []
    i = 0
    while i < len(text):
        char = text[i]
        if char.isspace():
            i += 1
        elif char == '"':
            end = text.find('"', i + 1)
            if end < 0:
                raise QuerySyntaxError("this quote is never closed", column=i + 1, hint='close it with "')
            tokens.append(_Token("phrase", text[i + 1 : end], i + 1))
            i = end + 1
        elif char in "()":
            tokens.append(_Token("open" if char == "(" else "close", char, i + 1))
            i += 1
        elif char == "-" and (not tokens or text[i - 1].isspace() or text[i - 1] == "("):
            tokens.append(_Token("minus", char, i + 1))
            i += 1
        else:
            start = i
            while i < len(text) and not text[i].isspace() and text[i] not in '"()':
                i += 1
            word = text[start:i]
            kind = {"OR": "or", "AND": "and", "NOT": "not"}.get(word, "word")
            tokens.append(_Token(kind, word, start + 1))
    return tokens


class _Parser:
    def __init__(self, text: str) -> None:
        self.text = text
        self.tokens = _tokens(text)
        self.at = 0
        self.terms = 0

    def peek(self) -> _Token | None:
        return self.tokens[self.at] if self.at < len(self.tokens) else None

    def end_column(self) -> int:
        return len(self.text) + 1

    def parse(self) -> Node:
        if not self.tokens:
            raise QuerySyntaxError("there is nothing to search for", column=1, hint="type some words")
        node = self.any_()
        token = self.peek()
        if token is not None:
            raise QuerySyntaxError(f"unexpected {token.text!r}", column=token.column)
        if node is None:
            raise QuerySyntaxError("there is no word to search for", column=1, hint="use letters or digits")
        return node

    def any_(self) -> Node | None:
        parts = [self.all_()]
        or_column = 1
        while (token := self.peek()) is not None and token.kind == "or":
            or_column = token.column
            self.at += 1
            following = self.peek()
            if following is None or following.kind in ("or", "close"):
                raise QuerySyntaxError("OR needs a word on both sides", column=token.column)
            parts.append(self.all_())
        kept = tuple(p for p in parts if p is not None)
        if len(kept) > 1 and any(isinstance(p, Not) for p in kept):
            raise QuerySyntaxError(
                "NOT cannot stand alone beside OR", column=or_column, hint="write: a OR b -c"
            )
        return kept[0] if len(kept) == 1 else (Any_(kept) if kept else None)

    def all_(self) -> Node | None:
        parts: list[Node] = []
        while (token := self.peek()) is not None and token.kind not in ("or", "close"):
            if token.kind == "and":
                self.at += 1
                continue
            node = self.unary()
            if node is not None:
                parts.append(node)
        if not parts:
            return None
        return parts[0] if len(parts) == 1 else All(tuple(parts))

    def unary(self) -> Node | None:
        token = self.peek()
        assert token is not None
        if token.kind in ("not", "minus"):
            self.at += 1
            following = self.peek()
            if following is None or following.kind in ("or", "and", "close", "not", "minus"):
                raise QuerySyntaxError(f"{token.text} needs a word after it", column=token.column)
            child = self.unary()
            return Not(child) if child is not None else None
        return self.atom()

    def atom(self) -> Node | None:
        token = self.peek()
        assert token is not None
        self.at += 1
        if token.kind == "open":
            node = self.any_()
            closing = self.peek()
            if closing is None or closing.kind != "close":
                raise QuerySyntaxError("this parenthesis is never closed", column=token.column)
            self.at += 1
            return node
        if token.kind == "close":
            raise QuerySyntaxError("unexpected ')'", column=token.column)
        prefix = token.kind == "word" and token.text.endswith("*")
        words = tuple(_WORD_CHARS.findall(fold(token.text)))
        if not words:
            return None
        self.terms += 1
        if self.terms > MAX_TERMS:
            raise QuerySyntaxError(f"too many words (at most {MAX_TERMS})", column=token.column)
        return Term(words, prefix)


def parse_search(text: str) -> Node:
    """The tree for ``text``; QuerySyntaxError (with its 1-based column) when it does not parse."""
    if len(text) > MAX_QUERY:
        raise QuerySyntaxError(
            f"the query is too long (at most {MAX_QUERY} characters)", column=MAX_QUERY + 1
        )
    node = _Parser(text).parse()
    _require_positive(node, text)
    return node


def _require_positive(node: Node, text: str) -> None:
    """A search must name something that appears: ``-war`` alone would scan the whole archive."""
    if isinstance(node, Not):
        raise QuerySyntaxError("a search needs at least one word that must appear", column=1)
    if isinstance(node, All) and all(isinstance(c, Not) for c in node.children):
        raise QuerySyntaxError("a search needs at least one word that must appear", column=1)
    if isinstance(node, (All, Any_)):
        for child in node.children:
            if not isinstance(child, Not):
                _require_positive(child, text)
    if isinstance(node, All):
        for child in node.children:
            if isinstance(child, Not):
                _require_positive_inner(child.child)


def _require_positive_inner(node: Node) -> None:
    if isinstance(node, (All, Any_)):
        for child in node.children:
            if not isinstance(child, Not):
                _require_positive_inner(child)


def to_fts5(node: Node) -> str:
    """FTS5 MATCH text: every word re-quoted, so only our own operators are ever syntax."""
    if isinstance(node, Term):
        quoted = '"' + " ".join(node.words) + '"'
        return quoted + ("*" if node.prefix else "")
    if isinstance(node, Any_):
        return "(" + " OR ".join(to_fts5(c) for c in node.children) + ")"
    if isinstance(node, All):
        positive = [to_fts5(c) for c in node.children if not isinstance(c, Not)]
        negative = [to_fts5(c.child) for c in node.children if isinstance(c, Not)]
        text = "(" + " AND ".join(positive) + ")"
        for part in negative:
            text = f"({text} NOT {part})"
        return text
    raise AssertionError("a lone NOT is refused by parse_search")


def has_phrase(node: Node) -> bool:
    """Whether any term is a phrase (needs word positions, which only a whole-text vector has)."""
    if isinstance(node, Term):
        return len(node.words) > 1
    if isinstance(node, Not):
        return has_phrase(node.child)
    return any(has_phrase(child) for child in node.children)


def to_tsquery_sql(node: Node, config: str, params: dict[str, str], *, phrases: bool = True) -> str:
    """A PostgreSQL tsquery expression; user words travel only in ``params`` (bound, never inlined).

    ``phrases=False`` asks only that a phrase's words all appear (``&`` instead of ``<->``), which a
    GIN index answers without reading positions; every phrase match is also a match of that.
    """
    if isinstance(node, Term):
        name = f"q{len(params)}"
        if node.prefix:
            lexemes = [f"'{word}'" for word in node.words]  # \\w only: no quote can occur
            params[name] = (" <-> " if phrases else " & ").join(lexemes) + ":*"
            return f"to_tsquery('{config}'::regconfig, :{name})"
        if not phrases and len(node.words) > 1:
            params[name] = " ".join(node.words)
            return f"plainto_tsquery('{config}'::regconfig, :{name})"
        params[name] = '"' + " ".join(node.words) + '"'
        return f"websearch_to_tsquery('{config}'::regconfig, :{name})"
    if isinstance(node, Not):
        return f"(!! {to_tsquery_sql(node.child, config, params, phrases=phrases)})"
    joiner = " && " if isinstance(node, All) else " || "
    inner = [to_tsquery_sql(c, config, params, phrases=phrases) for c in node.children]
    return "(" + joiner.join(inner) + ")"
