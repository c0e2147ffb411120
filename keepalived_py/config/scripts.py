"""Script command lines (notify*, vrrp_script ``script``, misc_path, quorum_up, ...).

keepalived re-reads the raw configuration line of a script keyword with shell-like rules
(single and double quotes group, backslash escapes), takes the second word as the command line,
splits *that* again with the same rules into argv, and takes optional third and fourth words as
the user and group to run it as.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from keepalived_py.config.errors import Severity

if TYPE_CHECKING:
    from keepalived_py.config.dispatch import ParseContext

_WHITE = " \t\n\r\f\v"
_SIMPLE_ESCAPES = {"a": "\a", "b": "\b", "E": "\x1b", "f": "\f", "n": "\n", "r": "\r", "t": "\t", "v": "\v"}
_HEX = "0123456789abcdefABCDEF"


class QuoteError(ValueError):
    """A quote was not closed or a backslash ended the string."""


def split_quoted_escaped(src: str) -> list[str]:
    """Split ``src`` into words with keepalived's quoting and escape rules."""
    words: list[str] = []
    i, n = 0, len(src)
    while i < n:
        while i < n and src[i] in _WHITE:
            i += 1
        if i >= n:
            break
        out: list[str] = []
        quote = ""
        while i < n:
            c = src[i]
            if c == "\\":
                i += 1
                if i >= n:
                    raise QuoteError(f"Missing escape char at end: '{src}'")
                c = src[i]
                if c == "x" and i + 1 < n and src[i + 1] in _HEX:
                    i += 1
                    val = 0
                    while i < n and src[i] in _HEX:
                        val = ((val << 4) | int(src[i], 16)) & 0xFF
                        i += 1
                    out.append(chr(val))
                elif c == "c" and i + 1 < n:
                    out.append(chr(ord(src[i + 1]) & 0x1F))
                    i += 2
                elif "0" <= c <= "7":
                    val = 0
                    for _ in range(3):
                        if i < n and "0" <= src[i] <= "7":
                            val = (val << 3) + int(src[i])
                            i += 1
                        else:
                            break
                    out.append(chr(val & 0xFF))
                else:
                    out.append(_SIMPLE_ESCAPES.get(c, c))
                    i += 1
                continue
            if quote:
                if c == quote:
                    quote = ""
                else:
                    out.append(c)
                i += 1
                continue
            if c in "\"'":
                quote = c
                i += 1
                continue
            if c in _WHITE:
                break
            out.append(c)
            i += 1
        if quote:
            raise QuoteError(f"String '{src}': missing terminating {quote}")
        words.append("".join(out))
    return words


@dataclass(frozen=True, slots=True)
class Script:
    """A command to run: argv as keepalived builds it, and the user/group named in the config.

    ``user`` None means keepalived's default script user (``script_user`` or keepalived_script
    or the running user), resolved at validation time.
    """

    args: tuple[str, ...]
    user: str | None = None
    group: str | None = None
    # Where it was configured, and under which keyword (for security diagnostics).
    keyword: str = ""

    @property
    def path(self) -> str:
        return self.args[0]

    def cmdline(self) -> str:
        return " ".join(self.args)


def parse_script(ctx: ParseContext, text: str, kind: str) -> Script | None:
    """The script of a keyword line (its raw ``text``), or None after keepalived's message.

    Every script parsed is also recorded in ``ctx.result['scripts']`` so that the security
    validation sees all of them.
    """
    try:
        line = split_quoted_escaped(text)
    except QuoteError as exc:
        ctx.report(Severity.UNMATCHED_QUOTE, str(exc))
        ctx.report(Severity.OK, "Unable to parse notify script")
        return None
    if len(line) < 2:
        raise ctx.missing_parameter(tuple(line), 1)
    try:
        args = split_quoted_escaped(line[1])
    except QuoteError as exc:
        ctx.report(Severity.UNMATCHED_QUOTE, str(exc))
        args = []
    if not args:
        ctx.report(Severity.OK, f"Unable to parse script '{line[1]}' - ignoring")
        return None
    script = Script(
        tuple(args),
        line[2] if len(line) > 2 else None,
        line[3] if len(line) > 3 else None,
        kind,
    )
    ctx.result.setdefault("scripts", []).append((script, ctx.location))
    return script
