"""Logical lines -> statements (lists of words), through the lark grammar in grammar.lark."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import TYPE_CHECKING

from lark import Lark, Token, Transformer

from keepalived_py.config.errors import Diagnostics, Location, Severity

if TYPE_CHECKING:
    from keepalived_py.config.source import SourceLine


@dataclass(frozen=True, slots=True)
class Statement:
    """One keepalived configuration line: its words and where it came from."""

    words: tuple[str, ...]
    location: Location
    # The logical line as written (after pre-processing): script keywords re-split it with
    # shell-like quoting rules, as keepalived re-reads its raw line buffer.
    text: str


# (line index, words, unmatched quote seen)
_Item = tuple[int, list[str], bool]


class _Words(Transformer[Token, list[_Item]]):
    """Turns each ``stmt`` into (line index, words, unmatched); runs inside the LALR parser."""

    def stmt(self, tokens: list[Token]) -> _Item:
        words: list[str] = []
        unmatched = False
        for tok in tokens:
            if tok.type == "STRING":
                words.append(tok.value[1:-1])
            elif tok.type == "OPEN_QUOTE":
                # keepalived stops reading the line at an unmatched quote.
                unmatched = True
                break
            else:
                words.append(tok.value)
        return (tokens[0].line or 1) - 1, words, unmatched

    def start(self, items: list[_Item]) -> list[_Item]:
        return items


@cache
def _parser() -> Lark:
    grammar = resources.files("keepalived_py.config").joinpath("grammar.lark").read_text()
    return Lark(grammar, parser="lalr", lexer="basic", transformer=_Words())


def parse_statements(lines: list[SourceLine], diags: Diagnostics) -> list[Statement]:
    """Split every logical line into words; report unmatched quotes as keepalived does."""
    if not lines:
        return []
    text = "\n".join(line.text for line in lines) + "\n"
    items: list[_Item] = _parser().parse(text)  # type: ignore[assignment]
    out: list[Statement] = []
    for idx, words, unmatched in items:
        src = lines[idx]
        if unmatched:
            diags.report(Severity.UNMATCHED_QUOTE, f"Unmatched quote: '{src.text}'", src.location)
        if words:
            out.append(Statement(tuple(words), src.location, src.text))
    return out
