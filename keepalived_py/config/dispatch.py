"""Keyword dispatch: statements + keyword tables -> handler calls, keepalived's way.

This reproduces keepalived's ``process_stream()``: a keyword is looked up (exactly, case
sensitive) in the table of the block being read; a keyword with a sub-table opens a block whose
'{' may be on the same or the next line; a '}' closes the current block; an unknown keyword is
reported and skipped (its '{' is then "Unexpected", so the inner lines are read against the
current table and its '}' closes the current block).  Value blocks (``virtual_ipaddress { ... }``)
are read by their handler through ``ParseContext.read_value_block``.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any, Literal

from keepalived_py.config.errors import (
    EXIT_CONFIG,
    ConfigError,
    Diagnostic,
    Diagnostics,
    Location,
    Severity,
)
from keepalived_py.config.host import Host
from keepalived_py.config.statements import Statement

BOB = "{"
EOB = "}"

Status = Literal["supported", "parsed", "not yet"]
Handler = Callable[["ParseContext", tuple[str, ...]], None]
CloseHandler = Callable[["ParseContext"], None]


@dataclass(frozen=True, slots=True)
class Keyword:
    """One keyword of a block.

    ``status`` feeds docs/compatibility.md: ``supported`` means it behaves as in keepalived,
    ``parsed`` means it is read into the model but its behaviour comes with a later piece of
    work, ``not yet`` means it is accepted (no "Unknown keyword") but ignored.
    """

    name: str
    handler: Handler | None = None
    sub: Table | None = None
    close: CloseHandler | None = None
    status: Status = "parsed"
    note: str = ""
    # For top-level keywords: the area (and so the keepalived process) that reads the block.
    area: str = ""


class Table:
    """The keywords of one kind of block, looked up by exact name."""

    def __init__(self, name: str, keywords: Iterable[Keyword] = ()) -> None:
        self.name = name
        self.keywords: dict[str, Keyword] = {}
        self._suggestions: dict[str, str | None] = {}
        for kw in keywords:
            self.add(kw)

    def add(self, kw: Keyword) -> None:
        self.keywords[kw.name] = kw

    def extend(self, keywords: Iterable[Keyword]) -> None:
        for kw in keywords:
            self.add(kw)

    def get(self, name: str) -> Keyword | None:
        return self.keywords.get(name)

    def __iter__(self) -> Iterator[Keyword]:
        return iter(self.keywords.values())

    def __len__(self) -> int:
        return len(self.keywords)

    def suggest(self, word: str) -> str | None:
        """The closest keyword, for a "did you mean" hint (memoised: configs repeat mistakes)."""
        if word not in self._suggestions:
            if len(self._suggestions) > 4096 or len(word) > 64:
                return None
            matches = difflib.get_close_matches(word, list(self.keywords), n=1, cutoff=0.75)
            self._suggestions[word] = matches[0] if matches else None
        return self._suggestions[word]


@dataclass
class ParseOptions:
    """What the command line tells the parser."""

    test_mode: bool = False  # -t: keepalived is stricter with numbers in test mode
    # Read as keepalived's parent process does: only these areas' top-level blocks are read,
    # the others are skipped unseen (None: read everything).
    active_areas: frozenset[str] | None = None


@dataclass
class ParseContext:
    """State shared by the handlers of one parse.

    Handlers keep their work-in-progress objects on ``stack`` (push on block open, pop on
    close) and put finished objects into ``result`` (the config under construction).
    """

    statements: list[Statement]
    diags: Diagnostics
    host: Host
    result: Any
    options: ParseOptions = field(default_factory=ParseOptions)
    pos: int = 0
    stack: list[Any] = field(default_factory=list)
    location: Location | None = None
    # Block-balance bookkeeping, as keepalived's read_line() does it.
    block_depth: int = 0
    kw_level: int = 0
    skip_sublevel: int = 0

    # -- reading -------------------------------------------------------------------------------

    def next_statement(self) -> Statement | None:
        """The next statement, with keepalived's running count of '{' and '}'."""
        if self.pos >= len(self.statements):
            return None
        st = self.statements[self.pos]
        self.pos += 1
        self.location = st.location
        if len(st.words) == 1:
            if st.words[0] == BOB:
                self.block_depth += 1
            elif st.words[0] == EOB:
                self.block_depth -= 1
                if self.block_depth < 0:
                    self.report(Severity.UNEXPECTED_EOB, "Extra '}' found")
                    self.block_depth = 0
        return st

    def read_value_block(self, words: tuple[str, ...]) -> list[tuple[tuple[str, ...], Location]]:
        """Read the lines of a value block (``virtual_ipaddress { ... }``) up to its '}'."""
        if len(words) > 1:
            self.report(Severity.GENERAL_ERROR, f"Block {words[0]} has extra parameters {words[1]} ...")
        out: list[tuple[tuple[str, ...], Location]] = []
        need_bob = True
        while (st := self.next_statement()) is not None:
            vec = st.words
            if need_bob:
                need_bob = False
                if vec[0] == BOB:
                    if len(vec) == 1:
                        continue
                    vec = vec[1:]
                else:
                    self.report(Severity.OK, f"'{{' missing from beginning of block {words[0]}")
            if vec[-1] == EOB:
                if len(vec) == 1:
                    break
                out.append((vec[:-1], st.location))
                break
            out.append((vec, st.location))
        return out

    def skip_block(self, need_block_start: bool = False) -> None:
        """Ignore the rest of the block being read (keepalived's skip_block())."""
        self.skip_sublevel = -1 if need_block_start else 1

    # -- reporting ----------------------------------------------------------------------------

    def report(
        self,
        severity: Severity,
        message: str,
        hint: str | None = None,
        keyword: str | None = None,
        location: Location | None = None,
    ) -> Diagnostic:
        return self.diags.report(severity, message, location or self.location, hint, keyword)

    def missing_parameter(self, words: tuple[str, ...], index: int) -> ConfigError:
        """keepalived's null_strvec(): report, then stop everything with exit status 2."""
        if index > 0 and index - 1 < len(words):
            msg = (
                f"*** Configuration line starting `{words[0]}` is missing a parameter after "
                f"keyword `{words[index - 1]}` at word position {index + 1}"
            )
        else:
            msg = (
                f"*** Configuration line starting `{words[0] if words else '***MISSING ***'}` "
                f"is missing a parameter at word position {index + 1}"
            )
        diag = self.report(Severity.MISSING_PARAMETER, msg)
        return ConfigError(diag, EXIT_CONFIG)

    def word(self, words: tuple[str, ...], index: int) -> str:
        """words[index], or keepalived's fatal "missing a parameter" error."""
        if index < len(words):
            return words[index]
        raise self.missing_parameter(words, index)


