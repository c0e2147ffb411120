"""keepalived's number, timer and boolean readers, with its messages and its leniency.

Each reader reports through the parse context and returns the value, or None when keepalived
would not use it (the caller then keeps its default).  In ``-t`` mode keepalived rejects every
malformed number; when running it accepts a leading number ("12abc" -> 12) with a WARNING.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from keepalived_py.config.errors import Severity

if TYPE_CHECKING:
    from keepalived_py.config.dispatch import ParseContext

INT_MIN = -(2**31)
INT_MAX = 2**31 - 1
UINT_MAX = 2**32 - 1
ULONG_MAX = 2**64 - 1
# keepalived keeps timers in microseconds.
TIMER_HZ = 1_000_000
TIMER_HZ_DIGITS = 6
TIMER_MAXIMUM = ULONG_MAX - 1  # keepalived: (ULONG_MAX - 1)

_BLANKS = " \t\n\r\f\v"


def _strtol_prefix(text: str, base: int) -> tuple[int, bool, bool]:
    """C strtol/strtoul: (value, whole string used, any digit read)."""
    s = text.lstrip(_BLANKS)
    sign = 1
    i = 0
    if s[:1] in "+-" and s:
        sign = -1 if s[0] == "-" else 1
        i = 1
    b = base
    if b == 0:
        if s[i : i + 2].lower() == "0x" and len(s) > i + 2 and s[i + 2] in "0123456789abcdefABCDEF":
            b, i = 16, i + 2
        elif s[i : i + 1] == "0":
            b = 8
        else:
            b = 10
    elif b == 16 and s[i : i + 2].lower() == "0x" and len(s) > i + 2:
        i += 2
    digits = "0123456789abcdefghijklmnopqrstuvwxyz"[:b]
    j = i
    while j < len(s) and s[j].lower() in digits:
        j += 1
    if j == i:
        return 0, False, False
    return sign * int(s[i:j], b), j == len(s), True


def _lenient(ctx: ParseContext) -> bool:
    return not ctx.options.test_mode


def read_int(
    ctx: ParseContext, text: str, lo: int, hi: int, ignore_error: bool = False, base: int = 10
) -> int | None:
    warn = "WARNING - " if ignore_error and _lenient(ctx) else ""
    val, whole, _ = _strtol_prefix(text, base)
    if not whole:
        ctx.report(Severity.INVALID_NUMBER, f"{warn}invalid number '{text}'")
    elif val < INT_MIN or val > INT_MAX:
        ctx.report(Severity.INVALID_NUMBER, f"{warn}number '{text}' outside integer range")
    elif val < lo or val > hi:
        ctx.report(Severity.INVALID_NUMBER, f"number '{text}' outside range [{lo}, {hi}]")
    else:
        return val
    if ignore_error and lo <= val <= hi and _lenient(ctx):
        return val
    return None


def read_unsigned(
    ctx: ParseContext, text: str, lo: int, hi: int, ignore_error: bool = False, base: int = 10
) -> int | None:
    warn = "WARNING - " if ignore_error and _lenient(ctx) else ""
    stripped = text.lstrip(_BLANKS)
    val, whole, _ = _strtol_prefix(stripped, base)
    if stripped.startswith("-"):
        ctx.report(Severity.INVALID_NUMBER, f"{warn}negative number '{text}'")
    elif not whole:
        ctx.report(Severity.INVALID_NUMBER, f"{warn}invalid number '{text}'")
    elif val > UINT_MAX:
        ctx.report(Severity.INVALID_NUMBER, f"{warn}number '{text}' outside unsigned integer range")
    elif val < lo or val > hi:
        ctx.report(Severity.INVALID_NUMBER, f"{warn}number '{text}' outside range [{lo}, {hi}]")
    else:
        return val
    if ignore_error and lo <= val <= hi and _lenient(ctx):
        return val
    return None


_DECIMAL = re.compile(r"\d*")


def read_decimal(
    ctx: ParseContext, text: str, lo: int, hi: int, shift: int, ignore_error: bool = False
) -> int | None:
    """A fixed-point decimal with up to ``shift`` places, returned as value * 10**shift."""
    warn = "WARNING - " if ignore_error and _lenient(ctx) else ""
    if text.startswith("-"):
        ctx.report(Severity.INVALID_NUMBER, f"{warn}negative number '{text}'")
        return None
    whole, dot, frac = text.partition(".")
    round_up = False
    if dot and len(frac) > shift:
        ctx.report(Severity.INVALID_NUMBER, f"{warn}number '{text}' has too many decimal places")
        round_up = frac[shift] >= "5"
        frac = frac[:shift]
    digits = whole + frac + "0" * (shift - len(frac))
    val, full, _ = _strtol_prefix(digits, 10)
    if round_up:
        val += 1
    if not full:
        ctx.report(Severity.INVALID_NUMBER, f"{warn}invalid number '{text}'")
    elif val > ULONG_MAX:
        ctx.report(Severity.INVALID_NUMBER, f"{warn}number '{text}' outside unsigned decimal range")
        return None
    elif val < lo or val > hi:
        scale = 10**shift
        ctx.report(
            Severity.INVALID_NUMBER,
            f"{warn}number '{text}' outside range "
            f"[{lo // scale}.{lo % scale:0{shift}d}, {hi // scale}.{hi % scale:0{shift}d}]",
        )
    else:
        return val
    if ignore_error and lo <= val <= hi:
        return val
    return None


def read_timer(
    ctx: ParseContext, text: str, lo_us: int = 0, hi_us: int = 0, ignore_error: bool = False
) -> int | None:
    """A time in seconds with up to 6 decimals, returned in microseconds."""
    return read_decimal(ctx, text, lo_us, hi_us or TIMER_MAXIMUM, TIMER_HZ_DIGITS, ignore_error)


def check_true_false(text: str) -> bool | None:
    """keepalived's on/off words (lower case only)."""
    if text in ("true", "on", "yes"):
        return True
    if text in ("false", "off", "no"):
        return False
    return None


def read_bool_flag(ctx: ParseContext, words: tuple[str, ...], keyword_desc: str | None = None) -> bool | None:
    """A keyword that is a flag alone or takes an on/off word.

    Returns None (keep default) for an invalid word, after keepalived's message.
    """
    if len(words) < 2:
        return True
    value = check_true_false(words[1])
    if value is None:
        ctx.report(
            Severity.GENERAL_ERROR,
            f"Invalid value '{words[1]}' for {keyword_desc or words[0]} - ignoring",
        )
    return value
