"""The query language: from text to a tree of ``nodes``, with errors that point at a column.

Grammar, loosest binding first (``OR`` binds tighter than juxtaposition, as in web search)::

    query  := window ( "AND" window )*           explicit AND: anywhere in the article
    window := alt alt*                           juxtaposed: all within DEFAULT_WINDOW words
    alt    := near ( "OR" near )*
    near   := unary ( "NEAR/n" unary )*
    unary  := ( "NOT" | "-" ) unary | scope ":" unary | atom
    atom   := word | word* | "phrase" | "(" query ")"

Operators are upper-case (``and``/``or``/``not``/``near`` in lower case are ordinary words). A bare word with
hyphens or apostrophes inside (``Russia-Ukraine``) is the phrase of its parts. The parser never recurses
deeper than ``MAX_DEPTH`` and never builds a regular expression, so no query can make matching slow.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from watchers.errors import QuerySyntaxError
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
from watchers.query.normalise import TOKEN, fold

DEFAULT_WINDOW = 15
"""Juxtaposed terms must all fall within this many consecutive words of one paragraph."""
MAX_NEAR = 100
MAX_LENGTH = 2000
MAX_DEPTH = 40
MIN_PREFIX = 3
SCOPES = ("title", "text", "source", "lang")
QUOTES = {'"': '"', "“": "”", "”": "”", "„": "“", "«": "»", "‟": "”"}
_NEAR = re.compile(r"NEAR(?:/(\d+))?")
_LANG = re.compile(r"[a-z]{2,3}")


@dataclass(frozen=True)
class Lexeme:
    kind: str  # "word", "phrase", "(", ")", "AND", "OR", "NOT", "NEAR", "scope"
    text: str
    column: int  # 1-based
    number: int = 0
    glued: bool = False  # a scope's ":" is followed directly by its term


def lex(source: str) -> list[Lexeme]:
    """Split the query into lexemes; unclosed quotes and malformed NEAR are reported here."""
    out: list[Lexeme] = []
    pos = 0
    size = len(source)
    while pos < size:
        char = source[pos]
        if char.isspace():
            pos += 1
        elif char in "()":
            out.append(Lexeme(char, char, pos + 1))
            pos += 1
        elif char in QUOTES:
            closing = QUOTES[char]
            end = pos + 1
            while end < size and source[end] != closing and source[end] != '"':
                end += 1
            if end >= size:
                raise QuerySyntaxError("unclosed quote", column=pos + 1, hint="close the phrase with a quote")
            out.append(Lexeme("phrase", source[pos + 1 : end], pos + 1))
            pos = end + 1
        else:
            end = pos
            while end < size and not source[end].isspace() and source[end] not in '()"“”„«»‟:':
                end += 1
            text = source[pos:end]
            if end < size and source[end] == ":":
                if text.lower() not in SCOPES:
                    raise QuerySyntaxError(
                        f"unknown field {text + ':'!r}",
                        column=pos + 1,
                        hint="use title:, text:, source: or lang:, or put the words in quotes",
                    )
                glued = end + 1 < size and not source[end + 1].isspace()
                out.append(Lexeme("scope", text.lower(), pos + 1, glued=glued))
                pos = end + 1
                continue
            if "*" in text or TOKEN.search(text) or text in ("&&", "||"):
                out.append(_word_or_operator(text, pos + 1))
            pos = max(end, pos + 1)  # a lone dash, a stray » or other punctuation is ignored
    return out


def _word_or_operator(text: str, column: int) -> Lexeme:
    if text in ("AND", "OR", "NOT", "&&", "||"):
        return Lexeme({"&&": "AND", "||": "OR"}.get(text, text), text, column)
    if text.startswith("NEAR"):
        found = _NEAR.fullmatch(text)
        if found is None or found.group(1) is None:
            raise QuerySyntaxError("NEAR needs a number", column=column, hint="write it like NEAR/5")
        number = int(found.group(1))
        if not 1 <= number <= MAX_NEAR:
            raise QuerySyntaxError(
                f"NEAR distance must be between 1 and {MAX_NEAR}", column=column, hint="for example NEAR/5"
            )
        return Lexeme("NEAR", text, column, number=number)
    return Lexeme("word", text, column)


class _Parser:
    def __init__(self, source: str, lexemes: list[Lexeme]) -> None:
        self.source = source
        self.lexemes = lexemes
        self.index = 0
        self.depth = 0

    def peek(self) -> Lexeme | None:
        return self.lexemes[self.index] if self.index < len(self.lexemes) else None

    def column_here(self) -> int:
        current = self.peek()
        return current.column if current else len(self.source) + 1

    def query(self) -> Node:
        self._enter()
        parts = [self.window()]
        while (current := self.peek()) is not None and current.kind == "AND":
            self.index += 1
            if self._at_end_of_operand():
                raise QuerySyntaxError("AND needs a term on both sides", column=current.column)
            parts.append(self.window())
        self.depth -= 1
        return parts[0] if len(parts) == 1 else AllOf(tuple(parts))

    def window(self) -> Node:
        current = self.peek()
        if current is not None and current.kind in ("AND", "OR", "NEAR"):
            raise QuerySyntaxError(f"{current.text} needs a term on both sides", column=current.column)
        parts = [self.alternatives()]
        while not self._at_end_of_operand():
            parts.append(self.alternatives())
        if len(parts) == 1:
            return parts[0]
        located = tuple(p for p in parts if p.positional)
        filters = tuple(p for p in parts if not p.positional)
        if not filters:
            return Window(located, DEFAULT_WINDOW)
        if len(located) > 1:
            filters = (Window(located, DEFAULT_WINDOW), *filters)
        elif located:
            filters = (located[0], *filters)
        return filters[0] if len(filters) == 1 else AllOf(filters)

    def _at_end_of_operand(self) -> bool:
        current = self.peek()
        return current is None or current.kind in (")", "AND")

    def alternatives(self) -> Node:
        parts = [self.near()]
        while (current := self.peek()) is not None and current.kind == "OR":
            self.index += 1
            if self._at_end_of_operand() or self.peek_kind() in ("OR", "NEAR"):
                raise QuerySyntaxError("OR needs a term on both sides", column=current.column)
            parts.append(self.near())
        return parts[0] if len(parts) == 1 else AnyOf(tuple(parts))

    def peek_kind(self) -> str:
        current = self.peek()
        return current.kind if current else ""

    def near(self) -> Node:
        start = self.column_here()
        left = self.unary()
        while (current := self.peek()) is not None and current.kind == "NEAR":
            self.index += 1
            if self._at_end_of_operand() or self.peek_kind() in ("OR", "NEAR"):
                raise QuerySyntaxError(f"{current.text} needs a term on both sides", column=current.column)
            right_column = self.column_here()
            right = self.unary()
            for side, column in ((left, start), (right, right_column)):
                if not side.positional:
                    raise QuerySyntaxError(
                        "NEAR joins words, phrases or (… OR …) groups",
                        column=column,
                        hint="NOT, AND and field scopes cannot be near something",
                    )
            left = Near(left, right, current.number)
        return left

    def unary(self) -> Node:
        current = self.peek()
        if current is None:
            raise QuerySyntaxError("a term is missing", column=len(self.source) + 1)
        if current.kind == "NOT":
            self.index += 1
            if self._at_end_of_operand() or self.peek_kind() in ("OR", "NEAR"):
                raise QuerySyntaxError("NOT needs a term after it", column=current.column)
            self._enter()
            child = self.unary()
            self.depth -= 1
            return Not(child)
        if current.kind == "scope":
            self.index += 1
            return self.scoped(current)
        if current.kind == "word" and current.text.startswith("-") and len(current.text) > 1:
            self.index += 1
            inner = Lexeme("word", current.text[1:], current.column + 1)
            return Not(self.term(inner))
        return self.atom()

    def scoped(self, scope: Lexeme) -> Node:
        target = self.peek()
        if target is None or not scope.glued or target.kind not in ("word", "phrase", "("):
            raise QuerySyntaxError(
                f"{scope.text}: needs a term right after it",
                column=scope.column,
                hint=f"like {scope.text}:word",
            )
        if scope.text == "lang":
            self.index += 1
            code = target.text.casefold()
            if target.kind != "word" or not _LANG.fullmatch(code):
                raise QuerySyntaxError(
                    "lang: needs a language code", column=target.column, hint="like lang:en or lang:fr"
                )
            return InLanguage(code)
        child = self.atom()
        if scope.text == "source":
            if isinstance(child, Word):
                return FromSource((child.folded,))
            if isinstance(child, Phrase):
                return FromSource(child.words)
            if isinstance(child, Prefix):
                return FromSource((child.prefix,), prefix=True)
            raise QuerySyntaxError(
                'source: takes a word or a "phrase"', column=target.column, hint='like source:"BBC News"'
            )
        return InField(scope.text, child)

    def atom(self) -> Node:
        current = self.peek()
        if current is None:
            raise QuerySyntaxError("a term is missing", column=len(self.source) + 1)
        if current.kind == "(":
            self.index += 1
            self._enter()
            if self.peek_kind() == ")":
                raise QuerySyntaxError("empty parentheses", column=current.column, hint="put a term inside")
            if self.peek() is None:
                raise QuerySyntaxError(
                    "unbalanced parenthesis", column=current.column, hint="close it with )"
                )
            inner = self.query()
            if self.peek_kind() != ")":
                raise QuerySyntaxError(
                    "unbalanced parenthesis", column=current.column, hint="close it with )"
                )
            self.index += 1
            self.depth -= 1
            return inner
        if current.kind == ")":
            raise QuerySyntaxError(
                "unbalanced parenthesis", column=current.column, hint="this ) closes nothing"
            )
        if current.kind in ("AND", "OR", "NEAR"):
            raise QuerySyntaxError(f"{current.text} needs a term on both sides", column=current.column)
        self.index += 1
        if current.kind == "phrase":
            words = tuple(fold(t) for t in TOKEN.findall(current.text) if t != "\n")
            if not words:
                raise QuerySyntaxError(
                    "empty phrase", column=current.column, hint="put words between the quotes"
                )
            return Phrase(words)
        return self.term(current)

    def term(self, lexeme: Lexeme) -> Node:
        text = lexeme.text
        if "*" in text:
            star = text.index("*")
            if star != len(text) - 1:
                raise QuerySyntaxError(
                    "* is only allowed at the end of a word", column=lexeme.column + star, hint="like Ukrain*"
                )
            parts = [fold(t) for t in TOKEN.findall(text[:-1])]
            if len(parts) != 1 or len(parts[0]) < MIN_PREFIX or not text[-2:-1].isalnum():
                raise QuerySyntaxError(
                    f"a wildcard needs at least {MIN_PREFIX} letters before *",
                    column=lexeme.column,
                    hint="like Ukrain*",
                )
            return Prefix(parts[0])
        raw = [t for t in TOKEN.findall(text) if t != "\n"]
        if not raw:
            raise QuerySyntaxError(
                f"{text!r} has no letters or digits",
                column=lexeme.column,
                hint="remove it or put it in quotes",
            )
        if len(raw) == 1:
            return Word(raw[0], fold(raw[0]))
        return Phrase(tuple(fold(t) for t in raw))

    def _enter(self) -> None:
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise QuerySyntaxError("the query is nested too deeply", column=self.column_here())


def parse(source: str) -> Node:
    """Parse a query; raises ``QuerySyntaxError`` with the 1-based column and a hint for an unusable one."""
    if len(source) > MAX_LENGTH:
        raise QuerySyntaxError(f"the query is longer than {MAX_LENGTH} characters", column=MAX_LENGTH + 1)
    lexemes = lex(source)
    if not lexemes:
        raise QuerySyntaxError("empty query", column=1, hint="write at least one word")
    parser = _Parser(source, lexemes)
    tree = parser.query()
    extra = parser.peek()
    if extra is not None:
        if extra.kind == ")":
            raise QuerySyntaxError(
                "unbalanced parenthesis", column=extra.column, hint="this ) closes nothing"
            )
        raise QuerySyntaxError(f"unexpected {extra.text!r}", column=extra.column)
    if not _wants_something(tree):
        raise QuerySyntaxError(
            "the query only excludes", column=1, hint="add a term that must appear, like: NATO -stadium"
        )
    return tree


def _wants_something(node: Node) -> bool:
    """False when the query is satisfied only by absences (``-a -b``), which would match everything."""
    if isinstance(node, Not):
        return False
    if isinstance(node, AllOf):
        return any(_wants_something(c) for c in node.children)
    if isinstance(node, AnyOf):
        return all(_wants_something(c) for c in node.children)
    return True
