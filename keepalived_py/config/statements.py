"""Logical lines -> statements (lists of words), through the lark grammar in grammar.lark."""

from __future__ import annotations

import re
from functools import cache
from importlib import resources
from typing import TYPE_CHECKING, NamedTuple

from lark import Lark, Token, Transformer

from keepalived_py.config.errors import Diagnostics, Location, Severity

if TYPE_CHECKING:
    from keepalived_py.config.source import SourceLine


class Statement(NamedTuple):
    """One keepalived configuration line: its words and where it came from.

    A NamedTuple rather than a frozen dataclass: one is built per line of a 30,000-line
    file, and a tuple is several times cheaper to create.
    """

    words: tuple[str, ...]
    location: Location
    # The logical line as written (after pre-processing): script keywords re-split it with
    # shell-like quoting rules, as keepalived re-reads its raw line buffer.
    text: str


# A double-quoted string, an unterminated double quote (rest of line), or a plain word.
WORD_RE = re.compile(r'"([^"\n]*)"|(")|([^ \t\r\f\v"\n]+)')


def split_words(text: str) -> tuple[list[str], bool]:
    """keepalived's alloc_strvec(): (words, whether an unmatched quote cut the line short)."""
    if '"' not in text:
        return text.split(), False
    words: list[str] = []
    for m in WORD_RE.finditer(text):
        quoted, open_quote, plain = m.groups()
        if open_quote is not None:
            return words, True
        words.append(quoted if quoted is not None else plain)
    return words, False


class _Lines(Transformer[Token, list[Token]]):
    """Runs inside the LALR parser: the statement tokens, in order, without building a tree."""

    def start(self, tokens: list[Token]) -> list[Token]:
        return tokens


@cache
def _parser() -> Lark:
    grammar = resources.files("keepalived_py.config").joinpath("grammar.lark").read_text()
    return Lark(grammar, parser="lalr", lexer="basic", transformer=_Lines())


def parse_statements(lines: list[SourceLine], diags: Diagnostics) -> list[Statement]:
    """Split every logical line into words; report unmatched quotes as keepalived does."""
    if not lines:
        return []
    text = "\n".join(line.text for line in lines) + "\n"
    tokens: list[Token] = _parser().parse(text)  # type: ignore[assignment]
    # The grammar yields exactly one STMT token per logical line, in order.
    out: list[Statement] = []
    for tok, src in zip(tokens, lines, strict=True):
        words, unmatched = split_words(tok.value)
        if unmatched:
            diags.report(Severity.UNMATCHED_QUOTE, f"Unmatched quote: '{src.text}'", src.location)
        if words:
            out.append(Statement(tuple(words), src.location, src.text))
    return out
