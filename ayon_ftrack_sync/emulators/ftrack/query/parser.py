"""Parser for the ftrack query language (spec section 6.1) into a small AST.

The tokenizer treats a closing quote as a token boundary, because the client itself produces
``"X"and entity_id is "Y"`` without a space, and accepts unquoted uuids and lists.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache
from typing import NamedTuple, Union

from ..errors import ParseError

_TOKEN = re.compile(
    r"""\s*(?:
      (?P<str>"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*')
     |(?P<op>!=|>=|<=|=|>|<)
     |(?P<punct>[(),])
     |(?P<word>[^\s(),"'=!<>]+)
     |(?P<bad>\S)
    )""",
    re.X,
)

COMPARISON_WORDS = {
    "is": "is",
    "=": "is",
    "is_not": "is_not",
    "!=": "is_not",
    ">": ">",
    "after": ">",
    "greater_than": ">",
    "<": "<",
    "before": "<",
    "less_than": "<",
    ">=": ">=",
    "<=": "<=",
    "like": "like",
    "not_like": "not_like",
}
NEGATIVE_OPS = {"is_not", "not_like", "not_in"}


class Token(NamedTuple):
    kind: str  # str | op | punct | word
    text: str


@dataclass(frozen=True)
class Literal:
    """A value as written: ``quoted`` decides whether ``none``/``true`` are keywords."""

    text: str
    quoted: bool


@dataclass(frozen=True)
class Cond:
    path: tuple[str, ...]
    op: str
    value: Literal


@dataclass(frozen=True)
class InList:
    path: tuple[str, ...]
    values: tuple[Literal, ...] | None
    subquery: Query | None
    negate: bool


@dataclass(frozen=True)
class Has:
    path: tuple[str, ...]
    kind: str  # has | any
    expr: Node | None


@dataclass(frozen=True)
class And:
    items: tuple[Node, ...]


@dataclass(frozen=True)
class Or:
    items: tuple[Node, ...]


@dataclass(frozen=True)
class Not:
    item: Node


Node = Union[Cond, InList, Has, And, Or, Not]  # noqa: UP007 (forward references)


@dataclass(frozen=True)
class Query:
    entity_type: str
    select: tuple[tuple[str, ...], ...] | None = None
    where: Node | None = None
    order: tuple[tuple[tuple[str, ...], bool], ...] = field(default_factory=tuple)
    offset: int | None = None
    limit: int | None = None


def tokenize(text: str) -> list[Token]:
    tokens: list[Token] = []
    text = text.rstrip()
    # every position matches (``bad`` takes any character nothing else does), so the
    # matches are contiguous: a ``bad`` one is where the text stops being a query
    for match in _TOKEN.finditer(text):
        kind = match.lastgroup
        if kind == "bad" or kind is None:
            pos = match.start()
            raise ParseError(f"Could not parse query near: {text[pos : pos + 30]!r}")
        tokens.append(Token(kind, match.group(kind)))
    return tokens


class _Parser:
    def __init__(self, text: str) -> None:
        self.text = text
        self.tokens = tokenize(text)
        self.pos = 0

    def error(self, what: str) -> ParseError:
        near = " ".join(t.text for t in self.tokens[self.pos : self.pos + 4])
        return ParseError(f"Could not parse query: {what} near '{near}' in: {self.text}")

    def peek(self, offset: int = 0) -> Token | None:
        i = self.pos + offset
        return self.tokens[i] if i < len(self.tokens) else None

    def peek_word(self, offset: int = 0) -> str | None:
        tok = self.peek(offset)
        return tok.text.lower() if tok is not None and tok.kind == "word" else None

    def take(self) -> Token:
        tok = self.peek()
        if tok is None:
            raise self.error("unexpected end")
        self.pos += 1
        return tok

    def expect_punct(self, char: str) -> None:
        tok = self.take()
        if tok.kind != "punct" or tok.text != char:
            self.pos -= 1
            raise self.error(f"expected {char!r}")

    def at_punct(self, char: str) -> bool:
        tok = self.peek()
        return tok is not None and tok.kind == "punct" and tok.text == char

    def path(self) -> tuple[str, ...]:
        tok = self.take()
        if tok.kind != "word":
            self.pos -= 1
            raise self.error("expected an attribute")
        return tuple(tok.text.split("."))

    def query(self) -> Query:
        select: list[tuple[str, ...]] | None = None
        if self.peek_word() == "select":
            self.take()
            select = [self.path()]
            while self.at_punct(","):
                self.take()
                select.append(self.path())
            if self.peek_word() != "from":
                raise self.error("expected 'from'")
            self.take()
        type_tok = self.take()
        if type_tok.kind != "word":
            raise self.error("expected an entity type")
        where: Node | None = None
        order: list[tuple[tuple[str, ...], bool]] = []
        offset: int | None = None
        limit: int | None = None
        while self.peek() is not None and not self.at_punct(")"):
            word = self.peek_word()
            if word == "where" and where is None:
                self.take()
                where = self.or_expr()
            elif word == "order" and self.peek_word(1) == "by":
                self.pos += 2
                while True:
                    path = self.path()
                    desc = False
                    if self.peek_word() in ("ascending", "asc", "descending", "desc"):
                        desc = self.take().text.lower().startswith("desc")
                    order.append((path, desc))
                    if not self.at_punct(","):
                        break
                    self.take()
            elif word in ("offset", "limit"):
                self.take()
                number = self.take()
                try:
                    value = int(number.text)
                except ValueError:
                    raise self.error(f"expected a number after {word}") from None
                if word == "offset":
                    offset = value
                else:
                    limit = value
            else:
                raise self.error("unexpected token")
        return Query(
            type_tok.text, tuple(select) if select else None, where, tuple(order), offset, limit
        )

    def or_expr(self) -> Node:
        items = [self.and_expr()]
        while self.peek_word() == "or":
            self.take()
            items.append(self.and_expr())
        return items[0] if len(items) == 1 else Or(tuple(items))

    def and_expr(self) -> Node:
        items = [self.not_expr()]
        while self.peek_word() == "and":
            self.take()
            items.append(self.not_expr())
        return items[0] if len(items) == 1 else And(tuple(items))

    def not_expr(self) -> Node:
        if self.peek_word() == "not":
            self.take()
            return Not(self.not_expr())
        return self.atom()

    def value(self) -> Literal:
        tok = self.take()
        if tok.kind == "str":
            return Literal(tok.text[1:-1], True)
        if tok.kind == "word":
            return Literal(tok.text, False)
        self.pos -= 1
        raise self.error("expected a value")

    def atom(self) -> Node:
        if self.at_punct("("):
            self.take()
            node = self.or_expr()
            self.expect_punct(")")
            return node
        path = self.path()
        tok = self.take()
        word = tok.text.lower()
        if tok.kind == "word" and word in ("has", "any"):
            self.expect_punct("(")
            if self.at_punct(")"):
                self.take()
                return Has(path, word, None)
            inner = self.or_expr()
            self.expect_punct(")")
            return Has(path, word, inner)
        if tok.kind == "word" and word in ("in", "not_in"):
            self.expect_punct("(")
            negate = word == "not_in"
            if self.peek_word() == "select":
                sub = self.query()
                self.expect_punct(")")
                return InList(path, None, sub, negate)
            values: list[Literal] = []
            if not self.at_punct(")"):
                values.append(self.value())
                while self.at_punct(","):
                    self.take()
                    values.append(self.value())
            self.expect_punct(")")
            return InList(path, tuple(values), None, negate)
        op = COMPARISON_WORDS.get(word if tok.kind == "word" else tok.text)
        if op is None or tok.kind not in ("word", "op"):
            self.pos -= 1
            raise self.error("expected an operator")
        return Cond(path, op, self.value())


@lru_cache(maxsize=2048)
def parse_query(text: str) -> Query:
    """Parse a full query expression; raises ``ParseError`` on bad input."""
    parser = _Parser(text)
    query = parser.query()
    if parser.peek() is not None:
        raise parser.error("unexpected trailing text")
    return query
