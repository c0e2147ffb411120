"""Building blocks for keyword tables.

A block's handlers fill a *draft*: a plain dict on top of ``ctx.stack`` (pushed when the block
opens, popped and frozen into its model dataclass when it closes).  Most keywords just convert
their argument and store it under a field name; these factories make such keywords one line
each, with keepalived's messages.  Anything irregular gets a hand-written handler.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any, TypeVar

from keepalived_py.config.dispatch import (
    CloseHandler,
    Handler,
    Keyword,
    ParseContext,
    Status,
    Table,
)
from keepalived_py.config.errors import Severity
from keepalived_py.config.scripts import parse_script
from keepalived_py.config.values import (
    INT_MAX,
    INT_MIN,
    UINT_MAX,
    check_true_false,
    read_int,
    read_timer,
    read_unsigned,
)

T = TypeVar("T")

Draft = dict[str, Any]


def draft(ctx: ParseContext) -> Draft:
    """The draft of the block being read."""
    d: Draft = ctx.stack[-1]
    return d


def area(ctx: ParseContext, name: str) -> Draft:
    """The draft of a whole area (``global_defs``, ``vrrp``, ``lvs``, ...)."""
    d: Draft = ctx.result[name]
    return d


def append(ctx: ParseContext, area_name: str, key: str, item: Any) -> None:
    """Add a finished object to a list of an area draft."""
    area(ctx, area_name).setdefault(key, []).append(item)


def _field(name: str, field: str | None) -> str:
    return field if field is not None else name


def flag(
    name: str, field: str | None = None, value: Any = True, status: Status = "parsed", note: str = ""
) -> Keyword:
    """A keyword without argument that sets ``field`` to ``value`` (extra words are ignored)."""
    key = _field(name, field)

    def handler(ctx: ParseContext, words: tuple[str, ...]) -> None:
        draft(ctx)[key] = value

    return Keyword(name, handler, status=status, note=note)


def bool_kw(
    name: str,
    field: str | None = None,
    status: Status = "parsed",
    note: str = "",
    invert: bool = False,
) -> Keyword:
    """``name [on|off|true|false|yes|no]``: alone means true; a bad word is reported and ignored."""
    key = _field(name, field)

    def handler(ctx: ParseContext, words: tuple[str, ...]) -> None:
        if len(words) < 2:
            value: bool | None = True
        else:
            value = check_true_false(words[1])
            if value is None:
                ctx.report(Severity.GENERAL_ERROR, f"Invalid {name} parameter {words[1]}")
                return
        draft(ctx)[key] = (not value) if invert else value

    return Keyword(name, handler, status=status, note=note)


def string(name: str, field: str | None = None, status: Status = "parsed", note: str = "") -> Keyword:
    """One word (mandatory: keepalived exits with status 2 without it)."""
    key = _field(name, field)

    def handler(ctx: ParseContext, words: tuple[str, ...]) -> None:
        draft(ctx)[key] = ctx.word(words, 1)

    return Keyword(name, handler, status=status, note=note)


def _converted(
    name: str,
    key: str,
    convert: Callable[[ParseContext, str], int | None],
    message: str | None,
    status: Status,
    note: str,
) -> Keyword:
    """A keyword with one converted argument; an unusable one keeps the default."""

    def handler(ctx: ParseContext, words: tuple[str, ...]) -> None:
        text = ctx.word(words, 1)
        value = convert(ctx, text)
        if value is None:
            if message:
                ctx.report(Severity.GENERAL_ERROR, message.format(value=text))
            return
        draft(ctx)[key] = value

    return Keyword(name, handler, status=status, note=note)


def integer(
    name: str,
    lo: int = INT_MIN,
    hi: int = INT_MAX,
    field: str | None = None,
    unsigned: bool = False,
    status: Status = "parsed",
    note: str = "",
    message: str | None = None,
) -> Keyword:
    """One integer in [lo, hi]; out of range is reported and the default kept.

    ``message`` (with ``{value}``) is keepalived's second, keyword-specific complaint, if any.
    """
    reader = read_unsigned if unsigned else read_int
    if unsigned and lo < 0:
        lo = 0
    if unsigned and hi == INT_MAX:
        hi = UINT_MAX

    return _converted(
        name, _field(name, field), lambda ctx, text: reader(ctx, text, lo, hi), message, status, note
    )


def timer(
    name: str,
    field: str | None = None,
    lo_us: int = 0,
    hi_us: int = 0,
    status: Status = "parsed",
    note: str = "",
    message: str | None = None,
) -> Keyword:
    """A time in seconds (up to 6 decimals), stored in microseconds."""

    return _converted(
        name,
        _field(name, field),
        lambda ctx, text: read_timer(ctx, text, lo_us, hi_us),
        message,
        status,
        note,
    )


def choice(
    name: str,
    choices: Mapping[str, Any],
    field: str | None = None,
    status: Status = "parsed",
    note: str = "",
    message: str | None = None,
) -> Keyword:
    """One word out of ``choices`` (exact, case sensitive); others reported and ignored."""
    key = _field(name, field)

    def handler(ctx: ParseContext, words: tuple[str, ...]) -> None:
        text = ctx.word(words, 1)
        if text not in choices:
            ctx.report(
                Severity.GENERAL_ERROR,
                (message or "Invalid {keyword} '{value}' - ignoring").format(keyword=name, value=text),
            )
            return
        draft(ctx)[key] = choices[text]

    return Keyword(name, handler, status=status, note=note)


def rest(name: str, field: str | None = None, status: Status = "parsed", note: str = "") -> Keyword:
    """All the words after the keyword, as a tuple (may be empty)."""
    key = _field(name, field)

    def handler(ctx: ParseContext, words: tuple[str, ...]) -> None:
        draft(ctx)[key] = words[1:]

    return Keyword(name, handler, status=status, note=note)


def script(name: str, field: str | None = None, status: Status = "parsed", note: str = "") -> Keyword:
    """A script command line with optional user and group (see scripts.py)."""
    key = _field(name, field)

    def handler(ctx: ParseContext, words: tuple[str, ...]) -> None:
        st = ctx.statements[ctx.pos - 1]
        parsed = parse_script(ctx, st.text, name)
        if parsed is not None:
            draft(ctx)[key] = parsed

    return Keyword(name, handler, status=status, note=note)


def value_block(
    name: str,
    line_handler: Callable[[ParseContext, tuple[str, ...]], None],
    status: Status = "parsed",
    note: str = "",
) -> Keyword:
    """A block of plain lines (``virtual_ipaddress { ... }``): ``line_handler`` per line."""

    def handler(ctx: ParseContext, words: tuple[str, ...]) -> None:
        for line, loc in ctx.read_value_block(words):
            ctx.location = loc
            line_handler(ctx, line)

    return Keyword(name, handler, status=status, note=note)


def block(
    name: str,
    table: Table,
    open_handler: Handler | None,
    close_handler: CloseHandler | None,
    status: Status = "parsed",
    note: str = "",
) -> Keyword:
    """A keyword that opens a block of keywords."""
    return Keyword(name, open_handler, sub=table, close=close_handler, status=status, note=note)


def ignored(name: str, note: str = "accepted and ignored, as keepalived does") -> Keyword:
    """A keyword keepalived accepts without effect (obsolete or build-dependent)."""
    return Keyword(name, None, status="supported", note=note)


def deprecated(kw: Keyword, replacement: str) -> Keyword:
    """The same keyword under an old name; the note names the current one."""
    return Keyword(kw.name, kw.handler, kw.sub, kw.close, kw.status, f"deprecated, use {replacement}")


def supported(kw: Keyword, note: str | None = None) -> Keyword:
    """The same keyword marked as working at run time (for factories without a status argument)."""
    return Keyword(
        kw.name, kw.handler, kw.sub, kw.close, "supported", kw.note if note is None else note, kw.area
    )


def mark_supported(table: Table, names: Iterable[str], note: str | None = None) -> Table:
    """Mark the keywords ``names`` of ``table`` as working at run time (in place; returns it).

    For tables whose keywords were written before the run-time behaviour existed: the status is
    what docs/compatibility.md reports, so it follows the behaviour, not the table's history."""
    for name in names:
        found = table.get(name)
        if found is not None and found.status != "supported":
            table.add(supported(found, note))
    return table