def run(ctx: ParseContext, root: Table) -> None:
    """Dispatch every statement of ``ctx`` against the ``root`` table."""
    _process(ctx, root, need_bob=False)
    if ctx.block_depth:
        # Found at the end of the file: keepalived names no line.
        ctx.diags.report(Severity.MISSING_EOB, f"There are {ctx.block_depth} missing '}}'s or extra '{{'s")


def _process(ctx: ParseContext, table: Table, need_bob: bool) -> bool:
    ret_err = False
    while (st := ctx.next_statement()) is not None:
        words = st.words
        first = words[0]

        if ctx.skip_sublevel == -1:
            if first == BOB:
                ctx.skip_sublevel = 1
                need_bob = False
                continue
            if need_bob:
                # The open handler refused its block but no '{' follows (e.g. the line was cut
                # by an unmatched quote).  keepalived would read the block's lines into the
                # previous object; we skip them up to the block's end instead.
                ctx.skip_sublevel = 1
                need_bob = False
            else:
                ctx.skip_sublevel = 0
        if ctx.skip_sublevel:
            for w in words:
                if w == BOB:
                    ctx.skip_sublevel += 1
                elif w == EOB:
                    ctx.skip_sublevel -= 1
                    if ctx.skip_sublevel == 0:
                        break
            if words[-1] == EOB and ctx.skip_sublevel == 0 and ctx.kw_level > 0:
                ret_err = True
                break
            continue

        if need_bob:
            need_bob = False
            if first == BOB and ctx.kw_level > 0:
                continue
            ctx.report(Severity.MISSING_BOB, "Missing '{' at beginning of configuration block")
        elif first == BOB:
            ctx.report(Severity.UNEXPECTED_BOB, "Unexpected '{' - ignoring")
            continue

        if first == EOB and ctx.kw_level > 0:
            break

        kw = table.get(first)
        if kw is None:
            suggestion = table.suggest(first)
            ctx.report(
                Severity.UNKNOWN_KEYWORD,
                f"Unknown keyword '{first}'",
                hint=f"did you mean '{suggestion}'?" if suggestion else None,
                keyword=first,
            )
            continue

        active = ctx.options.active_areas
        if active is not None and ctx.kw_level == 0 and kw.area not in active:
            # An inactive block in this process: skipped, '{' on this line or the next.
            ctx.skip_sublevel = 1 if words[-1] == BOB else -1
            continue

        bob_needed = False
        if kw.sub is not None:
            if words[-1] == BOB:
                words = words[:-1]
            else:
                bob_needed = True
        if kw.handler is not None:
            kw.handler(ctx, words)
        if kw.sub is not None:
            ctx.kw_level += 1
            skipped = _process(ctx, kw.sub, bob_needed)
            ctx.kw_level -= 1
            # A block whose open handler asked to skip it has no draft to close, even when the
            # file ends before its '}' (keepalived would run its close handler on stale state).
            if not skipped and ctx.skip_sublevel == 0 and kw.close is not None:
                kw.close(ctx)
    return ret_err
